"""The composed App: polling sources and Synthflow's read-back wired from the profile and the keyring."""

import time

import requests

from receptionist.app import App
from receptionist.config import Profile
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.simulator import CallSimulator
from receptionist_sandbox.voice_platforms import PlatformCall, VoicePlatformsSandbox, render, sign
from tests.helpers.intake import capture_count


def wait_for(predicate, timeout=8.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


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
            assert app.store.recent_calls()[0].call_id == polled.call_id
            known = api.add(PlatformCall.from_v1("synthflow", sim.make_payload()))
            unknown = PlatformCall.from_v1("synthflow", sim.make_payload())
            for call in (known, unknown):
                body, _ = render(call)
                r = requests.post(app.receiver.url_for("synthflow"), data=body,
                                  headers=sign("synthflow", "sf-secret", body, call_id=call.call_id), timeout=5)
                assert r.status_code == 200
            assert wait_for(lambda: capture_count(app.store) == (2, 2) and app.service.quarantine_count() == 1)
            assert {c.call_id for c in app.store.recent_calls()} == {polled.call_id, known.call_id}
            assert "Synthflow has no call" in app.service.quarantined()[0].reason
            assert ("synthflow", "GET", f"/v2/calls/{known.call_id}") in api.requests
        finally:
            app.stop()
