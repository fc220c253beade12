"""The call panel: the queue of calls the AI agent took (:mod:`receptionist.ui.call_list`: one list, calls in
progress as live rows, filtered, searched and sorted in SQL, read a page at a time) above the review pane of the
selected call (:mod:`receptionist.ui.call_review`). The panel is handed the capabilities it uses (bookings, checks),
the location's zone and clock, and the window's two runners; every read runs on the ``QueryRunner``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.call_queue import CallFilter, CallPage, CallQuery, CallSort, RowState, plural, row_state
from receptionist.domain.intake import LiveCallRecord
from receptionist.domain.models import CallRecord
from receptionist.services.bookings import Bookings
from receptionist.services.callbacks import Callbacks
from receptionist.services.checks import Checks
from receptionist.ui.call_list import CallItemDelegate, CallListModel, Reread, plan_reread, row_version, stale_ids
from receptionist.ui.call_review import CallDetail
from receptionist.ui.operations import OperationRunner, QueryRunner

_WAITING = frozenset(RowState) - {RowState.APPROVED, RowState.REJECTED, RowState.NO_PROPOSAL, RowState.LIVE,
                                  RowState.ENDED}


class CallPanel(QWidget):
    """The queue above the review pane of the selected call.

    Rows never move under the pointer: calls that arrive while the desk works gather behind the "N new calls —
    show" bar until the desk looks (presses it, or leaves the list scrolled to the top with nothing selected and
    the pointer elsewhere). After Approve or Reject the next call waiting is opened.

    Signals:
        calls_counted(int): a read landed; how many calls wait for a person (the Needs me view's count).
    """

    calls_counted = Signal(int)

    PAGE = 100  # calls read at a time; scrolling to the end reads the next page

    def __init__(self, bookings: Bookings, checks: Checks, zone: ZoneInfo, now: Callable[[], datetime],
                 runner: QueryRunner | None = None, operations: OperationRunner | None = None,
                 callbacks: Callbacks | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.bookings = bookings
        self.model = CallListModel(zone, now, parent=self)
        self.runner = runner or QueryRunner(self)
        self.operations = operations or OperationRunner(self)
        self.query = CallQuery()
        self._selected_id: int | None = None
        self._counts: dict[CallFilter, int] = {}
        self._batches = 0
        self._reset_next = True  # the next read lists afresh (first read, a new view, the desk looked)
        self._listing = False
        self._to_top = False  # the next fresh list scrolls to the top (the desk asked for the new calls)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        header = QHBoxLayout()
        title = QLabel("Calls")
        title.setObjectName("panelTitle")
        self.counts = QLabel()
        self.counts.setObjectName("muted")
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.counts)
        layout.addLayout(header)

        self.filters = QTabBar()
        self.filters.setObjectName("callFilters")
        self.filters.setAccessibleName("Which calls to list")
        self.filters.setExpanding(False)
        self.filters.setDrawBase(False)
        self.filters.setUsesScrollButtons(True)
        for view in CallFilter:
            self.filters.addTab(view.label)
            self.filters.setTabToolTip(self.filters.count() - 1, _FILTER_TIPS[view])
        layout.addWidget(self.filters)

        tools = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("callSearch")
        self.search.setPlaceholderText("Search name or number (Ctrl+F)")
        self.search.setAccessibleName("Search calls by name or number")
        self.search.setClearButtonEnabled(True)
        self.sort = QComboBox()
        self.sort.setAccessibleName("Order of the calls")
        for order in CallSort:
            self.sort.addItem(order.label)
        tools.addWidget(self.search, 1)
        tools.addWidget(self.sort)
        layout.addLayout(tools)

        self.new_bar = QPushButton()
        self.new_bar.setObjectName("newCalls")
        self.new_bar.setAccessibleName("Show the new calls")
        self.new_bar.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a click does not take the focus from the list
        self.new_bar.hide()
        layout.addWidget(self.new_bar)

        self.list_view = QListView()
        self.list_view.setObjectName("callList")
        self.list_view.setAccessibleName("Calls")
        self.list_view.setModel(self.model)
        self.list_view.setItemDelegate(CallItemDelegate(self.list_view))
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setUniformItemSizes(True)
        self.list_view.setMinimumHeight(150)
        self.list_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list_view.setTabKeyNavigation(False)  # Tab leaves the list; arrows and J/K move in it
        self.list_view.setMouseTracking(True)
        self.list_view.viewport().installEventFilter(self)

        self.detail = CallDetail(bookings, checks, zone, self.runner, self.operations, callbacks)
        scroll = QScrollArea()
        scroll.setObjectName("detailScroll")
        scroll.setAccessibleName("The call under review")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        holder = QWidget()
        holder.setObjectName("detailHolder")
        hl = QVBoxLayout(holder)
        hl.setContentsMargins(4, 8, 10, 8)
        hl.addWidget(self.detail)
        scroll.setWidget(holder)
        self.detail_scroll = scroll
        review = QWidget()  # the scrolled pane, and its decisions pinned under it
        rl = QVBoxLayout(review)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.setSpacing(0)
        rl.addWidget(scroll, 1)
        self.detail.pin_decisions(rl)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.list_view)
        splitter.addWidget(review)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([320, 480])  # about four calls listed at 1366x768
        self.splitter = splitter
        layout.addWidget(splitter, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._query_changed)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.model.tick)
        self._tick.start()

        self.filters.currentChanged.connect(lambda _i: self._query_changed())
        self.sort.currentIndexChanged.connect(lambda _i: self._query_changed())
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.new_bar.clicked.connect(self.show_new)
        self.model.held_changed.connect(self._held_changed)
        self.model.more_wanted.connect(self._read_more)
        self.list_view.verticalScrollBar().valueChanged.connect(lambda _v: self._maybe_merge())
        self.list_view.selectionModel().currentChanged.connect(self._current_changed)
        self.detail.decided.connect(self._decided)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, context=Qt.ShortcutContext.WindowShortcut)
        find.activated.connect(self.focus_search)
        self.search.returnPressed.connect(self.focus_list)
        QShortcut(QKeySequence(Qt.Key.Key_Down), self.search, context=Qt.ShortcutContext.WidgetShortcut,
                  activated=self.focus_list)
        for keys, step in (("J", 1), ("K", -1)):
            QShortcut(QKeySequence(keys), self.list_view, context=Qt.ShortcutContext.WidgetShortcut,
                      activated=lambda step=step: self.step(step))

    # --- reading --------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the view again on the worker. The first read (and a new view) lists afresh; after that the rows
        listed are updated where they are and new ones are held behind the bar (the selection and any edits in
        the review pane survive)."""
        bookings, query, reset = self.bookings, self.query, self._reset_next
        # afresh: as many calls as were listed and held; else the first page (what arrived) and, of every listed
        # call, its version, reading whole only those that changed
        limit = max(self.PAGE, self.model.rowCount() + self.model.held()) if reset else self.PAGE
        shown, noted = self.model.shown(), self.model.noted()

        def read():
            page = bookings.call_page(query, limit=limit)
            live, notes = bookings.in_progress(query, noted) if query.filter.shows_live else ([], {})
            rows = [*live, *page.calls]
            if reset:
                return page, rows, notes, bookings.services()
            on_page = {c.id for c in page.calls}
            listed = [v[0] for v in shown.values() if isinstance(v[0], int)]
            versions = bookings.call_versions(listed)
            stale = [i for i in stale_ids(shown, versions) if i not in on_page]
            gone = [i for i in listed if i not in versions]  # erased (a caller forgotten)
            return (page, plan_reread(shown, rows, page.more, bookings.calls_by_id(stale), gone), notes,
                    bookings.services())

        self.runner.run("calls", read, lambda result: self._listed(*result))

    def _listed(self, page: CallPage, rows: list | Reread, notes: dict, services: list[str]) -> None:
        reset = not isinstance(rows, Reread)
        self.model.add_notes(notes)
        self._listing = True  # the bar hidden hands its focus to the list, which picks a row of its own
        try:
            if reset:
                self._reset_next = False
                self.model.set_rows(rows, page.more)
            else:
                for call_row_id in rows.gone:
                    self.model.remove(call_row_id)
                if self._selected_id in rows.gone:  # its transcript and number are erased: not shown any more
                    self._selected_id = None
                    self.detail.show_review(None)
                self.model.reconcile(rows)
        finally:
            self._listing = False
        self.detail.set_known_services(services)
        self._counted(page.counts)
        self._follow_selection()
        if reset and self._to_top:
            self._to_top = False
            self.list_view.scrollToTop()

    def _read_more(self) -> None:
        """The list was scrolled to its end: the next page, added at the bottom."""
        last = self.model.call_at(self.model.rowCount() - 1)  # pages hold stored calls only
        bookings, query, size = self.bookings, self.query, self.PAGE
        after = last.id if last is not None else None
        self.runner.run("call-page", lambda: bookings.call_page(query, after=after, limit=size),
                        lambda page: self._more_listed(query, page))

    def _more_listed(self, query: CallQuery, page: CallPage) -> None:
        if query == self.query and not self._reset_next:  # else a fresh list of another view is on its way
            self.model.append(page.calls, page.more)
            self._counted(page.counts)

    def calls_changed(self, call_row_ids) -> None:
        """News named these calls (a new one, a decision): read them alone; a listed one is updated where it is,
        a new one the view lists is held behind the bar. While the view is being listed afresh, it is listed
        afresh again instead."""
        ids = [i for i in call_row_ids if i is not None]
        if not ids or self._reset_next:
            # a fresh list is on its way, perhaps read before these calls were stored: read it again, after them
            # (it would drop what their own read holds behind the bar)
            self.refresh()
            return
        self._batches += 1
        bookings, query = self.bookings, self.query
        listed = [i for i in ids if self.model.row_of(i) >= 0]

        def read():
            rows = bookings.calls_by_id(listed) + bookings.calls_by_id([i for i in ids if i not in listed], query)
            return query, rows, bookings.call_counts(query)

        self.runner.run(f"call-rows-{self._batches}", read, self._upsert)

    def refresh_live(self) -> None:
        """Calls in progress changed: a listed live row follows, a new one is held behind the bar."""
        bookings, query, noted = self.bookings, self.query, self.model.noted()
        if query.filter.shows_live:
            self.runner.run("live-calls", lambda: (query, *bookings.in_progress(query, noted)), self._live_read)

    def _live_read(self, result: tuple[CallQuery, list[LiveCallRecord], dict]) -> None:
        query, live, notes = result
        if query != self.query:
            return
        self.model.add_notes(notes)
        self.model.upsert(live)

    def _upsert(self, result) -> None:
        query, rows, counts = result
        if query != self.query:
            return  # read for another view: the fresh list of this one is on its way
        self.model.upsert(rows)
        self._counted(counts)
        self._follow_selection()

    @property
    def pending(self) -> int:
        """Calls waiting for a person, as last counted."""
        return self._counts.get(CallFilter.NEEDS_ME, 0)

    def _counted(self, counts: dict[CallFilter, int]) -> None:
        self._counts = counts
        for i, view in enumerate(CallFilter):
            text = f"{view.label} {counts.get(view, 0):,}" if view is not CallFilter.ALL else view.label
            if self.filters.tabText(i) != text:
                self.filters.setTabText(i, text)
        total, shown = counts.get(self.query.filter, 0), self.model.calls_listed()
        text = plural(total, "call")
        if shown < total:
            text = f"{shown:,} of {text} listed" + (" · scroll for more" if self.model.canFetchMore() else "")
        self.counts.setText(text)
        self.calls_counted.emit(self.pending)

    # --- the view -------------------------------------------------------------------------------------------------

    def focus_list(self) -> None:
        """From the search to the list (Enter or Down), on the selected call or the first."""
        self.list_view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.list_view.currentIndex().isValid() and self.model.rowCount():
            self.list_view.setCurrentIndex(self.model.index(0, 0))

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _query_changed(self) -> None:
        query = CallQuery(list(CallFilter)[max(0, self.filters.currentIndex())],
                          list(CallSort)[max(0, self.sort.currentIndex())], self.search.text())
        if query != self.query:
            self.query = query
            self._reset_next = True
            self.refresh()

    def show_new(self) -> None:
        """The desk looks: the calls held behind the bar are listed, and the list shows its top."""
        self._reset_next = self._to_top = True
        self.refresh()

    def _held_changed(self, held: int) -> None:
        self.new_bar.setText(f"{plural(held, 'new call')} — show")
        self.new_bar.setVisible(held > 0)
        self._maybe_merge()

    def _maybe_merge(self) -> None:
        """List the held calls when that moves nothing the desk is looking at."""
        if not self.model.held() or self._reset_next:
            return
        view = self.list_view
        idle = (view.verticalScrollBar().value() == 0 and not view.selectionModel().hasSelection()
                and not view.underMouse())
        if idle or self.model.rowCount() == 0:
            self.show_new()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.list_view.viewport() and event.type() == QEvent.Type.Leave:
            QTimer.singleShot(0, self._maybe_merge)
        return super().eventFilter(watched, event)

    # --- selection ------------------------------------------------------------------------------------------------

    def step(self, by: int) -> None:
        """Move the selection ``by`` rows (J/K)."""
        rows = self.model.rowCount()
        if rows:
            current = self.list_view.currentIndex().row()
            target = min(rows - 1, max(0, current + by)) if current >= 0 else 0
            self.list_view.setCurrentIndex(self.model.index(target, 0))

    def _follow_selection(self) -> None:
        if self._selected_id is None:
            # nothing chosen yet: open the first call still waiting, the desk's next job
            waiting = self._next_waiting(-1)
            if waiting is not None:
                self.select_call(waiting.id)
            return
        row = self.model.row_of(self._selected_id)
        if row < 0:
            return  # not listed in this view: the review pane keeps it (and what is typed in it)
        index = self.model.index(row, 0)
        if self.list_view.currentIndex() != index:
            self.list_view.setCurrentIndex(index)
        listed, shown = self.model.call_at(row), self.detail.call
        if shown is None or row_version(shown) != row_version(listed):
            self._review(listed.id)

    def _next_waiting(self, after_row: int) -> CallRecord | None:
        """The first call waiting for the desk below ``after_row``, else the last one above it."""
        rows = self.model.rows()
        below = (r for r in rows[after_row + 1:] if isinstance(r, CallRecord) and row_state(r) in _WAITING)
        above = (r for r in reversed(rows[:max(after_row, 0)])
                 if isinstance(r, CallRecord) and row_state(r) in _WAITING)
        return next(below, None) or next(above, None)

    def select_call(self, call_row_id: int) -> bool:
        row = self.model.row_of(call_row_id)
        if row < 0:
            return False
        self.list_view.setCurrentIndex(self.model.index(row, 0))
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or self._listing:
            return  # the list was read afresh: the pane keeps its call until another is picked
        listed = self.model.call_at(current.row())
        self._selected_id = listed.id if listed is not None else None
        self._review(self._selected_id)

    def _review(self, call_row_id: int | None) -> None:
        """Show that call in the review pane, read on the worker (None: the empty pane, superseding any read)."""
        bookings = self.bookings
        self.runner.run("review", (lambda: bookings.review(call_row_id)) if call_row_id is not None else
                        (lambda: None), self.detail.show_review, lambda _exc: self.detail.show_review(None))

    def _decided(self, _proposal_id: int, decision: str) -> None:
        """Approved, rejected or sent to Callbacks here: the next call waiting opens (the decided one leaves a view of waiting
        calls); saved: the pane and the row read the new version."""
        decided = self._selected_id
        if decided is None:
            return
        row = self.model.row_of(decided)
        following = self._next_waiting(row) if decision in ("approved", "rejected", "callback") else None
        if following is None:
            self._review(decided)
        else:
            if self.query.filter.pending_only:
                self.model.remove(decided)
            self.select_call(following.id)
        self.calls_changed([decided])


_FILTER_TIPS = {
    CallFilter.NEEDS_ME: "Every call waiting for a decision or a call back",
    CallFilter.BOOKINGS: "New bookings waiting for review",
    CallFilter.CHANGES: "Cancels and reschedules waiting to be done",
    CallFilter.URGENT: "Urgent calls waiting for a person",
    CallFilter.DONE: "Calls already approved, rejected or sent to Callbacks",
    CallFilter.ALL: "Every call",
}

__all__ = ["CallPanel"]
