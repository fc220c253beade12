"""Reconciliation and a quiet incremental cycle against the sandbox stand-ins, through the real client libraries.

The stand-ins answer from a child process (``bench/stand_ins.py``), so their work does not compete with the client's
for this process's GIL.

1. N appointments (default 1,000) are approved and pushed to both calendars (Google and Outlook stand-ins).
2. ``engine.reconcile()`` (full read of the next 30 days, plus the re-read sample) is timed ``--runs`` times
   (the engine's own timing per calendar, and in all) and its requests counted at the stand-ins, alternating with
   the same window read with the bare client library at the same page size (googleapiclient ``events.list``
   paging, maxResults 2,500, the service built once; ``requests`` on Graph ``calendarView`` with ``$top=1000``
   and ``@odata.nextLink``; and once more with what the product asks of each event, ``$expand`` of the extended
   property naming our events and text bodies, so only the client's own work differs). Printed: medians, the
   ratio of the medians and the spread of the per-run ratios, the load average before and after.
   ``--profile FILE``: one more reconciliation under cProfile.
   ``--pieces N``: N more reconciliations of Outlook alone, each step timed (the listing, then the cache,
   planning, the sample and health reads after it): medians.
3. An incremental cycle with nothing changed: requests per calendar, wall time, and CPU — ``time.process_time``
   (this process) and ``time.thread_time`` (the thread running the cycle: the product's own work).

Run: PYTHONPATH=. .venv/bin/python bench/reconcile.py --appointments 1000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from google.oauth2.credentials import Credentials  # noqa: E402
from googleapiclient.discovery import build  # noqa: E402

from receptionist.app import App  # noqa: E402
from receptionist.domain.bookings import BookingDraft  # noqa: E402
from receptionist.providers.outlook_calendar import EXPAND_UID, PREFER  # noqa: E402
from receptionist.services.context import location_rules  # noqa: E402
from bench.stand_ins import StandIns  # noqa: E402

ZONE = ZoneInfo("America/Chicago")
GOOGLE_MAX_PAGE, GRAPH_MAX_PAGE = 2500, 1000  # the largest pages each service gives, as the product asks for


def slots(n: int, minutes: int) -> list[datetime]:
    out, day = [], datetime.now(ZONE).date() + timedelta(days=1)
    per_day = (9 * 60) // minutes
    while len(out) < n:
        if day.weekday() < 5:
            out += [datetime(day.year, day.month, day.day, 8, 0, tzinfo=ZONE) + timedelta(minutes=minutes * i)
                    for i in range(per_day)]
        day += timedelta(days=1)
    return out[:n]


def approve_many(app: App, n: int) -> None:
    store, profile = app.store, app.profile
    now = datetime.now(timezone.utc)
    from tests.helpers.calls import store_payload
    from tests.helpers.payloads import payload

    for i, start in enumerate(slots(n, 10)):
        body = payload(requested_start=start.replace(tzinfo=None).isoformat(), duration_minutes=10,
                       caller={"name": f"Caller {i}", "callback_number": f"(312) 555-{i % 10000:04d}",
                               "account_id": f"ACC-{i}"})
        call = store_payload(store, body, location_rules(profile), now)
        p = call.proposal
        draft = BookingDraft(p.caller_name, p.callback_number, p.service, p.start, p.duration_minutes, p.notes)
        store.proposals.approve(p.id, draft, p.version, list(app.sync_engine.calendars), "bench", now)


def google_service(profile, secrets):
    """googleapiclient's service, built once (as the product's provider holds one), outside the timed reads."""
    creds = Credentials(token=None, refresh_token=secrets.get("google.refresh_token"),
                        token_uri=profile.google.token_uri, client_id=profile.google.client_id,
                        client_secret=secrets.get("google.client_secret"))
    return build("calendar", "v3", credentials=creds, static_discovery=True, cache_discovery=False,
                 client_options={"api_endpoint": profile.google.api_endpoint})


def bare_google(service, start: datetime, end: datetime) -> tuple[int, int]:
    events = pages = 0
    token = None
    while True:
        data = service.events().list(calendarId="primary", timeMin=start.isoformat(), timeMax=end.isoformat(),
                                     singleEvents=True, maxResults=GOOGLE_MAX_PAGE, pageToken=token).execute()
        pages += 1
        events += len(data.get("items", []))
        token = data.get("nextPageToken")
        if not token:
            return events, pages


def bare_graph(app: App, start: datetime, end: datetime, same_request: bool = False) -> tuple[int, int]:
    """The window through ``requests``; ``same_request``: with what the product asks of each event too (the
    extended property naming our events, bodies as text), so only the client's own work differs."""
    provider = app.sync_engine.targets["outlook:default"].provider
    token = provider._tokens.access_token()  # the same sign-in; the read below is plain requests
    session = requests.Session()
    session.trust_env = False
    session.verify = app.profile.outlook.ca_bundle
    url = app.profile.outlook.graph_endpoint.rstrip("/") + "/me/calendar/calendarView"
    params = {"startDateTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "endDateTime": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "$top": str(GRAPH_MAX_PAGE)}
    headers = {"Authorization": f"Bearer {token}", "Prefer": 'outlook.timezone="UTC"'}
    if same_request:
        params["$expand"], headers["Prefer"] = EXPAND_UID, PREFER
    events = pages = 0
    while url:
        data = session.get(url, params=params, headers=headers, timeout=30).json()
        pages += 1
        events += len(data.get("value", []))
        url, params = data.get("@odata.nextLink"), None
    return events, pages


def time_pieces(engine, key: str, runs: int) -> None:
    """Each step of ``runs`` reconciliations of one calendar, timed by wrapping it on this engine, its store and
    provider (the instances only, put back after): medians over the runs, ms per reconciliation."""
    target, store = engine.targets[key], engine.store
    steps = {"listing (list_events)": (target.provider, "list_events"),
             "cache (replace_window)": (store.cache, "replace_window"),
             "links to plan (to_plan)": (store.links, "to_plan"),
             "planning (_apply_all)": (engine, "_apply_all"),
             "sample (reread)": (engine, "reread"),
             "orphans (ours_without_link)": (store.cache, "ours_without_link"),
             "health reads (health_of)": (engine, "health_of"),
             "the whole calendar": (engine, "_reconcile_calendar")}
    spent = {name: [0.0] * runs for name in steps}
    run = 0

    def timing(name, method):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent[name][run] += time.perf_counter() - t0
        return wrapper

    for name, (owner, attr) in steps.items():
        setattr(owner, attr, timing(name, getattr(owner, attr)))
    try:
        for run in range(runs):
            engine._reconcile_calendar(target, run)
    finally:
        for owner, attr in steps.values():
            vars(owner).pop(attr)
    print(f"\n{key}, each step of {runs} reconciliations (median ms per reconciliation):")
    for name, times in spent.items():
        print(f"  {name:30} {statistics.median(times) * 1000:7.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appointments", type=int, default=1000)
    parser.add_argument("--quiet-cycles", type=int, default=5)
    parser.add_argument("--runs", type=int, default=7, help="reconciliations, alternating with bare reads")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the reconciliation into FILE (and print its top)")
    parser.add_argument("--pieces", type=int, default=0, metavar="N",
                        help="time each step of N more reconciliations of Outlook")
    args = parser.parse_args()

    with StandIns() as stand_ins, tempfile.TemporaryDirectory() as tmp:
        profile, secrets = stand_ins.profile, stand_ins.secrets
        app = App.build(profile, f"sqlite:///{Path(tmp) / 'bench.db'}", secrets, with_receiver=False)
        engine = app.sync_engine
        try:
            t0 = time.perf_counter()
            approve_many(app, args.appointments)
            print(f"approved {args.appointments} appointments in {time.perf_counter() - t0:.1f} s")
            stand_ins.counts()
            t0 = time.perf_counter()
            report = engine.run_cycle()
            print(f"first push: {report.pushed} links in {time.perf_counter() - t0:.1f} s, requests "
                  f"{dict(stand_ins.counts())}"
                  f", ok={report.ok}")
            engine.run_cycle()  # the change feeds report our own writes once

            now = datetime.now(timezone.utc)
            end = now + timedelta(days=profile.sync.reconcile_days_ahead)
            service = google_service(profile, secrets)
            bare_google(service, now, end)  # its access token fetched once, as the product's is
            print(f"load average before: {os.getloadavg()}")
            runs: dict[str, list[float]] = {"google": [], "outlook": [], "bare google": [], "bare outlook": [],
                                            "total": [], "bare total": [], "bare outlook, same request": []}
            for run in range(args.runs):
                order = ("product", "bare") if run % 2 == 0 else ("bare", "product")
                for which in order:
                    stand_ins.counts()
                    if which == "product":
                        t0 = time.perf_counter()
                        results = engine.reconcile(seed=run)
                        runs["total"].append(time.perf_counter() - t0)
                        for key, r in results.items():
                            assert "error" not in r and r["events_read"] == args.appointments, r
                            runs[key.split(":")[0]].append(r["seconds"])
                        product_requests = dict(stand_ins.counts())
                    else:
                        t0 = time.perf_counter()
                        g_events, g_pages = bare_google(service, now, end)
                        runs["bare google"].append(time.perf_counter() - t0)
                        t1 = time.perf_counter()
                        o_events, o_pages = bare_graph(app, now, end)
                        runs["bare outlook"].append(time.perf_counter() - t1)
                        runs["bare total"].append(time.perf_counter() - t0)
                        bare_requests = dict(stand_ins.counts())
                        t2 = time.perf_counter()
                        bare_graph(app, now, end, same_request=True)
                        runs["bare outlook, same request"].append(time.perf_counter() - t2)
                        stand_ins.counts()
                print(f"  run {run + 1}: reconcile {runs['total'][-1]:.2f} s (google {runs['google'][-1]:.2f}, "
                      f"outlook {runs['outlook'][-1]:.2f}); bare {runs['bare total'][-1]:.2f} s (google "
                      f"{runs['bare google'][-1]:.2f}, outlook {runs['bare outlook'][-1]:.2f})")
            print(f"load average after: {os.getloadavg()}")
            print(f"\nreconcile ({profile.sync.reconcile_days_ahead} days ahead, sample {profile.sync.reconcile_sample}) "
                  f"vs the bare read of the same window, {args.runs} runs alternating, median [min-max of the "
                  f"per-run ratios]:")
            for name, bare in (("google", "bare google"), ("outlook", "bare outlook"), ("total", "bare total"),
                               ("outlook", "bare outlook, same request")):
                ratios = [p / b for p, b in zip(runs[name], runs[bare])]
                label = name if bare == f"bare {name}" else f"{name} vs {bare}"
                print(f"  {label:8} {statistics.median(runs[name]):.3f} s vs {statistics.median(runs[bare]):.3f} s = "
                      f"{statistics.median(runs[name]) / statistics.median(runs[bare]):.2f}x "
                      f"[{min(ratios):.2f}-{max(ratios):.2f}]")
            print(f"  requests per reconciliation {product_requests}; bare {bare_requests} (events {g_events} in "
                  f"{g_pages} page(s), {o_events} in {o_pages} page(s))")
            if args.profile:
                import cProfile
                import pstats

                prof = cProfile.Profile()
                prof.runcall(engine.reconcile, seed=99)
                prof.dump_stats(args.profile)
                pstats.Stats(prof).sort_stats("tottime").print_stats(25)
                pstats.Stats(prof).sort_stats("cumulative").print_stats("receptionist", 40)

            if args.pieces:
                time_pieces(engine, "outlook:default", args.pieces)

            walls, cpus, threads, reqs = [], [], [], []
            for _ in range(args.quiet_cycles):
                stand_ins.counts()
                t0, c0, th0 = time.perf_counter(), time.process_time(), time.thread_time()
                report = engine.run_cycle()
                walls.append((time.perf_counter() - t0) * 1000)
                cpus.append((time.process_time() - c0) * 1000)
                threads.append((time.thread_time() - th0) * 1000)
                reqs.append(dict(stand_ins.counts()))
                assert report.ok and report.pushed == 0, report
            print(f"\nincremental cycle, nothing changed ({args.quiet_cycles} runs, median):")
            print(f"  requests per calendar: {reqs[-1]} (all runs: {reqs})")
            print(f"  wall {statistics.median(walls):.1f} ms; CPU {statistics.median(cpus):.1f} ms process_time "
                  f"(this process), {statistics.median(threads):.1f} ms thread_time "
                  f"(the cycle's own thread)")
        finally:
            app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
