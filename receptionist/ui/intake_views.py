"""The intake's views: calls in progress (the live strip above the call list) and the quarantine (deliveries that
could not be mapped, with Replay and Discard). Both are handed the desk's intake capability, read on the window's
:class:`QueryRunner` and refresh from the event bus; Replay and Discard run on its :class:`OperationRunner`."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
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

from receptionist.domain.formatting import format_datetime, format_elapsed
from receptionist.domain.intake import InboxRecord, LiveCallRecord
from receptionist.services.intake import IntakeDesk
from receptionist.ui.models import display_phone
from receptionist.ui.operations import OperationRunner, QueryRunner

_Index = QModelIndex | QPersistentModelIndex


class LiveCallsModel(QAbstractTableModel):
    """Calls in progress (and just ended): caller id, elapsed, status, the transcript's last line."""

    HEADERS = ("Caller", "Elapsed", "Status", "Said last")

    class Role(enum.IntEnum):
        CALL = Qt.ItemDataRole.UserRole + 1

    def __init__(self, now: Callable[[], datetime], parent=None):
        super().__init__(parent)
        self._now = now
        self._rows: list[LiveCallRecord] = []
        self._notes: dict[tuple[str, str], str | None] = {}

    def set_rows(self, rows: Sequence[LiveCallRecord], notes: dict[tuple[str, str], str | None]) -> None:
        """The calls, with the caller notes of the calls new since the last set (the others keep theirs)."""
        self.beginResetModel()
        self._rows = list(rows)
        self._notes = {key: note for key, note in {**self._notes, **notes}.items()
                       if key in {(r.platform, r.call_id) for r in self._rows}}
        self.endResetModel()

    def known(self) -> set[tuple[str, str]]:
        """The calls whose caller note is already here: one history lookup per new call, not per refresh."""
        return set(self._notes)

    def rows(self) -> list[LiveCallRecord]:
        return list(self._rows)

    def tick(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 1), self.index(len(self._rows) - 1, 1))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        call = self._rows[index.row()]
        if role == self.Role.CALL:
            return call
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                shown = display_phone(call.caller_id_number) or "Unknown number"
                return f"{shown} · returning" if self._notes.get((call.platform, call.call_id)) else shown
            if col == 1:
                return format_elapsed(call.elapsed_seconds(self._now()))
            if col == 2:
                return f"{'● ' if call.live else ''}{'Ended' if not call.live else call.status} ({call.platform})"
            if col == 3:
                return call.transcript[-1][1] if call.transcript else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0:
                return self._notes.get((call.platform, call.call_id)) or "First call from this number"
            return "\n".join(f"{s}: {x}" for s, x in call.transcript) or "No transcript yet"
        if role == Qt.ItemDataRole.ForegroundRole and col == 2:
            from PySide6.QtGui import QColor

            return QColor("#dc2626" if call.live else "#64748b")
        return None


class LiveCallsStrip(QWidget):
    """"Live now": calls in progress, ticking each second; hidden when there are none."""

    def __init__(self, intake: IntakeDesk, now: Callable[[], datetime], runner: QueryRunner | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.intake = intake
        self.runner = runner or QueryRunner(self)
        self.model = LiveCallsModel(now, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        self.title = QLabel("Live now")
        self.title.setObjectName("panelTitle")
        self.table = QTableView()
        self.table.setObjectName("liveCalls")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        for column in (0, 1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.model.tick)
        self._timer.start()
        self.refresh()

    def refresh(self) -> None:
        """Read the live calls (and the notes of callers new to the strip) on the worker; shown when they land."""
        intake, known = self.intake, self.model.known()

        def read() -> tuple[list[LiveCallRecord], dict[tuple[str, str], str | None]]:
            rows = intake.live_calls()
            return rows, {(r.platform, r.call_id): intake.live_caller_text(r) for r in rows
                          if (r.platform, r.call_id) not in known}

        self.runner.run("live-calls", read, self._show)

    def _show(self, result: tuple[list[LiveCallRecord], dict[tuple[str, str], str | None]]) -> None:
        rows, notes = result
        self.model.set_rows(rows, notes)
        live = sum(1 for r in rows if r.live)
        self.title.setText(f"Live now · {live} in progress" if live else "Just ended")
        shown = min(len(rows), 3)  # the strip grows to three calls, then scrolls
        row_h = self.table.verticalHeader().defaultSectionSize()
        self.table.setFixedHeight(self.table.horizontalHeader().height() + row_h * max(shown, 1) + 4)
        self.setVisible(bool(rows))


class QuarantineModel(QAbstractTableModel):
    HEADERS = ("Received", "Platform", "Reason")

    def __init__(self, zone: ZoneInfo, parent=None):
        super().__init__(parent)
        self.zone = zone
        self._rows: list[InboxRecord] = []

    def set_rows(self, rows: Sequence[InboxRecord]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[InboxRecord]:
        return list(self._rows)

    def row_at(self, row: int) -> InboxRecord | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
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
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 2)
        self.body = QPlainTextEdit()
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
        self.summary.setText(f"{len(rows)} delivery(ies) could not be mapped" if rows else
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
                                progress="Replaying the delivery…")

    def discard_selected(self) -> None:
        """Take the selected delivery out of quarantine, on the worker; the quarantine's news refreshes the list."""
        r = self.selected()
        if r is not None:
            intake = self.intake
            self.operations.run("Cannot discard", lambda: intake.discard(r.id), trigger=self.discard_button,
                                progress="Discarding the delivery…")


__all__ = ["LiveCallsModel", "LiveCallsStrip", "QuarantineModel", "QuarantinePanel"]
