"""``receptionist availability`` and ``availability check``, run in-process against a temporary database."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from receptionist.cli import main

CHICAGO = ZoneInfo("America/Chicago")
TODAY = datetime.now(CHICAGO).date()
NEXT_TUESDAY = TODAY + timedelta(days=(1 - TODAY.weekday()) % 7 or 7)
NEXT_SUNDAY = TODAY + timedelta(days=(6 - TODAY.weekday()) % 7 or 7)


@pytest.fixture
def cli(db_url, capsys, tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text(f"""
[availability]
horizon_days = 30
[availability.hours]
tue = ["09:00-12:00"]
[[availability.closures]]
name = "Staff training"
date = {(NEXT_TUESDAY + timedelta(days=1)).isoformat()}
[[availability.services]]
name = "Cleaning"
duration_minutes = 60
resources = ["Chair 1"]
[[availability.resources]]
name = "Chair 1"
kind = "chair"
""")

    def run(*argv: str, expect: int = 0):
        code = main([*argv, "--db", db_url, "--profile", str(profile)])
        out = capsys.readouterr()
        assert code == expect, (argv, code, out.out, out.err)
        return json.loads(out.out) if "--json" in argv else out.out + out.err

    return run


def test_free_times_of_a_day(cli):
    found = cli("availability", "--service", "cleaning", "--from", NEXT_TUESDAY.isoformat(), "--days", "1", "--json")
    assert found["service"] == "Cleaning" and found["duration_minutes"] == 60 and found["time_zone"] == "America/Chicago"
    assert [s["start"][11:16] for s in found["slots"]] == ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15",
                                                           "10:30", "10:45", "11:00"]
    assert {s["resource"] for s in found["slots"]} == {"Chair 1"} and found["why_none"] is None
    text = cli("availability", "--from", NEXT_TUESDAY.isoformat(), "--days", "1")
    assert text.startswith(f"11 free start(s) for Appointment (30 min) from {NEXT_TUESDAY:%m/%d/%Y}")


def test_a_day_without_times_says_why(cli):
    closed = cli("availability", "--from", (NEXT_TUESDAY + timedelta(days=1)).isoformat(), "--days", "1", "--json")
    assert closed["slots"] == [] and closed["why_none"].startswith("closed for Staff training")


def test_check_names_the_reason_and_exits_non_zero(cli):
    sunday = f"{NEXT_SUNDAY.isoformat()}T10:00"
    refused = cli("availability", "check", "--start", sunday, "--json", expect=1)
    assert refused["accepted"] is False and refused["reasons"] == [
        {"code": "closed", "message": "we are closed on Sundays"}]
    assert "refused:" in cli("availability", "check", "--start", sunday, expect=1)
    ok = cli("availability", "check", "--service", "Cleaning", "--start", f"{NEXT_TUESDAY.isoformat()}T09:30", "--json")
    assert ok["accepted"] is True and ok["slot"]["resource"] == "Chair 1"
    late = cli("availability", "check", "--service", "Cleaning", "--start", f"{NEXT_TUESDAY.isoformat()}T11:30",
               "--json", expect=1)
    assert [r["code"] for r in late["reasons"]] == ["outside_hours"]
    assert "outside opening hours (9 AM–noon)" in late["reasons"][0]["message"]


def test_unknown_service_and_bad_dates_are_one_sentence(cli):
    assert "'Massage' is not a service booked here (ask for one of: Cleaning)" in cli(
        "availability", "--service", "Massage", expect=2)
    assert "--from 'tuesday' is not a date like 12/03/2026 or 2026-12-03" in cli("availability", "--from", "tuesday",
                                                                                 expect=2)
    assert "--start" in cli("availability", "check", "--start", "soon", expect=2)


def test_a_us_desks_dates_and_times_are_read_as_iso_ones(cli):
    """``--from``, ``check --start`` and ``on-call --at`` take 12/08/2026 and "12/08/2026 9:30 AM" as well."""
    iso = cli("availability", "--service", "cleaning", "--from", NEXT_TUESDAY.isoformat(), "--days", "1", "--json")
    assert cli("availability", "--service", "cleaning", "--from", f"{NEXT_TUESDAY:%m/%d/%Y}", "--days", "1",
               "--json") == iso
    iso = cli("availability", "check", "--service", "Cleaning", "--start", f"{NEXT_TUESDAY.isoformat()}T09:30", "--json")
    us = cli("availability", "check", "--service", "Cleaning", "--start", f"{NEXT_TUESDAY:%m/%d/%Y} 9:30 AM", "--json")
    assert us == iso and us["accepted"] is True
    assert "--start '12/08/2026' has no time of day" in cli("availability", "check", "--start", "12/08/2026",
                                                              expect=2)
    assert "--at: '12/08/2026 21 PM': with AM/PM the hour is 1 to 12" in cli(
        "on-call", "--at", "12/08/2026 21 PM", expect=2)
