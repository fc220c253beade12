"""The step between pressing Approve and the booking: the warnings it is approved despite, named, and the
confirmation text it will send (editable, or not sent) — withheld by default when the caller prefers a phone call
or opted out (``domain/contact.py``). Also the question asked when another call is picked with unsaved edits."""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from receptionist.services import ApprovalPlan
from receptionist.ui import theme
from receptionist.ui.models import FIELD_LABELS


class ApproveDialog(QDialog):
    """Approve (or Approve anyway, when there are warnings) with the text to send. With warnings, Enter is Go back:
    approving despite them takes a deliberate Tab to the Approve button first.

    After ``accepted``: ``notify`` (text the caller?) and ``text`` (the body, None when unchanged)."""

    def __init__(self, what: str, plan: ApprovalPlan, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Approve this booking?")
        self.plan = plan
        layout = QVBoxLayout(self)
        self.heading = heading = QLabel(what)
        heading.setObjectName("detailHeading")
        heading.setWordWrap(True)
        layout.addWidget(heading)

        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setObjectName("approvalWarnings")
        if plan.warnings:
            items = "".join(f"<li>{html.escape(FIELD_LABELS.get(w.field, w.field))}: {html.escape(w.message)}</li>"
                            for w in plan.warnings)
            self.warnings.setText(f"<b>{theme.SEVERITY_MARKS[plan.warnings[0].severity]} Check before approving "
                                  f"— this booking is:</b><ul style='margin:4px 0 0 -20px;'>{items}</ul>")
            self.warnings.setStyleSheet("background: #fef3c7; color: #92400e; padding: 8px; border-radius: 4px;")
        self.warnings.setVisible(bool(plan.warnings))
        layout.addWidget(self.warnings)

        self.notify_check = QCheckBox("Text the caller this confirmation")
        self.text_edit = QPlainTextEdit()
        self.text_edit.setTabChangesFocus(True)
        self.text_edit.setFixedHeight(84)
        self.text_edit.setAccessibleName("Confirmation text")
        self.contact_note = QLabel()
        self.contact_note.setWordWrap(True)
        self.contact_note.setObjectName("muted")
        if plan.text is None:
            self.notify_check.setChecked(False)
            self.notify_check.setEnabled(False)
            self.text_edit.hide()
            self.contact_note.setText("No confirmation text will be sent (SMS is off, or there is no callback "
                                      "number).")
        else:
            self.text_edit.setPlainText(plan.text)
            self.notify_check.setChecked(plan.contact.text_ok)
            if not plan.contact.text_ok:
                self.contact_note.setText(f"Not texted unless you tick the box: {plan.contact.reason}.")
                self.contact_note.setStyleSheet("color: #92400e;")
        self.notify_check.toggled.connect(self.text_edit.setEnabled)
        self.text_edit.setEnabled(self.notify_check.isChecked())
        layout.addWidget(self.notify_check)
        layout.addWidget(self.text_edit)
        layout.addWidget(self.contact_note)
        self.contact_note.setVisible(bool(self.contact_note.text()))

        buttons = QDialogButtonBox()
        self.approve_button = QPushButton("Approve anyway" if plan.warnings else "Approve")
        self.approve_button.setObjectName("primary")
        self.back_button = QPushButton("Go back")
        buttons.addButton(self.approve_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.back_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        (self.back_button if plan.warnings else self.approve_button).setDefault(True)
        (self.back_button if plan.warnings else self.approve_button).setFocus()
        self.resize(520, self.sizeHint().height())

    @property
    def notify(self) -> bool:
        return self.notify_check.isChecked()

    @property
    def text(self) -> str | None:
        if not self.notify:
            return None
        typed = self.text_edit.toPlainText()
        return None if typed == self.plan.text else typed


def unsaved_edits_box(name: str, parent: QWidget) -> QMessageBox:
    """Save / Discard / Stay for edits not saved when another call was picked (not shown yet: ``open()`` it)."""
    box = QMessageBox(QMessageBox.Icon.Question, "Unsaved edits",
                      f"You changed {name}'s booking and did not save it.", parent=parent)
    box.setInformativeText("Save the edits, discard them, or stay on this call?")
    box.addButton("Save edits", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    stay = box.addButton("Stay", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(stay)
    box.setEscapeButton(stay)
    return box


__all__ = ["ApproveDialog", "unsaved_edits_box"]
