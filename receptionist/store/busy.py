"""Busy time, read for the checks of a booking."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from receptionist.domain.models import (
    AppointmentStatus,
    BusyBlock,
)
from receptionist.store import tables as t
from receptionist.store.base import Room, appointment_overlaps, event_overlaps


class BusyTime(Room):
    """What is not free: our appointments and the calendars' busy events."""

    def blocks(self, start: datetime, end: datetime, exclude_appointment: str | None = None) -> list[BusyBlock]:
        """What is not free in [start, end): our confirmed appointments and the calendars' busy events (ours, seen
        again on a calendar, are not counted twice)."""
        A, E = t.Appointment, t.ExternalEvent
        # columns only, no records (the mapper asks once per batch of deliveries, the review pane once per edit)
        ours = (select(A.start_at, A.end_at, A.service, A.caller_name, A.resource)
                .where(appointment_overlaps(start, end), A.status != AppointmentStatus.CANCELLED.value)
                .order_by(A.start_at))
        if exclude_appointment is not None:
            ours = ours.where(A.id != exclude_appointment)
        theirs = (select(E.start_at, E.end_at, E.calendar, E.title)
                  .where(event_overlaps(start, end), E.busy.is_(True), E.uid.is_(None)).order_by(E.start_at))
        with self.session() as s:
            busy = [BusyBlock(a_start, a_end, "appointment", f"{service} — {caller}", service=service,
                              resource=resource)
                    for a_start, a_end, service, caller, resource in s.execute(ours)]
            busy += [BusyBlock(e_start, e_end, calendar, title)
                     for e_start, e_end, calendar, title in s.execute(theirs)]
        return busy

    def known_on(self, calendar: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """What the desk already knows takes time on ``calendar`` over [start, end): its cached busy events (ours
        included, where the last pull saw them) and our live appointments. A calendar's fresh busy time outside all
        of it is new since the last pull."""
        A, E = t.Appointment, t.ExternalEvent
        cached = select(E.start_at, E.end_at).where(event_overlaps(start, end), E.busy.is_(True),
                                                    E.calendar == calendar)
        ours = select(A.start_at, A.end_at).where(appointment_overlaps(start, end),
                                                  A.status != AppointmentStatus.CANCELLED.value)
        with self.session() as s:
            return [(a, b) for a, b in s.execute(cached)] + [(a, b) for a, b in s.execute(ours)]

    def appointments_at(self, start: datetime, end: datetime, exclude_appointment: str | None = None) -> frozenset[str]:
        """The ids of our appointments overlapping [start, end): what a check saw, for the write after it
        (``refuse_new_clash``)."""
        A = t.Appointment
        query = select(A.id).where(appointment_overlaps(start, end), A.status != AppointmentStatus.CANCELLED.value)
        if exclude_appointment is not None:
            query = query.where(A.id != exclude_appointment)
        with self.session() as s:
            return frozenset(s.scalars(query))
