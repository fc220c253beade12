"""Appointments carry the resource they take (a chair, a room, a technician): two bookings at one time on two
chairs are both fine, a third is refused, and whatever is offered and accepted never puts two bookings on one
resource at once (hypothesis, through the desk's capabilities and the agent's held bookings)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receptionist import events
from receptionist.commands import appointment_json
from receptionist.config import Profile
from receptionist.services.checks import draft_of
from receptionist.services.context import location_rules
from receptionist.store import Store
from receptionist.store.db import make_engine, upgrade
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.fakes import FakeClock
from tests.helpers.payloads import payload

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)  # Monday 9:00 AM in Chicago
PROFILE = Profile.from_dict({"availability": {
    "hours": {d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "services": [{"name": "Cleaning", "duration_minutes": 60, "resources": ["Chair 1", "Chair 2"]},
                 {"name": "Checkup", "duration_minutes": 30}],
    "resources": [{"name": "Chair 1", "kind": "chair"}, {"name": "Chair 2", "kind": "chair"}]}})


def desk_on(store, clock):
    return make_desk(store, PROFILE, events.EventBus(), {}, clock=clock)


def propose(store, clock, start: datetime, service="Cleaning", minutes=60):
    return store_payload(store, payload(requested_start=start.astimezone(CHICAGO).replace(tzinfo=None).isoformat(),
                                        service=service, duration_minutes=minutes),
                         location_rules(PROFILE), clock()).proposal


def tuesday(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=CHICAGO).astimezone(timezone.utc)


def test_two_chairs_take_two_bookings_at_once_and_a_third_is_warned(store, clock):
    desk = desk_on(store, clock)
    first, second, third = (propose(store, clock, tuesday(10)) for _ in range(3))
    a = desk.bookings.approve(first.id, first.version)
    b = desk.bookings.approve(second.id, second.version)
    assert (a.resource, b.resource) == ("Chair 1", "Chair 2")
    issues = [i.message for i in desk.checks.check(draft_of(third))[1]]
    assert any(m.startswith("overlaps Cleaning") for m in issues), issues
    assert desk.availability.check(tuesday(10), "Cleaning").slot is None
    assert desk.availability.check(tuesday(10), "Cleaning", "Chair 2").reasons[0].code == "overlap"
    assert appointment_json(a, desk)["resource"] == "Chair 1"


def test_a_service_without_resources_takes_the_whole_location(store, clock):
    desk = desk_on(store, clock)
    cleaning = desk.bookings.approve(*(lambda p: (p.id, p.version))(propose(store, clock, tuesday(10))))
    assert cleaning.resource == "Chair 1"
    assert desk.availability.check(tuesday(10), "Checkup").slot is None  # the location is busy then
    checkup = propose(store, clock, tuesday(13), "Checkup", 30)
    assert desk.bookings.approve(checkup.id, checkup.version).resource is None
    assert desk.availability.check(tuesday(13), "Cleaning").slot is None  # a whole-location booking blocks chairs


def test_a_move_takes_a_free_chair_at_the_new_time(store, clock):
    desk = desk_on(store, clock)
    p1, p2 = propose(store, clock, tuesday(10)), propose(store, clock, tuesday(12))
    desk.bookings.approve(p1.id, p1.version)
    later = desk.bookings.approve(p2.id, p2.version)
    assert later.resource == "Chair 1"
    moved = desk.appointments.reschedule(later.id, tuesday(10))
    assert moved.resource == "Chair 2"  # Chair 1 is taken at 10:00


def test_two_callers_hold_the_two_chairs_at_once_and_a_third_is_refused(store, clock):
    now, until = clock(), clock() + timedelta(minutes=10)
    slot = (tuesday(10), tuesday(11), "Cleaning")
    assert store.holds.book("vapi", "c1", (*slot, "Chair 1"), now, until)
    assert store.holds.book("vapi", "c2", (*slot, "Chair 2"), now, until)
    assert not store.holds.book("vapi", "c3", (*slot, "Chair 1"), now, until)
    desk = desk_on(store, clock)
    assert desk.availability.free_slots("Cleaning", tuesday(10).astimezone(CHICAGO).date(), 1).slots[0].start \
        != tuesday(9, 15)  # 9:15 would run into 10:00 on both chairs


def test_the_desk_books_around_a_chair_held_for_a_caller_and_a_call_keeps_its_own(store, clock):
    desk = desk_on(store, clock)
    assert store.holds.book("vapi", "agent-1", (tuesday(10), tuesday(11), "Cleaning", "Chair 1"), clock(),
                            clock() + timedelta(minutes=10))
    walk_in = propose(store, clock, tuesday(10))
    assert desk.bookings.approve(walk_in.id, walk_in.version).resource == "Chair 2"
    assert desk.checks.check(draft_of(walk_in), call=("vapi", "agent-1"))[0].resource == "Chair 1"


STARTS = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 35), st.sampled_from(["Cleaning", "Checkup"]),
                            st.booleans()), min_size=1, max_size=14)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(STARTS)
def test_no_two_bookings_ever_share_a_resource_at_one_time(tmp_path_factory, wanted):
    """Desk approvals of accepted times and the agent's bookings, interleaved: never two on one resource at once
    (a whole-location booking meets every resource)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('res') / 'r.db'}")
    upgrade(engine)
    store, clock = Store(engine), FakeClock(NOW)
    desk = desk_on(store, clock)
    try:
        for n, (day, quarter, service, by_agent) in enumerate(wanted):
            start = datetime(2026, 11, 24 + day, 8, tzinfo=CHICAGO).astimezone(timezone.utc) \
                + timedelta(minutes=15 * quarter)
            if by_agent:
                desk.availability.answer_tool("vapi", f"agent-{n}", "book_appointment",
                                              {"service": service, "start": start.isoformat()})
            elif desk.availability.check(start, service).slot is not None:
                p = propose(store, clock, start, service, 60 if service == "Cleaning" else 30)
                desk.bookings.approve(p.id, p.version)
        taken = [(a.start, a.end, a.resource) for a in store.appointments.between()]
        held = [(b.start, b.end, b.resource) for b in store.holds.blocks(NOW, NOW + timedelta(days=30), clock())]
        everything = taken + held
        for i, (s1, e1, r1) in enumerate(everything):
            for s2, e2, r2 in everything[i + 1:]:
                if s1 < e2 and s2 < e1:
                    assert r1 is not None and r2 is not None and r1 != r2, everything
    finally:
        engine.dispose()
