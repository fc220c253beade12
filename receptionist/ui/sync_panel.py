"""Appointments with a sync badge per calendar, and the buttons a person uses when a calendar write went wrong.

The panel is handed the appointments (what it lists) and the sync decisions (Retry, Retry all failed); reads run on
the window's :class:`QueryRunner`, writes on its :class:`OperationRunner`, and the event bus's news refreshes it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QSizePolicy,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.formatting import format_datetime
from receptionist.domain.models import LinkBadge, SyncState
from receptionist.services.appointments import Appointments
from receptionist.services.sync_decisions import SyncDecisions
from receptionist.ui.models import DIFF_FIELDS, AppointmentTableModel, link_sentence, table_rows
from receptionist.ui.operations import OperationRunner, QueryRunner

PAGE = 200  # rows read at a time; "Show more" reads the next page
LONG_NAME = "Maria Rodriguez"  # the Caller column's first width (a longer name elides; the column can be dragged)
HEADER_PADDING = 20  # the header's padding (style sheet: 8 px a side) and some air
CELL_PADDING = 12  # a cell's margins and some air
SWATCH = 24  # a badge's coloured swatch (DecorationRole) and its gap


class SyncPanel(QWidget):
    """The appointments table with sync badges, Open…, Retry / Retry all failed, Keep ours / Take theirs…, and the
    selected links' sentences (a Drift/Conflict badge lists what differs, ours vs theirs).

    It lists a window, not the table: the appointments from a week back to two months ahead, then every other one
    with a link needing attention, a page at a time. Every read runs on a worker (``runner``) and lands by signal;
    news naming an appointment updates that row in place (``appointments_changed``), never a reload.

    Selecting a badge cell picks that calendar's link; selecting any other cell of a row picks all its links.
    Cancelled appointments stay listed (struck through). Double-click or Enter opens the appointment.

    Signals:
        appointment_activated(str): double-click / Enter / Open… on a row (the window opens the appointment).
        decision_requested(int): Keep ours / Take theirs… on a Drift/Conflict link (its id).
        context_menu_requested(str, QPoint): right-click on a row (appointment id, global position).
    """

    appointment_activated = Signal(str)
    decision_requested = Signal(int)
    context_menu_requested = Signal(str, QPoint)

    loaded = Signal()  # a read landed and is shown

    def __init__(self, appointments: Appointments, sync: SyncDecisions, zone: ZoneInfo,
                 calendars: Sequence[tuple[str, str]] = (), runner: QueryRunner | None = None,
                 operations: OperationRunner | None = None, parent: QWidget | None = None,
                 clock: Callable[[], datetime] | None = None):
        """``clock``: now (UTC); with it Status says whether the caller came (``AppointmentTableModel``)."""
        super().__init__(parent)
        self.appointments = appointments
        self.sync = sync
        self.zone = zone
        self.model = AppointmentTableModel(self.zone, calendars, parent=self, clock=clock)
        self.runner = runner or QueryRunner(self)
        self.operations = operations or OperationRunner(self)
        self._wanted = PAGE  # rows the view shows (grows with Show more)
        self._more = False  # the window holds more rows than are shown
        self._fetching = False  # the next page is being read
        self._dirty: set[str] = set()  # appointments named by news, updated together
        self._batches = 0
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(250)  # a cycle's news about many rows becomes a few reads, not one per link
        self._flush.timeout.connect(self._read_dirty)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        bar = QHBoxLayout()
        title = QLabel("Appointments")
        title.setObjectName("panelTitle")
        title.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)  # never clipped
        self.summary = QLabel()
        self.summary.setObjectName("muted")
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open the selected appointment: reschedule, edit or cancel it (or double-click "
                                    "it, or press Enter)")
        self.retry_button = QPushButton("Retry")
        self.retry_button.setToolTip("Write the selected failed link(s) again now")
        self.retry_all_button = QPushButton("Retry all failed")
        self.retry_all_button.setToolTip("Write every failed link again now")
        self.decide_button = QPushButton("Keep ours / Take theirs…")
        self.decide_button.setToolTip("Drift/Conflict: compare our version with the calendar's, field by field, "
                                      "and decide which one stays")
        bar.addWidget(title)
        bar.addSpacing(8)
        bar.addWidget(self.summary)
        bar.addStretch(1)
        bar.addWidget(self.open_button)
        bar.addWidget(self.decide_button)
        bar.addWidget(self.retry_button)
        bar.addWidget(self.retry_all_button)
        layout.addLayout(bar)

        self.table = QTableView()
        self.table.setObjectName("syncTable")
        self.table.setAccessibleName("Sync state of each appointment and calendar")
        self.table.setModel(self.model)
        self.table.setItemDelegate(KeepColourDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.setShowGrid(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (for Retry, Keep ours / Take theirs)
        self.table.setWordWrap(False)
        self.table.setMinimumHeight(120)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setMinimumSectionSize(70)
        layout.addWidget(self.table, 1)

        self.error_text = QPlainTextEdit()
        self.error_text.setObjectName("linkError")
        self.error_text.setAccessibleName("What went wrong")
        self.error_text.setReadOnly(True)
        self.error_text.setFixedHeight(62)
        self.error_text.setPlaceholderText("Select a sync badge to see its details.")
        self.more_button = QPushButton("Show more")
        self.more_button.setToolTip(f"List the next {PAGE} appointments needing attention or in the window")
        self.more_button.hide()
        more = QHBoxLayout()
        more.addStretch(1)
        more.addWidget(self.more_button)
        layout.addLayout(more)
        layout.addWidget(self.error_text)
        self.more_button.clicked.connect(self.show_more)
        self.model.more_wanted.connect(self.show_more)

        self.retry_button.clicked.connect(self.retry_selected)
        self.retry_all_button.clicked.connect(self.retry_all_failed)
        self.decide_button.clicked.connect(self.decide_selected)
        self.open_button.clicked.connect(self.open_current)
        self.table.doubleClicked.connect(self._activated)
        self.table.installEventFilter(self)  # Enter/Return on the current row opens it too
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.selectionModel().currentChanged.connect(self._selection_changed)
        self._sized_columns = 0  # the columns _size_columns last sized (a calendar column may come with rows)
        self.model.modelReset.connect(self._size_columns)
        self._size_columns()  # an empty table too: headers readable, Service takes the spare width
        self._update_buttons()

    # --- data -----------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the window again (on the worker); the selected cells survive (found again by appointment id)."""
        appointments, wanted, shown = self.appointments, self._wanted, self.model.shown()

        def read():
            start, end = appointments.view_window()
            rows = appointments.page(start, end, limit=wanted + 1)
            return table_rows(rows[:wanted], shown), len(rows) > wanted, appointments.counts(start, end)

        self.runner.run("sync-panel", read, self._show)

    def show_more(self) -> None:
        """The next page only, appended after the rows listed (Show more, or Qt's ``fetchMore`` when the table is
        scrolled to its end): what is listed is not read again."""
        if self._fetching:
            return
        self._fetching = True
        appointments, offset = self.appointments, self.model.rowCount()

        def read():
            start, end = appointments.view_window()
            rows = appointments.page(start, end, offset=offset, limit=PAGE + 1)
            return table_rows(rows[:PAGE]), len(rows) > PAGE

        self.runner.run("sync-more", read, self._show_more)

    def _show_more(self, result) -> None:
        self._fetching = False
        ready, more = result
        if not self.model.append_rows(ready):  # the listing changed under it: read it whole
            self._wanted = self.model.rowCount() + PAGE
            self.refresh()
            return
        self._wanted = max(self._wanted, self.model.rowCount())
        self._more = more
        self.model.set_more(more)
        self.more_button.setVisible(more)
        text = self.summary.text().rsplit(" · ", 1)
        if text and text[-1].endswith(" shown"):
            self.summary.setText(" · ".join(text[:-1] + ([f"{self.model.rowCount()} shown"] if more else [])))
        self._selection_changed()
        self.loaded.emit()

    def appointments_changed(self, ids) -> None:
        """News named these appointments: their rows are read again and updated in place, together."""
        self._dirty.update(i for i in ids if i)
        if not self._flush.isActive():
            self._flush.start()

    def _read_dirty(self) -> None:
        ids, self._dirty = list(self._dirty), set()
        if ids:
            self._batches += 1
            appointments = self.appointments

            def read():  # the header's counts too: a cancelled appointment is no longer "booked"
                start, end = appointments.view_window()
                return appointments.rows_by_id(ids), appointments.counts(start, end)

            self.runner.run(f"sync-rows-{self._batches}", read, self._update_rows)

    def _update_rows(self, result) -> None:
        rows, counts = result
        self._show_counts(counts)
        missing = set(self.model.replace_rows(rows))
        if any(row.id in missing and self._may_list(row) for row in rows):
            self.refresh()  # a new appointment, or one on a calendar without a column yet: read the window
        else:
            self._selection_changed()

    def _may_list(self, row) -> bool:
        """Whether reading the window again could show this row that is not shown (or lacks a column): not when
        it comes after the last row shown while more are left for Show more (the page lists by start, then id) —
        during a cycle most news is about such rows, and each would read the whole window again."""
        if self.model.row_of(row.id) >= 0 or not self._more or not self.model.rowCount():
            return True
        last_row = self.model.index(self.model.rowCount() - 1, 0)
        last = self.model.data(last_row, AppointmentTableModel.Role.APPOINTMENT)
        return (row.start, row.id) < (last.start, last.id)

    def _show(self, result) -> None:
        rows, more, counts = result
        self.runner.forget("sync-more")  # a page read for the listing this one replaces would land in the wrong place
        self._fetching = False
        self._more = more
        keep = [(self.model.data(i, AppointmentTableModel.Role.APPOINTMENT_ID), i.column())
                for i in self.table.selectionModel().selectedIndexes()]
        current = self.table.currentIndex()
        current_key = ((self.model.data(current, AppointmentTableModel.Role.APPOINTMENT_ID), current.column())
                       if current.isValid() else None)
        self.model.set_rows(rows)
        self.model.set_more(more)
        self._restore(keep, current_key)
        self.more_button.setVisible(more)
        self._show_counts(counts)
        self._selection_changed()
        self.loaded.emit()

    def _show_counts(self, counts: dict[str, int]) -> None:
        text = f"{counts['live']} booked"
        if counts["cancelled"]:
            text += f" · {counts['cancelled']} cancelled"
        if counts["attention"]:
            text += f" · {counts['attention']} need attention"
        self.summary.setText(text + (f" · {self.model.rowCount()} shown" if self._more else ""))
        self.summary.setToolTip("From a week ago to two months ahead, and every appointment whose calendar link "
                                "needs attention, whenever it is")

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

    def _size_columns(self) -> None:
        """Widths from what each column can show — its header (bold, padded) and the model's widest text — never
        from the rows: Qt measuring every listed row (ResizeToContents) was most of a refresh on the GUI thread,
        growing with the rows. Service takes the spare width; Caller starts wide enough for a long name and can
        be dragged wider (names elide). Sized again only when the columns change, so a dragged width stays."""
        columns = self.model.columnCount()
        if columns == self._sized_columns:
            return
        self._sized_columns = columns
        header = self.table.horizontalHeader()
        bold = QFont(header.font())
        bold.setWeight(QFont.Weight.DemiBold)
        titles, cells = QFontMetrics(bold), self.table.fontMetrics()
        C = AppointmentTableModel.Column
        for col in range(columns):
            if col == C.SERVICE:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
                continue
            title = titles.horizontalAdvance(str(self.model.headerData(col, Qt.Orientation.Horizontal)))
            widest = self.model.widest_text(col) or LONG_NAME
            text = cells.horizontalAdvance(widest) + (SWATCH if col >= AppointmentTableModel.FIRST_BADGE else 0)
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive if col == C.CALLER
                                        else QHeaderView.ResizeMode.Fixed)
            header.resizeSection(col, max(title + HEADER_PADDING, text + CELL_PADDING))

    def select_appointment(self, appointment_id: str) -> bool:
        row = self.model.row_of(appointment_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def selected_links(self) -> list[LinkBadge]:
        """Badge cells → their link; other cells → every link of that row. No duplicates, in table order."""
        seen: dict[int, LinkBadge] = {}
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
        """Write the selected Failed/Reconnect links again (on the worker); their news refreshes the table."""
        sync, ids = self.sync, [link.id for link in self.selected_links() if link.state.retryable]

        def retry() -> None:
            for link_id in ids:
                sync.retry(link_id)

        self.operations.run("Cannot retry", retry, trigger=self.retry_button, progress="Retrying…")

    def retry_all_failed(self) -> None:
        self.operations.run("Cannot retry", self.sync.retry_all_failed, trigger=self.retry_all_button,
                            progress="Retrying every failed calendar write…")

    def decision_link(self) -> LinkBadge | None:
        """The Drift/Conflict link Keep ours / Take theirs… opens: the current badge's, else the first selected."""
        current = self.table.currentIndex()
        link = self.model.link_at(current.row(), current.column()) if current.isValid() else None
        if link is not None and link.state.needs_person:
            return link
        return next((link for link in self.selected_links() if link.state.needs_person), None)

    def decide_selected(self) -> None:
        link = self.decision_link()
        if link is not None:
            self.decision_requested.emit(link.id)

    def current_appointment_id(self) -> str | None:
        current = self.table.currentIndex()
        if not current.isValid():
            return None
        return self.model.data(current, AppointmentTableModel.Role.APPOINTMENT_ID)

    def open_current(self) -> None:
        appointment_id = self.current_appointment_id()
        if appointment_id:
            self.appointment_activated.emit(appointment_id)

    def _activated(self, index: QModelIndex) -> None:
        appointment_id = self.model.data(index, AppointmentTableModel.Role.APPOINTMENT_ID)
        if appointment_id:
            self.appointment_activated.emit(appointment_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.table and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            self.open_current()
            return True
        return super().eventFilter(watched, event)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():  # the Menu key: the current row
            index = self.table.currentIndex()
            if index.isValid():
                pos = self.table.visualRect(index).center()
        appointment_id = self.model.data(index, AppointmentTableModel.Role.APPOINTMENT_ID) if index.isValid() \
            else None
        if appointment_id:
            self.context_menu_requested.emit(appointment_id, self.table.viewport().mapToGlobal(pos))

    # --- selection ------------------------------------------------------------------------------------------------

    def _selection_changed(self, *_args) -> None:
        links = self.selected_links()
        labels = dict(self.model.calendars())
        lines = []
        for link in links:
            label = labels.get(link.calendar, link.calendar)
            appt = self.model.appointment_of_link(link.id)
            cancelled = appt is not None and appt.status.value == "cancelled"
            text = f"{label}: {link.state.label} — {link_sentence(link, label, self.zone, cancelled=cancelled)}"
            if link.attempts and link.state is not SyncState.SYNCED:
                text += f" (attempts: {link.attempts})"
            lines.append(text)
            if link.state.needs_person and not link.deleted_remotely:
                for name, (ours, theirs) in link.diff.items():
                    lines.append(f"    {DIFF_FIELDS.get(name, name)}: ours {self._shown(name, ours)}  ·  "
                                 f"{label} {self._shown(name, theirs)}")
        self.error_text.setPlainText("\n".join(lines))
        self._update_buttons(links)

    def _update_buttons(self, links: list[LinkBadge] | None = None) -> None:
        links = links or []
        self.open_button.setEnabled(self.current_appointment_id() is not None)
        self.retry_button.setEnabled(any(link.state.retryable for link in links))
        self.decide_button.setEnabled(self.decision_link() is not None)
        self.retry_all_button.setEnabled(SyncState.FAILED in self.model.states())


    def _shown(self, field: str, value: str) -> str:
        if field in ("start", "end") and value:
            try:
                return format_datetime(datetime.fromisoformat(value), self.zone)
            except ValueError:
                pass
        return _short(value)


class KeepColourDelegate(QStyledItemDelegate):
    """A selected cell keeps its text colour (a Failed badge stays red), on the selection's background."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().initStyleOption(option, index)
        colour = index.data(Qt.ItemDataRole.ForegroundRole)
        if option.state & QStyle.StateFlag.State_Selected and colour is not None:
            option.palette.setBrush(QPalette.ColorRole.HighlightedText, QBrush(colour))


def _short(value: str, limit: int = 60) -> str:
    value = " ".join(str(value or "—").split())
    return value if len(value) <= limit else value[:limit - 1] + "…"


__all__ = ["SyncPanel"]
