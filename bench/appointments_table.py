"""The Sync panel's appointments table with 10,000 rows loaded vs 200, in one run, on a copy of a desk's ten years
(``--db``, e.g. one filled by ``bench/seed.py --appointments 100000``; the copy is topped up with appointments in
the view's window until the view lists ``--rows``).

A refresh is what happens when news makes the panel read its window again (Retry all failed, a mass-deletion
answer): ``SyncPanel.refresh()`` → the page read on the worker (``Appointments.page`` +
``appointment_counts``) → the rows set on the model on the GUI thread → the table laid out and painted. Timed:

- total: ask → rows on screen (the table's viewport painted, after the layouts Qt posts ran);
- worker: the read on the worker thread (wall);
- GUI thread: the main thread's CPU time (``time.thread_time``) over the whole refresh — everything it ran,
  whichever slot or posted layout ran it; also ``_show`` (the callback setting the rows) on its own;
- data() calls: how many times Qt asked the model for a role during the refresh.

The view pages by 200 ("Show more"): the 10,000 rows are reached by pressing it until they are listed, and the
last press (9,800 → 10,000) is timed too. 200 rows is a second panel on the same desk, same window, same run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/appointments_table.py --db sqlite:////tmp/desk2.db
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from receptionist import events  # noqa: E402
from receptionist.config import Profile  # noqa: E402
from receptionist.services import Desk  # noqa: E402
from tests.helpers.desk import make_desk  # noqa: E402
from tests.helpers.bulk import insert_appointments  # noqa: E402
from receptionist.store.db import make_engine, upgrade  # noqa: E402
from receptionist.store import Store  # noqa: E402
from receptionist.ui import sync_panel as sync_panel_module  # noqa: E402
from receptionist.ui.models import AppointmentTableModel  # noqa: E402
from receptionist.ui.sync_panel import SyncPanel  # noqa: E402
from seed import CALENDARS, appointments_between, seed  # noqa: E402  (bench/seed.py)

LABELS = {"google:primary": "Google Calendar", "outlook:default": "Outlook"}
SIZE = (1366, 420)  # the lower pane of the window on a laptop


def database(args, tmp: Path) -> str:
    """A copy of ``--db`` (a SQLite URL) in ``tmp``, or a fresh one seeded with ``--background`` appointments."""
    target = tmp / "table.db"
    if args.db:
        source = args.db.removeprefix("sqlite:///")
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    upgrade(engine)
    zone = Profile().location.zone
    seed(Store(engine), args.background, args.background // 5, 10, datetime.now(zone).date(), zone,
         random.Random(7))
    engine.dispose()
    return url


def top_up(desk: Desk, rows: int) -> int:
    """Appointments in the view's window until the view lists at least ``rows`` + 1 (so "Show more" stays)."""
    start, end = desk.appointments.view_window()
    listed = len(desk.appointments.page(start, end, limit=rows + 1))
    missing = rows + 1 - listed
    if missing > 0:
        zone = desk.context.rules.zone
        first = start.astimezone(zone).date() + timedelta(days=1)
        records = appointments_between(first, (end - start).days - 2, missing, zone, random.Random(11))
        insert_appointments(desk.context.store, (replace(r, id="t" + r.id[1:]) for r in records),
                            datetime.now(timezone.utc))
    return max(missing, 0)


def wait_for(signal, timeout_ms: int = 120_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


class Probe:
    """Times a panel's reads: the worker's share (wall, on the worker) and the callback on the GUI thread."""

    def __init__(self, panel: SyncPanel):
        self.worker_ms = 0.0
        self.show_ms = 0.0
        runner = panel.runner
        real_run = runner.run

        def run(view, read, success, failure=None):
            def timed_read():
                started = time.perf_counter()
                try:
                    return read()
                finally:
                    self.worker_ms = (time.perf_counter() - started) * 1000

            def timed_success(value):
                started = time.perf_counter()
                success(value)
                self.show_ms = (time.perf_counter() - started) * 1000

            return real_run(view, timed_read, timed_success, failure)

        runner.run = run


DATA_CALLS = [0]


def count_data_calls() -> None:
    real = AppointmentTableModel.data

    def data(self, index, role=0):
        DATA_CALLS[0] += 1
        return real(self, index, role)

    AppointmentTableModel.data = data


class Painted(QObject):
    """Counts the paints of a widget (the table's viewport)."""

    def __init__(self, widget):
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def timed(qapp, panel: SyncPanel, probe: Probe, painted: Painted, ask) -> dict:
    """``ask()`` (refresh or Show more) → loaded → the layouts Qt posts run → the viewport painted."""
    DATA_CALLS[0] = 0
    cpu0, started = time.thread_time(), time.perf_counter()
    ask()
    wait_for(panel.loaded)
    paints = painted.count
    for _ in range(5):  # the posted layouts, then the paint they ask for
        qapp.processEvents()
        if painted.count > paints:
            break
    else:
        panel.table.viewport().repaint()  # nothing asked for a paint: time one anyway
    return {"total": (time.perf_counter() - started) * 1000, "gui": (time.thread_time() - cpu0) * 1000,
            "worker": probe.worker_ms, "show": probe.show_ms, "data": DATA_CALLS[0],
            "rows": panel.model.rowCount()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a seeded SQLite database URL, copied first (default: seed a fresh one)")
    parser.add_argument("--background", type=int, default=100_000, help="appointments to seed (without --db)")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    page = sync_panel_module.PAGE
    qapp = QApplication.instance() or QApplication([])
    count_data_calls()
    with tempfile.TemporaryDirectory(prefix="bench-table-") as tmp:
        engine = make_engine(database(args, Path(tmp)))
        upgrade(engine)
        store = Store(engine)
        profile = Profile()
        desk = make_desk(store, profile, events.EventBus(), {key: LABELS[key] for key in CALENDARS})
        added = top_up(desk, args.rows)
        links = sum(sum(states.values()) for states in store.links.counts().values())
        panels = {}
        for name in ("baseline", "heavy"):
            panel = SyncPanel(desk.appointments, desk.sync, desk.context.rules.zone,
                              list(desk.context.calendars.items()))
            panel.resize(*SIZE)
            panel.show()
            panels[name] = (panel, Probe(panel), Painted(panel.table.viewport()))
        qapp.processEvents()

        first = {name: timed(qapp, *parts, parts[0].refresh) for name, parts in panels.items()}
        heavy = panels["heavy"]
        presses = 0
        more = None
        while heavy[0].model.rowCount() < args.rows:
            more = timed(qapp, *heavy, heavy[0].show_more)
            presses += 1
        results: dict[str, list[dict]] = {"baseline": [], "heavy": []}
        for _ in range(args.runs):  # alternated, so both see the same load from the other sessions
            for name, parts in panels.items():
                results[name].append(timed(qapp, *parts, parts[0].refresh))

        print(f"database: {links // len(CALENDARS):,} appointments ({links:,} link rows; {added:,} added in the view's "
              f"window); table {SIZE[0]}x{SIZE[1]} offscreen, {page} rows a page; medians of {args.runs} refreshes")
        print(f"{'rows':>7}{'total ms':>10}{'worker ms':>11}{'GUI ms':>9}{'(_show)':>9}{'GUI max':>9}"
              f"{'data()':>9}")
        for name, runs in results.items():
            rows = runs[0]["rows"]
            med = {k: statistics.median(r[k] for r in runs) for k in ("total", "worker", "gui", "show", "data")}
            print(f"{rows:>7,}{med['total']:>10.1f}{med['worker']:>11.1f}{med['gui']:>9.1f}{med['show']:>9.1f}"
                  f"{max(r['gui'] for r in runs):>9.1f}{med['data']:>9.0f}")
        for name, r in first.items():
            print(f"first read ({name}, {r['rows']:,} rows): total {r['total']:.1f} ms, worker {r['worker']:.1f}, "
                  f"GUI {r['gui']:.1f} ms, data() {r['data']}")
        if more is not None:
            print(f"Show more x{presses} to {more['rows']:,} rows; the last press: total {more['total']:.1f} ms, "
                  f"worker {more['worker']:.1f}, GUI {more['gui']:.1f} ms, data() {more['data']}")
        for panel, *_ in panels.values():
            panel.runner.wait_for_done()
        engine.dispose()


if __name__ == "__main__":
    main()
