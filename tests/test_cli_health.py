"""``receptionist health`` and ``doctor --json`` give the Health tab's picture: each failure state named, with its
runbook entry, and a non-zero exit naming the failed connection; alerts acknowledged and resolved from the command
line, audited."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from receptionist.cli import main
from receptionist.store import Store
from receptionist.store import tables as t
from receptionist.store.db import make_engine, upgrade
from tests.helpers.health_states import PROFILE_TOML, STATES, make_state


@pytest.fixture
def profile_path(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[location]\nid = "main-st"\nname = "Main St Dental"\n\n[google]\nenabled = true\n\n'
                    '[ingest]\nplatform = "vapi"\n')
    return str(path)


@pytest.fixture
def db(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


def failing_writes(store, n=5):
    now = datetime.now(timezone.utc)
    for i in range(n):
        store.reliability.record_write("google:primary", f"appt{i}", now - timedelta(minutes=i), ok=False)


def silent_vapi(store):
    now = datetime.now(timezone.utc)
    times = [now - timedelta(days=d, hours=h) for d in range(2, 27) for h in range(24)]  # one an hour, every hour
    with store.session() as s:
        s.execute(insert(t.InboxDelivery), [
            {"platform": "vapi", "dedupe_key": f"d{i}", "source": "webhook", "received_at": at, "url": "/",
             "headers": {}, "body": b"{}", "state": "done", "attempts": 1} for i, at in enumerate(times)])
        s.commit()


def test_doctor_json_names_a_fast_burning_calendar_with_its_runbook(db, db_url, profile_path, capsys):
    failing_writes(db)
    assert main(["doctor", "--json", "--profile", profile_path, "--db", db_url]) == 1
    report = json.loads(capsys.readouterr().out)
    assert "health google:primary" in report["failed"]
    check = next(c for c in report["checks"] if c["name"] == "health google:primary")
    assert "budget-fast" in check["runbook"] and "Sync tab" in check["runbook"]["budget-fast"]
    assert "faster than the error budget allows" in check["text"]


def test_doctor_names_a_silent_platform_and_says_what_to_do(db, db_url, profile_path, capsys):
    silent_vapi(db)
    assert main(["doctor", "--profile", profile_path, "--db", db_url]) == 1
    out = capsys.readouterr().out
    assert "health platform:vapi: FAILED — silent" in out
    assert "what to do (silent, docs/RUNBOOK.md): An AI platform has stopped delivering calls" in out
    assert out.splitlines()[-1].startswith("doctor: FAILED:") and "health platform:vapi" in out.splitlines()[-1]


def test_health_json_evaluate_ack_and_resolve(db, db_url, profile_path, capsys):
    failing_writes(db)
    silent_vapi(db)
    args = ["--profile", profile_path, "--db", db_url]
    assert main(["health", "--json", *args]) == 1
    report = json.loads(capsys.readouterr().out)
    assert set(report["failed"]) == {"google:primary", "platform:vapi"}
    vapi = next(c for c in report["connections"] if c["key"] == "platform:vapi")
    assert vapi["problems"] == ["silent"] and vapi["learning"] is False and vapi["expected_since_last"] > 3
    assert main(["health", "evaluate", "--json", *args]) == 0
    raised = json.loads(capsys.readouterr().out)["raised"]
    assert any("Vapi" in text for text in raised) and any("Google" in text for text in raised)
    assert main(["health", "evaluate", "--json", *args]) == 0
    assert json.loads(capsys.readouterr().out)["raised"] == []  # de-duplicated
    alert = next(a for a in db.reliability.alerts(open_only=True) if a.state == "silent")
    assert main(["health", "ack", str(alert.id), "--actor", "Dana", *args]) == 0
    assert capsys.readouterr().out.startswith(f"alert {alert.id} acknowledged: Vapi")
    assert main(["health", "resolve", str(alert.id), "--json", "--actor", "Dana", *args]) == 0
    assert json.loads(capsys.readouterr().out) == {"id": alert.id, "state": "resolved", "by": "Dana"}
    with db.session() as s:
        audited = list(s.scalars(select(t.AuditEntry.action).where(t.AuditEntry.actor == "Dana")))
    assert audited == ["alert_acknowledged", "alert_resolved"]
    assert main(["health", "resolve", "--json", *args]) == 2
    assert "needs the alert's number" in json.loads(capsys.readouterr().out)["error"]
    assert main(["health", "ack", "999", "--json", *args]) == 2
    assert "no alert 999" in json.loads(capsys.readouterr().out)["error"]


def test_health_text_lists_each_connection_and_what_to_do(db, db_url, profile_path, capsys):
    failing_writes(db)
    assert main(["health", "--profile", profile_path, "--db", db_url]) == 1
    out = capsys.readouterr().out
    assert "Google Calendar [google:primary]: FAILED" in out
    assert "what to do (budget-fast): Writes to a calendar are failing fast — docs/RUNBOOK.md#budget-fast" in out
    assert out.splitlines()[-1] == "health: FAILED: google:primary"


@pytest.mark.parametrize("state", STATES)
def test_each_failure_state_drives_doctor_json_and_the_alert(state, db, db_url, tmp_path, capsys):
    from receptionist.services.watch import ALERTING, FAILED

    path = tmp_path / "state.toml"
    path.write_text(PROFILE_TOML)
    key = make_state(db, state, datetime.now(timezone.utc))
    # (Google is enabled but not signed in here, so its own connection check fails whatever the state)
    assert main(["doctor", "--json", "--profile", str(path), "--db", db_url]) == 1
    report = json.loads(capsys.readouterr().out)
    check = next(c for c in report["checks"] if c["name"] == f"health {key}")
    assert state in check["runbook"] and (check["ok"] is False) == (state in FAILED)
    assert (f"health {key}" in report["failed"]) == (state in FAILED)
    assert main(["health", "evaluate", "--json", "--profile", str(path), "--db", db_url]) == 0
    capsys.readouterr()
    raised = {a.state for a in db.reliability.alerts(open_only=True) if a.connection == key}
    assert (state in raised) == (state in ALERTING)
    if state in ALERTING:
        assert main(["doctor", "--json", "--profile", str(path), "--db", db_url]) in (0, 1)
        alerts = [c for c in json.loads(capsys.readouterr().out)["checks"] if c["name"].startswith("alert ")]
        assert any(state in (c["runbook"] or {}) for c in alerts)
