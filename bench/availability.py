"""Availability: ``Schedule.free_slots`` over 60 days with 5,000 busy blocks, and the AI agent's tool endpoint at a
fixed rate, each beside a baseline measured in the same run.

1. ``free_slots`` (median wall and thread CPU of ``--runs``, in ``--rounds`` rounds, each with the load average): the
   rule over one read of busy time (index built + every start of 60 days checked) with the blocks in the order the
   store reads them (by start) and shuffled, vs the same days with no busy time (the cost of the hours and the grid
   alone), vs a naive search that scans every busy block for every start (what a per-slot overlap check costs);
   ``--against REF`` adds the same read through ``receptionist/domain/schedule.py`` as it is at the git revision
   REF (loaded beside the current one), alternated in the same runs: the previous code under the same load.
2. The tool endpoint: signed Vapi ``check_availability`` calls (a random day of the next 60, a new call id each, so
   each one also writes its holds) posted open loop at ``--rate`` calls/s for ``--seconds`` against a desk whose
   database holds 5,000 busy events over the 60 days, vs ``GET /healthz`` on the same server, interleaved in the
   same seconds (the HTTP floor). p50/p95/max of the answer time.

``PYTHONPATH=. .venv/bin/python bench/availability.py [--runs 15] [--rounds 3] [--rate 10] [--seconds 30]
[--against REF] [--no-endpoint]``
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "receptionist.providers.secrets.MemoryKeyring")

import requests  # noqa: E402

from receptionist.app import App, OutsideWorld  # noqa: E402
from receptionist.config import Profile  # noqa: E402
from receptionist.domain.models import BusyBlock, ExternalEventRecord  # noqa: E402
from receptionist.domain.schedule import BookingRules, Schedule, ServiceRule  # noqa: E402
from receptionist.ingest.platforms import ADAPTERS  # noqa: E402
from receptionist.providers.secrets import memory_secret_store  # noqa: E402
from receptionist.store import Store  # noqa: E402
from receptionist.store.db import make_engine, upgrade  # noqa: E402
from receptionist_sandbox.voice_platforms import sign, tool_request  # noqa: E402
from tests.helpers.bulk import insert_external_events  # noqa: E402

ZONE = ZoneInfo("America/Chicago")
UTC = timezone.utc


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def busy_blocks(start: datetime, days: int, n: int, seed: int = 5) -> list[BusyBlock]:
    rng = random.Random(seed)
    blocks = []
    for i in range(n):
        at = start + timedelta(minutes=15 * rng.randrange(days * 96))
        blocks.append(BusyBlock(at, at + timedelta(minutes=15 * rng.randint(1, 8)), "google:primary", f"busy {i}"))
    return blocks


def naive_free_slots(rules: BookingRules, busy: list[BusyBlock], service: ServiceRule, start: datetime,
                     end: datetime) -> list[datetime]:
    """The baseline: the grid of each day's hours, each start (and its buffers) checked against every busy block;
    the same rules as the run's (no appointments of ours, so no cap is met)."""
    out, length, step = [], timedelta(minutes=service.duration_minutes), timedelta(minutes=rules.step_minutes)
    before, after = timedelta(minutes=service.buffer_before), timedelta(minutes=service.buffer_after)
    day = start.astimezone(ZONE).date()
    while datetime.combine(day, datetime.min.time(), ZONE) < end:
        for opens, closes in rules.hours.days[day.weekday()]:
            at = datetime.combine(day, datetime.min.time(), ZONE) + timedelta(minutes=opens)
            close = datetime.combine(day, datetime.min.time(), ZONE) + timedelta(minutes=closes)
            while at + length <= close:
                if start <= at < end and not any(b.start < at + length + after and at - before < b.end for b in busy):
                    out.append(at)
                at += step
        day += timedelta(days=1)
    return out


def schedule_at(ref: str):
    """``receptionist/domain/schedule.py`` as it is at git revision ``ref``, loaded as a module of its own."""
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(["git", "show", f"{ref}:receptionist/domain/schedule.py"], cwd=root, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "schedule_then.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("schedule_then", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["schedule_then"] = module
    spec.loader.exec_module(module)
    return module


def the_rules(module) -> tuple[BookingRules, ServiceRule]:
    rules = module.BookingRules(ZONE, module.WeeklyHours.of(
        {d: ["08:00-12:00", "13:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": ["09:00-13:00"]}),
        buffer_after=10, max_per_day=30)
    return rules, module.ServiceRule("Cleaning", 30, 0, 10)


def bench_free_slots(runs: int, blocks: int, rounds: int, against: str | None = None) -> None:
    now = datetime(2026, 12, 7, 14, tzinfo=UTC)
    rules, service = the_rules(sys.modules[Schedule.__module__])
    start, end = now, now + timedelta(days=60)
    shuffled = busy_blocks(start, 60, blocks)
    ordered = sorted(shuffled, key=lambda b: b.start)  # as the store reads them (ORDER BY start)
    cases = {f"free_slots, {blocks:,} busy": lambda: Schedule(rules, ordered, now).free_slots(service, start, end),
             "  same, blocks shuffled": lambda: Schedule(rules, shuffled, now).free_slots(service, start, end),
             "free_slots, no busy": lambda: Schedule(rules, [], now).free_slots(service, start, end)}
    if against:
        then = schedule_at(against)
        then_rules, then_service = the_rules(then)
        cases |= {f"  {against}, {blocks:,} busy":
                  lambda: then.Schedule(then_rules, ordered, now).free_slots(then_service, start, end),
                  f"  {against}, no busy": lambda: then.Schedule(then_rules, [], now).free_slots(then_service, start, end)}
    cases["naive scan"] = lambda: naive_free_slots(rules, ordered, service, start, end)
    print(f"free_slots over 60 days, {blocks} busy blocks, 30-min service on a 15-min grid, 10-min buffer after "
          f"(index built + every start checked, per run); median wall and thread CPU of {runs} runs per round, "
          "cases alternated:")
    for round_ in range(1, rounds + 1):
        wall: dict[str, list[float]] = {name: [] for name in cases}
        cpu: dict[str, list[float]] = {name: [] for name in cases}
        found = {}
        load = os.getloadavg()[0]
        for run in range(runs):
            for name, work in cases.items():
                if name == "naive scan" and (round_ > 1 or run >= 3):
                    continue  # seconds each: three in the first round are enough for a median
                began, began_cpu = time.perf_counter(), time.thread_time()
                found[name] = len(work())
                cpu[name].append((time.thread_time() - began_cpu) * 1000)
                wall[name].append((time.perf_counter() - began) * 1000)
        print(f" round {round_} (load average {load:.1f} → {os.getloadavg()[0]:.1f}):")
        for name in cases:
            if wall[name]:
                print(f"  {name:<28} median {statistics.median(wall[name]):9.2f} ms wall "
                      f"{statistics.median(cpu[name]):9.2f} ms CPU  (runs {len(wall[name])}, slots {found[name]})")


def bench_endpoint(rate: float, seconds: float, blocks: int) -> None:
    folder = tempfile.mkdtemp()
    engine = make_engine(f"sqlite:///{folder}/bench.db")
    upgrade(engine)
    store = Store(engine)
    now = datetime.now(UTC)
    insert_external_events(store, (ExternalEventRecord("google:primary", f"ev{i}", b.title, b.start, b.end, True,
                                                       False, None)
                                   for i, b in enumerate(busy_blocks(now, 60, blocks))), now)
    secret = "bench-vapi"
    world = OutsideWorld(targets=[], problems={}, secret_for={ADAPTERS["vapi"].secret_key: secret}.get)
    profile = Profile.from_dict({"ingest": {"port": 0}, "availability": {"horizon_days": 61, "buffer_after_minutes": 10}})
    app = App.assemble(profile, store, memory_secret_store("bench"), world).start(sync=False)
    url, health = app.receiver.tools_url_for("vapi"), app.receiver.base_url + "/healthz"
    rng = random.Random(9)
    tool_ms: list[float] = []
    health_ms: list[float] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        session = requests.Session()
        if i % 2:
            began = time.perf_counter()
            r = session.get(health, timeout=30)
            spent = (time.perf_counter() - began) * 1000
            with lock:
                health_ms.append(spent)
            assert r.status_code == 200
            return
        day = (now + timedelta(days=rng.randrange(1, 60))).astimezone(ZONE).date().isoformat()
        body = tool_request("vapi", f"bench-{i}", "check_availability", {"service": "Cleaning", "date": day})
        began = time.perf_counter()
        r = session.post(url, data=body, headers=sign("vapi", secret, body), timeout=30)
        spent = (time.perf_counter() - began) * 1000
        with lock:
            tool_ms.append(spent)
        assert r.status_code == 200 and "results" in r.json(), r.text

    threads = []
    interval = 1 / (2 * rate)  # the tool calls at ``rate``, and as many health checks between them
    began = time.monotonic()
    for i in range(int(2 * rate * seconds)):
        delay = began + i * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        th = threading.Thread(target=one, args=(i,))
        th.start()
        threads.append(th)
    for th in threads:
        th.join()
    app.stop()
    print(f"tool endpoint, open loop {rate:g} check_availability calls/s for {seconds:g} s, {blocks} busy events "
          "over 60 days in SQLite:")
    for name, values in (("check_availability", tool_ms), ("GET /healthz (floor)", health_ms)):
        print(f"  {name:<22} n {len(values):4d}  p50 {pct(values, 50):7.1f} ms  p95 {pct(values, 95):7.1f} ms  "
              f"max {max(values):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--blocks", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--against", help="a git revision: its free_slots measured beside the current one")
    parser.add_argument("--no-endpoint", action="store_true", help="free_slots only")
    args = parser.parse_args()
    bench_free_slots(args.runs, args.blocks, args.rounds, args.against)
    if not args.no_endpoint:
        bench_endpoint(args.rate, args.seconds, args.blocks)


if __name__ == "__main__":
    main()
