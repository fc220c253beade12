"""Appointments with a sync badge per calendar, and the buttons a person uses when a calendar write went wrong."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QSizePolicy,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.formatting import format_datetime
from receptionist.domain.models import LinkRecord, SyncState
from receptionist.errors import UserError
from receptionist.services import ConsoleService
from receptionist.ui.call_panel import show_user_error
from receptionist.ui.models import AppointmentTableModel

RETRYABLE = {SyncState.FAILED, SyncState.CONFLICT, SyncState.DRIFT}
OVERRIDABLE = {SyncState.CONFLICT, SyncState.DRIFT}


class SyncPanel(QWidget):
    """The appointments table with sync badges, Retry / Retry all failed / Keep ours, and the selected link's error.

    Selecting a badge cell picks that calendar's link; selecting any other cell of a row picks all its links.

    Signals:
        appointment_selected(str): the current row's appointment id.
    """

    appointment_selected = Signal(str)

    def __init__(self, service: ConsoleService, calendars: Sequence[tuple[str, str]] = (),
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self.zone = service.rules.zone
        self.model = AppointmentTableModel(self.zone, calendars, parent=self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        bar = QHBoxLayout()
        title = QLabel("Appointments")
        title.setObjectName("panelTitle")
        title.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)  # never clipped
        self.summary = QLabel()
        self.summary.setObjectName("muted")
        self.retry_button = QPushButton("Retry")
        self.retry_button.setToolTip("Write the selected failed link(s) again now")
        self.retry_all_button = QPushButton("Retry all failed")
        self.override_button = QPushButton("Keep ours (override)")
        self.override_button.setToolTip("Conflict/Drift: rewrite the calendar's event with our version")
        bar.addWidget(title)
        bar.addSpacing(8)
        bar.addWidget(self.summary)
        bar.addStretch(1)
        bar.addWidget(self.retry_button)
        bar.addWidget(self.retry_all_button)
        bar.addWidget(self.override_button)
        layout.addLayout(bar)

        self.table = QTableView()
        self.table.setObjectName("syncTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setMinimumHeight(120)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setMinimumSectionSize(70)
        layout.addWidget(self.table, 1)

        self.error_text = QPlainTextEdit()
        self.error_text.setObjectName("linkError")
        self.error_text.setReadOnly(True)
        self.error_text.setFixedHeight(58)
        self.error_text.setPlaceholderText("Select a sync badge to see its details.")
        layout.addWidget(self.error_text)

        self.retry_button.clicked.connect(self.retry_selected)
        self.retry_all_button.clicked.connect(self.retry_all_failed)
        self.override_button.clicked.connect(self.override_selected)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.selectionModel().currentChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._resize_columns)
        self.model.columnsInserted.connect(self._resize_columns)
        self._resize_columns()  # an empty table too: headers readable, Service takes the spare width
        self._update_buttons()

    # --- data -----------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload appointments; the selected cells survive a reset (found again by appointment id)."""
        keep = [(self.model.data(i, AppointmentTableModel.Role.APPOINTMENT_ID), i.column())
                for i in self.table.selectionModel().selectedIndexes()]
        current = self.table.currentIndex()
        current_key = ((self.model.data(current, AppointmentTableModel.Role.APPOINTMENT_ID), current.column())
                       if current.isValid() else None)
        self.model.set_rows(self.service.appointments())
        self._restore(keep, current_key)
        counts: dict[SyncState, int] = {}
        for appt in self.model.rows():
            for link in appt.links:
                counts[link.state] = counts.get(link.state, 0) + 1
        problems = [f"{n} {s.label.lower()}" for s, n in counts.items() if s is not SyncState.SYNCED and n]
        self.summary.setText(f"{len(self.model.rows())} appointment(s) · " + (", ".join(problems) if problems
                                                                        else "all synced"))
        self._selection_changed()

    def _restore(self, keep, current_key) -> None:
        sm = self.table.selectionModel()
        wanted = []
        for appt_id, column in keep:
            row = self.model.row_of(appt_id)
            if row >= 0 and column < self.model.columnCount():
                wanted.append(self.model.index(row, column))
        if all(sm.isSelected(i) for i in wanted) and len(wanted) == len(sm.selectedIndexes()):
            return
        sm.clearSelection()
        for index in wanted:
            sm.select(index, QItemSelectionModel.SelectionFlag.Select)
        if current_key is not None:
            row = self.model.row_of(current_key[0])
            if row >= 0:
                sm.setCurrentIndex(self.model.index(row, current_key[1]), QItemSelectionModel.SelectionFlag.NoUpdate)

    def _resize_columns(self) -> None:
        header = self.table.horizontalHeader()
        metrics = header.fontMetrics()
        for col in range(self.model.columnCount()):
            if col == AppointmentTableModel.Column.SERVICE:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
            elif col >= AppointmentTableModel.FIRST_BADGE:
                # badge columns: wide enough for the calendar's name (header padding + bold) and "Conflict"
                label = str(self.model.headerData(col, Qt.Orientation.Horizontal))
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
                header.resizeSection(col, max(metrics.horizontalAdvance(label), metrics.horizontalAdvance(
                    "Conflict")) + 48)
            else:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)

    def select_appointment(self, appointment_id: str) -> bool:
        row = self.model.row_of(appointment_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def selected_links(self) -> list[LinkRecord]:
        """Badge cells → their link; other cells → every link of that row. No duplicates, in table order."""
        seen: dict[int, LinkRecord] = {}
        indexes = sorted(self.table.selectionModel().selectedIndexes(), key=lambda i: (i.row(), i.column()))
        for index in indexes:
            if self.model.calendar_of_column(index.column()) is not None:
                link = self.model.link_at(index.row(), index.column())
                links = [link] if link is not None else []
            else:
                links = self.model.links_of_row(index.row())
            for link in links:
                seen.setdefault(link.id, link)
        return list(seen.values())

    # --- actions --------------------------------------------------------------------------------------------------

    def retry_selected(self) -> None:
        links = [link for link in self.selected_links() if link.state in RETRYABLE]
        try:
            for link in links:
                self.service.retry(link.id)
        except UserError as exc:
            show_user_error(self, "Cannot retry", str(exc))
        self.refresh()

    def retry_all_failed(self) -> None:
        try:
            self.service.retry_all_failed()
        except UserError as exc:
            show_user_error(self, "Cannot retry", str(exc))
        self.refresh()

    def override_selected(self) -> None:
        links = [link for link in self.selected_links() if link.state in OVERRIDABLE]
        try:
            for link in links:
                self.service.override(link.id)
        except UserError as exc:
            show_user_error(self, "Cannot override", str(exc))
        self.refresh()

    # --- selection ------------------------------------------------------------------------------------------------

    def _selection_changed(self, *_args) -> None:
        links = self.selected_links()
        current = self.table.currentIndex()
        if current.isValid():
            appt_id = self.model.data(current, AppointmentTableModel.Role.APPOINTMENT_ID)
            if appt_id:
                self.appointment_selected.emit(appt_id)
        labels = dict(self.model.calendars())
        lines = []
        for link in links:
            text = f"{labels.get(link.calendar, link.calendar)}: {link.state.label}"
            if link.last_error:
                text += f" — {link.last_error}"
            elif link.synced_at is not None:
                text += f" — last written {format_datetime(link.synced_at, self.zone, with_zone=True)}"
            if link.attempts:
                text += f" (attempts: {link.attempts})"
            lines.append(text)
        self.error_text.setPlainText("\n".join(lines))
        self._update_buttons(links)

    def _update_buttons(self, links: list[LinkRecord] | None = None) -> None:
        links = links or []
        self.retry_button.setEnabled(any(link.state in RETRYABLE for link in links))
        self.override_button.setEnabled(any(link.state in OVERRIDABLE for link in links))
        self.retry_all_button.setEnabled(any(link.state is SyncState.FAILED
                                             for appt in self.model.rows() for link in appt.links))


__all__ = ["SyncPanel"]
