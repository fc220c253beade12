"""The Health tab's read (``desk.watch.report()``), the alert job (``desk.watch.evaluate()``) and the alerts alone
(``desk.watch.alerts()``: what a window reads on news of another desk's write) on a busy desk vs a quiet one, same
run, against the pills' read (``desk.health.snapshot()``) as the baseline. The outbox holds a week of texts (a
tenth of the writes; one in 50 given up) for Twilio's numbers.

Two SQLite databases are filled (not timed) by bulk inserts: four weeks of deliveries from one AI platform
(``--per-hour`` an hour in business hours on weekdays; the quiet desk 1 an hour) and a week of write outcomes on two
calendars (``--writes`` a day; the quiet desk 20). Then, alternating between them, each read ``--runs`` times:
median milliseconds. The report reads every delivery of four weeks and every outcome of seven days (the
arithmetic is in Python, ``domain/reliability.py``), so its cost grows with them; the goal is that a busy desk's
minute job stays far under its minute.

    PYTHONPATH=. .venv/bin/python bench/health_report.py [--per-hour 30 --writes 2000 --runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from receptionist import events  # noqa: E402
from receptionist.config import Profile  # noqa: E402
from receptionist.store import Store  # noqa: E402
from receptionist.store import tables as t  # noqa: E402
from receptionist.store.db import make_engine, upgrade  # noqa: E402
from tests.helpers.desk import make_desk  # noqa: E402

CALENDARS = {"google:primary": "Google Calendar", "outlook:default": "Outlook"}
NOW = datetime(2026, 11, 23, 19, 0, tzinfo=timezone.utc)


def fill(store: Store, per_hour: int, writes_a_day: int, zone: ZoneInfo) -> tuple[int, int]:
    deliveries, day = [], (NOW - timedelta(weeks=4, days=1)).astimezone(zone).date()
    while day <= NOW.astimezone(zone).date():
        if day.weekday() < 5:
            for hour in range(9, 17):
                for i in range(per_hour):
                    at = datetime(day.year, day.month, day.day, hour, i * 60 // per_hour, tzinfo=zone)
                    if at < NOW:
                        deliveries.append(at.astimezone(timezone.utc))
        day += timedelta(days=1)
    outcomes = [(cal, NOW - timedelta(days=7) * (i / (writes_a_day * 7)), i % 97 != 0)
                for cal in CALENDARS for i in range(writes_a_day * 7)]
    with store.session() as s:
        s.execute(insert(t.InboxDelivery), [
            {"platform": "vapi", "dedupe_key": f"d{i}", "source": "webhook", "received_at": at, "url": "/",
             "headers": {}, "body": b"{}", "state": "done", "attempts": 1} for i, at in enumerate(deliveries)])
        s.execute(insert(t.WriteOutcome), [
            {"calendar": cal, "appointment_id": f"a{i}", "owed_at": at - timedelta(seconds=30), "settled_at": at,
             "delay_seconds": 30.0,
             "ok": ok} for i, (cal, at, ok) in enumerate(outcomes)])
        s.execute(insert(t.OutboxMessage), [
            {"topic": "sms.confirmation", "payload": {}, "created_at": at, "available_at": at, "attempts": 1,
             "done_at": at, "provider_id": None if i % 50 == 0 else f"SM{i}"}
            for i, (_cal, at, _ok) in enumerate(outcomes[::10])])
        s.commit()
    return len(deliveries), len(outcomes)


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-hour", type=int, default=30)
    ap.add_argument("--writes", type=int, default=2000, help="write outcomes a day per calendar (busy desk)")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    profile = Profile.from_dict({"ingest": {"platform": "vapi"}})
    zone = profile.location.zone
    desks = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, per_hour, writes in (("busy", args.per_hour, args.writes), ("quiet", 1, 20)):
            engine = make_engine(f"sqlite:///{Path(tmp) / name}.db")
            upgrade(engine)
            store = Store(engine)
            sizes = fill(store, per_hour, writes, zone)
            desks[name] = (make_desk(store, profile, events.EventBus(), CALENDARS, clock=lambda: NOW), sizes, engine)
        results: dict[str, dict[str, list[float]]] = {n: {"snapshot": [], "report": [], "evaluate": [], "alerts": []}
                                                      for n in desks}
        for _ in range(3):  # alternate the desks, each read `runs` times a round
            for name, (desk, _sizes, _e) in desks.items():
                results[name]["snapshot"].append(median_ms(desk.health.snapshot, args.runs))
                results[name]["report"].append(median_ms(desk.watch.report, args.runs))
                results[name]["evaluate"].append(median_ms(desk.watch.evaluate, args.runs))
                results[name]["alerts"].append(median_ms(desk.watch.alerts, args.runs))
        for name, (desk, (deliveries, outcomes), engine) in desks.items():
            r = {k: statistics.median(v) for k, v in results[name].items()}
            print(f"{name}: {deliveries} deliveries over 4 weeks, {outcomes} write outcomes over 7 days — "
                  f"pills' snapshot {r['snapshot']:.1f} ms, health report {r['report']:.1f} ms "
                  f"({r['report'] / r['snapshot']:.1f}× the snapshot), alert job {r['evaluate']:.1f} ms, "
                  f"alerts alone {r['alerts']:.1f} ms ({r['report'] / r['alerts']:.0f}× cheaper than the report)")
            engine.dispose()
        busy, quiet = (statistics.median(results[n]["report"]) for n in ("busy", "quiet"))
        print(f"report busy / quiet: {busy / quiet:.1f}×")


if __name__ == "__main__":
    main()
