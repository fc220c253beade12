"""``receptionist calls live`` and ``calls history NUMBER``, run in-process against a temporary database: calls in
progress and a caller's history as the window's live strip and review pane show them, the number written any way.
Deliveries come in through ``receptionist ingest`` (Vapi's own payloads, our generic one), as from a platform."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from receptionist.cli import main
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.formatting import format_date, format_datetime
from receptionist.store.db import make_engine
from receptionist.store import Store
from tests.helpers.payloads import payload

VAPI = Path(__file__).resolve().parent / "fixtures" / "platforms" / "vapi"
CHICAGO = ZoneInfo("America/Chicago")  # the default profile's zone


@pytest.fixture
def cli(db_url, capsys):
    def run(*argv: str, expect: int = 0):
        code = main([*argv, "--db", db_url])
        out = capsys.readouterr()
        assert code == expect, (argv, code, out.out, out.err)
        if expect:
            return out.err
        return json.loads(out.out) if "--json" in argv else out.out

    return run


@pytest.fixture
def ingest(cli, tmp_path):
    """A delivery as the platform sent it, through ``receptionist ingest``."""
    def deliver(platform: str, body: dict) -> None:
        path = tmp_path / f"delivery-{len(list(tmp_path.iterdir()))}.json"
        path.write_text(json.dumps(body))
        cli("ingest", str(path), "--platform", platform)

    return deliver


def vapi(name: str, call_id: str | None = None) -> dict:
    body = json.loads((VAPI / name).read_text())
    if call_id is not None:
        body["message"]["call"]["id"] = call_id
    return body


def test_a_call_in_progress_then_ended_is_not_its_own_callers_earlier_call(cli, ingest):
    assert cli("calls", "live").strip() == "no call in progress"
    ingest("vapi", vapi("status-update.json"))
    [live] = cli("calls", "live", "--json")
    assert live["live"] and live["status"] == "in-progress" and live["platform"] == "vapi"
    assert live["caller_id"] == "+13125550142" and live["started_at"] == "2026-12-01T15:00:00+00:00"
    assert live["said_last"] == "Hi, I'd like to book a cleaning." and len(live["transcript"]) == 2
    assert live["returning"] is False and live["caller_note"] is None
    text = cli("calls", "live")
    assert text.startswith("1 call in progress, 0 just ended")
    assert "● (312) 555-0142" in text and "in-progress (vapi), started 12/01/2026 9:00 AM" in text  # Chicago time
    assert "First call from this number" in text and "said last, caller: Hi, I'd like to book a cleaning." in text

    ingest("vapi", vapi("end-of-call-report.json"))  # the same call ends: now it is a stored call too
    [ended] = cli("calls", "live", "--json")
    assert not ended["live"] and ended["status"] == "ended" and ended["ended_at"].endswith("+00:00")
    assert ended["returning"] is False  # its own stored call does not make the caller a returning one
    assert cli("calls", "live").startswith("0 calls in progress, 1 just ended")


def test_a_returning_caller_live_and_their_history_with_the_number_written_any_way(cli, ingest, db_url):
    ingest("generic", payload(call_id="visit-1"))  # Maria Lopez, callback (312) 555-0142
    [call] = cli("calls", "list", "--json")
    visit = (datetime.now(timezone.utc) - timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    engine = make_engine(db_url)
    p = Store(engine).proposals.get(call["proposal"]["id"])
    Store(engine).proposals.approve(p.id, BookingDraft(p.caller_name, p.callback_number, p.service, visit, 45),
                                   p.version, [], "amy", visit - timedelta(days=2))
    engine.dispose()
    expected_note = f"Returning caller, last visit {format_date(visit, CHICAGO)}"

    ingest("vapi", vapi("status-update.json", call_id="second-call"))  # she calls again, from the same phone
    [live] = cli("calls", "live", "--json")
    assert live["call_id"] == "second-call" and live["returning"] is True and live["caller_note"] == expected_note
    assert expected_note in cli("calls", "live")

    written = ["(312) 555-0142", "312.555.0142", "+1 312 555 0142", "3125550142", "312-555-0142"]
    found = [cli("calls", "history", number, "--json") for number in written]
    assert all(f == found[0] for f in found)
    history = found[0]
    assert history["number"] == "+13125550142" and history["phone"] == "(312) 555-0142"
    assert history["returning"] is True and history["note"] == expected_note and history["names"] == ["Maria Lopez"]
    assert history["counts"] == {"calls": 1, "appointments": 1}
    assert history["last_call_utc"] == "2026-11-23T14:55:00+00:00"  # the payload's time of the call
    assert [c["call_id"] for c in history["calls"]] == ["visit-1"]
    [appt] = history["appointments"]
    assert appt["start_utc"] == visit.isoformat() == history["last_visit_utc"] and history["next_visit_utc"] is None

    text = cli("calls", "history", "(312) 555-0142")
    assert text.splitlines()[0] == f"(312) 555-0142 (+13125550142): {expected_note}"
    assert "known as Maria Lopez" in text and "1 call:" in text and "1 appointment:" in text
    assert f"{format_datetime(visit, CHICAGO)} (45 min) Maria Lopez — Teeth cleaning" in text


def test_a_number_with_no_history_and_numbers_that_are_not_numbers(cli):
    first = cli("calls", "history", "(773) 555-0199", "--json")
    assert first["number"] == "+17735550199" and first["returning"] is False and first["note"] is None
    assert first["counts"] == {"calls": 0, "appointments": 0} and first["calls"] == first["appointments"] == []
    assert "first call from this number" in cli("calls", "history", "773 555 0199")
    assert cli("calls", "history", "555-12", expect=2).strip() == \
        "receptionist: '555-12' has 5 digits, not a possible phone number"
    assert "is not a phone number" in cli("calls", "history", "front desk", expect=2)
    assert "give a phone number" in cli("calls", "history", " ", expect=2)
