"""How the command line answers a person who gets something wrong, or a script that reads ``--json``: the reason
first, in our words, as JSON when JSON was asked for; US dates as the desk writes them; ``doctor`` without a
profile."""

import json

import pytest

from receptionist.cli import main
from tests.helpers.payloads import payload


@pytest.fixture
def booked(db_url, clock):
    """A database with one approved appointment (11/24/2026 10:30 AM in Chicago)."""
    from receptionist.config import Profile
    from receptionist.domain.bookings import BookingDraft
    from receptionist.services.context import location_rules
    from receptionist.store import Store
    from receptionist.store.db import make_engine, upgrade
    from tests.helpers.calls import store_payload

    engine = make_engine(db_url)
    upgrade(engine)
    store = Store(engine)
    call = store_payload(store, payload(), location_rules(Profile()), clock())
    p = call.proposal
    appt = store.proposals.approve(p.id, BookingDraft(p.caller_name, p.callback_number, p.service, p.start,
                                                      p.duration_minutes), p.version, [], "amy", clock())
    engine.dispose()
    return appt


def test_a_us_date_and_time_is_taken_alongside_iso(db_url, booked, capsys):
    capsys.readouterr()
    assert main(["appointments", "reschedule", booked.id, "--start", "12/10/2026 2:30 PM", "--db", db_url,
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["start_utc"] == "2026-12-10T20:30:00+00:00"
    assert main(["appointments", "reschedule", booked.id, "--start", "2026-12-11T09:00", "--db", db_url,
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["start_utc"] == "2026-12-11T15:00:00+00:00"
    assert main(["appointments", "list", "--from", "12/11/2026", "--days", "1", "--db", db_url, "--json"]) == 0
    assert [a["id"] for a in json.loads(capsys.readouterr().out)] == [booked.id]
    assert main(["appointments", "reschedule", booked.id, "--start", "12/10/2026", "--db", db_url]) == 2
    assert "has no time of day: add it, e.g. \"12/10/2026 10:30 AM\"" in capsys.readouterr().err


def test_errors_of_a_json_command_are_json(db_url, tmp_path, capsys):
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello, this is not a database\n" * 50)
    assert main(["calls", "list", "--json", "--db", str(not_a_db)]) == 2
    out = capsys.readouterr()
    answer = json.loads(out.out)
    assert answer["exit_code"] == 2 and "not a Receptionist Console database" in answer["error"]
    assert out.err == ""
    assert main(["calls", "list", "--json", "--limit", "many", "--db", db_url]) == 2  # argparse's own refusal
    answer = json.loads(capsys.readouterr().out)
    assert "--limit: invalid int value: 'many'" in answer["error"]


def test_a_database_path_is_a_sqlite_file(tmp_path, capsys):
    path = tmp_path / "desk.db"
    assert main(["calls", "list", "--db", str(path)]) == 0
    assert path.is_file() and "Could not parse" not in capsys.readouterr().err


def test_a_number_that_is_not_one_is_said_in_our_words(db_url, capsys):
    assert main(["calls", "history", "hello", "--db", db_url]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]  # after the log's line about a new database
    assert last == "receptionist: 'hello' is not a phone number (it has no digits to read)"


def test_an_unreadable_command_line_says_why_first(capsys):
    assert main(["appointments", "reschedule"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == ("receptionist: appointments reschedule: the following arguments are required: id, "
                        "--start")
    assert lines[1].startswith("usage: receptionist appointments reschedule")


def test_demo_interval_without_demo_is_refused(capsys):
    assert main(["--demo-interval", "10"]) == 2
    assert capsys.readouterr().err.startswith("receptionist: --demo-interval only applies to demo mode: add --demo")


def test_doctor_without_a_profile_says_what_is_missing_and_names_the_failed_checks(no_profile, db_url, capsys):
    assert main(["doctor"]) == 1
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0].startswith("profile: no location profile found")
    assert lines[-1].startswith("doctor: FAILED: profile") and "database" in lines[-1]
    assert out.err == ""  # no log line in the middle of the report
    assert main(["db", "upgrade", "--db", db_url]) == 0
    capsys.readouterr()
    assert main(["doctor", "--json", "--db", db_url]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["failed"] == ["profile"]
    assert {c["name"] for c in report["checks"]} >= {"profile", "keyring", "database", "log file"}


def test_doctor_json_with_a_profile(db_url, tmp_path, capsys):
    profile = tmp_path / "p.toml"
    profile.write_text('[location]\nid = "main-st"\nname = "Main St Dental"\n')
    assert main(["db", "upgrade", "--db", db_url]) == 0
    capsys.readouterr()
    assert main(["doctor", "--json", "--profile", str(profile), "--db", db_url]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["failed"] == []
    assert next(c for c in report["checks"] if c["name"] == "location id")["text"] == "main-st"


def test_a_missing_xcb_cursor_library_is_named_with_its_install_command(monkeypatch, capsys):
    """Qt's own answer is "no Qt platform plugin could be initialized" and an abort; we name the library first."""
    import ctypes.util

    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name == "xcb-cursor" else real(name))
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "the system library libxcb-cursor is not installed" in err
    assert "`sudo apt install libxcb-cursor0`" in err and "`sudo dnf install xcb-util-cursor`" in err
