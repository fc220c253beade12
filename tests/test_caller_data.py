"""A caller's data exported (JSON) and forgotten: calls, transcripts, raw deliveries and texts erased, appointments
kept with the name replaced (and owed to the calendars again), both audited, owners only; and the commands."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from receptionist import events
from receptionist.cli import main
from receptionist.config import Profile
from receptionist.domain.models import SyncState
from receptionist.domain.reminders import Reply
from receptionist.errors import UserError
from receptionist.services.context import location_rules
from receptionist.store import tables as t
from receptionist.store.db import make_engine, upgrade
from receptionist.store import Store
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload
from tests.helpers.rows import audit_entries, outbox_items

NUMBER = "+13125550142"


def seed(store, clock, rules):
    mine = store_payload(store, payload(requested_start="2026-11-30T10:30:00",
                                        summary="Maria Lopez wants a crown fixed."), rules, clock())
    store_payload(store, payload(caller={"name": "Joe Park", "callback_number": "(312) 555-0177"},
                                 requested_start="2026-12-01T10:30:00"), rules, clock())
    return mine


def count(store, table) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(table))


def test_export_then_forget(store, clock):
    profile = Profile.from_dict({"twilio": {"enabled": False}})
    desk = make_desk(store, profile, events.EventBus(), {"google:primary": "Google Calendar"}, clock=clock,
                     sms_enabled=True)
    rules = location_rules(profile)
    mine = seed(store, clock, rules)
    appt = desk.bookings.approve(mine.proposal.id, mine.proposal.version, actor="Ana")
    store.texting.take_reply("SM1", NUMBER, "C", Reply.CONFIRM, clock(), clock() + timedelta(hours=2))
    exported = desk.callers.export("(312) 555-0142", actor="Ana")
    assert [c["caller_name"] for c in exported["calls"]] == ["Maria Lopez"]
    assert exported["calls"][0]["transcript"][1] == ["caller", "I'd like a cleaning on Tuesday at 10:30."]
    assert [a["id"] for a in exported["appointments"]] == [appt.id]
    assert [m["payload"]["to"] for m in exported["texts_sent"]] == [NUMBER]
    assert [r["body"] for r in exported["texts_received"]] == ["C"]
    json.dumps(exported)  # JSON as it is

    done = desk.callers.forget("312.555.0142", actor="Ana")
    assert done == {"calls": 1, "appointments": 1, "texts": 2}
    kept = desk.appointments.get(appt.id)
    assert (kept.caller_name, kept.callback_number, kept.notes) == ("Forgotten caller", None, "")
    assert kept.start == appt.start and all(link.state is SyncState.PENDING for link in kept.links)
    assert [c.caller_name for c in desk.bookings.calls()] == ["Joe Park"]  # the other caller is untouched
    assert count(store, t.InboxDelivery) == 1 and count(store, t.SmsReply) == 0
    assert outbox_items(store) == []
    assert desk.callers.export(NUMBER, actor="Ana")["calls"] == []
    log = audit_entries(store)
    assert [(e["action"], e["actor"], e["entity_id"]) for e in log[:3]] == [
        ("caller.exported", "Ana", "…0142"), ("caller.forgotten", "Ana", "…0142"), ("caller.exported", "Ana", "…0142")]
    assert not any(NUMBER in json.dumps(e["detail"]) or e["entity_id"] == NUMBER for e in log)


def test_only_owners_and_only_numbers(store, clock):
    profile = Profile.from_dict({"people": {"members": [{"name": "Ana", "role": "owner"},
                                                        {"name": "Ben", "role": "front-desk"}]}})
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    with pytest.raises(UserError, match="for owners"):
        desk.callers.forget(NUMBER, actor="Ben")
    with pytest.raises(UserError):
        desk.callers.export("not a number", actor="Ana")


def test_the_commands(db_url, tmp_path, capsys, clock):
    engine = make_engine(db_url)
    upgrade(engine)
    seed(Store(engine), clock, location_rules(Profile()))
    engine.dispose()
    out = tmp_path / "maria.json"
    assert main(["caller", "export", "(312) 555-0142", "--out", str(out), "--json", "--db", db_url]) == 0
    assert json.loads(capsys.readouterr().out)["calls"] == 1
    assert json.loads(out.read_text())["calls"][0]["summary"] == "Maria Lopez wants a crown fixed."
    assert main(["caller", "forget", "(312) 555-0142", "--db", db_url]) == 2  # --yes is required
    assert "--yes" in capsys.readouterr().err
    assert main(["caller", "forget", "(312) 555-0142", "--yes", "--db", db_url]) == 0
    assert "1 call(s)" in capsys.readouterr().out
