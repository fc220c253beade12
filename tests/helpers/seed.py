"""Rows for tests: bulk rows for a realistic table size (query plans), inserted with SQLAlchemy Core, and
bookings approved through the store (their calls stored through the intake's inbox: ``tests.helpers.calls``)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import insert

from receptionist.domain.bookings import BookingDraft
from receptionist.domain.models import AppointmentStatus, SyncState
from receptionist.services.context import location_rules
from receptionist.store import tables as t
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload

CALENDARS = ("google:primary", "outlook:default")


def seed_appointments(store, clock, n: int, *, every: timedelta = timedelta(hours=7)) -> list[str]:
    """``n`` appointments spread back in time from now, each with a Synced link and a cached event per calendar
    (one in 20 Failed, one in 50 cancelled)."""
    now = clock()
    ids, appts, links, cached = [], [], [], []
    for i in range(n):
        appt_id = uuid.uuid4().hex
        start = now - every * i
        ids.append(appt_id)
        appts.append(dict(id=appt_id, caller_name=f"Caller {i}", callback_number="+13125550142", account_id=None,
                          service="Teeth cleaning", start_at=start, end_at=start + timedelta(minutes=30), notes="",
                          status=(AppointmentStatus.CANCELLED if i % 50 == 7 else AppointmentStatus.CONFIRMED).value,
                          call_id=None, created_at=now, updated_at=now, version=1))
        for cal in CALENDARS:
            state = SyncState.FAILED if i % 20 == 3 else SyncState.SYNCED
            links.append(dict(appointment_id=appt_id, calendar=cal, state=state.value, remote_id=f"ev-{appt_id}",
                              etag='"1"', content_hash=None, last_error=None, attempts=0, generation=0,
                              updated_at=now))
            cached.append(dict(calendar=cal, remote_id=f"ev-{appt_id}", etag='"1"', title="x", description="",
                               location="", start_at=start, end_at=start + timedelta(minutes=30), long_span=False, busy=True,
                               all_day=False, uid=appt_id, updated_at=now))
    with store.session() as s:
        s.execute(insert(t.Appointment), appts)
        s.execute(insert(t.CalendarLink), links)
        s.execute(insert(t.ExternalEvent), cached)
        s.commit()
    return ids


def approve_many(store, profile, clock, n: int, calendars=("google:primary",)):
    out = []
    first = clock().replace(hour=15, minute=0) + timedelta(days=1)
    for i in range(n):
        start = first + timedelta(minutes=30 * i)
        call = store_payload(store, payload(call_id=f"lease-{i}", requested_start=start.isoformat()),
                             location_rules(profile), clock())
        p = call.proposal
        draft = BookingDraft(p.caller_name, p.callback_number, p.service, start, p.duration_minutes, p.notes)
        out.append(store.proposals.approve(p.id, draft, p.version, list(calendars), "amy", clock()))
    return out
