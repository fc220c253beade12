"""Initial pull of N events per calendar through the sync engine, vs the bare client library in the same run.

Both stand-ins (``receptionist_sandbox``) answer from a child process (``bench/stand_ins.py``: in this process they
would compete with the client for the GIL) and are seeded directly with N timed events spread over the sync window.
Then, alternating (the order flips every run), for each calendar:

* **engine**: ``SyncEngine.pull_calendar`` into a fresh SQLite store (file, WAL) — the provider adapter's paging
  and parsing, the store's bulk upsert of the remote cache, the cursor and health rows;
* **bare**: the client library alone fetching the same listing (Google: googleapiclient ``events().list`` with
  ``singleEvents=True, showDeleted=True`` over the window, following ``nextPageToken``; Graph: ``requests`` with
  one msal token following ``calendarView/delta`` ``@odata.nextLink`` to the ``@odata.deltaLink``), at the
  service's largest page (Google ``maxResults=2500``, Graph ``Prefer: odata.maxpagesize=1000``) and decoding the
  JSON, nothing else.

Printed per calendar: median wall time of each, the ratio of the medians (goal ≤ 1.5×) and the spread of the
per-run ratios (each run's engine against the bare pull next to it), the client's CPU time (``time.process_time``
of this process, every thread: the stand-ins are in the child; the engine reads the next page on a worker thread), the
requests each made (from the stand-ins' request logs), the keyring
reads the engine's pull made, and the load average before and after.

    PYTHONPATH=. .venv/bin/python bench/initial_pull.py --events 10000 --runs 5
"""

from __future__ import annotations

import argparse
import os
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import google_auth_httplib2  # noqa: E402
import httplib2  # noqa: E402
import requests  # noqa: E402
from google.oauth2.credentials import Credentials  # noqa: E402
from googleapiclient.discovery import build  # noqa: E402

from receptionist.app import calendar_targets, enabled_calendars  # noqa: E402
from receptionist.providers.microsoft_auth import outlook_token_source  # noqa: E402
from receptionist.store.db import make_engine, upgrade  # noqa: E402
from receptionist.store import Store  # noqa: E402
from receptionist.sync.engine import CycleReport, SyncEngine  # noqa: E402
from bench.stand_ins import StandIns  # noqa: E402

GOOGLE_MAX_PAGE = 2500
GRAPH_MAX_PAGE = 1000
ZONE = "America/Chicago"


class CountingSecrets:
    """The product's secret store, counting reads (each is a keyring round trip on a real desktop)."""

    def __init__(self, inner):
        self.inner, self.reads = inner, Counter()

    def get(self, key):
        self.reads[key] += 1
        return self.inner.get(key)

    def set(self, key, value):
        return self.inner.set(key, value)

    def delete(self, key):
        return self.inner.delete(key)


def seed(stand_ins: StandIns, n: int, start: datetime, end: datetime) -> None:
    span = (end - start).total_seconds() - 3600
    google, outlook = [], []
    for i in range(n):
        at = start + timedelta(seconds=span * i / n)
        at = at.replace(second=0, microsecond=0)
        stop = at + timedelta(minutes=30 + 15 * (i % 4))
        title = f"Busy block {i} — {['Dr. Patel', 'Dr. Okafor', 'Dr. Kim'][i % 3]}"
        google.append({
            "summary": title, "description": f"seeded event {i}", "location": "Room 2",
            "start": {"dateTime": at.isoformat(), "timeZone": ZONE},
            "end": {"dateTime": stop.isoformat(), "timeZone": ZONE}})
        outlook.append({
            "subject": title, "body": {"contentType": "text", "content": f"seeded event {i}"},
            "location": {"displayName": "Room 2"},
            "start": {"dateTime": at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(), "timeZone": "UTC"},
            "end": {"dateTime": stop.astimezone(timezone.utc).replace(tzinfo=None).isoformat(), "timeZone": "UTC"},
            "showAs": "busy"})
    for first in range(0, n, 1000):
        stand_ins.ask("seed", "google", google[first:first + 1000])
        stand_ins.ask("seed", "outlook", outlook[first:first + 1000])


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def bare_google(profile, secrets, window) -> tuple[int, int]:
    """googleapiclient alone: the same listing at maxResults=2500. Returns (events, pages)."""
    creds = Credentials(token=None, refresh_token=secrets.get("google.refresh_token"),
                        token_uri=profile.google.token_uri, client_id=profile.google.client_id,
                        client_secret=secrets.get("google.client_secret"))
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=30))
    service = build("calendar", "v3", http=http, static_discovery=True, cache_discovery=False,
                    client_options={"api_endpoint": profile.google.api_endpoint})
    events = pages = 0
    token = None
    while True:
        data = service.events().list(calendarId="primary", timeMin=rfc3339(window[0]), timeMax=rfc3339(window[1]),
                                     singleEvents=True, showDeleted=True, maxResults=GOOGLE_MAX_PAGE,
                                     pageToken=token).execute(num_retries=0)
        pages += 1
        events += len(data.get("items", []))
        token = data.get("nextPageToken")
        if not token:
            return events, pages


def bare_graph(profile, secrets, window) -> tuple[int, int]:
    """requests alone with one msal access token: calendarView/delta at odata.maxpagesize=1000."""
    token = outlook_token_source(profile.outlook, secrets).access_token()
    session = requests.Session()
    session.trust_env = False
    session.verify = profile.outlook.ca_bundle
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
               "Prefer": f'outlook.timezone="UTC", outlook.body-content-type="text", '
                         f"odata.maxpagesize={GRAPH_MAX_PAGE}"}
    url = profile.outlook.graph_endpoint.rstrip("/") + "/me/calendar/calendarView/delta"
    params = {"startDateTime": rfc3339(window[0]), "endDateTime": rfc3339(window[1])}
    events = pages = 0
    while True:
        page = session.get(url, params=params, headers=headers, timeout=30).json()
        pages += 1
        events += len(page.get("value", []))
        url, params = page.get("@odata.nextLink"), None
        if not url:
            assert page.get("@odata.deltaLink")
            return events, pages


def engine_for(profile, secrets, key: str, tmp: Path, run: int) -> tuple[SyncEngine, CountingSecrets]:
    """A fresh store (migrated) and engine with the product's providers, built outside the timed part."""
    counting = CountingSecrets(secrets)
    name = key.split(":")[0]
    db = make_engine(f"sqlite:///{tmp / f'pull-{name}-{run}.db'}")
    upgrade(db)
    targets, problems = calendar_targets(profile, counting)
    assert not problems, problems
    return SyncEngine(Store(db), profile, targets, calendars=enabled_calendars(profile)), counting


def engine_pull(engine: SyncEngine, key: str) -> int:
    report = CycleReport()
    engine.pull_calendar(engine.targets[key], report)
    if report.pull_errors:
        raise SystemExit(f"pull failed: {report.pull_errors}")
    return report.pulled[key]


def timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000, help="events seeded per calendar")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile-engine", metavar="FILE", help="cProfile one engine pull of each calendar")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with StandIns(time_zone=ZONE) as stand_ins, tempfile.TemporaryDirectory(prefix="bench-pull-") as tmpdir:
        tmp = Path(tmpdir)
        profile, secrets = stand_ins.profile, stand_ins.secrets
        probe = SyncEngine(Store(make_engine("sqlite://")), profile, [])
        window = probe.window()
        t0 = time.perf_counter()
        seed(stand_ins, args.events, window[0], window[1])
        print(f"seeded {args.events} events on each calendar over {window[0]:%Y-%m-%d} .. {window[1]:%Y-%m-%d} "
              f"in {time.perf_counter() - t0:.1f} s")
        keys = {"google": f"google:{profile.google.calendar_id}",
                "outlook": f"outlook:{profile.outlook.calendar_id or 'default'}"}
        bare = {"google": bare_google, "outlook": bare_graph}
        results = {k: {"engine": [], "bare": [], "engine_cpu": [], "bare_cpu": []} for k in keys}
        info: dict[str, dict] = {k: {} for k in keys}
        print(f"load average before: {os.getloadavg()}")
        for run in range(args.runs):
            for name, key in keys.items():
                order = ("engine", "bare") if run % 2 == 0 else ("bare", "engine")
                for which in order:
                    if which == "engine":
                        engine, counting = engine_for(profile, secrets, key, tmp, run)
                        counting.reads.clear()
                        stand_ins.requests()
                        wall, cpu, pulled = timed(engine_pull, engine, key)
                        engine.store.engine.dispose()
                        info[name]["engine_events"] = pulled
                        info[name]["keyring_reads"] = sum(counting.reads.values())
                    else:
                        stand_ins.requests()
                        wall, cpu, (events, pages) = timed(bare[name], profile, secrets, window)
                        info[name]["bare_events"] = events
                    reqs = Counter(f"{m} {p.split('/')[-1]}" for m, p in stand_ins.requests()[name])
                    info[name][f"{which}_requests"] = dict(reqs)
                    results[name][which].append(wall)
                    results[name][f"{which}_cpu"].append(cpu)
                    print(f"  run {run + 1} {name:7} {which:6} {wall:6.2f} s wall, {cpu:6.2f} s client CPU")
        print(f"load average after: {os.getloadavg()}")
        if args.profile_engine:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            for name, key in keys.items():
                engine, _ = engine_for(profile, secrets, key, tmp, 99)
                prof.enable()
                engine_pull(engine, key)
                prof.disable()
            prof.dump_stats(args.profile_engine)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)

        print()
        print(f"initial pull, {args.events} events per calendar, median of {args.runs} runs (same run, alternating; "
              "[min-max] of the per-run ratios, each run's engine against the bare pull next to it):")
        for name in keys:
            r, i = results[name], info[name]
            e, b = statistics.median(r["engine"]), statistics.median(r["bare"])
            ec, bc = statistics.median(r["engine_cpu"]), statistics.median(r["bare_cpu"])
            ratios = [x / y for x, y in zip(r["engine"], r["bare"])]
            print(f"  {name:7} engine {e:6.2f} s vs bare client {b:6.2f} s = {e / b:4.2f}x wall "
                  f"[{min(ratios):.2f}-{max(ratios):.2f}] (client CPU {ec:5.2f} s vs {bc:5.2f} s = {ec / bc:4.2f}x); "
                  f"events {i['engine_events']} vs {i['bare_events']}")
            print(f"          engine requests {i['engine_requests']}; bare requests {i['bare_requests']}; "
                  f"keyring reads during the engine's pull {i['keyring_reads']}")


if __name__ == "__main__":
    main()
