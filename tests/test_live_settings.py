"""File → Settings on a running desk: what changed takes effect at once (the receiver rebinds, the sync engine and
the desk re-read which calendars they write to), and what cannot says it waits for the next start."""

from __future__ import annotations

import socket
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

from receptionist.app import App
from receptionist.config import Profile
from receptionist.providers.secrets import memory_secret_store
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app(db_url):
    profile = Profile.from_dict({"location": {"name": "Live Clinic", "id": "live-clinic"}, "ingest": {"port": 0}})
    secrets = memory_secret_store("live-settings")
    secrets.set("ingest.webhook_secret", "s")
    running = App.build(profile, db_url, secrets).start(sync=False)
    yield running
    running.stop()


def _with(profile: Profile, **parts) -> Profile:
    data = profile.model_dump()
    for part, values in parts.items():
        data[part].update(values)
    return Profile.from_dict(data)


def test_a_new_port_rebinds_the_receiver_and_says_so(app):
    port = _free_port()
    applied = app.desk.settings.apply(_with(app.profile, ingest={"port": port}))
    assert applied.live == (f"Calls now arrive on port {port}.",) and applied.at_restart == ()
    assert app.receiver.base_url.endswith(f":{port}")
    assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok"}
    state, tip = app.desk.health.snapshot().webhook
    assert state == "ok" and f":{port}/" in tip


def test_a_taken_port_keeps_the_receiver_where_it_was(app):
    before = app.receiver.base_url
    old_port = before.rsplit(":", 1)[1]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        applied = app.desk.settings.apply(_with(app.profile, ingest={"port": port}))
    assert applied.live == (f"Port {port} is taken by another program: calls still arrive on port {old_port}. "
                            "Choose another port.",)
    assert app.receiver.base_url == before
    assert requests.get(before + "/healthz", timeout=5).status_code == 200


def test_enabling_and_disabling_a_calendar_changes_what_the_sync_thread_writes_to(app):
    assert dict(app.desk.context.calendars) == {} and app.sync_engine.calendars == {}
    applied = app.desk.settings.apply(_with(app.profile, google={"enabled": True}))
    assert applied.live == ("Google Calendar is now synced once it is connected.",)
    assert app.sync_engine.calendars == {"google:primary": "Google Calendar"}
    assert dict(app.desk.context.calendars) == {"google:primary": "Google Calendar"}  # bookings owe it a link
    assert "google:primary" in app.desk.context.problems  # not signed in yet: the health view says why
    app.sync_engine.run_cycle()  # the sync thread's next cycle takes it in
    [google] = app.desk.health.snapshot().calendars
    assert google.key == "google:primary" and "not connected" in google.text
    applied = app.desk.settings.apply(_with(app.profile, google={"enabled": False}))
    assert applied.live == ("Google Calendar is no longer synced.",)
    assert app.sync_engine.calendars == {} and dict(app.desk.context.calendars) == {}
    assert "google:primary" not in app.desk.context.problems


def test_what_cannot_change_live_says_it_waits_for_the_next_start(app):
    new = _with(app.profile, vapi={"poll": True})
    applied = app.desk.settings.apply(new)
    assert applied.live == ()
    assert applied.at_restart == ("Fetching calls from the platform starts or stops when the console starts again.",)
    assert app.desk.settings.apply(new).sentence() == "Nothing the desk uses changed."  # saved twice


@pytest.fixture
def clocked_app(db_url, clock):
    profile = Profile.from_dict({"location": {"name": "Live Clinic", "id": "live-clinic"}, "ingest": {"port": 0}})
    secrets = memory_secret_store("live-rules")
    secrets.set("ingest.webhook_secret", "s")
    running = App.build(profile, db_url, secrets, clock=clock).start(sync=False)
    yield running
    running.stop()


def test_time_zone_and_hours_reach_availability_callbacks_and_the_intake_at_once(clocked_app, clock):
    app = clocked_app  # Monday 11/23/2026 15:00 UTC: 9 AM in Chicago, 8 AM in Denver
    tuesday_early = datetime(2026, 11, 24, 13, 0, tzinfo=timezone.utc)  # 7 AM in Chicago, 6 AM in Denver
    assert "outside_hours" in {r.code for r in app.desk.availability.check(tuesday_early).reasons}
    new = _with(app.profile, location={"time_zone": "America/Denver"},
                availability={"hours": {"mon": ["10:00-12:00"], "tue": ["06:00-12:00"]},
                              "services": [{"name": "Cleaning", "duration_minutes": 45}]})
    applied = app.desk.settings.apply(new)
    assert applied.live == ("Times are now in America/Denver. The new hours and services are in use.",)
    assert applied.at_restart == ()
    assert app.desk.context.rules.zone == ZoneInfo("America/Denver") and app.ingestor.rules is app.desk.context.rules
    assert app.sync_engine.template.time_zone == "America/Denver"
    check = app.desk.availability.check(tuesday_early, "Cleaning")
    assert not check.reasons, check.reasons
    assert app.desk.availability.service_rule("Cleaning").duration_minutes == 45
    # a question at 8 AM in Denver, open from 10 AM on Mondays: due two open hours later, at noon there
    asked = store_payload(app.store, payload(reason_codes=["general inquiry"], service=..., requested_start=...),
                          app.ingestor.rules, clock())
    [callback] = app.desk.callbacks.desk().callbacks
    assert callback.call_row_id == asked.id
    assert callback.due_at == datetime(2026, 11, 23, 19, 0, tzinfo=timezone.utc)


def test_texts_start_and_stop_without_a_restart(clocked_app):
    app = clocked_app
    assert app.sync_engine.messenger is None and app.receiver.replies is None
    on = _with(app.profile, twilio={"enabled": True, "account_sid": "AC" + "0" * 32, "from_number": "+15551234567"},
               reminders={"enabled": True})
    applied = app.desk.settings.apply(on)
    assert applied.live[0].startswith("Texts are not sent: ") and "auth token" in applied.live[0]
    assert app.desk.context.problems["twilio"] in applied.live[0] and not app.desk.context.sms_enabled
    app.secrets.set("twilio.auth_token", "token-xyz")
    applied = app.desk.settings.apply(_with(on, twilio={"from_number": "+15557654321"}))
    assert applied.live == ("Texts and Call back go through Twilio now.",)
    assert app.sync_engine.messenger is not None and app.sync_engine.outbox.messenger is app.sync_engine.messenger
    assert app.desk.context.sms_enabled and "twilio" not in app.desk.context.problems
    assert app.sync_engine.outbox.reminders is not None and app.receiver.replies is not None
    applied = app.desk.settings.apply(_with(app.profile, twilio={"enabled": False}, reminders={"enabled": False}))
    assert applied.live == ("Texts are off. Reminders are off.",)
    assert app.sync_engine.messenger is None and app.receiver.replies is None and not app.desk.context.sms_enabled
    assert app.sync_engine.outbox.reminders is None


def test_call_back_rings_through_twilio_and_the_phone_saved_in_settings_without_a_restart(clocked_app, clock):
    from receptionist.errors import UserError
    from receptionist_sandbox.twilio import TwilioSandbox

    app = clocked_app
    twilio = TwilioSandbox(delivery_delay=None).start()
    try:
        store_payload(app.store, payload(reason_codes=["general inquiry"], service=..., requested_start=...),
                      app.ingestor.rules, clock())
        [callback] = app.desk.callbacks.desk().callbacks
        with pytest.raises(UserError, match="Twilio is not switched on"):
            app.desk.callbacks.call_back(callback.id)
        app.secrets.set("twilio.auth_token", twilio.auth_token)
        people = {"members": [{"name": "Ana", "role": "owner", "phone": "+13125550111"}]}
        on = _with(app.profile, twilio={"enabled": True, "api_base": twilio.url, "account_sid": twilio.account_sid,
                                        "from_number": "+13125550100"}, people=people)
        assert app.desk.settings.apply(on).live == ("Texts and Call back go through Twilio now.",)
        _record, placed = app.desk.callbacks.call_back(callback.id, actor="Ana")
        assert twilio.call(placed.sid)["to"] == "+13125550111"  # Ana's phone rings first
        # Ana's phone changed in Settings → People: the next Call back rings the new one
        app.desk.settings.apply(_with(app.desk.context.profile, people={"members": [
            {"name": "Ana", "role": "owner", "phone": "+13125550122"}]}), actor="Ana")
        _record, placed = app.desk.callbacks.call_back(callback.id, actor="Ana")
        assert twilio.call(placed.sid)["to"] == "+13125550122"
        # a person added in Settings is rung at once too
        app.desk.settings.apply(_with(app.desk.context.profile, people={"members": [
            {"name": "Ana", "role": "owner", "phone": "+13125550122"}, {"name": "Ben", "phone": "+13125550133"}]}),
            actor="Ana")
        _record, placed = app.desk.callbacks.call_back(callback.id, actor="Ben")
        assert twilio.call(placed.sid)["to"] == "+13125550133"
        off = _with(app.desk.context.profile, twilio={"enabled": False})
        assert app.desk.settings.apply(off, actor="Ana").live == ("Texts are off.",)
        with pytest.raises(UserError, match="Twilio is not switched on"):
            app.desk.callbacks.call_back(callback.id, actor="Ana")
    finally:
        twilio.stop()


def test_sync_limits_are_read_by_the_next_cycle(app):
    applied = app.desk.settings.apply(_with(app.profile, sync={"max_attempts": 3}))
    assert applied == type(applied)((), ())
    assert app.sync_engine.profile.sync.max_attempts == 3


def test_health_options_reach_the_alerts_at_once(app):
    applied = app.desk.settings.apply(_with(app.profile, health={"sms_after_minutes": 45.0}))
    assert "The health checks and alerts follow the new settings." in applied.sentence()
    assert app.desk.context.profile.health.sms_after_minutes == 45.0


@pytest.mark.parametrize("platform", ["vapi", "twilio"])
def test_the_test_call_is_also_a_command(tmp_path, capsys, platform):
    import json

    from receptionist import paths
    from receptionist.cli import main
    from receptionist.providers.secrets import location_secret_store

    profile = Profile.from_dict({"location": {"name": "CLI Clinic", "id": "cli-clinic"}, "ingest": {"port": 0}})
    paths.user_profile_path().write_text(profile.to_toml(), encoding="utf-8")
    from receptionist.onboarding import PLATFORM_GUIDES

    location_secret_store(profile.location).set(PLATFORM_GUIDES[platform].secret_key, "from-the-dashboard")
    assert main(["test-call", platform, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["platform"] == platform and "appeared in the call list" in out["sentence"]


def test_a_test_call_without_its_secret_is_exit_1(capsys):
    from receptionist import paths
    from receptionist.cli import main

    profile = Profile.from_dict({"location": {"name": "CLI Clinic", "id": "cli-clinic-2"}, "ingest": {"port": 0}})
    paths.user_profile_path().write_text(profile.to_toml(), encoding="utf-8")
    assert main(["test-call", "bland"]) == 1
    assert capsys.readouterr().out.startswith("✗ Enter the Webhook signing secret first")
