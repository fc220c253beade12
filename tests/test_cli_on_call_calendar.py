"""The on-call calendar on the command line: ``on-call --refresh`` reads it (and says why not), ``health --json`` and
``doctor --json`` give the last successful on-call refresh, failed with its runbook entry when it is out of date."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from receptionist.cli import main
from receptionist.domain.on_call import OnCall
from receptionist.store import Store
from receptionist.store.db import make_engine, upgrade

KEY = "google:rota@group.calendar.google.com"


@pytest.fixture
def profile_path(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[location]\nid = "main-st"\ntime_zone = "America/New_York"\n\n[google]\nenabled = true\n\n'
                    f'[availability]\non_call_calendar = "{KEY}"\n')
    return str(path)


@pytest.fixture
def db(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


def test_refresh_says_why_the_calendar_cannot_be_read(db, db_url, profile_path, capsys):
    code = main(["on-call", "--refresh", "--json", "--profile", profile_path, "--db", db_url])
    out = json.loads(capsys.readouterr().out)
    assert code != 0 and out["error"].startswith("the on-call calendar could not be read: the google account "
                                                 "cannot be read: ")
    assert db.on_call.refresh_of(KEY).error  # recorded for the Health tab


def test_health_and_doctor_give_the_last_successful_on_call_refresh(db, db_url, profile_path, capsys):
    now = datetime.now(timezone.utc)
    shift = OnCall("Dr. Ana Ruiz", "+12125550111", now - timedelta(hours=1), now + timedelta(hours=8))
    db.on_call.replace(KEY, [shift], [], now - timedelta(minutes=5))
    main(["health", "--json", "--profile", profile_path, "--db", db_url])
    [on_call] = [c for c in json.loads(capsys.readouterr().out)["connections"] if c["key"] == "on-call"]
    assert on_call["state"] == "ok" and on_call["shifts"] == 1 and on_call["stale"] is None
    assert on_call["last_refresh_at"] == (now - timedelta(minutes=5)).isoformat()
    assert "Last successful on-call refresh" in on_call["facts"]
    found = main(["on-call", "--json", "--profile", profile_path, "--db", db_url])
    assert found == 0 and json.loads(capsys.readouterr().out)["now"]["person"] == "Dr. Ana Ruiz"

    db.on_call.replace(KEY, [], [], now - timedelta(hours=2))
    assert main(["doctor", "--json", "--profile", profile_path, "--db", db_url]) == 1
    report = json.loads(capsys.readouterr().out)
    assert "health on-call" in report["failed"]
    check = next(c for c in report["checks"] if c["name"] == "health on-call")
    assert check["text"].startswith("FAILED — The on-call calendar was last read 2 hours ago")
    assert "on-call-stale" in check["runbook"] and "on-call --refresh" in check["runbook"]["on-call-stale"]
