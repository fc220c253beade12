"""The callback desk's list and the conversion report over a year of calls: 50,000 calls vs 1,000, same run.

Two SQLite databases are filled (not timed) with a year of calls as the intake leaves them (a call and its
proposal, and its callback when it needs a person; approved ones with an appointment, some cancelled, past ones mostly marked attended or no-show; the intents
of a desk's mix: bookings, a booking call without a time, questions, callbacks, urgent calls, cancels,
reschedules) by bulk inserts, and the callbacks due more than a week ago are marked done, as a desk that keeps up
leaves them. Then, alternating between the two databases:

- the callback list: ``desk.callbacks.desk()`` as the Callbacks tab reads it (a read: the first page of 25, by keyset, of
  the open callbacks by due time, the open and overdue counts). Goal: the year of 50,000 within 2× the 1,000. A desk
  of 50,000 calls a year has 50× the callbacks open of one with 1,000 (it lists 200 rows where the other lists a
  few); ``--open N`` leaves N open at both, so the history's cost alone shows;
- the conversion report over the whole year: ``desk.reports.conversion(first day, last day)``, one SQL query over
  the calls alone (each call's funnel leaf, ``store/funnel.py``, worked out after the fill as the migration's
  backfill does) grouped by day, reason and platform. Goal: under a second for 50,000 calls.

    PYTHONPATH=. .venv/bin/python bench/callbacks.py [--calls 50000 --small 1000 --runs 31] [--open 6]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, update  # noqa: E402

from receptionist import events  # noqa: E402
from receptionist.config import Profile  # noqa: E402
from receptionist.domain.callbacks import ai_told, callback_due, callback_need  # noqa: E402
from receptionist.domain.models import Intent  # noqa: E402
from receptionist.services.context import location_rules  # noqa: E402
from receptionist.store import Store, funnel  # noqa: E402
from receptionist.store import tables as t  # noqa: E402
from receptionist.store.db import make_engine, upgrade  # noqa: E402
from receptionist.store.records import issues_of  # noqa: E402
from tests.helpers.desk import make_desk  # noqa: E402

NOW = datetime(2026, 12, 7, 18, 0, tzinfo=timezone.utc)
MIX = [("book", 70), ("book-no-time", 5), ("question", 10), ("callback", 5), ("urgent", 3), ("cancel", 4),
       ("reschedule", 3)]
PLATFORMS = ["vapi", "retell", "elevenlabs", "twilio", "generic"]
CHUNK = 5000


def fill(store: Store, n: int, rng: random.Random) -> None:
    kinds = [k for k, w in MIX for _ in range(w)]
    start = NOW - timedelta(days=365)
    calls, proposals, appts, callbacks = [], [], [], []
    rules = location_rules(Profile())
    for i in range(1, n + 1):
        received = start + timedelta(seconds=rng.uniform(0, 365 * 86400))
        kind = rng.choice(kinds)
        intent = "book" if kind == "book-no-time" else kind
        timed = kind == "book"
        slot = received + timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 8))
        call_id = uuid.uuid4().hex
        issues = [] if kind != "book-no-time" else [{"field": "requested_start", "severity": "error",
                                                      "message": "no time was captured"}]
        calls.append({"id": i, "platform": rng.choice(PLATFORMS), "call_id": call_id, "received_at": received,
                      "occurred_at": received, "caller_name": f"Caller {i}", "callback_number": f"+1312555{i % 10000:04d}",
                      "reason_codes": [intent], "duration_minutes": 30, "summary": f"Caller {i} wants a {intent}.",
                      "transcript": [["agent", "Thanks for calling!"], ["caller", "Hello"]], "custom_fields": {},
                      "issues": issues, "payload": {}, "intent": intent, "raw_fields": {}})
        need = callback_need(Intent(intent), [intent], issues_of(issues))
        if need is not None:  # as the intake makes it with the call
            callbacks.append({"call_row_id": i, "reason": need.reason.value, "urgent": need.urgent,
                              "created_at": received, "due_at": callback_due(received, need.urgent, rules),
                              "told": ai_told(calls[-1]["transcript"]), "version": 1})
        status = "pending"
        appointment = None
        if timed:
            roll = rng.random()
            status = "approved" if roll < 0.75 else "rejected" if roll < 0.9 else "pending"
            if status == "approved":
                appointment = uuid.uuid4().hex
                came = rng.random()  # a past appointment marked at the desk: most came, some did not, a few unmarked
                attendance = None if slot > NOW or came >= 0.95 else "attended" if came < 0.87 else "no-show"
                appts.append({"id": appointment, "caller_name": f"Caller {i}", "service": "Cleaning",
                              "start_at": slot, "end_at": slot + timedelta(minutes=30), "notes": "",
                              "status": "cancelled" if rng.random() < 0.12 else "confirmed", "call_id": call_id,
                              "created_at": received, "updated_at": received, "version": 1,
                              "attendance": attendance})
        proposals.append({"call_row_id": i, "status": status, "start_at": slot if timed else None,
                          "duration_minutes": 30, "notes": "", "issues": issues, "created_at": received,
                          "appointment_id": appointment, "version": 1})
    with store.engine.begin() as conn:
        for table, rows in ((t.Call, calls), (t.Appointment, appts), (t.BookingProposal, proposals),
                           (t.Callback, callbacks)):
            for k in range(0, len(rows), CHUNK):
                conn.execute(insert(table), rows[k:k + CHUNK])
        funnel.refresh(conn)  # where each call ended, as the store keeps it in the transactions that change it


def prepare(n: int, folder: Path, rng: random.Random, keep_open: int | None = None):
    engine = make_engine(f"sqlite:///{folder / f'year-{n}.db'}")
    upgrade(engine)
    store = Store(engine)
    fill(store, n, rng)
    desk = make_desk(store, Profile(), events.EventBus(), {}, clock=lambda: NOW)
    with store.engine.begin() as conn:  # a desk that keeps up: what was due over a week ago is done
        if keep_open is None:
            done = t.Callback.due_at < NOW - timedelta(days=7)
        else:  # the same number open at both desks: what the history alone costs
            latest = select(t.Callback.id).order_by(t.Callback.due_at.desc()).limit(keep_open)
            done = t.Callback.id.not_in(latest)
        conn.execute(update(t.Callback).where(done).values(done_at=NOW, outcome="reached", done_by="bench"))
    return desk


def timed(work, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        out.append((time.perf_counter() - began) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--open", type=int, dest="keep_open",
                        help="leave this many callbacks open at both desks (default: those due in the last week)")
    args = parser.parse_args()
    rng = random.Random(19)
    first, last = (NOW - timedelta(days=365)).date(), NOW.date()
    with tempfile.TemporaryDirectory() as tmp:
        desks = {}
        for n in (args.small, args.calls):
            desk = prepare(n, Path(tmp), rng, args.keep_open)
            open_, late = desk.context.store.callbacks.open_count(NOW)
            print(f"{n:>6} calls: {open_} callbacks open ({late} overdue) after marking the old ones done")
            desks[n] = desk
        results = {n: {"list": [], "report": []} for n in desks}
        for _ in range(args.runs):  # alternate, so both see the same machine
            for n, desk in desks.items():
                results[n]["list"] += timed(lambda: desk.callbacks.desk(), 1)
                results[n]["report"] += timed(lambda: desk.reports.conversion(first, last), 1)
        report = desks[args.calls].reports.conversion(first, last).total
        print(f"year of {args.calls}: {report.calls} calls → {report.proposals} proposals → {report.confirmed} "
              f"confirmed → {report.kept} kept")
        for what in ("list", "report"):
            small, big = (statistics.median(results[n][what]) for n in (args.small, args.calls))
            print(f"{what:<7} median ms: {args.small} calls {small:7.1f}   {args.calls} calls {big:7.1f}   "
                  f"ratio {big / small:4.2f}×   (min {min(results[args.calls][what]):.1f} ms)")


if __name__ == "__main__":
    main()
