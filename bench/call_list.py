"""The call panel's list with 10,000 calls listed vs 100, in one run: the GUI thread's time per refresh and per
arriving call, and the memory the listed rows take.

Two desks on two fresh SQLite databases: one holding ``--calls`` waiting calls (a mix of bookings, cancels,
reschedules, questions, callbacks and urgent calls; every tenth one decided), one holding ``--baseline``. Each has a
``CallPanel`` (offscreen, 520 x 700 px, the call list beside the review pane as in the window); the heavy one is
scrolled page by page (100 calls a read) until all of its waiting calls are listed. Then, alternated, ``--runs``
times each:

- refresh: what news of a decision makes the panel do (``CallPanel.refresh``): the listed range read again on the
  worker, the listed rows updated where they are, new ones held;
- arriving call: a call stored (not timed) and announced (``CallPanel.calls_changed``): read alone on the worker,
  held behind the "new calls" bar, every view counted again.

Timed from the ask until every read has landed and the list's viewport has painted: the GUI thread's CPU
(``time.thread_time`` on the main thread: everything it ran, whichever slot ran it) and the wall time (worker
included). Memory: the process's resident size before and after listing the calls.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/call_list.py [--calls 10000] [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QObject  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from receptionist import events  # noqa: E402
from receptionist.config import Profile  # noqa: E402
from receptionist.domain.models import Intent  # noqa: E402
from receptionist.domain.payload import normalise, parse_payload  # noqa: E402
from receptionist.services.context import location_rules  # noqa: E402
from receptionist.store import Store  # noqa: E402
from receptionist.store.db import make_engine, upgrade  # noqa: E402
from receptionist.ui.call_panel import CallPanel  # noqa: E402
from tests.helpers.bulk import insert_calls  # noqa: E402
from tests.helpers.calls import store_payload  # noqa: E402
from tests.helpers.desk import make_desk  # noqa: E402
from tests.helpers.payloads import payload  # noqa: E402

SIZE = (520, 700)
INTENTS = [Intent.BOOK] * 6 + [Intent.CANCEL, Intent.RESCHEDULE, Intent.QUESTION, Intent.CALLBACK, Intent.URGENT]
NAMES = ["Maria Lopez", "Ken Adams", "Ana Ruiz", "Bo Chen", "Grace Okafor", "Sam Carter", "Di Evans", "Cy Dunn"]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def fill(store: Store, rules, n: int, now: datetime) -> None:
    """n calls over the last days, newest now; every tenth decided (rejected), so the views differ."""
    template = normalise(parse_payload(payload()), rules, now)
    rng = random.Random(n)

    def captures():
        for i in range(n):
            number = f"+1312555{i % 10_000:04d}"
            yield (replace(template, call_id=f"bench-{i}", caller_name=f"{rng.choice(NAMES)} {i}",
                           callback_number=number, intent=rng.choice(INTENTS)),
                   now - timedelta(seconds=30 * (n - i)))

    insert_calls(store, captures())
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE booking_proposals SET status = 'rejected', version = 2 WHERE id % 10 = 0")


class Painted(QObject):
    def __init__(self, widget):
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def settle(qapp, panel: CallPanel, painted: Painted) -> None:
    """Until every read has landed and the viewport painted what changed."""
    while panel.runner.busy:  # sleeps until the worker's outcome is queued: no spinning on the GUI thread
        qapp.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    paints = painted.count
    for _ in range(5):
        qapp.processEvents()
        if painted.count > paints:
            break


class Slots:
    """The GUI thread's time in the panel's own code: each read's callback as it lands (wrapped at ``run``)."""

    def __init__(self, panel: CallPanel):
        self.ms = 0.0
        runner, real_run = panel.runner, panel.runner.run

        def run(view, read, success, failure=None):
            def timed_success(value):
                started = time.thread_time()
                try:
                    success(value)
                finally:
                    self.ms += (time.thread_time() - started) * 1000

            return real_run(view, read, timed_success, failure)

        runner.run = run


def timed(qapp, panel: CallPanel, painted: Painted, ask, slots: Slots) -> tuple[float, float, float]:
    """(GUI thread CPU, of which the ask and the callbacks, wall) in ms."""
    slots.ms = 0.0
    cpu0, started = time.thread_time(), time.perf_counter()
    ask()
    asked = (time.thread_time() - cpu0) * 1000
    settle(qapp, panel, painted)
    return (time.thread_time() - cpu0) * 1000, asked + slots.ms, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=100)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    qapp = QApplication.instance() or QApplication([])
    profile = Profile()
    rules = location_rules(profile)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as tmp:
        desks = {}
        for name, n in (("baseline", args.baseline), ("heavy", args.calls)):
            engine = make_engine(f"sqlite:///{Path(tmp) / name}.db")
            upgrade(engine)
            store = Store(engine)
            started = time.perf_counter()
            fill(store, rules, n, now)
            print(f"{name}: {n:,} calls inserted in {time.perf_counter() - started:.1f} s")
            desk = make_desk(store, profile, events.EventBus(), {}, clock=lambda: now)
            panel = CallPanel(desk.bookings, desk.checks, desk.context.rules.zone, lambda: now)
            panel.resize(*SIZE)
            panel.show()
            desks[name] = (store, panel, Painted(panel.list_view.viewport()), Slots(panel))
        qapp.processEvents()

        listed = {}
        for name, (store, panel, painted, slots) in desks.items():
            before = rss_mb()
            cpu = timed(qapp, panel, painted, panel.refresh, slots)[0]
            reads = 1
            waiting = panel.pending
            while panel.model.calls_listed() < waiting:
                panel.list_view.scrollToBottom()
                qapp.processEvents()
                settle(qapp, panel, painted)
                reads += 1
            listed[name] = (panel.model.calls_listed(), reads, rss_mb() - before, cpu)

        results = {name: {"refresh": [], "arrival": []} for name in desks}
        serial = 0
        for _ in range(args.runs):  # alternated: both see the same load from other processes
            for name, (store, panel, painted, slots) in desks.items():
                results[name]["refresh"].append(timed(qapp, panel, painted, panel.refresh, slots))
                serial += 1
                call = store_payload(store, payload(call_id=f"arrival-{serial}"), rules, now)
                results[name]["arrival"].append(timed(qapp, panel, painted,
                                                      lambda p=panel, c=call: p.calls_changed([c.id]), slots))

        print(f"panel {SIZE[0]}x{SIZE[1]} offscreen, {CallPanel.PAGE} calls a read; medians of {args.runs} runs; "
              "GUI = the main thread's CPU from the ask until painted (slots: of which the panel's own code), "
              "wall = ask → painted (the worker's read included)")
        print(f"{'listed':>8}{'reads':>7}{'RSS MB':>8}{'first GUI':>11}{'refresh GUI':>13}{'slots':>7}{'wall':>8}"
              f"{'arrival GUI':>13}{'slots':>7}{'wall':>8}{'held':>6}")
        medians = {}
        for name, (store, panel, *_) in desks.items():
            n, reads, mb, first = listed[name]
            med = medians[name] = {kind: [statistics.median(run[i] for run in runs) for i in range(3)]
                                   for kind, runs in results[name].items()}
            print(f"{n:>8,}{reads:>7}{mb:>8.1f}{first:>11.1f}" + "".join(
                f"{med[kind][0]:>13.1f}{med[kind][1]:>7.1f}{med[kind][2]:>8.1f}" for kind in ("refresh", "arrival"))
                + f"{panel.model.held():>6}")
        for kind in ("refresh", "arrival"):
            gui, own = (medians["heavy"][kind][i] / max(medians["baseline"][kind][i], 1e-6) for i in (0, 1))
            print(f"{kind}: GUI thread {gui:.2f}x the {args.baseline}-call list's, the panel's own code {own:.2f}x "
                  "(goal <= 2x)")
        for _, panel, *_ in desks.values():
            panel.runner.wait_for_done()


if __name__ == "__main__":
    main()
