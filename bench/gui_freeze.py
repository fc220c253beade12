"""The window during sync cycles: the longest the Qt event loop stalls, on a desk's ten years vs an empty desk.

Both runs in one process, one after the other, each against its own stand-ins (Google Calendar and Graph, the
real sandbox, in a child process so their answers do not compete with the console for its GIL):

* **desk**: a copy of ``--db`` (e.g. ``bench/seed.py --appointments 100000``), made to agree with the stand-ins
  as a desk that has synced for years: every appointment in the sync window that has an event gets it on the
  stand-ins (our body, seeded directly) and its link records what they hold (remote id, etag, content hash after
  one full pull); links outside the window that the seed left Pending are taken as written long ago (Synced), and
  Failed links everywhere as given up (``sync.max_attempts``), so the only writes are the bench's backlog.
  **baseline**: an empty database, same stand-ins, same steps.
* the real ``MainWindow`` (built by ``build_window``), 1440 × 900, offscreen, on ``App.build`` with the stand-ins'
  profile; one settling cycle first (not measured), then the backlog: ``--approvals`` confirmed appointments in
  the next two weeks with a Pending link per calendar (as ``approve_proposal`` leaves them), announced on the bus.
* measured: ``--cycles`` real sync cycles (``SyncEngine.run_cycle`` on a thread of its own, as the scheduler runs
  it), one after another; before each, ``--edits`` of our events per calendar are edited on the stand-ins as a
  person would (retitled: Drift rows), and from the second on ``--more`` approvals are added and announced one by
  one. Then until the window's reads have landed.
* the event loop: a 5 ms ``QTimer`` heartbeat on the GUI thread records the gap between its ticks (max, p99,
  how many over 50 / 100 ms) — how long any Python slot of the window (a click) would have waited; the garbage
  collections meanwhile (each holds the GIL, whichever thread runs it); the window's worker reads, timed apart
  (read on the worker, result applied on the GUI thread).
* to find what stalls: ``--events`` times every event the GUI thread handles (``QApplication.notify``, with the
  GUI thread's CPU time beside the wall time: a long event with little CPU waited for the GIL); ``--profile``
  the GUI thread's Python; ``--stall-dumps`` every thread's stack at each stall over 100 ms (faulthandler).

    PYTHONPATH=. QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_freeze.py --db sqlite:////tmp/desk2.db
"""

from __future__ import annotations

import argparse
import faulthandler
import gc
import heapq
import logging
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "receptionist.providers.secrets.MemoryKeyring")

from PySide6.QtCore import QEvent, QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import bindparam, func, insert, literal, not_, select, update  # noqa: E402

from receptionist import events  # noqa: E402
from receptionist.config import Profile  # noqa: E402
from receptionist.domain.models import AppointmentStatus, SyncState  # noqa: E402
from receptionist.domain.ports import RemoteEvent  # noqa: E402
from receptionist.domain.sync_plan import content_hash  # noqa: E402
from receptionist.ingest.signing import SECRET_KEY  # noqa: E402
from receptionist.providers.microsoft_auth import CACHE_KEY as OUTLOOK_CACHE_KEY  # noqa: E402
from receptionist.providers.secrets import memory_secret_store  # noqa: E402
from receptionist.store import tables as t  # noqa: E402
from receptionist.store.base import appointment_overlaps as _appt_overlaps  # noqa: E402
from receptionist.sync.engine import CycleReport  # noqa: E402

ZONE = "America/Chicago"
GOOGLE, OUTLOOK = "google:primary", "outlook:default"
SECRET_KEYS = ("google.client_secret", "google.refresh_token", OUTLOOK_CACHE_KEY, "twilio.auth_token", SECRET_KEY)


# --- the stand-ins, in a child process ------------------------------------------------------------------------------


def stand_ins(conn) -> None:
    """Runs in the child: the sandbox stack, signed in; answers the parent's commands over ``conn``."""
    logging.basicConfig(level=logging.WARNING)
    from receptionist_sandbox.stack import GOOGLE_ACCOUNT, SandboxStack

    with SandboxStack(time_zone=ZONE) as stack:
        profile = stack.profile(ingest_port=0)
        secrets = memory_secret_store("stand-ins")
        stack.provision(profile, secrets)
        conn.send((profile.model_dump(mode="json"), {key: secrets.get(key) for key in SECRET_KEYS}))
        while True:
            command, *args = conn.recv()
            if command == "stop":
                return
            if command == "seed":  # (calendar key, [body]) → [remote id]
                key, bodies = args
                if key == GOOGLE:
                    conn.send([stack.google.seed_event(GOOGLE_ACCOUNT, "primary", b)["id"] for b in bodies])
                else:
                    conn.send([stack.microsoft.seed_event(None, b)["id"] for b in bodies])
            elif command == "retitle":  # (calendar key, [remote id]) → a person's edit of each
                key, ids = args
                for remote_id in ids:
                    if key == GOOGLE:
                        stack.google.edit_event(GOOGLE_ACCOUNT, "primary", remote_id,
                                                {"summary": "Moved by Dr. Patel"})
                    else:
                        stack.microsoft.edit_event(None, remote_id, {"subject": "Moved by Dr. Patel"})
                conn.send(len(ids))


class StandIns:
    def __init__(self):
        parent, child = multiprocessing.get_context("spawn").Pipe()
        self.conn = parent
        self.process = multiprocessing.get_context("spawn").Process(target=stand_ins, args=(child,), daemon=True)
        self.process.start()
        data, self.secrets = self.conn.recv()
        self.profile = Profile.from_dict(data, source="stand-ins")

    def ask(self, *command):
        self.conn.send(command)
        return self.conn.recv()

    def stop(self) -> None:
        self.conn.send(("stop",))
        self.process.join(30)


# --- the desk -------------------------------------------------------------------------------------------------------


def build_window(app):
    """The window as ``run_gui`` builds it, then the heap settled as ``App.start`` does once the desk runs (the
    bench runs its cycles itself rather than starting the scheduler)."""
    from receptionist.app import settle_heap
    from receptionist.ui.main_window import MainWindow

    window = MainWindow(app.desk, app.bus)
    window.resize(1440, 900)
    window.show()
    settle_heap()
    return window


def agree_with_the_stand_ins(app, calendars: StandIns) -> dict:
    """The copied history made consistent with the stand-ins (see the module docstring). Returns counts."""
    from receptionist.providers.google_calendar import GoogleCalendarProvider
    from receptionist.providers.outlook_calendar import OutlookCalendarProvider

    store, engine = app.store, app.sync_engine
    A, L = t.Appointment, t.CalendarLink
    start, end = engine.window()
    in_window = select(A.id).where(_appt_overlaps(start, end))
    counts = {}
    with store.engine.begin() as conn:
        for key in (GOOGLE, OUTLOOK):
            counts["pending settled"] = counts.get("pending settled", 0) + conn.execute(
                update(L).where(L.calendar == key, L.state == SyncState.PENDING.value,
                                not_(L.appointment_id.in_(in_window)))
                .values(state=SyncState.SYNCED.value, remote_id=literal(f"{key}-") + L.appointment_id)).rowcount
        counts["failed given up"] = conn.execute(update(L).where(L.state == SyncState.FAILED.value).values(
            attempts=app.profile.sync.max_attempts)).rowcount
    seeded = 0
    appointments = store.appointments.between(start, end, include_cancelled=True)
    for key, body_of in ((GOOGLE, lambda d: {"id": d.uid, **GoogleCalendarProvider._body(d)}),
                         (OUTLOOK, lambda d: {**OutlookCalendarProvider._body(d), "transactionId": d.idempotency_key})):
        links = [(link, appt) for appt in appointments if appt.status is AppointmentStatus.CONFIRMED
                 for link in appt.links if link.calendar == key and link.remote_id
                 and link.state is not SyncState.CONFLICT]
        ids = calendars.ask("seed", key, [body_of(engine.draft_for(appt)) for _, appt in links]) if links else []
        if links:
            with store.engine.begin() as conn:
                conn.execute(update(L).where(L.id == bindparam("link")).values(remote_id=bindparam("remote")),
                             [{"link": link.id, "remote": rid} for (link, _), rid in zip(links, ids)])
        engine.pull_calendar(engine.targets[key], CycleReport())  # a full read: the cache holds them all
        if links:
            cached = store.cache.by_remote_id(key, ids)
            with store.engine.begin() as conn:
                conn.execute(update(L).where(L.id == bindparam("link")).values(
                    etag=bindparam("tag"), content_hash=bindparam("have")),
                    [{"link": link.id, "tag": cached[rid].etag, "have": content_hash(as_remote(cached[rid]))}
                     for (link, _), rid in zip(links, ids)])
        seeded += len(links)
    counts["events seeded"] = seeded
    return counts


def as_remote(copy) -> RemoteEvent:
    return RemoteEvent(remote_id=copy.remote_id, etag=copy.etag or "", title=copy.title, start=copy.start,
                       end=copy.end, description=copy.description, location=copy.location, uid=copy.uid)


def approvals(app, n: int, first_day: datetime, offset: int = 0) -> list[str]:
    """``n`` confirmed appointments from ``first_day``, 16 a day, each with a Pending link per calendar."""
    now = datetime.now(timezone.utc)
    appts, links, ids = [], [], []
    for i in range(offset, offset + n):
        start = first_day + timedelta(days=i // 16, minutes=30 * (i % 16))
        appt_id = uuid.uuid4().hex
        ids.append(appt_id)
        appts.append(dict(id=appt_id, caller_name=f"Caller {i}", callback_number="+13125550142", account_id=None,
                          service="Teeth cleaning", start_at=start, end_at=start + timedelta(minutes=30),
                          notes="Booked by phone.", status=AppointmentStatus.CONFIRMED.value, call_id=f"call-{i}",
                          created_at=now, updated_at=now, version=1))
        links += [dict(appointment_id=appt_id, calendar=cal, state=SyncState.PENDING.value, attempts=0,
                       generation=0, updated_at=now) for cal in (GOOGLE, OUTLOOK)]
    with app.store.engine.begin() as conn:
        conn.execute(insert(t.Appointment), appts)
        conn.execute(insert(t.CalendarLink), links)
    return ids


def our_synced_events(app, key: str, n: int, skip: set[str]) -> list[str]:
    """Remote ids of ``n`` of our Synced events on ``key`` in the sync window (not yet edited)."""
    L = t.CalendarLink
    start, end = app.sync_engine.window()
    with app.store.engine.connect() as conn:
        rows = conn.execute(select(L.remote_id).join(t.Appointment, t.Appointment.id == L.appointment_id).where(
            L.calendar == key, L.state == SyncState.SYNCED.value, L.remote_id.is_not(None),
            _appt_overlaps(start, end)).order_by(L.id)).scalars().all()
    return [r for r in rows if r not in skip][:n]


# --- the event loop -------------------------------------------------------------------------------------------------


class TimedApplication(QApplication):
    """Times every event the GUI thread handles (``notify``), while ``recording``."""

    def __init__(self, argv):
        super().__init__(argv)
        self.recording = False
        self.depth = 0
        self.longest: list[tuple[float, int, str]] = []  # a heap of the longest top-level events (wall ms)
        self.count = 0
        self.paints: dict[str, list[float]] = defaultdict(list)  # Paint events (nested too), by widget class

    def reset(self) -> None:
        self.longest, self.count, self.paints = [], 0, defaultdict(list)

    def notify(self, receiver, event) -> bool:
        if not self.recording:
            return super().notify(receiver, event)
        kind = event.type()
        what = describe(receiver) if self.depth == 0 or kind == QEvent.Type.Paint else ""  # before: it may go
        self.depth += 1
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return super().notify(receiver, event)
        finally:
            self.depth -= 1
            took = (time.perf_counter() - started) * 1000
            if kind == QEvent.Type.Paint:
                self.paints[what].append(took)
            if self.depth == 0:
                self.count += 1
                cpu_ms = (time.thread_time() - cpu) * 1000
                entry = (took, self.count, f"{what} {kind.name} (GUI thread CPU {cpu_ms:.0f} ms)")
                if len(self.longest) < 8:
                    heapq.heappush(self.longest, entry)
                elif took > self.longest[0][0]:
                    heapq.heapreplace(self.longest, entry)


def describe(receiver) -> str:
    from receptionist.ui.bridge import Throttle

    try:
        parent = receiver.parent() if hasattr(receiver, "parent") else None
    except RuntimeError:  # already deleted on the C++ side
        return type(receiver).__name__
    if isinstance(parent, Throttle):
        return f"Throttle({parent._callback.__qualname__})"
    if type(receiver).__name__ == "QTimer" and parent is not None:
        return f"{type(parent).__name__}'s QTimer"
    return type(receiver).__name__


class Heartbeat:
    """A 5 ms timer on the GUI thread: the gaps between its ticks are how long the event loop could not run.
    With ``dumps`` (a file), a heartbeat late by more than ``dump_after_ms`` has every thread's stack written there
    by faulthandler's own watchdog thread (it needs no GIL, so it also catches a thread holding it)."""

    def __init__(self, interval_ms: int = 5, dumps=None, dump_after_ms: int = 100):
        self.gaps: list[float] = []
        self._last: float | None = None
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.dumps, self.dump_after = dumps, dump_after_ms / 1000

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.gaps.append((now - self._last) * 1000)
        self._last = now
        if self.dumps is not None:
            faulthandler.dump_traceback_later(self.dump_after, file=self.dumps)

    def start(self) -> None:
        self._last = None
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        if self.dumps is not None:
            faulthandler.cancel_dump_traceback_later()


class Collections:
    """The interpreter's garbage collections while measuring: each holds the GIL, whatever thread it runs on."""

    def __init__(self):
        self.runs: list[tuple[int, float, str]] = []  # (generation, ms, thread)
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.runs.append((info["generation"], (time.perf_counter() - self._started) * 1000,
                              threading.current_thread().name))

    def __enter__(self) -> "Collections":
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self)


class Reads:
    """The window's worker reads: the read on the worker and its result applied on the GUI thread, per view."""

    def __init__(self, runner):
        self.worker: dict[str, list[float]] = defaultdict(list)
        self.gui: dict[str, list[float]] = defaultdict(list)
        real = runner.run

        def run(view, read, success, failure=None):
            name = view.rstrip("0123456789-") or view

            def timed_read():
                started = time.perf_counter()
                try:
                    return read()
                finally:
                    self.worker[name].append((time.perf_counter() - started) * 1000)

            def timed_success(value):
                started = time.perf_counter()
                try:
                    success(value)
                finally:
                    self.gui[name].append((time.perf_counter() - started) * 1000)

            return real(view, timed_read, timed_success, failure)

        runner.run = run


def run_until(predicate, timeout_s: float) -> None:
    """Spin the event loop (the heartbeat keeps ticking) until ``predicate()`` or the timeout."""
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(20)
    deadline = time.monotonic() + timeout_s
    check.timeout.connect(lambda: loop.quit() if predicate() or time.monotonic() > deadline else None)
    check.start()
    loop.exec()
    check.stop()


def settle(window, quiet_s: float = 1.0, timeout_s: float = 120) -> None:
    """Until the window's reads have landed and nothing was asked for ``quiet_s``."""
    last_busy = [time.monotonic()]

    def quiet() -> bool:
        if window.runner.busy:
            last_busy[0] = time.monotonic()
        return time.monotonic() - last_busy[0] > quiet_s

    run_until(quiet, timeout_s)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))] if ordered else 0.0


def scenario(name: str, db_url: str | None, args, qapp: TimedApplication, tmp: Path) -> dict:
    from receptionist.app import App

    calendars = StandIns()
    try:
        secrets = memory_secret_store(f"bench-freeze-{name}")
        for key, value in calendars.secrets.items():
            if value is not None:
                secrets.set(key, value)
        url = db_url or f"sqlite:///{tmp / (name + '.db')}"
        app = App.build(calendars.profile, url, secrets, with_receiver=False)
        started = time.perf_counter()
        prepared = agree_with_the_stand_ins(app, calendars)
        report = app.sync_engine.run_cycle()  # settles: links ensured, the window's own Pending links pushed
        setup_s = time.perf_counter() - started
        with app.store.engine.connect() as conn:
            size = conn.execute(select(func.count()).select_from(t.Appointment)).scalar()
            links = conn.execute(select(func.count()).select_from(t.CalendarLink)).scalar()

        window = build_window(app)
        reads = Reads(window.runner)
        settle(window)
        tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=15, minute=0, second=0,
                                                                            microsecond=0)
        approvals(app, args.approvals, tomorrow)
        app.bus.publish(events.APPOINTMENT_CHANGED)  # many at once: the window reads itself again
        settle(window)
        for runs in (*reads.worker.values(), *reads.gui.values()):
            runs.clear()

        dumps = open(f"{args.stall_dumps}.{name.split()[0]}", "w") if args.stall_dumps else None  # noqa: SIM115
        heartbeat = Heartbeat(dumps=dumps)
        cycles, edited = [], set()
        qapp.reset()
        qapp.recording = args.events
        profile = None
        if args.profile:
            import cProfile

            profile = cProfile.Profile()  # the GUI thread's Python only
            profile.enable()
        collections = Collections().__enter__()
        heartbeat.start()
        measured = time.perf_counter()
        for n in range(args.cycles):
            out: dict = {}

            def work(n=n, out=out) -> None:
                """Off the GUI thread, like everything but the window: a person's edits, approvals, the cycle."""
                for key in (GOOGLE, OUTLOOK):
                    ids = our_synced_events(app, key, args.edits, edited)
                    edited.update(ids)
                    if ids:
                        calendars.ask("retitle", key, ids)
                if n:
                    for appt_id in approvals(app, args.more, tomorrow, offset=args.approvals + (n - 1) * args.more):
                        app.bus.publish(events.APPOINTMENT_CHANGED, appointment_id=appt_id)
                out["started"] = time.perf_counter()
                out["report"] = app.sync_engine.run_cycle()
                out["took"] = time.perf_counter() - out["started"]

            thread = threading.Thread(target=work, name="sync")
            thread.start()
            run_until(lambda: not thread.is_alive(), 900)
            cycles.append((out.get("took", 0.0), out.get("report")))
        settle(window)
        measured = time.perf_counter() - measured
        heartbeat.stop()
        collections.__exit__()
        if dumps is not None:
            dumps.close()
        qapp.recording = False
        if profile is not None:
            import pstats

            profile.disable()
            profile.dump_stats(f"{args.profile}.{name.split()[0]}")
            print(f"\n-- {name}: the GUI thread's Python, by own time --")
            pstats.Stats(profile).sort_stats("tottime").print_stats(18)
        window.close()
        app.stop()
        gc.unfreeze()  # the next run starts from a heap of its own
    finally:
        calendars.stop()
    gaps = heartbeat.gaps
    return {"name": name, "size": size, "links": links, "prepared": prepared, "setup": setup_s,
            "settle": report, "cycles": cycles, "measured": measured, "gaps": gaps,
            "max": max(gaps), "p99": percentile(gaps, 0.99), "p50": statistics.median(gaps),
            "over50": sum(g > 50 for g in gaps), "over100": sum(g > 100 for g in gaps),
            "gc": collections.runs, "objects": len(gc.get_objects()),
            "longest": sorted(qapp.longest, reverse=True), "events": qapp.count,
            "paints": sorted(((sum(v), max(v), len(v), k) for k, v in qapp.paints.items()), reverse=True),
            "reads": {view: (max(reads.worker[view], default=0), max(reads.gui[view], default=0),
                             len(reads.gui[view])) for view in sorted(set(reads.worker) | set(reads.gui))}}


def show(r: dict, args) -> None:
    print(f"\n== {r['name']}: {r['size']:,} appointments, {r['links']:,} link rows; setup {r['setup']:.1f} s "
          f"({', '.join(f'{k} {v:,}' for k, v in r['prepared'].items()) or 'nothing to prepare'})")
    for i, (took, report) in enumerate(r["cycles"], 1):
        what = (f"pushed {report.pushed}, drift/conflict {report.needs_person}, failed {report.failed}, "
                f"pulled {sum(report.pulled.values())}") if report else "no report"
        print(f"  cycle {i}: {took:.1f} s ({what})")
    print(f"  event loop over {r['measured']:.1f} s: {len(r['gaps']):,} heartbeats (5 ms); gap max {r['max']:.1f} ms, "
          f"p99 {r['p99']:.1f} ms, median {r['p50']:.1f} ms; {r['over50']} over 50 ms, {r['over100']} over 100 ms; "
          f"{r['events']:,} events handled")
    full = [ms for gen, ms, _ in r["gc"] if gen == 2]
    print(f"  garbage collections: {len(r['gc'])}, the longest {max((ms for _, ms, _ in r['gc']), default=0):.0f} ms; "
          f"{len(full)} full ones, {sum(full):.0f} ms in all ({r['objects']:,} objects tracked after)")
    if args.events:
        print("  longest events on the GUI thread: " + "; ".join(f"{ms:.0f} ms {what}"
                                                               for ms, _, what in r["longest"][:5]))
        print("  paints (total ms, max ms, count): " + "; ".join(
            f"{what} {total:.0f}/{most:.0f}/{n}" for total, most, n, what in r["paints"][:6]))
    print("  window reads (max worker ms / max GUI ms / times): " + "; ".join(
        f"{view} {w:.0f}/{g:.0f}/{n}" for view, (w, g, n) in r["reads"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a seeded SQLite database URL, copied first (the baseline is an empty one)")
    parser.add_argument("--approvals", type=int, default=200, help="backlog before the first cycle (2 links each)")
    parser.add_argument("--more", type=int, default=25, help="approvals announced before each later cycle")
    parser.add_argument("--edits", type=int, default=15, help="our events a person edits per calendar per cycle")
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--events", action="store_true",
                        help="also time every event the GUI thread handles (QApplication.notify in Python: each "
                             "event then needs the GIL, which itself lengthens the stalls)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the GUI thread while measuring (FILE.<run>)")
    parser.add_argument("--stall-dumps", metavar="FILE",
                        help="every thread's stack at each stall over 100 ms, into FILE.<run>")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    qapp = TimedApplication([])
    with tempfile.TemporaryDirectory(prefix="bench-freeze-") as folder:
        tmp = Path(folder)
        results = [scenario("baseline (empty database)", None, args, qapp, tmp)]
        if args.db:
            copy = tmp / "desk.db"
            shutil.copyfile(args.db.removeprefix("sqlite:///"), copy)
            results.append(scenario("desk (copy of --db)", f"sqlite:///{copy}", args, qapp, tmp))
        print(f"{args.cycles} cycles; backlog {args.approvals} approvals ({2 * args.approvals} links), then "
              f"{args.more} approvals and {args.edits} edits per calendar before each cycle; Qt "
              f"{os.environ['QT_QPA_PLATFORM']}, window 1440x900")
        for r in results:
            show(r, args)


if __name__ == "__main__":
    main()
