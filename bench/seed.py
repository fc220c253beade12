"""Seed a database with a busy desk's history: N appointments spread over ten years (weekdays, business hours, in
the location's zone), a link row per appointment and calendar (mostly Synced; some Pending, Failed, Conflict), and
the calendars' other events around them — bulk inserts through ``tests.helpers.bulk``.

    .venv/bin/python bench/seed.py --appointments 100000 --db sqlite:////tmp/desk.db

The other benchmarks import ``appointments_between`` / ``external_between`` to build their own data the same way.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from receptionist.config import Profile  # noqa: E402
from receptionist.domain.models import (  # noqa: E402
    AppointmentRecord,
    AppointmentStatus,
    ExternalEventRecord,
    LinkRecord,
    SyncState,
)
from tests.helpers.bulk import insert_appointments, insert_external_events  # noqa: E402
from receptionist.store.db import make_engine, upgrade  # noqa: E402
from receptionist.store import Store  # noqa: E402

CALENDARS = ("google:primary", "outlook:default")
SERVICES = ("Teeth cleaning", "Checkup", "Filling", "Whitening consult", "X-ray", "Crown fitting", "Emergency visit")
FIRST = ("Maria", "James", "Ana", "Wei", "Olu", "Priya", "Sam", "Chloe", "Diego", "Noor", "Liam", "Fatima")
LAST = ("Lopez", "Smith", "Nguyen", "Okafor", "Patel", "Kim", "Carter", "Rossi", "Haddad", "Müller", "Brown")
EXTERNAL = ("Dr. Patel out", "Staff meeting", "Supplier call", "Lunch & learn", "On call", "Equipment service")
STATES = ((SyncState.SYNCED, 0.96), (SyncState.PENDING, 0.02), (SyncState.FAILED, 0.015), (SyncState.CONFLICT, 0.005))


def _weekday_slots(first: date, days: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(days) if (first + timedelta(days=n)).weekday() < 5]


def appointments_between(first: date, days: int, count: int, zone: ZoneInfo, rng: random.Random,
                         open_hour: int = 8, close_hour: int = 18) -> Iterator[AppointmentRecord]:
    """``count`` confirmed appointments on the weekdays of [first, first + days), each with a link per calendar."""
    weekdays = _weekday_slots(first, days)
    states = [state for state, share in STATES for _ in range(int(share * 1000))]  # a die with 1000 faces
    slots = (close_hour - open_hour) * 4  # quarter hours
    openings = {}  # day → its opening instant in UTC (one zone conversion per day, not per appointment)
    for n in range(count):
        day = weekdays[n * len(weekdays) // count]  # evenly over the span, in order
        if day not in openings:
            openings[day] = (datetime.combine(day, datetime.min.time(), zone)
                             + timedelta(hours=open_hour)).astimezone(timezone.utc)
        start = openings[day] + timedelta(minutes=rng.randrange(slots - 2) * 15)
        end = start + timedelta(minutes=rng.choice((15, 30, 30, 45, 60)))
        appt_id = f"{n:032x}"
        links = []
        for cal in CALENDARS:
            state = states[rng.randrange(len(states))]
            written = state is not SyncState.PENDING
            links.append(LinkRecord(
                id=0, appointment_id=appt_id, calendar=cal, state=state,
                remote_id=f"{cal.split(':')[0]}-{appt_id}" if written else None,
                etag=f'"{n:x}-{cal[0]}"' if written else None,
                content_hash=f"{rng.getrandbits(128):032x}" if written else None,
                last_error="HTTP 503 from the calendar" if state is SyncState.FAILED else None,
                attempts=3 if state is SyncState.FAILED else 0, next_attempt_at=None,
                synced_at=end if state is SyncState.SYNCED else None))
        yield AppointmentRecord(
            id=appt_id, caller_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            callback_number=f"+1312555{rng.randrange(10000):04d}", account_id=f"ACC-{rng.randrange(100000)}",
            service=rng.choice(SERVICES), start=start, end=end, notes="", status=AppointmentStatus.CONFIRMED,
            call_id=f"call-{n}", version=1, links=tuple(links))


def external_between(first: date, days: int, count: int, zone: ZoneInfo, rng: random.Random,
                     prefix: str = "ext") -> Iterator[ExternalEventRecord]:
    """``count`` busy events of the calendars' own (meetings, absences; one in twenty all day) over the span."""
    for n in range(count):
        day = first + timedelta(days=n * days // count)
        cal = CALENDARS[n % len(CALENDARS)]
        if n % 20 == 0:
            start = datetime.combine(day, datetime.min.time(), zone)
            yield ExternalEventRecord(cal, f"{prefix}-{n}", rng.choice(EXTERNAL), start, start + timedelta(days=1),
                                      True, True, None)
            continue
        start = (datetime.combine(day, datetime.min.time(), zone)
                 + timedelta(hours=rng.randrange(7, 18), minutes=rng.choice((0, 15, 30, 45)))).astimezone(timezone.utc)
        yield ExternalEventRecord(cal, f"{prefix}-{n}", rng.choice(EXTERNAL), start,
                                  start + timedelta(minutes=rng.choice((30, 60, 90))), rng.random() > 0.1, False, None)


def seed(store: Store, appointments: int, external: int, years: int, today: date, zone: ZoneInfo,
         rng: random.Random) -> tuple[int, int]:
    """Ten years ending a year after ``today`` (so there is a future too). Returns (appointments, events)."""
    days = years * 365
    first = today - timedelta(days=days - 365)
    now = datetime.now(timezone.utc)
    n_appts = insert_appointments(store, appointments_between(first, days, appointments, zone, rng), now)
    n_ext = insert_external_events(store, external_between(first, days, external, zone, rng), now)
    return n_appts, n_ext


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appointments", type=int, default=100_000)
    parser.add_argument("--external", type=int, default=None, help="other calendar events (default: 1 per 5)")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--db", required=True, help="database URL, e.g. sqlite:////tmp/desk.db (must be empty)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    zone = Profile().location.zone
    engine = make_engine(args.db)
    upgrade(engine)
    store = Store(engine)
    external = args.external if args.external is not None else args.appointments // 5
    started = time.perf_counter()
    n_appts, n_ext = seed(store, args.appointments, external, args.years, datetime.now(zone).date(), zone,
                          random.Random(args.seed))
    took = time.perf_counter() - started
    print(f"seeded {n_appts} appointments ({n_appts * len(CALENDARS)} link rows) and {n_ext} external events "
          f"over {args.years} years in {took:.1f} s ({(n_appts + n_ext) / took:,.0f} appointments+events/s)")
    engine.dispose()


if __name__ == "__main__":
    main()
