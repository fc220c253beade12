"""``who_is_on_call`` through the receiver's signed tool endpoints, in Vapi's and Retell's shapes: one sentence to
speak, and the person with the phone to transfer to."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist.app import App, OutsideWorld
from receptionist.config import Profile
from receptionist.ingest.platforms import ADAPTERS
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.voice_platforms import call_tool
from tests.helpers.fakes import FakeClock

CHICAGO = ZoneInfo("America/Chicago")
_today = datetime.now(CHICAGO).date()
MONDAY = _today + timedelta(days=7 - _today.weekday())
SECRETS = {ADAPTERS["vapi"].secret_key: "vapi-secret", ADAPTERS["retell"].secret_key: "retell-secret"}
PROFILE = {
    "ingest": {"port": 0},
    "people": {"members": [{"name": "Dr. Ana Ruiz", "role": "owner", "phone": "+13125550111"}]},
    "availability": {"on_call": [
        {"person": "Dr. Ana Ruiz", "hours": "18:00-08:00", "days": ["mon", "tue", "wed", "thu"]},
        {"person": "Dr. Ben Cole", "phone": "+13125550122", "hours": "18:00-08:00", "days": ["fri", "sat", "sun"]},
    ]},
}


def md(n: int) -> str:
    d = MONDAY + timedelta(days=n)
    return f"{d.month}/{d.day}"


def local(n: int, hour: int) -> datetime:
    d = MONDAY + timedelta(days=n)
    return datetime(d.year, d.month, d.day, hour, tzinfo=CHICAGO)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local(0, 21).astimezone(timezone.utc))  # Monday 9 PM


def start_app(store, clock, profile=PROFILE):
    world = OutsideWorld(targets=[], problems={}, secret_for=SECRETS.get)
    return App.assemble(Profile.from_dict(profile), store, memory_secret_store("on-call"), world,
                        clock=clock).start(sync=False)


@pytest.fixture
def app(store, clock):
    app = start_app(store, clock)
    yield app
    app.stop()


def ask(app, clock, platform, **args):
    return call_tool(app.receiver.tools_url_for(platform), platform, SECRETS[ADAPTERS[platform].secret_key],
                     f"{platform}-urgent", "who_is_on_call", args, now=clock(), caller_id="+13125550142")


@pytest.mark.parametrize("platform", ["vapi", "retell"])
def test_who_is_on_call_now(app, clock, platform):
    status, answer = ask(app, clock, platform)
    assert status == 200 and answer["ok"], answer
    assert answer["say"] == f"Dr. Ana Ruiz is on call now, until Tuesday {md(1)} at 8:00 AM."
    assert answer["on_call"]["now"] == {"person": "Dr. Ana Ruiz", "phone": "+13125550111",
                                        "start": local(0, 18).isoformat(), "end": local(1, 8).isoformat()}
    assert answer["time_zone"] == "America/Chicago"
    if platform == "retell":
        assert answer["result"] == answer["say"]  # what Retell hands its model
    else:
        assert answer["toolCallId"] == "call_tool_1"


def test_who_is_on_call_at_a_time_the_caller_names(app, clock):
    status, answer = ask(app, clock, "vapi", at=local(4, 23).replace(tzinfo=None).isoformat())
    assert status == 200 and answer["ok"]
    assert answer["say"] == f"Dr. Ben Cole is on call on Friday {md(4)} at 11:00 PM, until Saturday {md(5)} at 8:00 AM."
    assert answer["on_call"]["now"]["phone"] == "+13125550122"
    _, spoken = ask(app, clock, "retell", when="friday at 11 pm")
    assert spoken["on_call"]["now"]["person"] == "Dr. Ben Cole"


def test_nobody_on_call_says_who_is_next(app, clock):
    status, answer = ask(app, clock, "retell", at=local(1, 10).isoformat())
    assert status == 200 and not answer["ok"] and answer["reason"] == "nobody on call"
    assert answer["say"] == (f"Nobody is on call on Tuesday {md(1)} at 10:00 AM. Dr. Ana Ruiz is on call from "
                             f"Tuesday {md(1)} at 6:00 PM.")
    assert answer["on_call"]["now"] is None and answer["on_call"]["next"]["person"] == "Dr. Ana Ruiz"


def test_a_desk_without_a_roster_says_so(store, clock):
    app = start_app(store, clock, {"ingest": {"port": 0}})
    try:
        status, answer = ask(app, clock, "vapi")
    finally:
        app.stop()
    assert status == 200 and not answer["ok"] and answer["reason"] == "no roster"
    assert "keeps no on-call roster" in answer["say"]


def test_a_time_it_cannot_read_is_said(app, clock):
    status, answer = ask(app, clock, "vapi", at="whenever the moon is full")
    assert status == 200 and not answer["ok"] and answer["say"].startswith("Sorry, ")
