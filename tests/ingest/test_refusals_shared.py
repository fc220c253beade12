"""Refusals at the webhook's door are counted in the database, per minute and source, by the desk that listens:
a second desk on the same database, ``doctor --json`` and ``health --json`` see them (SQLite and PostgreSQL), and a
flood of refusals is a few writes, never one per refusal."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import event, func, select

from receptionist import events
from receptionist.cli import main
from receptionist.config import IngestSettings, Profile
from receptionist.ingest.intake import Intake
from receptionist.ingest.receiver import WebhookReceiver
from receptionist.services.context import location_rules
from receptionist.store import Store
from receptionist.store import tables as t
from receptionist.store.db import make_engine, upgrade
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload, signed

SECRET = "whsec-test"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    return request.getfixturevalue("pg_url") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'r.db'}"


def open_store(url):
    engine = make_engine(url)
    upgrade(engine)
    return Store(engine)


def webhook_of(desk):
    return next(c for c in desk.watch.report().connections if c.key == "webhook")


def test_a_refusal_at_one_desk_is_seen_by_another_desk_and_by_doctor(url, tmp_path, capsys):
    listening = open_store(url)
    intake = Intake(listening, location_rules(Profile()), events.EventBus(), lambda key: SECRET)
    rx = WebhookReceiver(IngestSettings(port=0), intake).start()
    try:
        body, headers = signed(payload(call_id="c-1"), "not-the-secret")
        r = requests.post(rx.url_for("vapi"), data=body, headers=headers, timeout=5)
        assert r.status_code == 401
        r = requests.post(rx.base_url + "/webhooks/made-up", data=b"{}", timeout=5)
        assert r.status_code == 404
    finally:
        rx.stop()
        intake.stop()  # the worker's last tick writes the counts (a running worker writes within its sweep)
    other = open_store(url)  # another desk: its own engine, no receiver
    desk = make_desk(other, Profile(), events.EventBus(), {})
    webhook = webhook_of(desk)
    assert webhook.numbers["last_hour"]["refused"] == 2
    assert webhook.numbers["last_hour"]["refused_by_source"] == {"vapi": 1, "unknown": 1}
    assert dict(webhook.facts)["Refused, last hour"] == "1 unknown, 1 vapi"
    profile = tmp_path / "p.toml"
    profile.write_text('[location]\nid = "main-st"\nname = "Main St Dental"\n\n[ingest]\nplatform = "vapi"\n')
    capsys.readouterr()
    main(["doctor", "--json", "--profile", str(profile), "--db", url])
    report = json.loads(capsys.readouterr().out)
    check = next(c for c in report["checks"] if c["name"] == "health webhook")
    assert "2 refused" in check["text"] and "Refused, last hour: 1 unknown, 1 vapi" in check["text"], check
    listening.engine.dispose()
    other.engine.dispose()


def test_a_flood_of_refusals_is_a_few_writes_and_loses_no_count(store):
    clock = lambda: datetime(2026, 12, 7, 18, 0, 30, tzinfo=timezone.utc)  # noqa: E731
    intake = Intake(store, location_rules(Profile()), events.EventBus(), lambda key: SECRET, clock=clock)
    writes = []
    listen = lambda _c, _cur, statement, *_a: writes.append(statement) if "webhook_refusals" in statement \
        else None  # noqa: E731
    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        for _ in range(500):
            intake.refuse(401, "bad signature (X-Vapi-Signature)", source="vapi")
        assert writes == []  # the door only counts
        intake.refusals.flush()  # what the worker's next tick writes
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)
    assert len([w for w in writes if w.lstrip().upper().startswith("INSERT")]) == 1  # not 500
    with store.session() as s:
        assert s.scalar(select(func.sum(t.WebhookRefusal.count))) == 500
    assert store.reliability.refusals(clock() - timedelta(hours=1), clock()) == {"vapi": 500}
    assert store.reliability.refusals(clock() + timedelta(minutes=1), clock() + timedelta(hours=1)) == {}
