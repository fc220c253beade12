"""The intake's view: the quarantine (deliveries that could not be mapped, with Replay and Discard). It is handed
the desk's intake capability, reads on the window's :class:`QueryRunner` and refreshes from the event bus; Replay and
Discard run on its :class:`OperationRunner`. Calls in progress are live rows of the call list
(:mod:`receptionist.ui.call_list`)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.call_queue import plural
from receptionist.domain.formatting import format_datetime
from receptionist.domain.intake import InboxRecord
from receptionist.services.intake import IntakeDesk
from receptionist.ui.models import RecordsModel
from receptionist.ui.operations import OperationRunner, QueryRunner

_Index = QModelIndex | QPersistentModelIndex


class QuarantineModel(RecordsModel[InboxRecord]):
    HEADERS = ("Received", "Platform", "Reason")

    def __init__(self, zone: ZoneInfo, parent=None):
        super().__init__(parent)
        self.zone = zone

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        r = self.record(index)
        if r is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return (format_datetime(r.received_at, self.zone), f"{r.platform} ({r.source.value})",
                    r.reason or "")[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.reason
        return None


class QuarantinePanel(QWidget):
    """Deliveries that could not be mapped, each with the reason; Replay (after a fix) or Discard.

    Signals:
        count_changed(int): how many are in quarantine (the tab title shows it).
    """

    count_changed = Signal(int)

    def __init__(self, intake: IntakeDesk, zone: ZoneInfo, runner: QueryRunner | None = None,
                 operations: OperationRunner | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.intake = intake
        self.runner = runner or QueryRunner(self)
        self.operations = operations or OperationRunner(self)
        self.model = QuarantineModel(zone, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("muted")
        self.replay_button = QPushButton("Replay")
        self.replay_button.setToolTip("Map the delivery again (after an update, or once its API key is set)")
        self.discard_button = QPushButton("Discard")
        self.discard_button.setObjectName("danger")
        self.discard_button.setToolTip("Not a call: take it out of quarantine (the raw delivery is kept)")
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.replay_button)
        bar.addWidget(self.discard_button)
        layout.addLayout(bar)
        self.table = QTableView()
        self.table.setObjectName("quarantineTable")
        self.table.setAccessibleName("Deliveries in quarantine")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 2)
        self.body = QPlainTextEdit()
        self.body.setAccessibleName("The delivery as it arrived")
        self.body.setReadOnly(True)
        self.body.setPlaceholderText("The delivery as it arrived")
        layout.addWidget(self.body, 1)
        self.replay_button.clicked.connect(self.replay_selected)
        self.discard_button.clicked.connect(self.discard_selected)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        self.refresh()

    def refresh(self) -> None:
        """Read the quarantine again on the worker; the list, the selection and the count follow when it lands."""
        self.runner.run("quarantine", self.intake.quarantined, self._show)

    def _show(self, rows: list[InboxRecord]) -> None:
        selected = self.selected()
        self.model.set_rows(rows)
        self.summary.setText(f"{plural(len(rows), 'delivery', 'deliveries')} could not be mapped" if rows else
                             "Nothing in quarantine: every delivery became a call.")
        if selected is not None:
            for i, r in enumerate(rows):
                if r.id == selected.id:
                    self.table.selectRow(i)
        self._selection_changed()
        self.count_changed.emit(len(rows))

    def selected(self) -> InboxRecord | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def select(self, inbox_id: int) -> bool:
        for i, r in enumerate(self.model.rows()):
            if r.id == inbox_id:
                self.table.selectRow(i)
                return True
        return False

    def _selection_changed(self) -> None:
        r = self.selected()
        self.replay_button.setEnabled(r is not None)
        self.discard_button.setEnabled(r is not None)
        self.body.setPlainText(r.body.decode("utf-8", "replace")[:20_000] if r else "")

    def replay_selected(self) -> None:
        """Map the selected delivery again, on the worker; the quarantine's news refreshes the list."""
        r = self.selected()
        if r is not None:
            intake = self.intake
            self.operations.run("Cannot replay", lambda: intake.replay(r.id), trigger=self.replay_button,
                                progress="Replaying the delivery…", success=lambda _r: self._selection_changed(),
                                failure=lambda _s: self._selection_changed())

    def discard_selected(self) -> None:
        """Take the selected delivery out of quarantine, on the worker; the quarantine's news refreshes the list."""
        r = self.selected()
        if r is not None:
            intake = self.intake
            self.operations.run("Cannot discard", lambda: intake.discard(r.id), trigger=self.discard_button,
                                progress="Discarding the delivery…", success=lambda _r: self._selection_changed(),
                                failure=lambda _s: self._selection_changed())


__all__ = ["QuarantineModel", "QuarantinePanel"]
