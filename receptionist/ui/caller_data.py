"""A caller's data from the window (owners): **Export…** writes everything the desk holds about the caller's number to
a JSON file, **Forget this caller** erases their calls, transcripts and texts (appointments stay, named "Forgotten
caller") once the owner ticked the sentence saying so. Opened from an appointment (its **Caller's data…** button);
both run on the window's ``OperationRunner`` through ``desk.callers.export_to`` / ``forget`` (audited, owners only:
anyone else reads why the buttons are off).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.formatting import format_phone
from receptionist.services.callers import Callers
from receptionist.services.people import People
from receptionist.ui.operations import OperationRunner


def choose_file(parent: QWidget, suggested: str) -> str:
    path, _filter = QFileDialog.getSaveFileName(parent, "Export the caller's data", suggested, "JSON (*.json)")
    return path


class CallerDataDialog(QDialog):
    """Attributes: ``export_button``, ``confirm`` (the box saying what forgetting does), ``forget_button``,
    ``result`` (what the last action said)."""

    forgotten = Signal(object)  # what forget touched: {"calls", "appointments", "texts"}

    def __init__(self, callers: Callers, people: People, number: str, name: str | None,
                 operations: OperationRunner, *, choose: Callable[[QWidget, str], str] = choose_file,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.callers, self.number, self.operations, self.choose = callers, number, operations, choose
        shown = format_phone(number) or number
        self.setWindowTitle(f"Caller's data — {shown}")
        self.setMinimumSize(540, 300)
        heading = QLabel(f"{name or 'Unknown caller'} — {shown}")
        heading.setObjectName("detailHeading")
        explain = QLabel("Everything the desk holds about this number: calls with their transcripts, appointments, "
                         "callbacks and texts. Both actions are written to the audit log with your name.")
        explain.setWordWrap(True)
        self.export_button = QPushButton("&Export to a file…")
        warning = QLabel(f"<b>Forget this caller:</b> every call, transcript and text of {shown} is erased for good. "
                         "Their appointments stay on the calendars, named \"Forgotten caller\".")
        warning.setWordWrap(True)
        self.confirm = QCheckBox("&I understand: this cannot be undone")
        self.forget_button = QPushButton("&Forget this caller")
        self.forget_button.setObjectName("danger")
        self.forget_button.setEnabled(False)
        self.close_button = QPushButton("C&lose")
        for b in (self.export_button, self.forget_button, self.close_button):
            b.setAutoDefault(False)  # Enter never forgets anyone
        self.result = QLabel()
        self.result.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        forget_row = QHBoxLayout()
        forget_row.addWidget(self.forget_button)
        forget_row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(heading)
        lay.addWidget(explain)
        lay.addSpacing(8)
        lay.addWidget(warning)
        lay.addWidget(self.confirm)
        lay.addLayout(forget_row)
        lay.addWidget(self.result)
        lay.addLayout(buttons)
        self.owner = people.is_owner()
        if not self.owner:
            for w in (self.export_button, self.confirm, self.forget_button):
                w.setEnabled(False)
            self.result.setText("Exporting or forgetting a caller's data is for owners: ask an owner of the desk.")
        self.confirm.toggled.connect(lambda on: self.forget_button.setEnabled(on and self.owner))
        self.export_button.clicked.connect(self.export)
        self.forget_button.clicked.connect(self.forget)
        self.close_button.clicked.connect(self.reject)

    def export(self) -> None:
        path = self.choose(self, f"caller-{self.number.lstrip('+')}.json")
        if not path:
            return
        callers, number = self.callers, self.number
        self.operations.run("Not exported", lambda: callers.export_to(number, Path(path)),
                            success=lambda s: self.result.setText(
                                f"Written to {s['file']}: {s['calls']} call(s), {s['appointments']} appointment(s), "
                                f"{s['texts']} text(s)."),
                            failure=self.result.setText, trigger=self.export_button, progress="Exporting…")

    def forget(self) -> None:
        if not self.confirm.isChecked():
            return
        callers, number = self.callers, self.number
        self.operations.run("Not forgotten", lambda: callers.forget(number), success=self._forgotten,
                            failure=self.result.setText, trigger=self.forget_button, progress="Forgetting…")

    def _forgotten(self, done: dict) -> None:
        self.confirm.setChecked(False)
        for w in (self.confirm, self.forget_button, self.export_button):
            w.setEnabled(False)
        self.result.setText(f"Forgotten: {done['calls']} call(s) and {done['texts']} text(s) erased, "
                            f"{done['appointments']} appointment(s) kept without the caller's name.")
        self.forgotten.emit(done)


def open_caller_data(window, number: str, name: str | None, then: Callable[[], None] | None = None) -> None:
    """The caller's data dialog over the main window (``then`` runs once the caller was forgotten)."""
    desk = window.desk
    dialog = CallerDataDialog(desk.callers, desk.people, number, name, window.operations, parent=window)
    if then is not None:
        dialog.forgotten.connect(lambda _done: then())
    window.caller_data_dialog = dialog
    dialog.open()


__all__ = ["CallerDataDialog", "open_caller_data"]
