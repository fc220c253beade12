"""An appointment's whole life from the command line, against the sandbox through the real client libraries:
approve, reschedule, a person's edit on Google → Drift, Take theirs, a deletion on Outlook → Drift, Keep ours,
cancel — with `sync --once` exiting non-zero exactly while something is not Synced."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from receptionist.cli import main
from receptionist_sandbox.stack import GOOGLE_ACCOUNT
from tests.e2e.test_booking_flow import next_weekday_local
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload
from tests.helpers.rows import audit_entries

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli(stack, db_url, tmp_path, monkeypatch, capsys):
    from receptionist.providers.secrets import KeyringSecretStore, MemoryKeyring

    backend = MemoryKeyring()
    monkeypatch.setattr("keyring.get_keyring", lambda: backend)
    profile = stack.profile()
    path = tmp_path / "sandbox.toml"
    path.write_text(profile.to_toml())
    stack.provision(profile, KeyringSecretStore(namespace=profile.location.name))

    def run(*argv: str, expect: int = 0):
        code = main([*argv, "--db", db_url, "--profile", str(path)])
        out = capsys.readouterr()
        assert code == expect, (argv, code, out.out, out.err)
        return json.loads(out.out) if "--json" in argv else out.out

    run.profile = profile
    return run


def _store_call(db_url, profile, start_local: datetime) -> int:
    from receptionist.services.context import location_rules
    from receptionist.store.db import make_engine, upgrade
    from receptionist.store import Store

    engine = make_engine(db_url)
    upgrade(engine)
    store = Store(engine)
    body = payload(call_id=f"cli-{start_local:%H%M%S%f}", requested_start=start_local.isoformat(),
                   timestamp=datetime.now(timezone.utc).isoformat())
    call = store_payload(store, body, location_rules(profile), datetime.now(timezone.utc))
    engine.dispose()
    return call.proposal.id


def _google_event(stack, appointment_id):
    return next(e for e in stack.google.events(GOOGLE_ACCOUNT, "primary") if e["id"] == appointment_id)


def test_an_appointments_life_from_the_command_line(cli, stack, db_url):
    start = next_weekday_local(11, 0)
    proposal_id = _store_call(db_url, cli.profile, start)
    calls = cli("calls", "list", "--json")
    assert [c["proposal"]["id"] for c in calls] == [proposal_id]

    appt = cli("proposals", "approve", str(proposal_id), "--json")
    assert {link["state"] for link in appt["sync"].values()} == {"pending"}
    assert "Pending" in cli("status")  # before the cycle: status says why it is not in sync
    cli("sync", "--once")  # pushed, read back, Synced: exit 0
    shown = cli("appointments", "show", appt["id"], "--json")
    assert {link["state"] for link in shown["sync"].values()} == {"synced"}

    # Reschedule an hour later: both calendars follow.
    later = (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    moved = cli("appointments", "reschedule", appt["id"], "--start", later, "--json")
    assert moved["start_local"].startswith(later)
    cli("sync", "--once")
    event = _google_event(stack, appt["id"])
    assert datetime.fromisoformat(event["start"]["dateTime"]) == datetime.fromisoformat(moved["start_utc"])

    # A person moves it on Google: Drift, shown field by field; sync exits 1 and says why.
    google_link = moved["sync"]["google:primary"]["link_id"]
    new_start = datetime.fromisoformat(moved["start_utc"]) + timedelta(minutes=30)
    stack.google.edit_event(GOOGLE_ACCOUNT, "primary", appt["id"], {
        "start": {"dateTime": new_start.isoformat()},
        "end": {"dateTime": (new_start + timedelta(minutes=30)).isoformat()}})
    out = cli("sync", "--once", expect=1)
    assert "Drift" in out and "changed on Google Calendar" in out
    diff = cli("links", "show", str(google_link), "--json")
    assert {f["field"] for f in diff["fields"] if f["differs"]} == {"start", "end"}

    # Take theirs: our appointment moves to the new time, Outlook follows.
    taken = cli("links", "take-theirs", str(google_link), "--json")
    assert datetime.fromisoformat(taken["start_utc"]) == new_start
    cli("sync", "--once")
    outlook_event = _outlook_event(stack, appt["id"])
    assert datetime.fromisoformat(outlook_event["start"]["dateTime"][:19]).replace(tzinfo=timezone.utc) == new_start

    # Deleted on Outlook: Drift "deleted on Outlook"; Keep ours re-creates it.
    outlook_link = taken["sync"]["outlook:default"]["link_id"]
    stack.microsoft.remove_event(None, outlook_event["id"])
    out = cli("sync", "--once", expect=1)
    assert "deleted on Outlook" in out
    cli("links", "keep-ours", str(outlook_link))
    cli("sync", "--once")
    assert _outlook_event(stack, appt["id"]) is not None

    # Cancel: gone from both calendars, kept here as cancelled.
    cancelled = cli("appointments", "cancel", appt["id"], "--reason", "called to cancel", "--json")
    assert cancelled["status"] == "cancelled"
    cli("sync", "--once")
    assert not [e for e in stack.google.events(GOOGLE_ACCOUNT, "primary")
                if e["id"] == appt["id"] and e.get("status") != "cancelled"]
    assert _outlook_event(stack, appt["id"]) is None
    listed = cli("appointments", "list", "--include-cancelled", "--days", "30", "--json")
    assert [a["status"] for a in listed if a["id"] == appt["id"]] == ["cancelled"]
    audit = {entry["action"] for entry in _audit(db_url)}
    assert {"proposal.approved", "appointment.rescheduled", "sync.take_theirs", "sync.keep_ours",
            "appointment.cancelled"} <= audit


def test_bad_input_is_one_sentence_and_changes_nothing(cli, stack, db_url):
    proposal_id = _store_call(db_url, cli.profile, next_weekday_local(9, 0))
    appt = cli("proposals", "approve", str(proposal_id), "--json")
    out = cli("appointments", "reschedule", appt["id"], "--start", "next tuesday", expect=2)
    assert out == ""
    cli("appointments", "reschedule", "nope", "--start", "2026-12-03T10:00", expect=2)
    cli("links", "keep-ours", str(appt["sync"]["google:primary"]["link_id"]), expect=2)  # not in Drift
    assert cli("appointments", "show", appt["id"], "--json")["start_utc"] == appt["start_utc"]


def _outlook_event(stack, appointment_id):
    for event in stack.microsoft.events():
        props = {p["id"]: p["value"] for p in event.get("singleValueExtendedProperties", [])}
        if any(v == appointment_id for v in props.values()) or event.get("transactionId") == appointment_id:
            return event
    return None


def _audit(db_url):
    from receptionist.store.db import make_engine
    from receptionist.store import Store

    engine = make_engine(db_url)
    try:
        return audit_entries(Store(engine), 200)
    finally:
        engine.dispose()
