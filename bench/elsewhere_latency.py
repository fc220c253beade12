"""An approval made in another process (a second desk, `receptionist proposals approve ID`, a script) → on both
calendars, and → seen as Synced by a second desk that has the window open: latency p50/p95/max, against the
Google and Graph stand-ins.

* **the desks**: a sync leader (``App.build`` + ``start()``: its scheduler at the profile's
  ``sync.interval_seconds``, 30 s, and its change watcher) and a second desk (the same, not the leader), both on
  one database (a SQLite file, or ``--db`` a PostgreSQL URL).
* **the other process**: a child Python process with its own engine commits each approval as
  ``store.proposals.approve`` leaves it (the appointment and a Pending link per calendar, one transaction) and
  prints the wall time (``time.time()``) just after its commit.
* **calendars**: until the leader's bus has announced both links Synced (the writes are done).
* **window**: the second desk "shows" the appointment as a window does: on each news item of its bus
  (``CHANGED_ELSEWHERE``, what the window re-reads on) a worker thread reads the appointment's links, as the
  window's ``QueryRunner`` does; done when that read shows both Synced.
* **baselines, same run**: the bare push (one Google insert + one Graph POST with the client libraries alone, as
  ``drain.py``'s bare clients) for the irreducible cost; and ``--tick-samples`` approvals with both desks'
  change watchers stopped (the old behaviour: the leader's next 30 s tick; the second desk hears nothing).

    PYTHONPATH=. .venv/bin/python bench/elsewhere_latency.py --samples 40 [--tick-samples 3] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from drain import ZONE, bare_google, bare_graph  # noqa: E402

from receptionist import events  # noqa: E402
from receptionist.app import App  # noqa: E402
from receptionist.domain.models import SyncState  # noqa: E402
from receptionist.providers.secrets import memory_secret_store  # noqa: E402
from receptionist_sandbox.stack import SandboxStack  # noqa: E402

CHILD = r"""
import json, sys, time, uuid
from datetime import datetime, timedelta, timezone
from sqlalchemy import insert
from receptionist.store import Store, tables as t
from receptionist.store.db import make_engine
from receptionist.domain.models import AppointmentStatus, SyncState

store = Store(make_engine(sys.argv[1]))
calendars = sys.argv[2].split(",")
day0 = (datetime.now(timezone.utc) + timedelta(days=2)).replace(hour=14, minute=0, second=0, microsecond=0)
for i, line in enumerate(sys.stdin):
    now = datetime.now(timezone.utc)
    start = day0 + timedelta(days=i // 16, minutes=30 * (i % 16))
    appt_id = uuid.uuid4().hex
    with store.session() as s:
        s.execute(insert(t.Appointment), [dict(
            id=appt_id, caller_name=f"Caller {i}", callback_number="+13125550142", account_id=None,
            service="Teeth cleaning", start_at=start, end_at=start + timedelta(minutes=30), notes="Booked by phone.",
            status=AppointmentStatus.CONFIRMED.value, call_id=f"elsewhere-{i}", created_at=now, updated_at=now,
            version=1)])
        s.execute(insert(t.CalendarLink), [dict(appointment_id=appt_id, calendar=cal, state=SyncState.PENDING.value,
                                                attempts=0, generation=0, updated_at=now) for cal in calendars])
        s.commit()
    print(json.dumps({"id": appt_id, "committed": time.time()}), flush=True)
"""


class Sample:
    def __init__(self, appointment_id: str, committed: float):
        self.id, self.committed = appointment_id, committed
        self.calendars: float | None = None
        self.window: float | None = None
        self.done = threading.Event()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


def run(samples: int, leader: App, desk2: App, child, timeout: float, rng: random.Random, *,
        watching: bool = True) -> list[Sample]:
    """Without ``watching`` a sample ends 5 s after its calendars (whether the second desk heard is then known)."""
    out: list[Sample] = []
    current: dict[str, Sample] = {}
    synced: dict[str, set[str]] = {}
    read_wanted = threading.Event()
    stop = threading.Event()

    def on_leader(event) -> None:
        sample = current.get("s")
        if (event.topic == events.LINK_CHANGED and sample is not None and event.data.get("appointment_id") ==
                sample.id and event.data.get("state") == SyncState.SYNCED.value):
            synced.setdefault(sample.id, set()).add(event.data["calendar"])
            if len(synced[sample.id]) == len(leader.sync_engine.calendars) and sample.calendars is None:
                sample.calendars = time.time()
                if not watching:
                    threading.Timer(5.0, sample.done.set).start()

    def on_desk2(event) -> None:
        if event.topic == events.CHANGED_ELSEWHERE:
            read_wanted.set()

    def window_reader() -> None:  # the second desk's QueryRunner: reads what the news says to re-read
        while not stop.is_set():
            if not read_wanted.wait(0.2):
                continue
            read_wanted.clear()
            sample = current.get("s")
            if sample is None or sample.window is not None:
                continue
            appt = desk2.store.appointments.get(sample.id)
            if appt is not None and len(appt.links) == len(desk2.sync_engine.calendars) and all(
                    link.state is SyncState.SYNCED for link in appt.links):
                sample.window = time.time()
                sample.done.set()

    unsubscribe = [leader.bus.subscribe(on_leader), desk2.bus.subscribe(on_desk2)]
    reader = threading.Thread(target=window_reader, daemon=True)
    reader.start()
    try:
        for _ in range(samples):
            child.stdin.write("approve\n")
            child.stdin.flush()
            said = json.loads(child.stdout.readline())
            sample = Sample(said["id"], said["committed"])
            current["s"] = sample
            if not sample.done.wait(timeout):
                print(f"  sample {len(out) + 1}: not seen within {timeout:g} s "
                      f"(calendars {'yes' if sample.calendars else 'no'})")
            out.append(sample)
            current.pop("s", None)
            time.sleep(rng.uniform(0.5, 2.0))  # approvals at uneven times, not in step with the watchers' polls
    finally:
        stop.set()
        reader.join()
        for u in unsubscribe:
            u()
    return out


def describe(name: str, samples: list[Sample], attr: str, timeout: float) -> str:
    got = [getattr(s, attr) - s.committed for s in samples if getattr(s, attr) is not None]
    missing = len(samples) - len(got)
    if not got:
        return f"  {name:10} none within {timeout:g} s ({missing} of {len(samples)})"
    return (f"  {name:10} p50 {statistics.median(got):.2f} s   p95 {pct(got, 0.95):.2f} s   max {max(got):.2f} s"
            + (f"   ({missing} of {len(samples)} not within {timeout:g} s)" if missing else ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--tick-samples", type=int, default=3, help="approvals with the change watchers stopped")
    parser.add_argument("--db", help="a PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--timeout", type=float, default=45.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    rng = random.Random(args.seed)

    with SandboxStack(time_zone=ZONE) as stack, tempfile.TemporaryDirectory(prefix="bench-elsewhere-") as tmp:
        profile = stack.profile(ingest_port=0)
        secrets = memory_secret_store("bench-elsewhere")
        stack.provision(profile, secrets)
        url = args.db or f"sqlite:///{Path(tmp) / 'desks.db'}"
        leader = App.build(profile, url, secrets, with_receiver=False)
        leader.scheduler.reconcile_minutes = None
        leader.start()
        deadline = time.monotonic() + 60
        while leader.scheduler.last_report is None and time.monotonic() < deadline:
            time.sleep(0.05)
        desk2 = App.build(profile, url, secrets, with_receiver=False)
        desk2.scheduler.reconcile_minutes = None
        desk2.start()
        assert leader.scheduler.is_leader and not desk2.scheduler.is_leader
        child = subprocess.Popen([sys.executable, "-c", CHILD, url, ",".join(leader.sync_engine.calendars)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                 env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
        try:
            print(f"{args.samples} approvals in another process, on {url.split(':', 1)[0]}; "
                  f"sync.interval_seconds = {profile.sync.interval_seconds:g}")
            woken = run(args.samples, leader, desk2, child, args.timeout, rng)
            tick: list[Sample] = []
            if args.tick_samples:
                leader.watcher.stop()
                desk2.watcher.stop()
                tick = run(args.tick_samples, leader, desk2, child, args.timeout, rng, watching=False)
        finally:
            child.stdin.close()
            child.wait(10)
            desk2.stop()
            leader.stop()
        t0 = time.perf_counter()
        bare_google(profile, secrets, args.samples)
        bare_graph(stack, profile, secrets, args.samples)
        bare = (time.perf_counter() - t0) / args.samples

    print(f"commit in the other process → (wall time; {args.samples} approvals one at a time, 0.5-2 s apart)")
    print("with the change watchers (LISTEN/NOTIFY, or SQLite's data_version every 0.5 s):")
    print(describe("calendars", woken, "calendars", args.timeout))
    print(describe("window", woken, "window", args.timeout))
    if tick:
        print(f"baseline, watchers stopped (the leader's {profile.sync.interval_seconds:g} s tick; "
              f"{len(tick)} approvals):")
        print(describe("calendars", tick, "calendars", args.timeout))
        print(describe("window", tick, "window", args.timeout))
    print(f"baseline, the bare push (one Google insert + one Graph POST, client libraries alone): "
          f"{bare * 1000:.0f} ms per appointment")


if __name__ == "__main__":
    main()
