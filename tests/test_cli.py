"""The command line, run in-process (``main(argv)``) against a temporary database."""

import json

from receptionist.cli import main
from receptionist.domain.bookings import BookingDraft
from receptionist.store.db import make_engine, upgrade
from receptionist.store.repo import Store


def test_db_upgrade_then_status(db_url, capsys):
    assert main(["db", "status", "--db", db_url]) == 1  # empty: not at head
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert "empty → 0001" in capsys.readouterr().out
    assert main(["db", "status", "--db", db_url]) == 0


def test_status_json_lists_appointments_with_sync_state(db_url, capsys, clock):
    from receptionist.domain.payload import normalise, parse_payload
    from receptionist.services import location_rules
    from receptionist.config import Profile
    from tests.helpers.payloads import payload

    engine = make_engine(db_url)
    upgrade(engine)
    store = Store(engine)
    call, _ = store.record_call(normalise(parse_payload(payload()), location_rules(Profile()), clock()), {}, clock())
    p = call.proposal
    store.approve_proposal(p.id, BookingDraft(p.caller_name, p.callback_number, p.service, p.start,
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


def test_sync_once_fails_when_an_enabled_calendar_is_not_connected(db_url, tmp_path, capsys):
    profile = tmp_path / "p.toml"
    profile.write_text("[google]\nenabled = true\nclient_id = 'x'\n")
    assert main(["sync", "--once", "--db", db_url, "--profile", str(profile)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert "not connected" in out["not_connected"]["google:primary"]


def test_sync_once_against_the_sandbox_succeeds(db_url, tmp_path, capsys, monkeypatch):
    from receptionist.providers.secrets import KeyringSecretStore, MemoryKeyring
    from receptionist.sandbox.stack import SandboxStack

    backend = MemoryKeyring()
    monkeypatch.setattr("keyring.get_keyring", lambda: backend)
    with SandboxStack() as stack:
        profile = stack.profile()
        path = tmp_path / "sandbox.toml"
        path.write_text(profile.to_toml())
        stack.provision(profile, KeyringSecretStore(namespace=profile.location.name))
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
