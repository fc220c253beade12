"""The command line, run in-process (``main(argv)``) against a temporary database."""

import json

from receptionist.cli import main
from receptionist.domain.bookings import BookingDraft
from receptionist.store.db import make_engine, upgrade
from receptionist.store import Store


def test_db_upgrade_then_status(db_url, capsys):
    assert main(["db", "status", "--db", db_url]) == 1  # empty: not at head
    assert main(["db", "upgrade", "--db", db_url]) == 0
    from receptionist.store.db import make_engine, schema_status

    assert f"empty → {schema_status(make_engine(db_url))[1]}" in capsys.readouterr().out
    assert main(["db", "status", "--db", db_url]) == 0


def test_status_json_lists_appointments_with_sync_state(db_url, capsys, clock):
    from receptionist.services.context import location_rules
    from receptionist.config import Profile
    from tests.helpers.calls import store_payload
    from tests.helpers.payloads import payload

    engine = make_engine(db_url)
    upgrade(engine)
    store = Store(engine)
    call = store_payload(store, payload(), location_rules(Profile()), clock())
    p = call.proposal
    store.proposals.approve(p.id, BookingDraft(p.caller_name, p.callback_number, p.service, p.start,
                                              p.duration_minutes), p.version, ["google:primary"], "amy", clock())
    engine.dispose()
    capsys.readouterr()
    assert main(["status", "--json", "--db", db_url]) == 0
    status = json.loads(capsys.readouterr().out)
    [appt] = status["appointments"]
    assert appt["caller"] == "Maria Lopez" and appt["phone"] == "(312) 555-0142"
    assert appt["start_utc"] == "2026-11-24T16:30:00+00:00"
    assert appt["start_local"] == "2026-11-24T10:30:00-06:00"
    assert appt["sync"]["google:primary"]["state"] == "pending"


def test_status_says_why_each_enabled_calendar_lacks_a_row_approved_elsewhere(db_url, tmp_path, capsys, clock):
    """Approved by a command whose profile enables no calendar: this desk's status names each calendar it enables
    and why the row is not there yet; a Pending row says what it waits for."""
    from receptionist.services.context import location_rules
    from receptionist.config import Profile
    from tests.helpers.calls import store_payload
    from tests.helpers.payloads import payload

    engine = make_engine(db_url)
    upgrade(engine)
    store = Store(engine)
    for call_id, calendars, start in (("none", [], "2026-11-24T10:30:00"),
                                      ("google", ["google:primary"], "2026-11-24T13:30:00")):
        caller = {"name": f"Caller {call_id}", "callback_number": "(312) 555-0142"}
        call = store_payload(store, payload(call_id=call_id, caller=caller, requested_start=start),
                             location_rules(Profile()), clock())
        p = call.proposal
        store.proposals.approve(p.id, BookingDraft(p.caller_name, p.callback_number, p.service, p.start,
                                                  p.duration_minutes), p.version, calendars, "amy", clock())
    engine.dispose()
    profile = tmp_path / "p.toml"
    profile.write_text("[google]\nenabled = true\nclient_id = 'x'\n")
    capsys.readouterr()
    assert main(["status", "--json", "--db", db_url, "--profile", str(profile)]) == 0
    rows = {a["caller"]: a["sync"] for a in json.loads(capsys.readouterr().out)["appointments"]}
    assert rows["Caller none"]["google:primary"]["state"] == "not_queued"
    assert "approved where Google Calendar is not enabled" in rows["Caller none"]["google:primary"]["error"]
    assert rows["Caller google"]["google:primary"]["state"] == "pending"
    assert main(["status", "--db", db_url, "--profile", str(profile)]) == 0
    out = capsys.readouterr().out
    assert "google:primary: not queued" in out and "google:primary: Pending" in out
    assert "Caller none: not queued for Google Calendar yet" in out
    assert "Caller google on Google Calendar: Pending — waiting for the sync leader" in out


def test_sync_once_fails_when_an_enabled_calendar_is_not_connected(db_url, tmp_path, capsys):
    profile = tmp_path / "p.toml"
    profile.write_text("[google]\nenabled = true\nclient_id = 'x'\n")
    assert main(["sync", "--once", "--db", db_url, "--profile", str(profile)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert "not connected" in out["not_connected"]["google:primary"]


def test_sync_once_against_the_sandbox_succeeds(db_url, tmp_path, capsys, monkeypatch):
    from receptionist.providers.secrets import MemoryKeyring, location_secret_store
    from receptionist_sandbox.stack import SandboxStack

    backend = MemoryKeyring()
    monkeypatch.setattr("keyring.get_keyring", lambda: backend)
    with SandboxStack() as stack:
        profile = stack.profile()
        path = tmp_path / "sandbox.toml"
        path.write_text(profile.to_toml())
        stack.provision(profile, location_secret_store(profile.location))
        stack.seed_week()
        assert main(["sync", "--once", "--db", db_url, "--profile", str(path)]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["pulled"]["google:primary"] > 0 and out["pulled"]["outlook:default"] > 0


def test_user_errors_print_one_line_and_exit_2(tmp_path, capsys):
    assert main(["status", "--profile", str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("receptionist: profile") and "Traceback" not in err


def test_newer_database_is_refused_at_start(db_url, capsys):
    from sqlalchemy import text

    engine = make_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num='9999'"))
    engine.dispose()
    assert main(["status", "--db", db_url]) == 2
    assert "newer version" in capsys.readouterr().err


def _browser_that_consents(url: str) -> bool:
    """A stand-in for the person at the browser: the sandbox consents at once and redirects to the loopback."""
    import requests

    requests.get(url, timeout=10)
    return True


def test_connect_google_and_outlook_keep_tokens_in_the_keyring_only(db_url, tmp_path, capsys, monkeypatch):
    import keyring

    from receptionist.providers.secrets import location_secret_store
    from receptionist_sandbox.stack import SandboxStack

    monkeypatch.setattr("webbrowser.open", _browser_that_consents)
    with SandboxStack() as stack:
        profile = stack.profile()
        path = tmp_path / "sandbox.toml"
        path.write_text(profile.to_toml())
        store = location_secret_store(profile.location)
        store.set("google.client_secret", stack.google.client_secret)
        assert main(["connect", "google", "--profile", str(path)]) == 0
        assert "connected as owner@demo.example" in capsys.readouterr().out
        assert main(["connect", "outlook", "--device-code", "--profile", str(path)]) == 0
        out = capsys.readouterr().out
        assert "frontdesk@demo.example" in out
        assert store.get("google.refresh_token") and store.get("outlook.token_cache")
        assert keyring.get_keyring() is not None
        # and nothing secret reached the profile or the database
        assert stack.google.client_secret not in path.read_text()
        assert main(["sync", "--once", "--db", db_url, "--profile", str(path)]) == 1  # Twilio not set up yet
        assert "twilio.auth_token" in json.loads(capsys.readouterr().out)["not_connected"]["twilio"]
        store.set("twilio.auth_token", stack.twilio.auth_token)
        assert main(["sync", "--once", "--db", db_url, "--profile", str(path)]) == 0
    raw = (tmp_path / "test.db").read_bytes()
    assert store.get("google.refresh_token").encode() not in raw


def test_sandbox_command_prints_a_profile_any_build_can_use(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import tomllib

    from receptionist.config import Profile

    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "receptionist.providers.secrets.MemoryKeyring"}
    with subprocess.Popen([sys.executable, "-m", "receptionist.cli", "sandbox", "--write-profile",
                           str(tmp_path / "p.toml")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env) as proc:  # closes the pipes on the way out
        try:
            lines = []
            for line in proc.stdout:
                lines.append(line)
                if line.startswith("api_base") and "synthflow" in line:  # the last section of the profile
                    break
            profile = Profile.from_dict(tomllib.loads("".join(lines)))
            assert profile.google.api_endpoint.startswith("http://127.0.0.1:")
            assert profile.outlook.authority.startswith("https://127.0.0.1:")
            assert Profile.load(tmp_path / "p.toml") == profile
            import requests

            assert requests.get(profile.twilio.api_base + "/_sandbox/faults", timeout=5).status_code == 200
        finally:
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=10) == 0


def test_doctor_checks_each_connection(db_url, tmp_path, capsys, monkeypatch):
    from receptionist.providers.secrets import MemoryKeyring, location_secret_store
    from receptionist_sandbox.stack import SandboxStack

    backend = MemoryKeyring()
    monkeypatch.setattr("keyring.get_keyring", lambda: backend)
    with SandboxStack() as stack:
        profile = stack.profile()
        path = tmp_path / "sandbox.toml"
        path.write_text(profile.to_toml())
        stack.provision(profile, location_secret_store(profile.location))
        calls_before = len(stack.google.requests)
        assert main(["doctor", "--db", db_url, "--profile", str(path)]) == 0
        out = capsys.readouterr().out
        assert "google:primary:" in out and "outlook:default:" in out and out.count("— OK") == 2
        lists = [r for r in stack.google.requests[calls_before:] if r[1].endswith("/calendarList")]
        assert len(lists) == 1
