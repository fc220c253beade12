"""The composed App: polling sources, Synthflow's read-back and each platform's replay window wired from the
profile and the keyring."""

from datetime import timedelta

import pytest
import requests

from receptionist.app import OutsideWorld, App
from receptionist.config import Profile
from receptionist.ingest.platforms import ADAPTERS
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.simulator import CallSimulator
from receptionist_sandbox.voice_platforms import PlatformCall, VoicePlatformsSandbox, render, sign
from tests.helpers.intake import capture_count
from tests.helpers.waiting import wait_for


def test_app_polls_vapi_and_confirms_synthflow_from_the_profile(db_url):
    with VoicePlatformsSandbox() as api:
        profile = Profile.from_dict({
            "ingest": {"port": 0},
            "vapi": {"poll": True, "api_base": api.api_base("vapi"), "interval_seconds": 5},
            "synthflow": {"api_base": api.api_base("synthflow")},
        })
        secrets = memory_secret_store("app-intake")
        secrets.set("vapi.api_key", api.api_keys["vapi"])
        secrets.set("synthflow.api_key", api.api_keys["synthflow"])
        secrets.set("synthflow.webhook_secret", "sf-secret")
        sim = CallSimulator("http://unused", "x", seed=21, defect_rate=0.0)
        polled = api.add(PlatformCall.from_v1("vapi", sim.make_payload()))
        app = App.build(profile, db_url, secrets).start(sync=False)
        try:
            assert app.polling is not None and [s.name for s in app.polling.sources] == ["vapi"]
            assert wait_for(lambda: capture_count(app.store) == (1, 1))
            assert app.store.calls.recent()[0].call_id == polled.call_id
            known = api.add(PlatformCall.from_v1("synthflow", sim.make_payload()))
            unknown = PlatformCall.from_v1("synthflow", sim.make_payload())
            for call in (known, unknown):
                body, _ = render(call)
                r = requests.post(app.receiver.url_for("synthflow"), data=body,
                                  headers=sign("synthflow", "sf-secret", body, call_id=call.call_id), timeout=5)
                assert r.status_code == 200
            assert wait_for(lambda: capture_count(app.store) == (2, 2) and app.desk.intake.quarantine_count() == 1)
            assert {c.call_id for c in app.store.calls.recent()} == {polled.call_id, known.call_id}
            assert "Synthflow has no call" in app.desk.intake.quarantined()[0].reason
            assert ("synthflow", "GET", f"/v2/calls/{known.call_id}") in api.requests
        finally:
            app.stop()


# Narrower and wider than each platform's default (vapi 300, retell 300, elevenlabs 1800, twilio 900).
WINDOWS = {"vapi": 120, "retell": 900, "elevenlabs": 3600, "twilio": 60}


@pytest.mark.parametrize("platform", sorted(WINDOWS))
def test_a_platforms_replay_window_comes_from_the_profile(store, clock, platform):
    window = WINDOWS[platform]
    profile = Profile.from_dict({"ingest": {"port": 0}, platform: {"replay_window_seconds": window}})
    secret = f"{platform}-secret"
    adapters = OutsideWorld(targets=[], problems={}, secret_for={ADAPTERS[platform].secret_key: secret}.get)
    app = App.assemble(profile, store, memory_secret_store("windows"), adapters, clock=clock).start(sync=False)
    call = PlatformCall.from_v1(platform, CallSimulator("http://unused", "x", seed=4, defect_rate=0.0).make_payload())
    url = app.receiver.url_for(platform)

    def post_signed(seconds_ago: int) -> requests.Response:
        signed_at = clock() - timedelta(seconds=seconds_ago)
        if platform == "twilio":  # the signature has no time: the signed Timestamp parameter carries it
            call.ended_at = signed_at
        body, extra = render(call)
        headers = sign(platform, secret, body, url=url, now=signed_at, form=extra.get("form"))
        return requests.post(url, data=body, headers=headers, timeout=5)

    try:
        for seconds_ago in (window + 2, -(window + 2)):  # just too old, just too far in the future
            r = post_signed(seconds_ago)
            assert r.status_code == 401 and f"window {window} s" in r.json()["error"], r.text
        assert sum(app.ingestor.inbox.counts().values()) == 0
        r = post_signed(window - 2)  # just inside
        assert 200 <= r.status_code < 300, r.text
        assert wait_for(lambda: capture_count(app.store) == (1, 1))
    finally:
        app.stop()


def test_the_window_starts_the_desk_in_the_background_and_a_taken_port_is_a_pill_not_a_refusal(store, clock):
    import socket

    from receptionist import events

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        profile = Profile.from_dict({"ingest": {"port": taken.getsockname()[1]}})
        adapters = OutsideWorld(targets=[], problems={}, secret_for={"ingest.webhook_secret": "s"}.get)
        app = App.assemble(profile, store, memory_secret_store("busy"), adapters, clock=clock)
        told = []
        app.bus.subscribe(lambda event: told.append(event.topic))
        app.start_in_background().join(10)
        try:
            assert "another Receptionist Console" in app.problems["webhook"]
            assert events.HEALTH_CHANGED in told
            assert app.scheduler._scheduler.running  # sync runs all the same
            state, sentence = app.desk.health.snapshot().webhook
            assert state == "error" and "another Receptionist Console" in sentence
        finally:
            app.stop()
    finally:
        taken.close()


def test_a_started_desk_is_out_of_the_garbage_collectors_full_collections(db_url):
    """What exists once the desk runs lives as long as it: gc.freeze(), so a full collection (which holds the GIL,
    stopping the door, the mapper and the window) walks only what came after."""
    import gc

    app = App.build(Profile.from_dict({"ingest": {"port": 0}}), db_url, memory_secret_store("frozen"))
    gc.unfreeze()
    try:
        app.start(sync=False)
        assert gc.get_freeze_count() > 0
    finally:
        app.stop()
        gc.unfreeze()  # the next tests' garbage is collected as usual


def test_a_clean_stop_maps_the_deliveries_the_door_accepted_and_logs_what_was_left(db_url, caplog):
    """The door accepted deliveries the worker has not mapped yet (here it never started): a clean stop maps them
    before the process ends, so another desk on the same database sees the calls, and says so in the log."""
    import json
    import logging

    from receptionist.ingest.platforms import Delivery
    from tests.helpers.payloads import payload

    app = App.build(Profile(), db_url, memory_secret_store("stop"), with_receiver=False)
    now = app.desk.context.clock()
    for n in range(3):
        body = json.dumps(payload(call_id=f"stop-{n}")).encode()
        answer = app.ingestor.receive(Delivery("generic", body, {}, "file://test", now), trusted=True)
        assert answer.inbox_id is not None
    assert app.store.inbox.counts() == {"pending": 3}
    caplog.set_level(logging.INFO, logger="receptionist.app")
    app.stop(drain_seconds=10)
    from receptionist.store import Store
    from receptionist.store.db import make_engine

    engine = make_engine(db_url)
    try:
        assert Store(engine).inbox.counts() == {"done": 3} and len(Store(engine).calls.recent()) == 3
    finally:
        engine.dispose()
    assert "on the way out: 3 accepted delivery(ies) mapped into calls; 0 left pending" in caplog.text
