"""CalDAV: the initial sync of N events from a real server (Radicale) and an incremental cycle with nothing changed,
through the sync engine vs the bare ``caldav`` library fetching the same, in the same run.

Radicale (``receptionist_sandbox.caldav.RadicaleServer``) is filled with N timed events over the sync window in one
upload (a ``PUT`` of the whole collection, not timed). Then, alternating engine and bare, ``--runs`` times:

* **engine, initial**: ``SyncEngine.pull_calendar`` into a fresh SQLite store — the provider's ``PROPFIND`` for the
  sync token and ``calendar-query`` REPORT over the window, parsing every event with ``icalendar`` (series expanded
  by ``recurring-ical-events``), the store's upsert of the remote cache, the cursor and health rows;
* **engine, quiet**: ``pull_calendar`` again with nothing changed: one ``sync-collection`` REPORT;
* **bare, initial**: ``caldav`` alone: ``Calendar.search(start, end, event=True)`` (one ``calendar-query`` REPORT;
  the library builds its event objects) and each event's ``icalendar_component`` read, so both sides parse the data;
* **bare, quiet**: ``Calendar.get_objects_by_sync_token(token)`` with the token of a first sync, nothing changed.

Printed: median wall time of each, the ratios (goal ≤ 1.5×), the thread's CPU (``time.thread_time``: the client
side; Radicale runs in its own process), and the requests each made (counted on the client).

    PYTHONPATH=. .venv/bin/python bench/caldav_sync.py --events 2000 --runs 3
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import icalendar  # noqa: E402
from caldav import DAVClient  # noqa: E402

from receptionist.app import calendar_targets, enabled_calendars  # noqa: E402
from receptionist.config import Profile  # noqa: E402
from receptionist.providers.secrets import memory_secret_store  # noqa: E402
from receptionist.store import Store  # noqa: E402
from receptionist.store.db import make_engine, upgrade  # noqa: E402
from receptionist.sync.engine import CycleReport, SyncEngine  # noqa: E402
from receptionist_sandbox.caldav import RadicaleServer, make_calendar  # noqa: E402

USER, PASSWORD, NAME = "bench", "bench-password", "Bench"
ZONE = "America/Chicago"


def seed(client: DAVClient, calendar_url: str, n: int, start: datetime, end: datetime) -> None:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//bench//EN")
    cal.add("version", "2.0")
    span = (end - start).total_seconds() - 3600
    for i in range(n):
        at = (start + timedelta(seconds=span * i / n)).replace(second=0, microsecond=0)
        event = icalendar.Event()
        event.add("uid", f"bench-{i}")
        event.add("dtstamp", datetime(2026, 1, 1, tzinfo=timezone.utc))
        event.add("dtstart", at)
        event.add("dtend", at + timedelta(minutes=30 + 15 * (i % 4)))
        event.add("summary", f"Busy block {i} — {['Dr. Patel', 'Dr. Okafor', 'Dr. Kim'][i % 3]}")
        event.add("description", f"seeded event {i}")
        event.add("location", "Room 2")
        cal.add_component(event)
    answer = client.request(calendar_url, "PUT", cal.to_ical().decode(), {"Content-Type": "text/calendar"})
    assert answer.status in (200, 201, 204), answer.status


class Counted:
    """Counts a ``DAVClient``'s requests by method."""

    def __init__(self, client: DAVClient):
        self.calls: list[str] = []
        inner = client.request

        def request(url, method="GET", body="", headers=None, **kw):
            self.calls.append(method)
            return inner(url, method, body, headers, **kw)

        client.request = request  # type: ignore[method-assign]


def timed(fn, *args):
    wall, cpu = time.perf_counter(), time.thread_time()
    out = fn(*args)
    return time.perf_counter() - wall, time.thread_time() - cpu, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with RadicaleServer() as server, tempfile.TemporaryDirectory(prefix="bench-caldav-") as tmpdir:
        tmp = Path(tmpdir)
        calendar_url = make_calendar(server.url, USER, PASSWORD, NAME)
        data = Profile().model_dump()
        data["location"]["time_zone"] = ZONE
        data["caldav"].update(enabled=True, url=server.url, username=USER, calendar_url=calendar_url,
                              calendar_name=NAME, timeout_seconds=600)
        profile = Profile.from_dict(data, source="bench")
        secrets = memory_secret_store("bench-caldav")
        secrets.set("caldav.password", PASSWORD)
        window = SyncEngine(Store(make_engine("sqlite://")), profile, []).window()
        key = f"caldav:{NAME}"
        with DAVClient(server.url, username=USER, password=PASSWORD) as client:
            t0 = time.perf_counter()
            seed(client, calendar_url, args.events, *window)
            print(f"seeded {args.events} events over {window[0]:%Y-%m-%d} .. {window[1]:%Y-%m-%d} in "
                  f"{time.perf_counter() - t0:.1f} s")
            t0 = time.perf_counter()  # Radicale parses and caches every item at its first listing: not timed
            client.calendar(url=calendar_url).search(start=window[0], end=window[1], event=True)
            print(f"Radicale's first listing (its item cache built) took {time.perf_counter() - t0:.1f} s")

        results: dict[str, list[tuple[float, float]]] = {k: [] for k in ("engine", "quiet", "bare", "bare_quiet")}
        requests: dict[str, list[str]] = {}
        pulled = listed = 0
        for run in range(args.runs):
            for which in (("engine", "bare") if run % 2 == 0 else ("bare", "engine")):
                if which == "engine":
                    db = make_engine(f"sqlite:///{tmp / f'pull-{run}.db'}")
                    upgrade(db)
                    targets, problems = calendar_targets(profile, secrets)
                    assert not problems, problems
                    engine = SyncEngine(Store(db), profile, targets, calendars=enabled_calendars(profile))
                    counted = Counted(engine.targets[key].provider._client)
                    for phase in ("engine", "quiet"):
                        report = CycleReport()
                        counted.calls.clear()
                        wall, cpu, _ = timed(engine.pull_calendar, engine.targets[key], report)
                        assert not report.pull_errors, report.pull_errors
                        results[phase].append((wall, cpu))
                        requests[phase] = list(counted.calls)
                        pulled = report.pulled.get(key, 0) if phase == "engine" else pulled
                    engine.targets[key].provider.close()
                    db.dispose()
                else:
                    with DAVClient(calendar_url, username=USER, password=PASSWORD) as client:
                        counted = Counted(client)
                        calendar = client.calendar(url=calendar_url)

                        def bare_initial():
                            found = calendar.search(start=window[0], end=window[1], event=True)
                            return [e.icalendar_component["SUMMARY"] for e in found]

                        wall, cpu, titles = timed(bare_initial)
                        results["bare"].append((wall, cpu))
                        requests["bare"] = list(counted.calls)
                        listed = len(titles)
                        token = calendar.get_objects_by_sync_token(load_objects=False).sync_token
                        counted.calls.clear()
                        wall, cpu, _ = timed(calendar.get_objects_by_sync_token, token, True)
                        results["bare_quiet"].append((wall, cpu))
                        requests["bare_quiet"] = list(counted.calls)

        def med(name: str, i: int) -> float:
            return statistics.median(r[i] for r in results[name])

        print(f"engine pulled {pulled} events, the bare library listed {listed}; {args.runs} runs, medians")
        for label, ours, theirs in (("initial sync", "engine", "bare"), ("nothing changed", "quiet", "bare_quiet")):
            print(f"{label:16s} engine {med(ours, 0) * 1000:8.1f} ms (cpu {med(ours, 1) * 1000:7.1f} ms, "
                  f"requests {requests[ours]})  bare caldav {med(theirs, 0) * 1000:8.1f} ms "
                  f"(cpu {med(theirs, 1) * 1000:7.1f} ms, requests {requests[theirs]})  "
                  f"ratio {med(ours, 0) / med(theirs, 0):.2f}x wall, {med(ours, 1) / med(theirs, 1):.2f}x cpu")


if __name__ == "__main__":
    main()
