"""The rule with resources, pure (hypothesis): bookings taken one after another from what ``check`` accepts never
put two on one resource at once, a whole-location booking meets every resource, and what ``free_slots`` offers is
exactly what ``check`` accepts with bookings on resources in the busy time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from receptionist.domain.models import BusyBlock
from receptionist.domain.schedule import BookingRules, ResourceRule, Schedule, ServiceRule, WeeklyHours

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 23, 14, tzinfo=timezone.utc)  # Monday 8:00 AM in Chicago
CLEANING = ServiceRule("Cleaning", 60, 0, 10, resources=("Chair 1", "Chair 2", "Chair 3"))
CHECKUP = ServiceRule("Checkup", 30)
RULES = BookingRules(CHICAGO, WeeklyHours.of({d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}),
                     services=(CLEANING, CHECKUP),
                     resources=(ResourceRule("Chair 1", "chair"), ResourceRule("Chair 2", "chair"),
                                ResourceRule("Chair 3", "chair", WeeklyHours.of({"tue": ["12:00-17:00"]},
                                                                                WeeklyHours.simple(8, 17)))))
REQUESTS = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 35), st.sampled_from([CLEANING, CHECKUP])),
                    min_size=1, max_size=40)


def start_at(day: int, quarter: int) -> datetime:
    return datetime(2026, 11, 24 + day, 8, tzinfo=CHICAGO).astimezone(timezone.utc) + timedelta(minutes=15 * quarter)


@settings(max_examples=200)
@given(REQUESTS)
def test_accepted_bookings_never_share_a_resource_at_one_time(requests):
    booked: list[BusyBlock] = []
    for day, quarter, service in requests:
        slot, _ = Schedule(RULES, booked, NOW).check(start_at(day, quarter), service)
        if slot is not None:
            booked.append(BusyBlock(slot.start, slot.end, "appointment", service.name, service=service.name,
                                    resource=slot.resource))
    for i, a in enumerate(booked):
        for b in booked[i + 1:]:
            if a.start < b.end and b.start < a.end:
                assert a.resource is not None and b.resource is not None and a.resource != b.resource, booked


@settings(max_examples=60)
@given(REQUESTS)
def test_what_is_offered_is_what_is_accepted_with_bookings_on_resources(requests):
    booked: list[BusyBlock] = []
    for day, quarter, service in requests:
        slot, _ = Schedule(RULES, booked, NOW).check(start_at(day, quarter), service)
        if slot is not None:
            booked.append(BusyBlock(slot.start, slot.end, "appointment", service=service.name, resource=slot.resource))
    schedule = Schedule(RULES, booked, NOW)
    window = (start_at(1, 0) - timedelta(hours=2), start_at(1, 40))  # Wednesday 11/25
    offered = {(s.start, s.resource) for s in schedule.free_slots(CLEANING, *window)}
    at = window[0]
    while at < window[1]:
        slot, _ = schedule.check(at, CLEANING)
        assert ((at, slot.resource) in offered) if slot is not None else all(s != at for s, _ in offered)
        at += timedelta(minutes=15)
