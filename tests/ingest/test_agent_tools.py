"""The AI agent's tools end to end through the receiver: Vapi tool-calls and Retell custom functions, signed as the
platforms sign them (the sandbox's stand-ins post them), answered from local data with one speakable line and the
structured slots; offered slots held per call; a booking arriving as a proposal already checked."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

from receptionist.app import App, OutsideWorld
from receptionist.config import Profile
from receptionist.domain.models import Severity
from receptionist.ingest.platforms import ADAPTERS
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.simulator import CallSimulator
from receptionist_sandbox.voice_platforms import call_tool, sign
from tests.helpers.calls import store_payload
from tests.helpers.fakes import FakeClock
from tests.helpers.payloads import payload
from tests.helpers.waiting import wait_for

# The receiver reads a booking against the real time (when it was received), so the desk's clock is the coming
# Monday, 9:00 AM in Chicago, and every day below is counted from it.
CHICAGO = ZoneInfo("America/Chicago")
_today = datetime.now(CHICAGO).date()
MONDAY = _today + timedelta(days=7 - _today.weekday())


def day(n: int) -> date:
    return MONDAY + timedelta(days=n)


def md(n: int) -> str:
    return f"{day(n).month}/{day(n).day}"


def iso(n: int, hour: int, minute: int = 0) -> str:
    return datetime(day(n).year, day(n).month, day(n).day, hour, minute, tzinfo=CHICAGO).isoformat()


SECRETS = {ADAPTERS["vapi"].secret_key: "vapi-secret", ADAPTERS["retell"].secret_key: "retell-secret"}
PROFILE = {
    "ingest": {"port": 0},
    "availability": {
        "hours": {"mon": ["08:00-12:00", "13:00-17:00"], "tue": ["08:00-12:00", "13:00-17:00"],
                  "wed": ["08:00-12:00"], "thu": ["08:00-12:00"], "fri": ["08:00-12:00"], "sat": [], "sun": []},
        "closures": [{"name": "Inventory day", "date": day(3).isoformat()}],
        "min_notice_minutes": 60, "horizon_days": 30, "buffer_after_minutes": 15, "hold_minutes": 5,
        "services": [{"name": "Cleaning", "duration_minutes": 60}, {"name": "Checkup", "duration_minutes": 30}],
    },
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(MONDAY.year, MONDAY.month, MONDAY.day, 9, tzinfo=CHICAGO).astimezone(timezone.utc))


@pytest.fixture
def app(store, clock):
    world = OutsideWorld(targets=[], problems={}, secret_for=SECRETS.get)
    app = App.assemble(Profile.from_dict(PROFILE), store, memory_secret_store("tools"), world,
                       clock=clock).start(sync=False)
    yield app
    app.stop()


def ask(app, clock, platform, call_id, name, **args):
    return call_tool(app.receiver.tools_url_for(platform), platform, SECRETS[ADAPTERS[platform].secret_key], call_id,
                     name, args, now=clock(), caller_id="+13125550142")


def test_two_callers_are_offered_different_slots_and_a_booking_arrives_checked(app, clock, store):
    # Monday 9:00 AM in Chicago; Tuesday's mornings and afternoons are free
    status, first = ask(app, clock, "vapi", "vapi-1", "check_availability", service="cleaning", date=day(1).isoformat())
    assert status == 200 and first["ok"], first
    assert first["say"] == f"I can offer Tuesday {md(1)} at 8:00 AM, 9:30 AM or 11:00 AM."
    assert first["toolCallId"] == "call_tool_1" and first["time_zone"] == "America/Chicago"
    assert [s["start"] for s in first["slots"]] == [iso(1, 8), iso(1, 9, 30), iso(1, 11)]
    # another caller, on Retell, is not offered what the first one holds (nor the morning between, with the buffer)
    status, second = ask(app, clock, "retell", "retell-1", "check_availability", service="Cleaning",
                         date=day(1).isoformat())
    assert status == 200 and second["result"] == second["say"]
    assert second["say"] == f"I can offer Tuesday {md(1)} at 1:00 PM, 2:30 PM or 4:00 PM."

    status, booked = ask(app, clock, "vapi", "vapi-1", "book_appointment", service="Cleaning",
                         start=first["slots"][0]["start"], caller_name="Maria Lopez", callback_number="312-555-0142")
    assert status == 200 and booked["ok"] and booked["say"] == \
        f"Booked: Tuesday {md(1)} at 8:00 AM for Cleaning. The front desk confirms it by text."
    assert wait_for(lambda: store.calls.recent())
    [call] = store.calls.recent()
    proposal = call.proposal
    assert call.platform == "vapi" and call.call_id == "vapi-1" and proposal.service == "Cleaning"
    assert proposal.start == datetime.fromisoformat(iso(1, 8))
    assert not [i for i in proposal.issues if i.severity is Severity.ERROR]
    assert not [i for i in proposal.issues if "overlaps" in i.message]

    # the Retell caller asks for the booked time: refused, with what is free instead
    status, refused = ask(app, clock, "retell", "retell-1", "book_appointment", service="Cleaning",
                          start=iso(1, 8), caller_name="Sam Reed")
    assert status == 200 and not refused["ok"]
    assert refused["say"].startswith(f"Sorry, Tuesday {md(1)} at 8:00 AM is not available: overlaps held for "
                                     "another caller") and f"I can offer Tuesday {md(1)} at" in refused["say"]
    assert len(store.calls.recent()) == 1  # no proposal for a refused booking

    # the desk approves it: the appointment stands in for the hold, and 8:00 stays taken (with its buffer)
    app.desk.bookings.approve(proposal.id, proposal.version)
    check = app.desk.availability.check(datetime.fromisoformat(iso(1, 8)), "Cleaning")
    assert [r.code for r in check.reasons] == ["overlap"] and "our booking" in check.reasons[0].message
    assert [b.source for b in store.holds.blocks(clock(), clock() + timedelta(days=2), clock())] == ["hold"] * 3


def test_an_empty_answer_says_why(app, clock, store):
    cases = {day(6).isoformat(): "we are closed on Sundays", day(3).isoformat(): f"closed for Inventory day ({md(3)})",
             day(36).isoformat(): "too far ahead: bookings are taken up to 30 days ahead"}
    for asked, why in cases.items():
        status, answer = ask(app, clock, "vapi", "vapi-2", "check_availability", service="Checkup", date=asked)
        assert status == 200 and answer["slots"] == [] and answer["reason"] == why
        assert answer["say"] == f"Sorry, no checkup time is free: {why}."
    # Wednesday fully booked by our appointments
    for hour in range(8, 12):
        store_payload(store, payload(call_id=f"full-{hour}", requested_start=iso(2, hour)), app.desk.context.rules,
                      clock())
    for p in [c.proposal for c in store.calls.recent()]:
        app.desk.bookings.approve(p.id, p.version)
    status, answer = ask(app, clock, "vapi", "vapi-2", "check_availability", service="Checkup", date=day(2).isoformat())
    assert answer["reason"] == f"fully booked on {md(2)}" and answer["slots"] == []


def test_an_ended_call_lets_its_offers_go(app, clock, store):
    _, first = ask(app, clock, "vapi", "vapi-3", "check_availability", service="Cleaning", date=day(1).isoformat())
    assert first["slots"][0]["start"]== iso(1, 8)
    _, other = ask(app, clock, "retell", "retell-3", "check_availability", service="Cleaning", date=day(1).isoformat())
    assert not other["slots"][0]["start"]== iso(1, 8)
    ended = b'{"message": {"type": "status-update", "status": "ended", "call": {"id": "vapi-3"}}}'
    r = requests.post(app.receiver.url_for("vapi"), data=ended, headers=sign("vapi", "vapi-secret", ended,
                                                                             now=clock()), timeout=5)
    assert r.status_code == 200
    assert wait_for(lambda: store.holds.blocks(clock(), clock() + timedelta(days=2), clock(),
                                               except_call=("retell", "retell-3")) == [])
    _, again = ask(app, clock, "retell", "retell-3", "check_availability", service="Cleaning", date=day(1).isoformat())
    assert again["slots"][0]["start"]== iso(1, 8)


def test_holds_expire(app, clock):
    ask(app, clock, "vapi", "vapi-4", "check_availability", service="Cleaning", date=day(1).isoformat())
    clock.advance(minutes=6)
    _, other = ask(app, clock, "retell", "retell-4", "check_availability", service="Cleaning", date=day(1).isoformat())
    assert other["slots"][0]["start"]== iso(1, 8)


def test_tool_calls_are_authenticated_like_the_webhooks(app, clock, store):
    body = b'{"message": {"type": "tool-calls", "call": {"id": "x"}, "toolCallList": []}}'
    r = requests.post(app.receiver.tools_url_for("vapi"), data=body,
                      headers=sign("vapi", "wrong-secret", body, now=clock()), timeout=5)
    assert r.status_code == 401 and "signature" in r.json()["error"]
    old = clock() - timedelta(minutes=10)
    r = requests.post(app.receiver.tools_url_for("retell"), data=body,
                      headers=sign("retell", "retell-secret", body, now=old), timeout=5)
    assert r.status_code == 401 and "window" in r.json()["error"]
    r = requests.post(app.receiver.tools_url_for("bland"), data=body, timeout=5)
    assert r.status_code == 404
    assert store.holds.blocks(clock(), clock() + timedelta(days=30), clock()) == []
    assert store.calls.recent() == []


def test_stale_busy_time_is_said(store, clock):
    from tests.helpers.desk import make_desk
    from receptionist import events

    desk = make_desk(store, Profile.from_dict(PROFILE), events.EventBus(), {"google:primary": "Google"}, clock=clock)
    assert desk.availability.stale() == "busy time may be out of date: Google has not been read yet"
    store.health.save("google:primary", clock(), last_pull_at=clock() - timedelta(hours=3))
    answer = desk.availability.answer_tool("vapi", "c", "check_availability", {"date": day(1).isoformat()})
    assert answer.stale == "busy time may be out of date: Google was last read 3 hours ago"
    assert answer.say.endswith("(The calendar was not read recently, so the desk confirms the time.)")
    store.health.save("google:primary", clock(), last_pull_at=clock() - timedelta(minutes=5))
    assert desk.availability.stale() is None


@pytest.mark.parametrize("platform", ["vapi", "retell"])
def test_the_simulated_agent_books_through_the_tools(app, clock, store, platform):
    sim = CallSimulator("http://unused", SECRETS[ADAPTERS[platform].secret_key], platform=platform, seed=3,
                        defect_rate=0.0, now=clock)
    offered, booked = sim.book_by_tools(app.receiver.tools_url_for(platform), day=day(1).isoformat(),
                                      service="Checkup")
    assert offered["ok"] and offered["say"].startswith(f"I can offer Tuesday {md(1)} at")
    assert booked is not None and booked["ok"] and booked["say"].startswith(f"Booked: Tuesday {md(1)} at")
    assert wait_for(lambda: store.calls.recent())
    [call] = store.calls.recent()
    assert call.platform == platform and call.proposal.start == datetime.fromisoformat(offered["slots"][0]["start"])
