"""Drift / Conflict: our version and the calendar's, field by field, and the person's decision — Keep ours (the
calendar gets ours again, re-created if it was deleted) or Take theirs (our appointment follows the calendar, or is
cancelled if the event was deleted there). The dialog is handed the sync decisions; both answers run on the
window's :class:`~receptionist.ui.operations.OperationRunner` and are audited with who decided."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.models import SyncState
from receptionist.services import Discrepancy
from receptionist.services.sync_decisions import SyncDecisions
from receptionist.ui.appointment_dialog import SMS_TEXT, badge_label, inline_error_label, sms_checkbox
from receptionist.ui.models import DIFF_FIELDS
from receptionist.ui.operations import OperationRunner

DIFFERS_BACKGROUND = QColor("#fef3c7")


class DiscrepancyDialog(QDialog):
    """Ours vs theirs for one link (``sync.discrepancy``, read by the window on its worker), differing rows
    highlighted, Keep ours / Take theirs.

    Signals:
        decided(str): "ours" or "theirs", after the desk accepted the decision.
    """

    decided = Signal(str)

    def __init__(self, sync: SyncDecisions, d: Discrepancy, *, sms_enabled: bool, operations: OperationRunner,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.sync = sync
        self.link_id = d.link.id
        self.operations = operations
        self.setWindowTitle("Ours or theirs?")
        self.setMinimumSize(640, 360)
        self.resize(760, 500)
        self.discrepancy = d
        label = d.calendar_label

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        heading = QLabel(f"{d.appointment.caller_name or 'Unknown caller'} — {d.appointment.service or 'Appointment'}")
        heading.setObjectName("detailHeading")
        top.addWidget(heading, 1)
        top.addWidget(badge_label(d.link.state))
        layout.addLayout(top)
        if d.deleted:
            what = f"This event was deleted on {label}."
        elif d.link.state is SyncState.CONFLICT:
            what = f"This event was changed both here and on {label} since our last write."
        else:
            what = f"Someone changed this event on {label}."
        self.summary = QLabel(f"{what} Nothing is changed until you decide. Differences are highlighted.")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)

        self.table = QTableWidget(len(d.rows), 2)
        self.table.setHorizontalHeaderLabels(["Ours (this desk)", f"On {label}"])
        self.table.setVerticalHeaderLabels([DIFF_FIELDS.get(name, name) for name, *_ in d.rows])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # read-only: Tab goes straight to the decisions
        bold = QFont()
        bold.setBold(True)
        self.differing: list[str] = []
        for row, (name, ours, theirs, differs) in enumerate(d.rows):
            for col, text in enumerate((ours, theirs)):
                item = QTableWidgetItem(text or "—")
                item.setToolTip(text)
                if differs:
                    item.setBackground(DIFFERS_BACKGROUND)
                    item.setFont(bold)
                self.table.setItem(row, col, item)
            if differs:
                self.differing.append(name)
                self.table.verticalHeaderItem(row).setFont(bold)
                self.table.verticalHeaderItem(row).setText(f"≠ {DIFF_FIELDS.get(name, name)}")
        layout.addWidget(self.table, 1)

        self.notify_check = sms_checkbox(sms_enabled, d.appointment, SMS_TEXT + " (Take theirs)")
        layout.addWidget(self.notify_check)
        self.error_label = inline_error_label()
        layout.addWidget(self.error_label)

        buttons = QHBoxLayout()
        self.keep_ours_button = QPushButton("Keep &ours")
        self.keep_ours_button.setToolTip(
            f"Write our version to {label} again" + (" (the event is re-created)" if d.deleted else ""))
        self.take_theirs_button = QPushButton("Take &theirs (cancel the appointment)" if d.deleted
                                              else "Take &theirs")
        self.take_theirs_button.setToolTip(
            f"Cancel our appointment, as it was deleted on {label}; the other calendars follow" if d.deleted else
            f"Change our appointment to match {label}; the other calendars follow")
        self.close_button = QPushButton("Close")
        for b in (self.keep_ours_button, self.take_theirs_button, self.close_button):
            b.setAutoDefault(False)
        buttons.addWidget(self.keep_ours_button)
        buttons.addWidget(self.take_theirs_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        if not d.link.state.needs_person:  # decided meanwhile (another desk, or the calendar changed back)
            self.keep_ours_button.setEnabled(False)
            self.take_theirs_button.setEnabled(False)
            self.summary.setText(f"Nothing to decide: this calendar link is {d.link.state.label}.")

        self.keep_ours_button.clicked.connect(self.keep_ours)
        self.take_theirs_button.clicked.connect(self.take_theirs)
        self.close_button.clicked.connect(self.reject)
        self.keep_ours_button.setFocus()

    def _decide(self, which: str, write, trigger: QPushButton) -> None:
        # one decision per Drift/Conflict: the other button waits for this one's answer (back on if it was refused)
        other = self.take_theirs_button if trigger is self.keep_ours_button else self.keep_ours_button
        other.setEnabled(False)
        self.operations.run("Ours or theirs?", write, success=lambda _record: self._decided(which), trigger=trigger,
                            failure=lambda _sentence: other.setEnabled(True), error_label=self.error_label,
                            progress="Keeping our version…" if which == "ours" else "Taking the calendar's version…")

    def _decided(self, which: str) -> None:
        self.decided.emit(which)
        self.accept()

    def keep_ours(self) -> None:
        sync, link_id = self.sync, self.link_id
        self._decide("ours", lambda: sync.keep_ours(link_id), self.keep_ours_button)

    def take_theirs(self) -> None:
        sync, link_id, notify = self.sync, self.link_id, self.notify_check.isChecked()
        self._decide("theirs", lambda: sync.take_theirs(link_id, notify=notify), self.take_theirs_button)


__all__ = ["DiscrepancyDialog"]
