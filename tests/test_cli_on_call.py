"""``receptionist on-call [--at TIME] --json``, run in-process against a temporary database."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from receptionist.cli import main

CHICAGO = ZoneInfo("America/Chicago")
TODAY = datetime.now(CHICAGO).date()
NEXT_TUESDAY = TODAY + timedelta(days=(1 - TODAY.weekday()) % 7 or 7)


@pytest.fixture
def cli(db_url, capsys, tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text("""
[[people.members]]
name = "Dr. Ana Ruiz"
phone = "+13125550111"
[[availability.on_call]]
person = "Dr. Ana Ruiz"
hours = "18:00-08:00"
days = ["tue"]
""")

    def run(*argv: str, expect: int = 0):
        code = main([*argv, "--db", db_url, "--profile", str(profile)])
        out = capsys.readouterr()
        assert code == expect, (argv, code, out.out, out.err)
        return json.loads(out.out) if "--json" in argv else out.out + out.err

    return run


def test_who_is_on_call_at_a_time(cli):
    found = cli("on-call", "--at", f"{NEXT_TUESDAY.isoformat()}T22:00", "--json")
    assert found["now"]["person"] == "Dr. Ana Ruiz" and found["now"]["phone"] == "+13125550111"
    assert found["now"]["end"].startswith(f"{(NEXT_TUESDAY + timedelta(days=1)).isoformat()}T08:00")
    assert found["say"].startswith("Dr. Ana Ruiz is on call on Tuesday") and found["time_zone"] == "America/Chicago"
    text = cli("on-call", "--at", f"{NEXT_TUESDAY.isoformat()}T22:00")
    assert "phone: (312) 555-0111" in text


def test_nobody_on_call_exits_1_naming_who_is_next(cli):
    found = cli("on-call", "--at", f"{NEXT_TUESDAY.isoformat()}T10:00", "--json", expect=1)
    assert found["now"] is None and found["next"]["person"] == "Dr. Ana Ruiz"
    assert "Nobody is on call" in found["say"]


def test_a_bad_time_is_refused_in_words(cli):
    out = cli("on-call", "--at", "tomorrowish", "--json", expect=2)
    assert "--at" in out["error"]
