"""A booking the AI agent makes with ``book_appointment`` arrives as a proposal carrying the chair the rule picked
(the one held for the call), shown in the review and kept at approval."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from receptionist.app import App, OutsideWorld
from receptionist.config import Profile
from receptionist.providers.secrets import memory_secret_store
from tests.helpers.fakes import FakeClock
from tests.ingest.test_agent_tools import CHICAGO, MONDAY, SECRETS, ask, iso, wait_for

CHAIRS = {
    "ingest": {"port": 0},
    "availability": {
        "hours": {d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        "services": [{"name": "Cleaning", "duration_minutes": 60, "resources": ["Chair 1", "Chair 2"]}],
        "resources": [{"name": "Chair 1", "kind": "chair"}, {"name": "Chair 2", "kind": "chair"}],
    },
}


@pytest.fixture
def app(store, clock):
    world = OutsideWorld(targets=[], problems={}, secret_for=SECRETS.get)
    app = App.assemble(Profile.from_dict(CHAIRS), store, memory_secret_store("tools"), world,
                       clock=clock).start(sync=False)
    yield app
    app.stop()


@pytest.fixture
def clock():
    return FakeClock(datetime(MONDAY.year, MONDAY.month, MONDAY.day, 9, tzinfo=CHICAGO).astimezone(timezone.utc))


def test_the_agents_booking_arrives_with_its_chair_and_keeps_it(app, clock, store):
    ten = datetime.fromisoformat(iso(1, 10))
    walk_in = app.desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", ten)
    assert walk_in.resource == "Chair 1"
    status, booked = ask(app, clock, "vapi", "vapi-chair", "book_appointment", service="Cleaning", start=iso(1, 10),
                         caller_name="Maria Lopez", callback_number="312-555-0142")
    assert status == 200 and booked["ok"] and booked["slots"][0]["resource"] == "Chair 2", booked
    assert wait_for(lambda: store.calls.recent())
    [call] = store.calls.recent()
    assert call.proposal.resource == "Chair 2"  # recorded when the intake checked it
    assert app.desk.bookings.review(call.id).resource == "Chair 2"
    app.desk.appointments.cancel(walk_in.id)  # Chair 1 free again: the caller keeps the chair they were given
    assert app.desk.bookings.approve(call.proposal.id, call.proposal.version).resource == "Chair 2"
