"""A booking proposal carries the resource (chair) the booking rule picks when it is checked — at an edit, as at
the intake — and approval keeps it while it is free, or picks another and says why (``pick_resource``)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.models import Severity
from receptionist.services.checks import draft_of
from receptionist.services.context import location_rules
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload

CHICAGO = ZoneInfo("America/Chicago")
CHAIRS = Profile.from_dict({"availability": {
    "hours": {d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "services": [{"name": "Cleaning", "duration_minutes": 60, "resources": ["Chair 1", "Chair 2"]}],
    "resources": [{"name": "Chair 1", "kind": "chair"}, {"name": "Chair 2", "kind": "chair"}]}})


def tuesday(hour: int) -> datetime:
    return datetime(2026, 11, 24, hour, tzinfo=CHICAGO).astimezone(timezone.utc)


@pytest.fixture
def desk(store, clock):
    return make_desk(store, CHAIRS, events.EventBus(), {}, clock=clock)


def checked_proposal(store, desk, clock, hour: int):
    """A call asking for a cleaning at ``hour`` on Tuesday, its proposal saved once at the desk (checked)."""
    call = store_payload(store, payload(requested_start=f"2026-11-24T{hour:02d}:00:00", service="Cleaning",
                                        duration_minutes=60), location_rules(CHAIRS), clock())
    return desk.bookings.edit(call.proposal.id, draft_of(call.proposal), call.proposal.version), call


def test_the_check_records_the_chair_and_approval_keeps_it_while_free(desk, store, clock):
    first = desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(10))
    assert first.resource == "Chair 1"
    proposal, call = checked_proposal(store, desk, clock, 10)
    assert proposal.resource == "Chair 2"  # recorded on the proposal when it was checked
    assert store.proposals.get(proposal.id).resource == "Chair 2"
    assert desk.bookings.review(call.id).resource == "Chair 2"  # what the review pane shows
    desk.appointments.cancel(first.id)  # Chair 1 is free again: the proposal keeps the chair it was given
    assert desk.bookings.approval_plan(proposal.id, draft_of(proposal)).warnings == []
    assert desk.bookings.approve(proposal.id, proposal.version).resource == "Chair 2"


def test_approval_picks_another_chair_and_says_why_when_its_own_was_taken(desk, store, clock):
    proposal, call = checked_proposal(store, desk, clock, 14)
    assert proposal.resource == "Chair 1"
    desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", tuesday(14))  # takes Chair 1 meanwhile
    review = desk.bookings.review(call.id)
    assert review.resource == "Chair 2"
    [why] = [i for i in review.issues if i.field == "resource"]
    assert why.severity is Severity.WARNING
    assert why.message.startswith("Chair 1 is not free then (overlaps Cleaning — Ana Ruiz") and \
        why.message.endswith(": it takes Chair 2")
    plan = desk.bookings.approval_plan(proposal.id, draft_of(proposal))
    assert [w.message for w in plan.warnings if w.field == "resource"] == [why.message]
    assert desk.bookings.approve(proposal.id, proposal.version).resource == "Chair 2"
