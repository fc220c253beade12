"""Free times for the reschedule and new-booking dialogs: the nearest free starts (for the appointment being moved:
its service and length, itself not counted as busy; for a new booking: the service typed) and, for the time typed,
whether it is free and every reason it is not — both read from the desk's availability
(:meth:`~receptionist.services.availability.Availability.free_slots` / ``check``), the rule the AI agent is offered
times by and ``receptionist availability check`` answers with. Reads run on the window's
:class:`~receptionist.ui.operations.QueryRunner`.
"""

from __future__ import annotations

import sys
from datetime import date, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from receptionist.domain.formatting import format_time, local
from receptionist.domain.schedule import Slot
from receptionist.errors import UserError
from receptionist.services.availability import Availability, Openings, SlotCheck
from receptionist.ui.operations import QueryRunner, user_sentence

SUGGESTED = 8  # free starts listed, the nearest to the time asked for
SEARCH_DAYS = 7  # looked for from the day asked for
SLOT_ROLE = Qt.ItemDataRole.UserRole + 1


def nearest(slots: list[Slot], wanted: datetime, count: int = SUGGESTED) -> list[Slot]:
    """The ``count`` slots starting nearest ``wanted``, earliest first."""
    chosen = sorted(slots, key=lambda s: abs((s.start - wanted).total_seconds()))[:count]
    return sorted(chosen, key=lambda s: s.start)


class SlotSuggestions(QWidget):
    """The list of nearest free times and the verdict on the typed one.

    ``find(day, wanted, minutes, service)`` reads the free times; ``check(start, minutes, service)`` the typed
    time's verdict (``moving``: the appointment being moved, whose own service counts; ``resource``: on that chair or
    room only). Choosing a row (arrows,
    click) emits ``picked(datetime)``: the dialog puts it in its fields.
    """

    picked = Signal(object)

    def __init__(self, availability: Availability, queries: QueryRunner, zone, moving: str | None = None,
                 verb: str = "move it", parent: QWidget | None = None, resource: str | None = None):
        super().__init__(parent)
        self.verb = verb  # "You can still move it there": what the dialog does with a time that is not free
        self.availability = availability
        self.queries = queries
        self.moving = moving
        self.resource = resource  # the chair or room asked for (a resource column of the calendar); None: any
        self.zone = zone
        self._view = f"slot suggestions {id(self)}"
        self._check_view = f"slot check {id(self)}"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.verdict = QLabel()
        self.verdict.setObjectName("slotVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setAccessibleName("Is this time free")
        # room for three lines of reasons from the start: the dialog does not squeeze its fields when they come
        self.verdict.setMinimumHeight(self.verdict.fontMetrics().lineSpacing() * 3 + 10)
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.title = QLabel("Free time&s nearby")
        self.list = QListWidget()
        self.list.setAccessibleName("Free times nearby")
        self.list.setMinimumHeight(110)
        self.title.setBuddy(self.list)
        self.empty = QLabel()
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        self.empty.setMinimumHeight(self.empty.fontMetrics().lineSpacing() * 2 + 4)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.empty.hide()
        layout.addWidget(self.verdict)
        layout.addWidget(self.title)
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        self.list.currentItemChanged.connect(lambda row, _old: self._picked(row))
        self.destroyed.connect(lambda *_, q=queries, views=(self._view, self._check_view): [q.forget(v)
                                                                                           for v in views])

    # --- reads ----------------------------------------------------------------------------------------------------

    def find(self, day: date, wanted: datetime, minutes: int, service: str | None = None) -> None:
        """The free times nearest ``wanted`` over the week from ``day``, at ``minutes`` long."""
        availability, moving, resource = self.availability, self.moving, self.resource
        self.empty.setText("Looking for free times…")
        self.empty.show()
        self.queries.run(self._view, lambda: availability.free_slots(service, day, SEARCH_DAYS, resource,
                                                                     moving=moving, minutes=minutes),
                         lambda openings: self._show_openings(openings, wanted), self._failed)

    def check(self, start: datetime, minutes: int, service: str | None = None) -> None:
        """Whether ``start`` is free at ``minutes`` long, and why not."""
        availability, moving, resource = self.availability, self.moving, self.resource
        self.queries.run(self._check_view, lambda: availability.check(start, service, resource, moving=moving,
                                                                      minutes=minutes),
                         lambda result: self._show_check(start, result), self._failed)

    # --- what landed ----------------------------------------------------------------------------------------------

    def _show_openings(self, openings: Openings, wanted: datetime) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for slot in nearest(openings.slots, wanted):
            moment = local(slot.start, self.zone)
            row = QListWidgetItem(f"{moment:%a} {moment.month}/{moment.day}   {format_time(slot.start, self.zone)}"
                                  + (f"   ({slot.resource})" if slot.resource else ""))
            row.setData(SLOT_ROLE, slot.start)
            self.list.addItem(row)
        self.list.blockSignals(False)
        said = [] if self.list.count() else [
            f"No free time in the {SEARCH_DAYS} days from here: {openings.why_none}."]
        if openings.stale:
            said.append(f"Note: {openings.stale}.")
        self.empty.setText(" ".join(said))
        self.empty.setVisible(bool(said))

    def _show_check(self, start: datetime, result: SlotCheck) -> None:
        moment = local(start, self.zone)
        when = f"{moment:%a} {moment.month}/{moment.day} {format_time(start, self.zone)}"
        if result.slot is not None:
            self.verdict.setText(f"✓ {when} is free.")
            self.verdict.setStyleSheet("QLabel#slotVerdict { color: #166534; }")
        else:
            reasons = "; ".join(r.message for r in result.reasons)
            self.verdict.setText(f"⚠ {when} is not free: {reasons}. You can still {self.verb} there, or pick a "
                                 "free time below.")
            self.verdict.setStyleSheet("QLabel#slotVerdict { color: #92400e; background: #fffbeb; "
                                       "border: 1px solid #fde68a; border-radius: 5px; padding: 4px; }")
        self.verdict.setAccessibleDescription(self.verdict.text())
        window = self.window()
        if window is not self and window.height() < window.sizeHint().height():
            window.adjustSize()  # wrapped reasons need more height than the dialog opened with

    def _failed(self, exc: Exception) -> None:
        if not isinstance(exc, UserError):
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        self.empty.setText(user_sentence(exc))
        self.empty.show()
        self.verdict.setText("")

    def _picked(self, row: QListWidgetItem | None) -> None:
        start = row.data(SLOT_ROLE) if row is not None else None
        if start is not None:
            self.picked.emit(start)



__all__ = ["SlotSuggestions", "nearest"]
