"""The intake checks a captured booking against the slots held for other callers on the phone, as the review pane
does: its chair is picked around them (``pick_resource`` over ``Schedule.refusals``), a time every chair of which is
held for someone else arrives refused, and the call's own hold never counts against it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist import events
from receptionist.config import IngestSettings, Profile
from receptionist.domain.models import Severity
from receptionist.ingest.receiver import WebhookReceiver
from tests.helpers.payloads import payload
from tests.ingest.test_intake import make_intake, post_generic, wait_for

CHICAGO = ZoneInfo("America/Chicago")
CHAIRS = Profile.from_dict({"availability": {
    "hours": {d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "services": [{"name": "Cleaning", "duration_minutes": 60, "resources": ["Chair 1", "Chair 2"]}],
    "resources": [{"name": "Chair 1", "kind": "chair"}, {"name": "Chair 2", "kind": "chair"}]}})


def next_tuesday_ten() -> datetime:
    today = datetime.now(CHICAGO).date()
    day = today + timedelta(days=(1 - today.weekday()) % 7 + 7)
    return datetime(day.year, day.month, day.day, 10, tzinfo=CHICAGO)


@pytest.fixture
def receiver(store):
    intake = make_intake(store, CHAIRS, events.EventBus(), None).start()
    rx = WebhookReceiver(IngestSettings(port=0), intake).start()
    yield rx
    rx.stop()
    intake.stop()


def hold(store, call_id: str, start: datetime, chair: str) -> None:
    now = datetime.now(timezone.utc)
    store.holds.hold("vapi", call_id, [(start, start + timedelta(hours=1), "Cleaning", chair)], now,
                     now + timedelta(minutes=10))


def captured(store, receiver, call_id: str, start: datetime):
    body = payload(call_id=call_id, platform="vapi", service="Cleaning", duration_minutes=60,
                   requested_start=start.replace(tzinfo=None).isoformat())
    assert post_generic(receiver, body).status_code in (200, 202)
    assert wait_for(lambda: any(c.call_id == call_id for c in store.calls.recent()))
    return next(c for c in store.calls.recent() if c.call_id == call_id)


def test_the_intakes_chair_goes_around_another_callers_hold(store, receiver):
    ten = next_tuesday_ten()
    hold(store, "on-the-phone", ten, "Chair 1")
    call = captured(store, receiver, "after-the-call", ten)
    assert call.proposal.resource == "Chair 2"
    assert not [i for i in call.proposal.issues if i.field == "requested_start"]


def test_a_time_held_for_others_on_every_chair_arrives_refused_and_a_calls_own_hold_does_not_count(store, receiver):
    ten = next_tuesday_ten()
    hold(store, "first", ten, "Chair 1")
    hold(store, "second", ten, "Chair 2")
    call = captured(store, receiver, "third", ten)
    assert [i.severity for i in call.proposal.issues if "held for another caller" in i.message] == [Severity.ERROR]
    own = captured(store, receiver, "second", ten)  # the caller Chair 2 is held for
    assert own.proposal.resource == "Chair 2"
    assert not [i for i in own.proposal.issues if i.field == "requested_start"]
