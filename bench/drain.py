"""Draining a backlog: N approvals (2N links) pushed by the sync thread to both stand-ins, vs the bare client
libraries making the same bare inserts in the same run; then a quiet incremental cycle.

* **backlog**: N confirmed appointments over the next weeks, each with a Pending link per calendar — what N
  approvals leave behind (inserted directly, like ``approve_proposal`` writes them; no SMS).
* **drain**: the real ``SyncScheduler`` (``App.build`` on a SQLite file, interval ``sync.interval_seconds``)
  started once; timed until the bus has announced every link Synced (then checked in the store). Printed: time, cycles, requests per appointment on each calendar (goal: one).
* **bare**: the same number of inserts, one request each, with the client libraries alone (googleapiclient
  ``events().insert`` on one ``events()`` resource; requests + one msal token ``POST /me/calendar/events``), one
  calendar after the other like the engine.
* **quiet cycle**: after the drain, ``run_cycle()`` with nothing changed, several times: CPU
  (``time.process_time``; the stand-ins answer in this process too, so it is an upper bound; ``time.thread_time``
  of the cycle's thread alone is printed too) and wall time, and requests per calendar (goal: one, under 50 ms
  CPU).
* Also printed: how much of the drain was spent inside provider calls (the request and the adapter's parsing)
  and how much was the engine's own work (plan, store, events), per link.

    .venv/bin/python bench/drain.py --approvals 1000
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
import uuid
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
from sqlalchemy import func, insert, select  # noqa: E402

from receptionist import events  # noqa: E402
from receptionist.app import App  # noqa: E402
from receptionist.domain.models import AppointmentStatus, SyncState  # noqa: E402
from receptionist.providers.microsoft_auth import outlook_token_source  # noqa: E402
from receptionist.providers.secrets import memory_secret_store  # noqa: E402
from receptionist.store import tables as t  # noqa: E402
from receptionist_sandbox.stack import SandboxStack  # noqa: E402

ZONE = "America/Chicago"


def backlog(app: App, n: int) -> None:
    now = datetime.now(timezone.utc)
    day0 = (now + timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)
    appts, links = [], []
    for i in range(n):
        start = day0 + timedelta(days=i // 16, minutes=30 * (i % 16))
        appt_id = uuid.uuid4().hex
        appts.append(dict(id=appt_id, caller_name=f"Caller {i}", callback_number="+13125550142", account_id=None,
                          service="Teeth cleaning", start_at=start, end_at=start + timedelta(minutes=30),
                          notes="Booked by phone.", status=AppointmentStatus.CONFIRMED.value, call_id=f"call-{i}",
                          created_at=now, updated_at=now, version=1))
        for cal in app.sync_engine.calendars:
            links.append(dict(appointment_id=appt_id, calendar=cal, state=SyncState.PENDING.value, attempts=0,
                              generation=0, updated_at=now))
    with app.store.session() as s:
        s.execute(insert(t.Appointment), appts)
        s.execute(insert(t.CalendarLink), links)
        s.commit()


def link_states(app: App) -> Counter:
    with app.store.session() as s:
        return Counter(dict(s.execute(select(t.CalendarLink.state, func.count()).group_by(t.CalendarLink.state))
                            .all()))


def rfc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def bare_google(profile, secrets, n: int) -> None:
    creds = Credentials(token=None, refresh_token=secrets.get("google.refresh_token"),
                        token_uri=profile.google.token_uri, client_id=profile.google.client_id,
                        client_secret=secrets.get("google.client_secret"))
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=30))
    service = build("calendar", "v3", http=http, static_discovery=True, cache_discovery=False,
                    client_options={"api_endpoint": profile.google.api_endpoint})
    events = service.events()  # built once: each call builds every method from the discovery document
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(days=200)
    for i in range(n):
        at = start + timedelta(minutes=30 * i)
        uid = uuid.uuid4().hex
        body = {"id": uid, "summary": f"Teeth cleaning — Caller {i}", "description": "Booked by phone.",
                "location": "Main office",
                "start": {"dateTime": at.isoformat(), "timeZone": ZONE},
                "end": {"dateTime": (at + timedelta(minutes=30)).isoformat(), "timeZone": ZONE},
                "extendedProperties": {"private": {"receptionist_uid": uid}}}
        events.insert(calendarId="primary", body=body, sendUpdates="none").execute(num_retries=0)


def bare_graph(stack, profile, secrets, n: int) -> None:
    token = outlook_token_source(profile.outlook, secrets).access_token()
    session = requests.Session()
    session.trust_env = False
    session.verify = str(stack.microsoft.cert_path)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
               "Prefer": 'outlook.timezone="UTC", outlook.body-content-type="text"'}
    root = profile.outlook.graph_endpoint.rstrip("/")
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(days=200)
    for i in range(n):
        at = start + timedelta(minutes=30 * i)
        uid = uuid.uuid4().hex
        body = {"subject": f"Teeth cleaning — Caller {i}", "body": {"contentType": "text", "content": "Booked."},
                "start": {"dateTime": at.replace(tzinfo=None).isoformat(), "timeZone": "UTC"},
                "end": {"dateTime": (at + timedelta(minutes=30)).replace(tzinfo=None).isoformat(), "timeZone": "UTC"},
                "location": {"displayName": "Main office"}, "showAs": "busy", "transactionId": uid}
        created = session.post(f"{root}/me/calendar/events", json=body, headers=headers, timeout=30)
        created.raise_for_status()
        created.json()


def request_counts(sandbox, since: int) -> Counter:
    out: Counter = Counter()
    for method, path in sandbox.requests[since:]:
        if "/oauth2/" in path or path.endswith("/token") or "openid" in path:
            out["sign-in"] += 1
        elif method == "GET" and (path.endswith("/events") or path.endswith("/delta")):
            out["list"] += 1
        else:
            out[method] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--approvals", type=int, default=1000)
    parser.add_argument("--quiet-cycles", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--profile", metavar="FILE", help="cProfile the drain (run as one run_cycle on this thread)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped: already running" while a long cycle runs
    n = args.approvals

    with SandboxStack(time_zone=ZONE) as stack, tempfile.TemporaryDirectory(prefix="bench-drain-") as tmp:
        profile = stack.profile(ingest_port=0)
        secrets = memory_secret_store("bench-drain")
        stack.provision(profile, secrets)
        stack.seed_week()
        app = App.build(profile, f"sqlite:///{Path(tmp) / 'drain.db'}", secrets, with_receiver=False)
        app.scheduler.reconcile_minutes = None  # reconciliation (hourly, first after a minute) is not the drain
        app.sync_engine.run_cycle()  # the first (full) pulls, so the drain measures pushing only
        backlog(app, n)
        print(f"backlog: {n} approvals, {sum(link_states(app).values())} links Pending "
              f"(sync.interval_seconds = {profile.sync.interval_seconds:g})")

        in_provider = Counter()  # seconds inside provider calls (request + the adapter's parsing), per calendar

        def timed_method(name, fn):
            def wrapper(*a, **kw):
                t0 = time.perf_counter()
                try:
                    return fn(*a, **kw)
                finally:
                    in_provider[name] += time.perf_counter() - t0
            return wrapper

        for key, target in app.sync_engine.targets.items():
            for method in ("create_event", "get_event", "update_event", "delete_event", "list_changes"):
                setattr(target.provider, method, timed_method(key, getattr(target.provider, method)))
        marks = {"google": len(stack.google.requests), "outlook": len(stack.microsoft.requests)}
        cycles = Counter()
        real_cycle = app.sync_engine.run_cycle

        def counted_cycle(*a, **kw):
            cycles["n"] += 1
            return real_cycle(*a, **kw)

        app.sync_engine.run_cycle = counted_cycle
        # Finished when the bus has announced every link Synced (what the window hears), checked in the store
        # after: no polling thread competing with the sync thread for the GIL while it runs.
        synced: set[int] = set()
        done = threading.Event()

        def on_event(event) -> None:
            if event.topic == events.LINK_CHANGED and event.data.get("state") == SyncState.SYNCED.value:
                synced.add(event.data["link_id"])
                if len(synced) == 2 * n:
                    done.set()

        app.bus.subscribe(on_event)
        started = time.perf_counter()
        cpu0 = time.process_time()
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            counted_cycle()
            prof.disable()
            prof.dump_stats(args.profile)
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        else:
            app.scheduler.start()
        if not done.wait(args.timeout):
            raise SystemExit(f"not drained after {args.timeout:g} s: {dict(link_states(app))}")
        drain = time.perf_counter() - started
        drain_cpu = time.process_time() - cpu0
        states = link_states(app)
        assert states == Counter({SyncState.SYNCED.value: 2 * n}), states
        app.scheduler.stop()
        app.sync_engine.run_cycle = real_cycle
        per = {name: request_counts(sb, marks[name]) for name, sb in (("google", stack.google),
                                                                     ("outlook", stack.microsoft))}

        t0 = time.perf_counter()
        bare_google(profile, secrets, n)
        bare_g = time.perf_counter() - t0
        t0 = time.perf_counter()
        bare_graph(stack, profile, secrets, n)
        bare_o = time.perf_counter() - t0

        quiet_cpu, quiet_thread, quiet_wall, quiet_reqs = [], [], [], []
        app.sync_engine.run_cycle()  # the pulls see the bare clients' events once
        for _ in range(args.quiet_cycles):
            before = {"google": len(stack.google.requests), "outlook": len(stack.microsoft.requests)}
            c0, t0, w0 = time.process_time(), time.thread_time(), time.perf_counter()
            report = app.sync_engine.run_cycle()
            quiet_cpu.append(time.process_time() - c0)
            quiet_thread.append(time.thread_time() - t0)
            quiet_wall.append(time.perf_counter() - w0)
            quiet_reqs.append((len(stack.google.requests) - before["google"],
                               len(stack.microsoft.requests) - before["outlook"]))
            assert report.ok, report

        print()
        print(f"drain: {n} approvals = {2 * n} links all Synced in {drain:.1f} s ({drain_cpu:.1f} s CPU in this "
              f"process, stand-ins included), {cycles['n']} cycle(s)")
        for name, counts in per.items():
            total = sum(counts.values())
            print(f"  {name:7} {total} requests = {total / n:.2f} per appointment ({dict(counts)}; bare inserts: 1)")
        spent = sum(in_provider.values())
        print(f"  inside provider calls {spent:.1f} s ({', '.join(f'{k} {v:.1f} s' for k, v in in_provider.items())}); "
              f"the engine's own work (plan, store, events) {drain - spent:.1f} s = "
              f"{(drain - spent) / (2 * n) * 1000:.1f} ms per link")
        print(f"bare clients, same run: {n} inserts (one request each) on each calendar: Google {bare_g:.1f} s + "
              f"Outlook {bare_o:.1f} s = {bare_g + bare_o:.1f} s -> drain is {drain / (bare_g + bare_o):.2f}x")
        print(f"quiet cycle after the drain ({args.quiet_cycles} runs): CPU median {statistics.median(quiet_cpu) * 1000:.0f} ms "
              f"(min {min(quiet_cpu) * 1000:.0f}; the cycle's own thread {statistics.median(quiet_thread) * 1000:.0f} ms, "
              f"the rest is the stand-ins answering), wall median {statistics.median(quiet_wall) * 1000:.0f} ms; "
              f"requests (google, outlook) per cycle {sorted(set(quiet_reqs))}")
        app.stop()


if __name__ == "__main__":
    main()
