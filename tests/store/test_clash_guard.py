"""The write of an approval or a move re-checks, in its own transaction, for appointments another desk booked at
that time since the check: the slot is refused, not booked twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from receptionist import events
from receptionist.config import Profile
from receptionist.services.checks import Checks
from receptionist.services.context import location_rules
from receptionist.store.base import StaleEdit
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload


class RacingChecks(Checks):
    """The check passes, then another desk books the same time before this desk writes (the race the guard
    closes)."""

    def __init__(self, ctx, other_desk, proposal):
        super().__init__(ctx)
        self.other_desk, self.proposal = other_desk, proposal

    def check(self, draft, ignore_appointment=None, call=None):
        checked = super().check(draft, ignore_appointment, call)
        if self.proposal is not None:
            p, self.proposal = self.proposal, None
            self.other_desk.bookings.approve(p.id, p.version)
        return checked


@pytest.fixture
def desks(store, clock):
    profile = Profile()
    return [make_desk(store, profile, events.EventBus(), {"google:primary": "Google"}, clock=clock) for _ in range(2)]


def proposal_at(store, clock, call_id, start):
    return store_payload(store, payload(call_id=call_id, requested_start=start), location_rules(Profile()),
                         clock()).proposal


def two_calls(store, clock, start="2026-11-24T10:30:00-06:00"):
    return [proposal_at(store, clock, f"race-{i}", start) for i in range(2)]


def test_an_approval_is_refused_when_another_desk_booked_the_time_since_its_check(store, clock, desks):
    mine, theirs = two_calls(store, clock)
    here, there = desks
    here.bookings.checks = RacingChecks(here.context, there, theirs)
    with pytest.raises(StaleEdit, match="booked at this time at another desk a moment ago"):
        here.bookings.approve(mine.id, mine.version)
    assert [a.call_id for a in store.appointments.between()] == ["race-1"]
    assert store.proposals.get(mine.id).status.value == "pending"  # nothing written: it can be moved and approved


def test_a_clash_the_person_saw_and_accepted_is_not_refused(store, clock, desks):
    mine, theirs = two_calls(store, clock)
    here, there = desks
    there.bookings.approve(theirs.id, theirs.version)
    here.bookings.approve(mine.id, mine.version)  # the overlap was a warning the person saw
    assert len(store.appointments.between()) == 2


def test_a_move_is_refused_onto_a_time_booked_since_its_check(store, clock, desks):
    here, there = desks
    first = proposal_at(store, clock, "move-1", "2026-11-24T10:30:00-06:00")
    moved = here.bookings.approve(first.id, first.version)
    late = proposal_at(store, clock, "move-2", "2026-11-24T14:00:00-06:00")
    here.appointments.checks = RacingChecks(here.context, there, late)
    with pytest.raises(StaleEdit, match="another desk"):
        here.appointments.reschedule(moved.id, moved.start + timedelta(hours=3, minutes=30))
    assert store.appointments.get(moved.id).start == moved.start
