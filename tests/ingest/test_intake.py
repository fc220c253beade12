"""Durable intake through the real HTTP receiver: stored before answered, 503 when storage fails, deduplicated,
mapped later (crash-safe), quarantined with a reason when it cannot be mapped, never a 500."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import event

from receptionist import events
from receptionist.config import IngestSettings
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.intake import InboxState
from receptionist.errors import UserError
from receptionist.ingest.intake import Intake
from receptionist.ingest.platforms import ADAPTERS
from receptionist.ingest.receiver import WebhookReceiver
from receptionist.services.context import location_rules
from tests.helpers.desk import make_desk
from tests.helpers.intake import ScriptedAdapter, capture_count, scripted_delivery
from tests.helpers.payloads import payload, signed
from tests.helpers.waiting import wait_for

SECRET = "whsec-test"
SECRETS = {"ingest.webhook_secret": SECRET, "scripted.secret": "s3cret"}


@pytest.fixture
def adapter():
    return ScriptedAdapter()


@pytest.fixture
def bus():
    return events.EventBus()


def make_intake(store, profile, bus, adapter, **kwargs):
    return Intake(store, location_rules(profile), bus, SECRETS.get,
                  adapters={"generic": ADAPTERS["generic"], "scripted": adapter}, **kwargs)


@pytest.fixture
def intake(store, profile, bus, adapter):
    return make_intake(store, profile, bus, adapter)


@pytest.fixture
def running(intake, profile):
    """The intake's worker and the HTTP receiver, on a free port."""
    intake.start()
    rx = WebhookReceiver(IngestSettings(port=0), intake).start()
    yield rx
    rx.stop()
    intake.stop()


@contextmanager
def read_only(store):
    """The database refuses every write (as a read-only file or a full disk would): a real SQLite error."""

    def query_only(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA query_only = 1")

    event.listen(store.engine, "connect", query_only)
    store.engine.dispose()
    try:
        yield
    finally:
        event.remove(store.engine, "connect", query_only)
        store.engine.dispose()


def post_generic(rx, body: dict, secret=SECRET):
    raw, headers = signed(body, secret)
    return requests.post(rx.url, data=raw, headers=headers, timeout=5)


def post_scripted(rx, call_id, kind="call", **extra):
    d = scripted_delivery(call_id, kind, **extra)
    return requests.post(rx.url_for("scripted"), data=d.body, headers=d.headers, timeout=5)


# --- stored before answered ------------------------------------------------------------------------------------------


def test_a_delivery_is_in_the_inbox_before_it_is_answered(intake, store):
    """No worker running: the answer still means the raw delivery is stored."""
    answer = intake.receive(scripted_delivery("c-1"))
    assert answer.status == 200 and answer.stored
    row = intake.inbox.get(answer.inbox_id)
    assert row.state is InboxState.PENDING and json.loads(row.body)["id"] == "c-1"
    assert row.headers["x-scripted-secret"] == "s3cret" and row.url.endswith("/webhooks/scripted")
    assert capture_count(store) == (0, 0)


def test_storage_failure_is_answered_503_then_stored_on_redelivery(running, store):
    body = payload(call_id="disk-1")
    with read_only(store):
        r = post_generic(running, body)
        assert r.status_code == 503 and "could not store" in r.json()["error"]
    assert capture_count(store) == (0, 0)
    r = post_generic(running, body)  # the platform retries
    assert r.status_code == 202
    assert wait_for(lambda: capture_count(store) == (1, 1))


@contextmanager
def locked_by_another_program(store):
    """A second connection of its own (as a CLI command or a DB browser would hold) takes SQLite's write lock."""
    other = sqlite3.connect(store.engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_database_locked_by_another_program_is_answered_503_then_stored_once(store, profile, bus, adapter):
    """The door gives up after ingest.store_wait_seconds (not the 30 s busy timeout, past the platform's own
    timeout) and answers 503; the platform's retry after the lock is released is stored once."""
    intake = make_intake(store, profile, bus, adapter, store_wait_seconds=0.5)
    intake.start()
    rx = WebhookReceiver(IngestSettings(port=0), intake).start()
    try:
        body = payload(call_id="locked-1")
        with locked_by_another_program(store):
            r = post_generic(rx, body)  # the client waits 5 s: a 30 s wait would be a timeout, not an answer
            assert r.status_code == 503 and "could not store" in r.json()["error"]
        assert intake.inbox.counts() == {}
        assert post_generic(rx, body).status_code == 202  # the platform retries
        assert post_generic(rx, body).status_code == 200  # and once more: a duplicate, nothing changes
        assert wait_for(lambda: capture_count(store) == (1, 1))
        assert intake.inbox.counts() == {"done": 1}
    finally:
        rx.stop()
        intake.stop()


def test_the_worker_waits_out_a_lock_the_door_gives_up_on(store, profile, bus, adapter):
    intake = make_intake(store, profile, bus, adapter, store_wait_seconds=0.2)
    first = intake.receive(scripted_delivery("wait-1"))
    applied = []
    with locked_by_another_program(store):
        worker = threading.Thread(target=lambda: applied.extend(intake.process([first.inbox_id])))
        worker.start()
        assert wait_for(lambda: intake.inbox._write_lock.locked())  # the worker is at its write, waiting
        second = intake.receive(scripted_delivery("wait-2"))
        assert second.status == 503 and not second.stored
    worker.join(10)
    assert [(a.inbox_id, a.state) for a in applied] == [(first.inbox_id, InboxState.DONE)]
    assert capture_count(store) == (1, 1)


def test_the_doors_short_wait_and_synced_commit_stay_with_the_door(store, intake):
    """Every pooled connection keeps the 30 s busy timeout and synchronous=NORMAL after the door wrote."""
    from receptionist.store.db import BUSY_TIMEOUT_SECONDS

    assert intake.receive(scripted_delivery("pool-1")).stored
    assert intake.receive(scripted_delivery("pool-1")).duplicate
    pooled = [store.engine.raw_connection() for _ in range(store.engine.pool.checkedin())]
    try:
        assert pooled
        for conn in pooled:
            assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_SECONDS * 1000
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    finally:
        for conn in pooled:
            conn.close()


def test_the_worker_checkpoints_the_log_when_its_queue_runs_dry(store, intake):
    """SQLite's own checkpoint is off here, so the database file grows only when the worker checkpoints."""
    from pathlib import Path

    from receptionist.ingest.intake import CHECKPOINT_EVERY

    event.listen(store.engine, "connect", lambda conn, _record: conn.execute("PRAGMA wal_autocheckpoint = 0"))
    store.engine.dispose()
    database = Path(store.engine.url.database)
    before = database.stat().st_size
    intake.start()
    try:
        for n in range(CHECKPOINT_EVERY):
            assert intake.receive(scripted_delivery(f"ck-{n}")).stored
        assert wait_for(lambda: capture_count(store) == (CHECKPOINT_EVERY, CHECKPOINT_EVERY))
        assert wait_for(lambda: database.stat().st_size > before)
    finally:
        intake.stop()


def test_retries_of_the_same_delivery_are_one_row_and_answered_as_success(running, store, intake):
    for _ in range(3):
        assert post_scripted(running, "dup-1").status_code == 200
    assert wait_for(lambda: capture_count(store) == (1, 1))
    assert intake.inbox.counts() == {"done": 1}


def test_unknown_platform_and_bad_secret_are_refused_with_reasons(running, store):
    r = requests.post(running.url_for("nosuch"), data=b"{}", timeout=5)
    assert r.status_code == 404 and "no adapter for platform 'nosuch'" in r.json()["error"]
    d = scripted_delivery("x", secret="wrong")
    r = requests.post(running.url_for("scripted"), data=d.body, headers=d.headers, timeout=5)
    assert r.status_code == 401 and r.json()["error"] == "wrong secret"
    assert capture_count(store) == (0, 0)


def test_a_full_work_queue_is_answered_503_and_nothing_is_lost(store, profile, bus, adapter):
    intake = make_intake(store, profile, bus, adapter, queue_size=2)
    assert intake.receive(scripted_delivery("q-1")).status == 200
    assert intake.receive(scripted_delivery("q-2")).status == 200
    busy = intake.receive(scripted_delivery("q-3"))
    assert busy.status == 503 and not busy.stored and "busy" in busy.reason
    intake.start()
    try:
        assert wait_for(lambda: capture_count(store) == (2, 2))
        assert wait_for(lambda: intake.receive(scripted_delivery("q-3")).status == 200)
        assert wait_for(lambda: capture_count(store) == (3, 3))
    finally:
        intake.stop()


def test_deliveries_left_pending_by_a_crash_are_mapped_at_the_next_start(store, profile, bus, adapter):
    first = make_intake(store, profile, bus, adapter)
    for i in range(5):
        first.receive(scripted_delivery(f"crash-{i}"))
    # the process dies here: stored, answered, never mapped
    assert capture_count(store) == (0, 0)
    second = make_intake(store, profile, bus, adapter).start()
    try:
        assert wait_for(lambda: capture_count(store) == (5, 5))
        assert second.inbox.counts() == {"done": 5}
    finally:
        second.stop()


def test_under_load_the_worker_writes_batches_and_one_refused_value_is_quarantined_alone(store, profile, bus,
                                                                                         adapter):
    intake = make_intake(store, profile, bus, adapter, batch_size=10)
    ids = [intake.receive(scripted_delivery(f"load-{i}", "naive" if i == 4 else "call")).inbox_id
           for i in range(10)]
    applied = intake.process(ids)
    assert len(applied) == 10
    assert capture_count(store) == (9, 9)
    [bad] = intake.inbox.quarantined()
    assert bad.id == ids[4] and "database refused" in bad.reason


# --- quarantine ---------------------------------------------------------------------------------------------------


def test_what_cannot_be_mapped_is_quarantined_with_its_reason_then_replayed(intake, store, adapter, profile, bus,
                                                                             clock):
    adapter.broken.add("later")
    answer = intake.receive(scripted_delivery("later"))
    assert answer.status == 200  # acknowledged: it is stored, a person will see it
    intake.process([answer.inbox_id])
    desk = make_desk(store, profile, bus, [], intake=intake)
    [row] = desk.intake.quarantined()
    assert row.reason == "cannot map later yet" and desk.intake.quarantine_count() == 1
    with pytest.raises(UserError, match="not in quarantine"):
        desk.intake.discard(answer.inbox_id + 99)
    adapter.broken.clear()  # the fix (an upgrade)
    replayed = desk.intake.replay(row.id)
    assert replayed.state is InboxState.DONE and replayed.call_row_id is not None
    assert capture_count(store) == (1, 1) and desk.intake.quarantined() == []


def test_an_adapter_bug_is_quarantined_not_dropped_and_can_be_discarded(intake, store, profile, bus):
    answer = intake.receive(scripted_delivery("bug", "boom"))
    seen = []
    bus.subscribe(lambda e: seen.append(e.topic))
    intake.process([answer.inbox_id])
    desk = make_desk(store, profile, bus, [], intake=intake)
    [row] = desk.intake.quarantined()
    assert "adapter failed" in row.reason and "RuntimeError" in row.reason
    assert events.QUARANTINE_CHANGED in seen
    desk.intake.discard(row.id)
    assert desk.intake.quarantined() == [] and intake.inbox.get(row.id).state is InboxState.DISCARDED


def test_year_1_and_9999_dates_go_to_quarantine_not_a_crash(running, store, intake):
    r = post_generic(running, payload(call_id="y1", timestamp="0001-01-01T00:00:00+05:00"))
    assert r.status_code == 202
    r = post_generic(running, payload(call_id="y9999", requested_start="9999-12-31T23:59:00"))
    assert r.status_code == 202
    assert wait_for(lambda: intake.inbox.counts().get("pending", 0) == 0 and sum(intake.inbox.counts().values()) == 2)
    calls, proposals = capture_count(store)
    assert calls == proposals
    quarantined = {json.loads(r.body)["call_id"]: r.reason for r in intake.inbox.quarantined()}
    assert "y1" in quarantined and "year 1 or 9999" in quarantined["y1"]
    # the 9999 request is either kept with a finding on the time, or quarantined with a reason: never dropped
    if "y9999" not in quarantined:
        [call] = [c for c in store.calls.recent() if c.call_id == "y9999"]
        assert any(i.field == "requested_start" for i in call.issues)


@pytest.mark.parametrize("body, expected", [
    (b"[" * 100_000 + b"]" * 100_000, "nested"),
    (b'{"call_id": 1' + b"0" * 5000 + b"}", "integer"),
    (b'{"call_id": NaN}', "NaN"),
    (b'{"a": "\\u0000"}', "schema"),
    (b"\xff\xfe not utf-8", "UTF-8"),
])
def test_pathological_json_gets_a_specific_4xx_never_a_500(running, store, body, expected):
    raw, headers = signed(body, SECRET)
    r = requests.post(running.url, data=raw, headers=headers, timeout=10)
    assert 400 <= r.status_code < 500, r.text
    assert expected.lower() in json.dumps(r.json()).lower()
    assert capture_count(store) == (0, 0)


def test_receiver_keeps_answering_while_200_idle_connections_are_open(running, store):
    idle = []
    try:
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", int(running.base_url.rsplit(":", 1)[1])), timeout=5)
            idle.append(s)
        started = time.monotonic()
        r = post_generic(running, payload(call_id="through-the-crowd"))
        assert r.status_code == 202 and time.monotonic() - started < 3
        half_open = idle[0]
        half_open.sendall(b"POST /webhooks/v1/calls HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")  # slow
        assert post_generic(running, payload(call_id="still-answering")).status_code == 202
    finally:
        for s in idle:
            s.close()
    assert wait_for(lambda: capture_count(store) == (2, 2))


# --- live calls, returning callers, intents ----------------------------------------------------------------------


def test_a_live_call_shows_then_becomes_an_ended_call_with_its_summary(intake, store, profile, bus, clock):
    desk = make_desk(store, profile, bus, [], clock=clock, intake=intake)
    a = intake.receive(scripted_delivery("live-1", "live", **{"from": "+13125550142",
                                                            "transcript": [["agent", "Hello!"]]}))
    intake.process([a.inbox_id])
    [live] = desk.intake.live_calls()
    assert live.live and live.caller_id_number == "+13125550142" and live.transcript == (("agent", "Hello!"),)
    assert live.elapsed_seconds(clock()) == 120
    b = intake.receive(scripted_delivery("live-1", "live", status="in-progress", **{
        "from": "+13125550142", "transcript": [["agent", "Hello!"], ["caller", "I'd like a cleaning"]]}))
    intake.process([b.inbox_id])
    assert desk.intake.live_calls()[0].transcript[-1] == ("caller", "I'd like a cleaning")
    c = intake.receive(scripted_delivery("live-1", "call", **{"from": "+13125550142"}))
    [applied] = intake.process([c.inbox_id])
    [ended] = desk.intake.live_calls()
    assert not ended.live and applied.call.call_id == "live-1" and applied.call.summary
    assert applied.call.caller_id_number == "+13125550142"
    assert applied.call.raw_fields == {"requested_start": "2026-11-24T10:30:00"}


def test_a_returning_caller_is_recognised_with_the_last_visit(intake, store, profile, bus, clock):
    desk = make_desk(store, profile, bus, [], clock=clock, intake=intake)
    first = intake.receive(scripted_delivery("visit-1"))
    [applied] = intake.process([first.inbox_id])
    p = applied.call.proposal
    start = datetime(2026, 10, 14, 15, 0, tzinfo=timezone.utc)
    store.proposals.approve(p.id, BookingDraft(p.caller_name, p.callback_number, p.service, start, 45), p.version,
                           [], "amy", clock() - timedelta(days=50))
    second = intake.receive(scripted_delivery("visit-2"))
    [again] = intake.process([second.inbox_id])
    text = desk.callers.returning_text(again.call.callback_number, before_call_row_id=again.call.id)
    assert text == "Returning caller, last visit 10/14/2026"
    assert desk.callers.returning_text("+19995550000") is None
    assert desk.callers.history(None) is None


@pytest.mark.parametrize("intent", ["cancel", "reschedule"])
def test_a_cancel_or_reschedule_call_cannot_be_approved_as_a_new_booking(intake, store, profile, bus, clock, intent):
    desk = make_desk(store, profile, bus, [], clock=clock, intake=intake)
    answer = intake.receive(scripted_delivery(f"{intent}-1", intent=intent))
    [applied] = intake.process([answer.inbox_id])
    p = applied.call.proposal
    assert applied.call.intent.value == intent
    refusal = desk.bookings.approval_refusal(p.id)
    assert refusal and f"asked to {intent}" in refusal
    with pytest.raises(UserError, match=f"asked to {intent}"):
        desk.bookings.approve(p.id, p.version)
    assert store.appointments.between() == []
    book = intake.receive(scripted_delivery("book-1"))
    [ok] = intake.process([book.inbox_id])
    assert desk.bookings.approval_refusal(ok.call.proposal.id) is None


def test_a_saved_delivery_is_replayed_through_the_same_path(intake, store, profile, bus):
    desk = make_desk(store, profile, bus, [], intake=intake)
    d = scripted_delivery("from-file")
    answer, record = desk.intake.ingest_file("scripted", d.body)  # trusted: no headers given
    assert answer.status == 200 and record.state is InboxState.DONE and record.call_row_id
    answer, record = desk.intake.ingest_file("scripted", scripted_delivery("file-2").body, {"X-Scripted-Secret": "no"})
    assert answer.status == 401 and record is None  # headers given: the signature is checked
    with pytest.raises(UserError, match="unknown platform"):
        desk.intake.ingest_file("nosuch", b"{}")
