"""The owners' command line, in-process against a temporary database: ``callbacks`` list/done/assign, ``people``,
``audit list``, and ``--actor`` checked against the profile's people on every action command. One test walks every
audited action the command line can take and finds the person named in the audit log."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from receptionist.cli import main
from receptionist.store import Store
from receptionist.store import tables as t
from receptionist.store.db import make_engine
from tests.helpers.payloads import payload

PROFILE = """
[google]
enabled = true
client_id = "x"

[[people.members]]
name = "Ana Ruiz"
role = "owner"
phone = "+13125550999"

[[people.members]]
name = "Ben Cole"
role = "front-desk"
"""


@pytest.fixture
def profile_path(tmp_path):
    path = tmp_path / "desk.toml"
    path.write_text(PROFILE)
    return path


@pytest.fixture
def cli(db_url, capsys, profile_path):
    def run(*argv: str, expect: int = 0):
        code = main([*argv, "--db", db_url, "--profile", str(profile_path)])
        out = capsys.readouterr()
        assert code == expect, (argv, code, out.out, out.err)
        if expect:
            return out.err
        return json.loads(out.out) if "--json" in argv else out.out

    return run


@pytest.fixture
def ingest(cli, tmp_path):
    def deliver(body: dict | bytes, expect: int = 0) -> None:
        path = tmp_path / f"delivery-{len(list(tmp_path.iterdir()))}.json"
        path.write_bytes(body if isinstance(body, bytes) else json.dumps(body).encode())
        cli("ingest", str(path), "--platform", "generic", expect=expect)

    return deliver


def question():
    return payload(reason_codes=["general inquiry"], service=..., requested_start=...,
                   summary="Asked whether Delta Dental is taken.")


def test_callbacks_list_and_done_with_the_ai_summary_first(cli, ingest):
    ingest(question())
    listed = cli("callbacks", "list", "--json", "--actor", "ana ruiz")
    assert (listed["open"], listed["overdue"]) == (1, 0)
    [cb] = listed["callbacks"]
    assert cb["who"] == "Maria Lopez · +13125550142" and cb["tel"] == "tel:+13125550142"
    assert cb["wants"] == "Question — Asked whether Delta Dental is taken."
    assert cb["ai_told_them"] == "Thanks for calling!"
    text = cli("callbacks", "list", "--actor", "Ana Ruiz")
    assert text.splitlines()[0] == "1 open callback(s), 0 overdue"
    assert "the AI told them: Thanks for calling!" in text
    err = cli("callbacks", "done", str(cb["id"]), "--outcome", "booked", "--actor", "Ana Ruiz", expect=2)
    assert "names its appointment" in err
    done = cli("callbacks", "done", str(cb["id"]), "--outcome", "voicemail", "--json", "--actor", "Ana Ruiz")
    assert (done["outcome"], done["done_by"]) == ("voicemail", "Ana Ruiz")
    assert cli("callbacks", "list", "--json", "--actor", "Ana Ruiz")["callbacks"] == []


def test_an_unknown_actor_is_refused_and_changes_nothing(cli, ingest):
    ingest(question())
    err = cli("callbacks", "list", "--actor", "mallory", expect=2)
    assert "'mallory' is not one of this desk's people (Ana Ruiz, Ben Cole)" in err
    err = cli("calls", "list", expect=2)  # the default actor "cli" is nobody here
    assert "pass --actor with your name" in err
    [call] = cli("calls", "list", "--json", "--actor", "Ben Cole")
    cli("proposals", "reject", str(call["proposal"]["id"]), "--reason", "x", "--actor", "eve", expect=2)
    [call] = cli("calls", "list", "--json", "--actor", "Ben Cole")
    assert call["proposal"]["status"] == "pending"


def test_call_back_without_twilio_says_so(cli, ingest):
    ingest(question())
    [cb] = cli("callbacks", "list", "--json", "--actor", "Ana Ruiz")["callbacks"]
    assert "Twilio is not switched on" in cli("callbacks", "call", str(cb["id"]), "--actor", "Ana Ruiz", expect=2)


def test_people_add_and_remove_write_the_profile_without_the_pin(cli, profile_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("2468\n"))
    cli("people", "add", "Cara Diaz", "--role", "front-desk", "--pin", "--actor", "Ana Ruiz")
    text = profile_path.read_text()
    assert 'name = "Cara Diaz"' in text and "2468" not in text and "pbkdf2_sha256$" in text
    assert {p["name"]: p["pin"] for p in cli("people", "list", "--json", "--actor", "Cara Diaz")} == {
        "Ana Ruiz": False, "Ben Cole": False, "Cara Diaz": True}
    monkeypatch.setattr("sys.stdin", io.StringIO("12\n"))
    assert "4 to 8 digits" in cli("people", "add", "Dan", "--pin", "--actor", "Ana Ruiz", expect=2)
    cli("people", "remove", "cara diaz", "--actor", "Ana Ruiz")
    assert "Cara Diaz" not in profile_path.read_text()
    assert "not one of this desk's people" in cli("people", "remove", "Cara Diaz", "--actor", "Ana Ruiz", expect=2)


def test_every_audited_action_of_the_command_line_names_the_person(cli, ingest, db_url):
    """Each action is taken by a person; the audit log names exactly that person for each, and the owner reads it
    back through ``audit list`` filtered by person and action."""
    for day in range(12, 16):
        ingest(payload(requested_start=f"2027-01-{day}T10:30:00"))
    ingest(question())
    ingest(payload(call_id="year-1", timestamp="0001-01-01T00:00:00+05:00"), expect=1)  # quarantined
    calls = cli("calls", "list", "--json", "--actor", "Ben Cole")
    bookings = sorted((c for c in calls if c["service"]), key=lambda c: c["requested_start_utc"])
    done: dict[str, str] = {}  # action → who took it

    def act(who: str, action: str, *argv: str):
        cli(*argv, "--actor", who)
        done[action] = who

    act("Ben Cole", "proposal.approved", "proposals", "approve", str(bookings[0]["proposal"]["id"]))
    act("Ana Ruiz", "proposal.rejected", "proposals", "reject", str(bookings[1]["proposal"]["id"]), "--reason",
        "no Tuesday slots")
    appt = cli("proposals", "approve", str(bookings[2]["proposal"]["id"]), "--json", "--actor", "Ben Cole")["id"]
    other = cli("proposals", "approve", str(bookings[3]["proposal"]["id"]), "--json", "--actor", "Ben Cole")["id"]
    act("Ana Ruiz", "appointment.rescheduled", "appointments", "reschedule", appt, "--start", "2027-01-20T09:00")
    act("Ben Cole", "appointment.edited", "appointments", "edit", appt, "--notes", "bring x-rays")
    act("Ana Ruiz", "sync.retry", "links", "retry", "--all-failed")
    store = Store(make_engine(db_url))
    try:  # two links a calendar changed (Drift: the event was deleted there), as the sync engine records them
        with store.session() as s:
            s.execute(update(t.CalendarLink).where(t.CalendarLink.appointment_id.in_([appt, other]))
                      .values(state="drift", detail={"deleted": True}))
            past = datetime(2026, 1, 5, 16, 0, tzinfo=timezone.utc)  # its time came: it can be marked
            s.execute(update(t.Appointment).where(t.Appointment.id == appt)
                      .values(start_at=past, end_at=past + timedelta(minutes=30)))
            s.commit()
        links = {a: store.appointments.get(a).links[0].id for a in (appt, other)}
    finally:
        store.engine.dispose()
    act("Ana Ruiz", "appointment.no-show", "appointments", "mark", appt, "no-show")
    act("Ben Cole", "appointment.attended", "appointments", "mark", appt, "attended")
    act("Ben Cole", "sync.keep_ours", "links", "keep-ours", str(links[appt]))
    act("Ana Ruiz", "sync.take_theirs", "links", "take-theirs", str(links[other]))
    act("Ben Cole", "appointment.cancelled", "appointments", "cancel", appt, "--reason", "asked to")
    act("Ana Ruiz", "sync.mass_deletion.recreate", "calendars", "recreate-all", "google:primary")
    act("Ben Cole", "sync.mass_deletion.accept", "calendars", "accept-deletions", "google:primary")
    [q] = cli("quarantine", "list", "--json")
    act("Ben Cole", "delivery.discarded", "quarantine", "discard", str(q["id"]))
    [asked] = [c for c in calls if not c["service"]]
    act("Ben Cole", "proposal.callback", "proposals", "callback", str(asked["proposal"]["id"]), "--note",
        "insurance")
    cbs = cli("callbacks", "list", "--json", "--actor", "Ana Ruiz")["callbacks"]
    assert ("question", "insurance") in [(c["reason"], c["note"]) for c in cbs]
    act("Ana Ruiz", "callback.assigned", "callbacks", "assign", str(cbs[0]["id"]), "Ben Cole")
    act("Ben Cole", "callback.done", "callbacks", "done", str(cbs[0]["id"]), "--outcome", "reached")
    act("Ana Ruiz", "settings.people_changed", "people", "add", "Cara Diaz", "--role", "owner")
    act("Cara Diaz", "caller.exported", "caller", "export", "(312) 555-0142")
    act("Ana Ruiz", "caller.forgotten", "caller", "forget", "(312) 555-0142", "--yes")

    # Call back (callback.called) needs Twilio: tests/e2e/test_callback_call.py finds its person named
    log = cli("audit", "list", "--json", "--limit", "500", "--actor", "Ana Ruiz")
    named = {}
    for row in log:
        named.setdefault(row["action"], set()).add(row["person"])
    for action, who in done.items():
        assert named.get(action) == {who}, (action, named.get(action))
    assert not {"cli", "staff"} & set().union(*named.values())
    bens = cli("audit", "list", "--json", "--person", "Ben Cole", "--action", "sync", "--actor", "Ana Ruiz")
    assert {r["action"] for r in bens} == {"sync.keep_ours", "sync.mass_deletion.accept"}
    assert "for owners" in cli("audit", "list", "--actor", "Ben Cole", expect=2)
    assert cli("audit", "list", "--json", "--from", "2020-01-01", "--to", "2020-01-02", "--actor", "Ana Ruiz") == []
    assert cli("audit", "list", "--json", "--from", "01/01/2020", "--to", "01/02/2020", "--actor", "Ana Ruiz") == []
    today = datetime.now(ZoneInfo("America/Chicago")).date()  # the profile's zone; this test's day, either side
    assert cli("audit", "list", "--json", "--limit", "500", "--from", f"{today - timedelta(days=1):%m/%d/%Y}",
               "--to", f"{today + timedelta(days=1):%m/%d/%Y}", "--actor", "Ana Ruiz") == log
