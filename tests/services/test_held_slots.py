"""A slot held for a caller on the phone (``slot_holds``) is not free on any path: the desk's own booking, a move, an
approval of another call and the review pane refuse it by the one rule (``Schedule.refusals`` through
``Checks.check``), as the agent's tools and the dialogs' free-time lists already did; the call holding it keeps it
(its own proposal is not refused by its own hold, and approval keeps the chair the agent held for it); a desk
booking takes its chair as an approval does (``Checks.check`` through ``pick_resource``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist import events
from receptionist.cli import main
from receptionist.config import Profile
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.models import Severity
from receptionist.errors import UserError
from receptionist.services.checks import draft_of
from receptionist.services.context import location_rules
from receptionist.store import Store
from receptionist.store.db import make_engine, upgrade
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload
from tests.helpers.rows import outbox_items

CHICAGO = ZoneInfo("America/Chicago")
HELD = "overlaps held for another caller"
CHAIRS = Profile.from_dict({"availability": {
    "hours": {d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "services": [{"name": "Cleaning", "duration_minutes": 60, "resources": ["Chair 1", "Chair 2"]}],
    "resources": [{"name": "Chair 1", "kind": "chair"}, {"name": "Chair 2", "kind": "chair"}]}})


def tuesday(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=CHICAGO).astimezone(timezone.utc)


def hold(store, clock, call: str, start: datetime, minutes: int = 30, resource: str | None = None,
         service: str = "Cleaning") -> None:
    """The agent offers ``start`` to ``call`` (held ten minutes), as ``Availability._offer`` does."""
    store.holds.hold("vapi", call, [(start, start + timedelta(minutes=minutes), service, resource)], clock(),
                     clock() + timedelta(minutes=10))


def propose(store, profile, clock, start: datetime, minutes: int = 30):
    return store_payload(store, payload(requested_start=start.astimezone(CHICAGO).replace(tzinfo=None).isoformat(),
                                        service="Cleaning", duration_minutes=minutes),
                         location_rules(profile), clock())


@pytest.fixture
def desk(store, profile, clock):
    return make_desk(store, profile, events.EventBus(), {"google:primary": "Google Calendar"}, clock=clock,
                     sms_enabled=True)


def test_the_desk_cannot_book_a_time_held_for_a_caller_and_stores_nothing(desk, store, clock):
    hold(store, clock, "c1", tuesday(10))
    assert desk.availability.check(tuesday(10)).slot is None  # the dialogs' verdict
    with pytest.raises(UserError, match=f"cannot book it: requested_start: {HELD}"):
        desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(10), notify=True)
    with pytest.raises(UserError, match=HELD):  # a part of it held is held too
        desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(9, 45))
    assert desk.appointments.between(include_cancelled=True) == [] and outbox_items(store) == []
    clock.advance(minutes=11)  # the hold lapsed: the time is free again
    assert desk.availability.check(tuesday(10)).slot is not None
    assert desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(10)).start == tuesday(10)


def test_an_ordinary_clash_stays_a_warning_a_person_may_book_over(desk):
    desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(10))
    _, issues = desk.checks.check(BookingDraft("Bo Lee", "(312) 555-0100", "Cleaning", tuesday(10), 30))
    assert [i.severity for i in issues] == [Severity.WARNING]
    assert desk.appointments.book("Bo Lee", "(312) 555-0100", "Cleaning", tuesday(10)).start == tuesday(10)


def test_a_move_onto_a_held_time_is_refused_and_changes_nothing(desk, store, clock):
    appt = desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(13))
    hold(store, clock, "c1", tuesday(10))
    assert desk.availability.check(tuesday(10), moving=appt.id).slot is None
    with pytest.raises(UserError, match=f"cannot move it there: requested_start: {HELD}"):
        desk.appointments.reschedule(appt.id, tuesday(10), notify=True)
    assert desk.appointments.get(appt.id).start == tuesday(13) and outbox_items(store) == []
    assert desk.appointments.reschedule(appt.id, tuesday(11)).start == tuesday(11)


def test_approval_refuses_another_calls_hold_but_a_call_keeps_its_own(desk, store, profile, clock):
    theirs = propose(store, profile, clock, tuesday(10))
    hold(store, clock, "someone-else", tuesday(10))
    assert any(i.severity is Severity.ERROR and i.message.startswith(HELD)
               for i in desk.bookings.review(theirs.id).issues)
    with pytest.raises(UserError, match=f"cannot approve yet: requested_start: {HELD}"):
        desk.bookings.approve(theirs.proposal.id, theirs.proposal.version)
    # the agent's own call: the slot it booked for this caller is this booking, not a clash
    mine = propose(store, profile, clock, tuesday(14))
    store.holds.book(mine.platform, mine.call_id, (tuesday(14), tuesday(14, 30), "Cleaning", None), clock(),
                     tuesday(14, 30))
    assert desk.bookings.review(mine.id).issues == []
    assert desk.bookings.approval_plan(mine.proposal.id, draft_of(mine.proposal)).warnings == []
    assert desk.bookings.approve(mine.proposal.id, mine.proposal.version).start == tuesday(14)


@pytest.fixture
def chairs(tmp_path, clock):
    engine = make_engine(f"sqlite:///{tmp_path / 'chairs.db'}")
    upgrade(engine)
    store = Store(engine)
    yield store, make_desk(store, CHAIRS, events.EventBus(), {}, clock=clock)
    engine.dispose()


def test_a_desk_booking_takes_the_chair_not_held_and_is_refused_when_both_are(chairs, clock):
    store, desk = chairs
    hold(store, clock, "c1", tuesday(10), 60, "Chair 1")
    booked = desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(10))
    assert booked.resource == "Chair 2"  # the chair an approval would pick, and the agent offered
    assert desk.appointments.get(booked.id).resource == "Chair 2"
    hold(store, clock, "c2", tuesday(13), 60, "Chair 1")
    hold(store, clock, "c3", tuesday(13), 60, "Chair 2")
    with pytest.raises(UserError, match=HELD):
        desk.appointments.book("Bo Lee", "(312) 555-0100", "Cleaning", tuesday(13))
    # a move to 1 PM is refused the same way; to 3 PM it keeps its chair, free then (not the first free one)
    with pytest.raises(UserError, match=HELD):
        desk.appointments.reschedule(booked.id, tuesday(13))
    assert desk.appointments.reschedule(booked.id, tuesday(15)).resource == "Chair 2"
    # where its chair is held, a move takes the other one and says so
    hold(store, clock, "c4", tuesday(16), 60, "Chair 2")
    plan = desk.appointments.move_plan(booked.id, tuesday(16))
    assert (plan.resource_before, plan.resource) == ("Chair 2", "Chair 1")
    assert desk.appointments.reschedule(booked.id, tuesday(16)).resource == "Chair 1"


def test_approval_keeps_the_chair_the_agent_held_for_its_caller(chairs, clock):
    store, desk = chairs
    call = propose(store, CHAIRS, clock, tuesday(10), 60)
    # Chair 1 was taken when the agent booked, so it held Chair 2; Chair 1 is free again by approval time
    assert store.holds.book(call.platform, call.call_id, (tuesday(10), tuesday(11), "Cleaning", "Chair 2"), clock(),
                            tuesday(11))
    assert desk.checks.check(draft_of(call.proposal), call=(call.platform, call.call_id))[0].resource == "Chair 2"
    assert desk.bookings.approve(call.proposal.id, call.proposal.version).resource == "Chair 2"


def test_the_command_refuses_a_held_time_with_the_reason(db_url, store, capsys, tmp_path):
    profile_file = tmp_path / "p.toml"
    profile_file.write_text("")
    today = datetime.now(CHICAGO).date()
    day = today + timedelta(days=(1 - today.weekday()) % 7 + 7)
    start = datetime(day.year, day.month, day.day, 14, tzinfo=CHICAGO)
    now = datetime.now(timezone.utc)
    store.holds.hold("vapi", "on-the-phone", [(start, start + timedelta(minutes=30), "Cleaning", None)], now,
                     now + timedelta(minutes=10))
    args = ["appointments", "book", "--caller", "Ana Ruiz", "--phone", "(312) 555-0199", "--service", "Cleaning",
            "--start", f"{day.isoformat()}T14:00", "--json", "--db", db_url, "--profile", str(profile_file)]
    code = main(args)
    out = capsys.readouterr()
    assert code == 2 and HELD in json.loads(out.out)["error"], (code, out)
    args[args.index(f"{day.isoformat()}T14:00")] = f"{day.isoformat()}T15:00"
    assert main(args) == 0 and json.loads(capsys.readouterr().out)["start_local"].startswith(f"{day}T15:00")


def test_a_time_offered_between_the_check_and_the_write_is_not_booked(desk, store, profile, clock, monkeypatch):
    """The race: the agent offers a caller the time after the desk checked it and before the desk writes it (the
    write's own transaction refuses it: ``holds.refuse_held``), on every write path."""
    checked = desk.checks.taken_since
    offered = iter(f"late-{n}" for n in range(10))

    def offered_meanwhile(draft):
        hold(store, clock, next(offered), draft.start)
        return checked(draft)

    appt = desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(13))
    call = propose(store, profile, clock, tuesday(11))
    monkeypatch.setattr(desk.checks, "taken_since", offered_meanwhile)
    with pytest.raises(UserError, match="offered to a caller on the phone a moment ago"):
        desk.appointments.book("Bo Lee", "(312) 555-0100", "Cleaning", tuesday(10))
    with pytest.raises(UserError, match="offered to a caller on the phone a moment ago"):
        desk.appointments.reschedule(appt.id, tuesday(15))
    with pytest.raises(UserError, match="offered to a caller on the phone a moment ago"):
        desk.bookings.approve(call.proposal.id, call.proposal.version)
    assert [(a.id, a.start) for a in desk.appointments.between()] == [(appt.id, tuesday(13))]
    assert desk.bookings.proposal(call.proposal.id).status.value == "pending"
