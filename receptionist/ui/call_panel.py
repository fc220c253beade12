"""The live call panel: the list of calls the AI agent took (newest first, the live strip above it) and the
review pane of the selected call (:mod:`receptionist.ui.call_review`). The panel is handed the capabilities it uses
(bookings, checks, the intake for the live strip), the location's zone and clock, and the window's two runners.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.models import CallRecord, ProposalStatus
from receptionist.services.bookings import Bookings
from receptionist.services.checks import Checks
from receptionist.services.intake import IntakeDesk
from receptionist.ui.call_list import CallItemDelegate
from receptionist.ui.call_review import CallDetail
from receptionist.ui.intake_views import LiveCallsStrip
from receptionist.ui.models import CallListModel
from receptionist.ui.operations import OperationRunner, QueryRunner


class CallPanel(QWidget):
    """The call list (newest first) above the review pane of the selected call.

    The list is read on a worker (``runner``) without transcripts or payloads; a new call or a decided proposal
    named by news is read alone and updated in place. The review pane reads its one call whole (a lookup by key).

    Signals:
        calls_counted(int): a read landed; how many proposals wait for a person.
    """

    calls_counted = Signal(int)

    LIST_SIZE = 200  # newest calls listed

    def __init__(self, bookings: Bookings, checks: Checks, intake: IntakeDesk, zone: ZoneInfo,
                 now: Callable[[], datetime], runner: QueryRunner | None = None,
                 operations: OperationRunner | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.bookings = bookings
        self.model = CallListModel(zone, now=now, parent=self)
        self.runner = runner or QueryRunner(self)
        self.operations = operations or OperationRunner(self)
        self._selected_id: int | None = None
        self._pending = 0
        self._batches = 0

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        title = QLabel("Calls")
        title.setObjectName("panelTitle")
        self.counts = QLabel()
        self.counts.setObjectName("muted")
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.counts)
        layout.addLayout(header)
        self.live = LiveCallsStrip(intake, now, runner=self.runner)
        layout.addWidget(self.live)

        self.list_view = QListView()
        self.list_view.setObjectName("callList")
        self.list_view.setModel(self.model)
        self.list_view.setItemDelegate(CallItemDelegate(self.list_view))
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setUniformItemSizes(True)
        self.list_view.setMinimumHeight(150)
        self.list_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)

        self.detail = CallDetail(bookings, checks, zone, self.runner, self.operations)
        scroll = QScrollArea()
        scroll.setObjectName("detailScroll")
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

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.list_view)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([230, 600])
        self.splitter = splitter
        layout.addWidget(splitter, 1)

        self.list_view.selectionModel().currentChanged.connect(self._current_changed)
        self.detail.decided.connect(self._decided)

    # --- data -----------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the call list again (on the worker); the selection (and any edits in the review pane) survive."""
        bookings, size = self.bookings, self.LIST_SIZE
        self.runner.run("calls", lambda: (bookings.call_list(size), bookings.pending_count()), self._show_calls)

    def _decided(self, *_args) -> None:
        """Approved, saved or rejected here: the pane and the list read the new state."""
        if self._selected_id is not None:
            self._review(self._selected_id)
            self.calls_changed([self._selected_id])

    def _review(self, call_row_id: int | None) -> None:
        """Show that call in the review pane, read on the worker (None: the empty pane, superseding any read)."""
        bookings = self.bookings
        self.runner.run("review", (lambda: bookings.review(call_row_id)) if call_row_id is not None else
                        (lambda: None), self.detail.show_review, lambda _exc: self.detail.show_review(None))

    def calls_changed(self, call_row_ids) -> None:
        """News named these calls (a new one, a decision): read them alone and update the list in place."""
        ids = [i for i in call_row_ids if i is not None]
        if not ids:
            self.refresh()
            return
        self._batches += 1
        bookings = self.bookings
        self.runner.run(f"call-rows-{self._batches}", lambda: (bookings.calls_by_id(ids), bookings.pending_count()),
                        self._upsert)

    def _upsert(self, result) -> None:
        calls, pending = result
        self.model.upsert(calls)
        self._counted(pending)
        self._follow_selection()

    @property
    def pending(self) -> int:
        """Proposals waiting for a person, as last counted."""
        return self._pending

    def _counted(self, pending: int) -> None:
        self._pending = pending
        self.counts.setText(f"{pending} to review · {self.model.rowCount()} shown")
        self.detail.set_known_services([c.service for c in self.model.rows() if c.service])
        self.calls_counted.emit(pending)

    def _show_calls(self, result) -> None:
        calls, pending = result
        self.model.set_rows(calls)
        self._counted(pending)
        self._follow_selection()

    def _follow_selection(self) -> None:
        calls = self.model.rows()
        if self._selected_id is None:
            # nothing chosen yet: open the newest call still waiting for review, the desk's next job
            waiting = next((c for c in calls if c.proposal is not None
                            and c.proposal.status is ProposalStatus.PENDING), None)
            if waiting is not None:
                self.select_call(waiting.id)
        elif self._selected_id is not None:
            row = self.model.row_of(self._selected_id)
            if row < 0:
                self._selected_id = None
                self._review(None)
            else:
                index = self.model.index(row, 0)
                if self.list_view.currentIndex() != index:
                    self.list_view.setCurrentIndex(index)
                listed, shown = self.model.call_at(row), self.detail.call
                if shown is None or _version(shown) != _version(listed):
                    self._review(listed.id)

    def select_call(self, call_row_id: int) -> bool:
        row = self.model.row_of(call_row_id)
        if row < 0:
            return False
        self.list_view.setCurrentIndex(self.model.index(row, 0))
        return True


    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        listed = self.model.call_at(current.row()) if current.isValid() else None
        self._selected_id = listed.id if listed is not None else None
        self._review(self._selected_id)


def _version(call: CallRecord) -> tuple:
    p = call.proposal
    return (call.id, p.version, p.status) if p is not None else (call.id,)


__all__ = ["CallPanel"]
