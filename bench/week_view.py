"""Week view with 2,000 items in the shown week vs the same view with 20, in one run, on a database that also holds
a desk's ten years (``--background`` appointments seeded like ``bench/seed.py``, or an already seeded ``--db``).

Measured on the GUI thread, offscreen, view 1000 × 640 px:
- refresh: ``view.refresh()`` → week read and laid out on the worker → result applied → first full paint done,
  as after news about the shown week; and the part of it the GUI thread spends (the rest runs on the worker while
  the window stays responsive). "same": a refresh whose week reads back as it is shown (news about another
  week), which is not drawn again.
- frame: one repaint of the whole visible canvas with nothing changed (the steady cost of a paint).
- resize: the view changes width by 40 px, its layout runs and the canvas repaints (rectangles, elided text and
  the backdrop rebuilt).
- query, layout: the two parts of the worker's share of a refresh, timed apart (``Appointments.week``, then
  ``layout_week`` + ``cap_lanes``).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/week_view.py --background 100000
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
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from receptionist import events  # noqa: E402
from receptionist.config import Profile  # noqa: E402
from receptionist.services import Desk  # noqa: E402
from tests.helpers.desk import make_desk  # noqa: E402
from tests.helpers.bulk import insert_appointments, insert_external_events  # noqa: E402
from receptionist.store.db import make_engine, upgrade  # noqa: E402
from receptionist.store import Store  # noqa: E402
from receptionist.ui.calendar_view import WeekCalendarView  # noqa: E402
from receptionist.ui.week_layout import WeekLayout, cap_lanes, layout_week, week_start  # noqa: E402
from seed import CALENDARS, appointments_between, external_between, seed  # noqa: E402  (bench/seed.py)


def fill_week(desk: Desk, monday: date, items: int, rng: random.Random, tag: str) -> None:
    """``items`` in the week of ``monday``: nine in ten our appointments, the rest the calendars' events. A week
    that already holds items (an earlier run on the same ``--db``) is left as it is."""
    week = desk.appointments.week(monday)
    if week.appointments or week.external:
        return
    zone, ours, now = desk.context.rules.zone, items * 9 // 10, datetime.now(timezone.utc)
    records = appointments_between(monday, 7, ours, zone, rng)
    insert_appointments(desk.context.store, (replace(r, id=tag + r.id[len(tag):]) for r in records), now)
    insert_external_events(desk.context.store, external_between(monday, 5, items - ours, zone, rng, prefix=tag), now)


def wait_for(signal, timeout_ms: int = 30_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="an already seeded database URL (default: a fresh temporary SQLite)")
    parser.add_argument("--background", type=int, default=100_000, help="appointments to seed first (fresh db)")
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--baseline-items", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    qapp = QApplication.instance() or QApplication([])
    profile = Profile()
    zone = profile.location.zone
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/week.db"
    engine = make_engine(url)
    upgrade(engine)
    store = Store(engine)
    rng = random.Random(7)
    today = datetime.now(zone).date()
    if not args.db and args.background:
        seed(store, args.background, args.background // 5, 10, today, zone, rng)
    # two weeks past the seeded span, so each holds exactly what is put there
    heavy_week = week_start(today + timedelta(days=2 * 365))
    light_week = heavy_week + timedelta(days=7)
    labels = {"google:primary": "Google Calendar", "outlook:default": "Outlook"}
    desk = make_desk(store, profile, events.EventBus(), {key: labels[key] for key in CALENDARS})
    fill_week(desk, heavy_week, args.items, rng, "h")
    fill_week(desk, light_week, args.baseline_items, rng, "l")
    links = sum(sum(states.values()) for states in store.links.counts().values())
    view = WeekCalendarView(desk.appointments, desk.context.rules.zone, desk.context.clock, labels)
    view.resize(1000, 640)
    view.show()
    qapp.processEvents()

    gui_ms: dict[str, float] = {}
    original = view._week_read

    def timed_week_read(layout) -> None:
        started = time.perf_counter()
        original(layout)
        gui_ms["apply"] = (time.perf_counter() - started) * 1000

    view._week_read = timed_week_read  # the runner calls what refresh() passes it

    def refresh(monday: date, changed: bool = True) -> tuple[float, float]:
        """One refresh; ``changed``: as after news about the shown week (a week that reads back as it is shown is
        not drawn again, so the shown layout is dropped first)."""
        view.state.first_day = monday
        if changed:
            view.state.layout = WeekLayout(monday)
        started = time.perf_counter()
        view.refresh()
        asked = time.perf_counter()
        wait_for(view.week_shown)
        landed = time.perf_counter()
        view.canvas.repaint()
        view.header.repaint()
        done = time.perf_counter()
        return (done - started) * 1000, (asked - started + done - landed) * 1000 + gui_ms["apply"]

    def frame() -> float:
        started = time.perf_counter()
        view.canvas.repaint()
        return (time.perf_counter() - started) * 1000

    def worker_parts(monday: date) -> tuple[float, float]:
        """What the worker does in a refresh, timed piece by piece here: the service's week query, the layout."""
        started = time.perf_counter()
        week = desk.appointments.week(monday)
        read = time.perf_counter()
        cap_lanes(monday, layout_week(week, monday, zone))
        return (read - started) * 1000, (time.perf_counter() - read) * 1000

    results = {}
    for name, monday in (("baseline", light_week), ("heavy", heavy_week)):
        refresh(monday)  # warm up: first read of the week, fonts
        runs = [refresh(monday) for _ in range(args.runs)]
        same = [refresh(monday, changed=False) for _ in range(args.runs)]
        frames = [frame() for _ in range(args.runs * 4)]
        resizes = []
        for n in range(args.runs):
            started = time.perf_counter()
            view.resize(1040 - (n % 2) * 40, 640)
            qapp.processEvents()  # the layout resizes the canvas; its repaint rebuilds the frame
            view.canvas.repaint()
            resizes.append((time.perf_counter() - started) * 1000)
        view.resize(1000, 640)
        qapp.processEvents()
        parts = [worker_parts(monday) for _ in range(args.runs)]
        results[name] = {
            "items": len(view.items) + sum(len(c.hidden) for c in view.chips),
            "drawn": len(view.items), "chips": len(view.chips),
            "refresh": statistics.median(r[0] for r in runs), "refresh_gui": statistics.median(r[1] for r in runs),
            "same": statistics.median(r[0] for r in same),
            "frame": statistics.median(frames), "frame_max": max(frames), "resize": statistics.median(resizes),
            "query": statistics.median(q for q, _ in parts), "layout": statistics.median(lay for _, lay in parts),
        }

    print(f"database: {links // len(CALENDARS):,} appointments ({links:,} link rows); view 1000x640 offscreen; "
          f"medians of {args.runs} refreshes, {args.runs * 4} frames, {args.runs} resizes")
    print(f"{'week':<10}{'items':>7}{'drawn':>7}{'chips':>7}{'refresh ms':>12}{'(GUI ms)':>10}{'same ms':>9}"
          f"{'frame ms':>10}{'(max)':>8}{'resize ms':>11}{'| query ms':>11}{'layout ms':>11}")
    for name, r in results.items():
        print(f"{name:<10}{r['items']:>7}{r['drawn']:>7}{r['chips']:>7}{r['refresh']:>12.1f}{r['refresh_gui']:>10.1f}"
              f"{r['same']:>9.1f}{r['frame']:>10.2f}{r['frame_max']:>8.2f}{r['resize']:>11.1f}{r['query']:>11.1f}"
              f"{r['layout']:>11.1f}")
    heavy, base = results["heavy"], results["baseline"]
    print(f"heavy/baseline: refresh {heavy['refresh'] / base['refresh']:.1f}x, "
          f"frame {heavy['frame'] / base['frame']:.1f}x")
    view.runner.wait_for_done()
    engine.dispose()


if __name__ == "__main__":
    main()
