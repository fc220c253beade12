"""Polling sources against the sandbox's stand-ins of the platforms' REST APIs: exactly the new finished calls are
taken, calls in progress wait, and a call that also came by webhook is stored once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from receptionist import events
from receptionist.config import ElevenLabsSettings, Profile, RetellSettings, VapiSettings
from receptionist.ingest.intake import Intake
from receptionist.ingest.polling import SOURCES, PollingScheduler, sources_for
from receptionist.services.context import location_rules
from receptionist_sandbox.simulator import CallSimulator
from receptionist_sandbox.voice_platforms import PlatformCall, VoicePlatformsSandbox, render, sign
from tests.helpers.intake import capture_count

SETTINGS = {"vapi": VapiSettings, "retell": RetellSettings, "elevenlabs": ElevenLabsSettings}
WEBHOOK_SECRETS = {"vapi.webhook_secret": "v", "retell.api_key": "retell-sandbox-key", "elevenlabs.webhook_secret": "e"}


@pytest.fixture(scope="module")
def api():
    with VoicePlatformsSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def intake(store, profile):
    return Intake(store, location_rules(profile), events.EventBus(), WEBHOOK_SECRETS.get)


_seed = iter(range(1000, 100000))


def new_call(api, platform, minutes_ago, status="ended") -> PlatformCall:
    now = datetime.now(timezone.utc)
    sim = CallSimulator("http://unused", "x", seed=next(_seed), defect_rate=0.0, now=lambda: now)
    v1 = sim.make_payload()
    v1["timestamp"] = (now - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    call = PlatformCall.from_v1(platform, v1)
    live = {"vapi": "in-progress", "retell": "ongoing", "elevenlabs": "in-progress"}[platform]
    return api.add(call, status if status == "ended" and platform != "elevenlabs" else
                   ("done" if status == "ended" else live))


def poller(platform, api, intake, key=None):
    settings = SETTINGS[platform](poll=True, api_base=api.api_base(platform), page_size=2)
    return SOURCES[platform](settings, lambda: key or api.api_keys[platform], intake,
                             lambda: datetime.now(timezone.utc))


@pytest.fixture(autouse=True)
def _empty_platforms(api):
    for calls in api.calls.values():
        calls.clear()


@pytest.mark.parametrize("platform", ["vapi", "retell", "elevenlabs"])
def test_polling_takes_exactly_the_new_finished_calls(api, intake, store, platform):
    first = [new_call(api, platform, m) for m in (50, 40, 30)]
    waiting = new_call(api, platform, 20, status="live")
    source = poller(platform, api, intake)
    report = source.poll_once()
    assert report.ok and report.stored == 3 and report.skipped == 1, report
    intake.drain()
    assert {c.call_id for c in store.calls.recent()} == {c.call_id for c in first}
    again = source.poll_once()  # nothing new: the boundary call may be re-read, never stored twice
    assert again.ok and again.stored == 0
    api.set_status(platform, waiting.call_id, "done" if platform == "elevenlabs" else "ended")
    later = [new_call(api, platform, m) for m in (10, 5)]
    third = source.poll_once()
    assert third.ok and third.stored == 3, third
    intake.drain()
    assert {c.call_id for c in store.calls.recent()} == {c.call_id for c in first + [waiting] + later}
    assert capture_count(store) == (6, 6)
    assert intake.inbox.get_poll_cursor(platform) == third.cursor


@pytest.mark.parametrize("platform", ["vapi", "retell", "elevenlabs"])
def test_a_call_that_came_by_webhook_is_not_stored_again_by_the_poll(api, intake, store, platform):
    from receptionist.ingest.platforms import Delivery

    call = new_call(api, platform, 15)
    body, _ = render(call)
    secret = {"vapi": "v", "retell": "retell-sandbox-key", "elevenlabs": "e"}[platform]
    headers = sign(platform, secret, body)
    answer = intake.receive(Delivery(platform, body, headers, "http://desk/webhooks/" + platform,
                                     datetime.now(timezone.utc)))
    assert answer.stored and not answer.duplicate
    intake.drain()
    report = poller(platform, api, intake).poll_once()
    assert report.ok and report.fetched == 1 and report.stored == 0 and report.duplicates == 1
    intake.drain()
    assert capture_count(store) == (1, 1)


def test_a_missing_or_refused_api_key_is_reported_and_the_cursor_stays(api, intake):
    new_call(api, "vapi", 5)
    bad = poller("vapi", api, intake, key="wrong").poll_once()
    assert not bad.ok and "refused the API key" in bad.errors[0] and bad.stored == 0
    settings = VapiSettings(poll=True, api_base=api.api_base("vapi"))
    missing = SOURCES["vapi"](settings, lambda: None, intake, lambda: datetime.now(timezone.utc)).poll_once()
    assert "receptionist secret set vapi.api_key" in missing.errors[0]
    assert intake.inbox.get_poll_cursor("vapi") is None


def test_sources_come_from_the_profile_and_run_on_the_scheduler(api, intake, store):
    profile = Profile.from_dict({"vapi": {"poll": True, "api_base": api.api_base("vapi"), "interval_seconds": 5},
                                 "retell": {"poll": False}})
    sources = sources_for(profile, lambda key: api.api_keys["vapi"] if key == "vapi.api_key" else None, intake,
                          lambda: datetime.now(timezone.utc))
    assert [s.name for s in sources] == ["vapi"]
    new_call(api, "vapi", 3)
    scheduler = PollingScheduler(sources)
    intake.start()
    scheduler.start()
    try:
        import time

        deadline = time.monotonic() + 5
        while capture_count(store) != (1, 1) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert capture_count(store) == (1, 1)
    finally:
        scheduler.stop()
        intake.stop()
