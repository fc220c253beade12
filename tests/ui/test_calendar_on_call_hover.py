"""Hovering an on-call band in the day or week view names who is on call: the person, their phone and the whole
shift's from and until in the location's zone (each with its zone name, as a shift may cross a DST change), where
the rota comes from and whether it is out of date; a booking over a band keeps its own tooltip; free time with
nobody on call has none."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from receptionist.domain.on_call import OnCall
from tests.ui.test_calendar_on_call import CHICAGO, KEY, SHIFTS, chicago, desk, shown  # noqa: F401 - the fixture

pytestmark = pytest.mark.gui

COVER = OnCall("Dr. Cy Park", "+13125550133", chicago(23, 18), chicago(23, 19))  # over Monday night's second hour


def hover(qtbot, view, day: int, minutes: int, dx: float = 60) -> str | None:
    """The tooltip shown over ``day``'s column at ``minutes`` after midnight (None: no tooltip)."""
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=3000)  # the last one is gone
    canvas = view.canvas
    geo = view.state.geometry(canvas.width())
    pos = QPoint(int(geo.column_x(day) + dx), int(canvas.y_of(minutes)) + 2)
    QApplication.sendEvent(canvas, QHelpEvent(QEvent.Type.ToolTip, pos, canvas.mapToGlobal(pos)))
    return QToolTip.text() if QToolTip.isVisible() else None


ANA = ("On call: Dr. Ana Ruiz\n(312) 555-0111\nFrom Mon 11/23/2026 5:00 PM CST\nuntil Tue 11/24/2026 9:00 AM CST")


def test_hovering_a_band_names_the_person_their_phone_and_the_shift(qtbot, desk, store, clock):  # noqa: F811
    store.on_call.replace(KEY, SHIFTS + [COVER], [], clock())
    view = shown(qtbot, desk, clock)
    view.scroll_to_hour(15)
    assert hover(qtbot, view, 0, 17 * 60 + 30) == ANA + "\n\nSource: the on-call calendar."
    # under the cover, both shifts: the one answering (the cover, started last) first
    assert hover(qtbot, view, 0, 18 * 60 + 30) == ("On call: Dr. Cy Park\n(312) 555-0133\nFrom Mon 11/23/2026 6:00 PM CST\n"
                                            "until Mon 11/23/2026 7:00 PM CST\n\n" + ANA +
                                            "\n\nSource: the on-call calendar.")
    assert hover(qtbot, view, 0, 12 * 60) is None  # Monday noon: nobody on call, nothing to say
    # the day view of Tuesday: the night's morning piece names the whole shift, from Monday evening
    view.canvas.setFocus()
    qtbot.keyClick(view.canvas, Qt.Key.Key_D)
    qtbot.keyClick(view.canvas, Qt.Key.Key_PageDown)
    view.scroll_to_hour(7)
    assert hover(qtbot, view, 1, 8 * 60) == ANA + "\n\nSource: the on-call calendar."
    assert hover(qtbot, view, 1, 10 * 60).startswith("On call: Dr. Bo Chen\n(312) 555-0112\nFrom Tue 11/24/2026 9:00 AM")


def test_a_booking_over_a_band_keeps_its_own_tooltip(qtbot, desk, store, clock):  # noqa: F811
    store.on_call.replace(KEY, SHIFTS, [], clock())
    desk.appointments.book("Jo Lee", "+13125550150", "Consultation", chicago(24, 12), 60)
    view = shown(qtbot, desk, clock)
    view.scroll_to_hour(9)
    text = hover(qtbot, view, 1, 12 * 60 + 30, dx=20)
    assert text is not None and text.startswith("Jo Lee") and "On call" not in text
    assert hover(qtbot, view, 1, 15 * 60, dx=20).startswith("On call: Dr. Bo Chen")


def test_a_shift_across_the_dst_change_names_each_end_in_its_own_zone(qtbot, desk, store, clock):  # noqa: F811
    night = OnCall("Dr. Ana Ruiz", "+13125550111", datetime(2026, 10, 31, 18, tzinfo=CHICAGO).astimezone(timezone.utc),
                   datetime(2026, 11, 1, 8, tzinfo=CHICAGO).astimezone(timezone.utc))
    store.on_call.replace(KEY, [night], [], clock() - timedelta(hours=3))
    clock.advance(hours=9)  # read 12 hours ago: out of date
    view = shown(qtbot, desk, clock)
    view.canvas.setFocus()
    for _ in range(4):  # back to the week of Monday 10/26 (Sunday 11/1: the clocks go back)
        qtbot.keyClick(view.canvas, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: any(b.person == "Dr. Ana Ruiz" for b in view.state.layout.bands), timeout=3000)
    [saturday] = [b.day for b in view.state.layout.bands if b.start.day == 31]
    view.scroll_to_hour(15)
    assert hover(qtbot, view, saturday, 19 * 60 + 30) == (
        "On call: Dr. Ana Ruiz\n(312) 555-0111\nFrom Sat 10/31/2026 6:00 PM CDT\nuntil Sun 11/01/2026 8:00 AM CST\n\n"
        "Source: the on-call calendar.\n⚠ Out of date: the on-call calendar was last read 12 hours ago.")
