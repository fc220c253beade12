"""The calendar's views and input with N items in the shown week vs a baseline of 20, alternated in one run,
offscreen, view 1000 × 640 px, the week in memory (the database read is ``bench/week_view.py``'s):

- layout: ``layout_week`` (with the attendance marks, as of now) + ``cap_lanes`` for the week (what the worker does
  after the read);
- agenda / day / week: switching the view (``set_mode``) to a week laid out anew until it is painted (the agenda
  fills its list, folded items included; the day view builds its one-column frame and backdrop, the week its
  seven);
- paint / grab: a full paint of the week grid with nothing changed (``repaint``: its ``paintEvent``; ``grab``: the
  whole widget rendered into a pixmap); goal < 16 ms, one frame; cold: the same paint of a layout not drawn yet
  (the blocks placed and the grid with every block rendered into the backdrop the frames reuse, then painted);
- key: one arrow key in the grid (the focus moves, the accessible description is set, the canvas repaints with its
  ring); goal < 16 ms, one frame;
- drag: one mouse move while dragging a booking (its landing place repainted); goal < 16 ms;
- resize / sweep: the same while dragging a booking's bottom edge / sweeping a range of free time (its rubber band).

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. .venv/bin/python bench/calendar_views.py [--items 2000] [--runs 15]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QPointF, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QKeyEvent, QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from receptionist.config import Profile  # noqa: E402
from receptionist.domain.models import AppointmentRow, AppointmentStatus, ExternalEventRecord  # noqa: E402
from receptionist.services import WeekView  # noqa: E402
from receptionist.ui.calendar_view import AGENDA, DAY, WEEK_VIEW, WeekCalendarView  # noqa: E402
from receptionist.ui.week_layout import cap_lanes, layout_week, week_start  # noqa: E402

LABELS = {"google:primary": "Google Calendar", "outlook:default": "Outlook"}


class Weeks:
    """``Appointments.week`` over rows made in memory: ``items`` in the week of ``monday`` (nine in ten ours)."""

    def __init__(self, monday: date, items: int, zone, rng: random.Random):
        start = datetime.combine(monday, datetime.min.time(), zone)
        ours, theirs = [], []
        for n in range(items):
            day = start + timedelta(days=n * 5 // items, hours=8, minutes=rng.randrange(38) * 15)
            end = day + timedelta(minutes=rng.choice((15, 30, 30, 45, 60)))
            if n % 10:
                ours.append(AppointmentRow(f"{n:032x}", day.astimezone(timezone.utc), end.astimezone(timezone.utc),
                                           f"Caller {n}", "+13125550142", "Cleaning", AppointmentStatus.CONFIRMED))
            else:
                theirs.append(ExternalEventRecord("google:primary", f"ev{n}", f"Meeting {n}",
                                                  day.astimezone(timezone.utc), end.astimezone(timezone.utc), True,
                                                  False, None))
        self.view = WeekView(start.astimezone(timezone.utc), (start + timedelta(days=7)).astimezone(timezone.utc),
                             ours, theirs)

    def week(self, first_day: date) -> WeekView:
        return self.view


def wait_for(signal, timeout_ms: int = 30_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


def ms(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def measure(view: WeekCalendarView, weeks: Weeks, monday: date, zone) -> dict[str, float]:
    canvas = view.canvas
    laid: list = []
    now = datetime.now(timezone.utc)  # as the view lays out: the bookings begun carry their attendance mark
    out = {"layout": ms(lambda: laid.append(cap_lanes(monday, layout_week(weeks.view, monday, zone, now))))}
    view.state.layout = laid[0]  # a layout not shown yet, as after news: every view builds its own again

    def switch(mode: str) -> None:
        view.set_mode(mode)
        (view.agenda if mode == AGENDA else canvas).repaint()
        view.header.repaint()

    out["agenda"] = ms(lambda: switch(AGENDA))
    out["day"] = ms(lambda: switch(DAY))
    out["week"] = ms(lambda: switch(WEEK_VIEW))
    canvas.setFocus()
    QApplication.processEvents()
    # a full paint of the week grid with nothing changed: repaint() (paintEvent into the window's backing store)
    # and grab() (the whole widget rendered into a pixmap); goal < 16 ms, one frame
    out["paint"] = statistics.median(ms(canvas.repaint) for _ in range(5))
    out["grab"] = statistics.median(ms(canvas.grab) for _ in range(5))

    def cold() -> None:  # the week's layout anew (as after news): its blocks placed and drawn again, then painted
        view.state.layout = dataclasses.replace(view.state.layout)
        canvas.repaint()

    out["cold"] = statistics.median(ms(cold) for _ in range(3))

    def key() -> None:
        QApplication.sendEvent(canvas, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier))
        canvas.repaint()

    out["key"] = statistics.median(ms(key) for _ in range(5))
    block = next(b for b in canvas.frame().blocks() if getattr(b.target, "kind", "") == "appointment")
    start = QPointF(block.rect.center().x(), block.rect.top() + 3)

    def mouse(kind, pos, buttons=Qt.MouseButton.LeftButton):
        button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
        QApplication.sendEvent(canvas, QMouseEvent(kind, pos, canvas.mapToGlobal(pos), button, buttons,
                                                   Qt.KeyboardModifier.NoModifier))

    mouse(QEvent.Type.MouseButtonPress, start)
    mouse(QEvent.Type.MouseMove, start + QPointF(30, 30))
    moves = []
    for n in range(5):
        at = start + QPointF(40 + 20 * n, 60 + 15 * n)
        moves.append(ms(lambda at=at: (mouse(QEvent.Type.MouseMove, at), canvas.repaint())))
    QApplication.sendEvent(canvas, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier))
    mouse(QEvent.Type.MouseButtonRelease, start, Qt.MouseButton.NoButton)
    out["drag"] = statistics.median(moves)
    out["resize"] = gesture(canvas, mouse, QPointF(block.rect.center().x(), block.rect.bottom() - 1), QPointF(0, 12))
    geo = view.state.geometry(canvas.width())  # before the first booking (8 AM): free time to sweep
    out["sweep"] = gesture(canvas, mouse, QPointF(geo.column_x(0) + 10, canvas.y_of(7 * 60) + 3), QPointF(0, 8))
    return out


def gesture(canvas, mouse, start: QPointF, step: QPointF) -> float:
    """The median of five mouse moves (each repainted) of a press at ``start`` dragged by ``step`` a move; Esc."""
    mouse(QEvent.Type.MouseButtonPress, start)
    mouse(QEvent.Type.MouseMove, start + step * 2)
    moves = []
    for n in range(5):
        at = start + step * (3 + n)
        moves.append(ms(lambda at=at: (mouse(QEvent.Type.MouseMove, at), canvas.repaint())))
    assert canvas.dragging or canvas.sweeping, "the gesture did not take"
    QApplication.sendEvent(canvas, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier))
    mouse(QEvent.Type.MouseButtonRelease, start, Qt.MouseButton.NoButton)
    return statistics.median(moves)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--baseline-items", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    qapp = QApplication.instance() or QApplication([])
    zone = Profile().location.zone
    monday = week_start(datetime.now(zone).date())
    rng = random.Random(7)
    views = {}
    for name, items in (("baseline", args.baseline_items), ("heavy", args.items)):
        weeks = Weeks(monday, items, zone, rng)
        view = WeekCalendarView(weeks, zone, lambda: datetime.now(timezone.utc), LABELS)
        view.resize(1000, 640)
        view.show()
        view.refresh()
        wait_for(view.week_shown)
        qapp.processEvents()
        views[name] = (view, weeks)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in views}
    for _ in range(args.runs):
        for name, (view, weeks) in views.items():  # alternated, so both see the same machine
            view.activateWindow()
            qapp.processEvents()
            results[name].append(measure(view, weeks, monday, zone))
    keys = ["layout", "agenda", "day", "week", "paint", "grab", "cold", "key", "drag", "resize", "sweep"]
    print(f"calendar views, offscreen 1000 × 640, {args.runs} runs alternated, medians in ms "
          f"(load {os.getloadavg()[0]:.1f})")
    print(f"{'week':<10}{'items':>7}" + "".join(f"{k:>9}" for k in keys))
    for name, runs in results.items():
        items = args.baseline_items if name == "baseline" else args.items
        drawn = len(views[name][0].state.layout.items)
        print(f"{name:<10}{items:>7}" + "".join(f"{statistics.median(r[k] for r in runs):>9.2f}" for k in keys)
              + f"   ({drawn} drawn)")


if __name__ == "__main__":
    main()
