"""The calendar shows who is on call from the shared on-call calendar: a shaded band with a stripe and the person's
name over the hours of each shift in its day's column (a night shift as the evening and the next morning), the
legend's "On call", the nav row naming who is on call for the day shown, and a warning when the stored shifts are
out of date. Over a real desk and store; drawn pixels checked."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.on_call import OnCall
from receptionist.ui import theme
from receptionist.ui.calendar_view import WeekCalendarView
from tests.helpers.desk import make_desk

pytestmark = pytest.mark.gui

CHICAGO = ZoneInfo("America/Chicago")
KEY = "google:rota@group.calendar.google.com"
PROFILE = Profile.from_dict({"google": {"enabled": True}, "availability": {"on_call_calendar": KEY}})


def chicago(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=CHICAGO).astimezone(timezone.utc)


SHIFTS = [OnCall("Dr. Ana Ruiz", "+13125550111", chicago(23, 17), chicago(24, 9)),  # Monday night into Tuesday
          OnCall("Dr. Bo Chen", "+13125550112", chicago(24, 9), chicago(24, 17))]


@pytest.fixture
def desk(store, clock):
    return make_desk(store, PROFILE, events.EventBus(), {"google:primary": "Google Calendar"}, clock=clock)


def shown(qtbot, desk, clock, width=1000):
    view = WeekCalendarView(desk.appointments, CHICAGO, clock, {"google:primary": "Google Calendar"},
                            on_call=desk.on_call)
    qtbot.addWidget(view)
    view.resize(width, 700)
    view.show()
    qtbot.waitExposed(view)
    with qtbot.waitSignal(view.week_shown, timeout=3000):
        view.refresh()
    return view


def pixel(view, day: int, minutes: int, dx: float) -> QColor:
    geo = view.state.geometry(view.canvas.width())
    image = view.canvas.grab().toImage()
    ratio = image.devicePixelRatio()
    x, y = geo.column_x(day) + dx, view.canvas.y_of(minutes) + 4
    return image.pixelColor(int(x * ratio), int(y * ratio))


def test_each_shift_is_a_labelled_band_in_its_days_column(qtbot, desk, store, clock):
    store.on_call.replace(KEY, SHIFTS, [], clock())
    view = shown(qtbot, desk, clock)
    bands = [(b.day, b.start_minutes, b.end_minutes, b.person) for b in view.state.layout.bands]
    assert bands == [(0, 17 * 60, 1440, "Dr. Ana Ruiz"), (1, 0, 9 * 60, "Dr. Ana Ruiz"),
                     (1, 9 * 60, 17 * 60, "Dr. Bo Chen")]
    assert view.on_call_legend.isVisible() and "on-call calendar" in view.on_call_legend.toolTip()
    assert pixel(view, 0, 18 * 60, 2).name() == theme.ON_CALL_COLOR  # the stripe, Monday evening
    assert pixel(view, 0, 18 * 60, 60).name() == theme.ON_CALL_FILL  # the shade beside it
    assert pixel(view, 0, 12 * 60, 60).name() != theme.ON_CALL_FILL  # Monday noon: nobody on call
    assert pixel(view, 1, 8 * 60, 2).name() == theme.ON_CALL_COLOR  # Tuesday morning, the night's end
    # the nav row: now (Monday 9 AM) nobody; the day view of Tuesday at noon, Dr. Bo Chen
    assert view.on_call_label.text() == "On call: nobody"
    view.canvas.setFocus()
    qtbot.keyClick(view.canvas, Qt.Key.Key_D)
    qtbot.keyClick(view.canvas, Qt.Key.Key_PageDown)
    assert view.on_call_label.text() == "On call: Dr. Bo Chen until 5:00 PM"
    assert "(from the on-call calendar)" in view.on_call_label.toolTip()
    assert pixel(view, 1, 10 * 60, 2).name() == theme.ON_CALL_COLOR


def test_out_of_date_shifts_are_marked_in_the_nav_row(qtbot, desk, store, clock):
    store.on_call.replace(KEY, SHIFTS, [], clock() - timedelta(hours=3))
    clock.advance(hours=9)  # Monday 6 PM: Dr. Ana Ruiz's night
    view = shown(qtbot, desk, clock)
    assert view.on_call_label.text() == "On call: Dr. Ana Ruiz until 9:00 AM ⚠"
    assert "Out of date: the on-call calendar was last read 12 hours ago" in view.on_call_label.toolTip()


def test_without_a_roster_or_an_on_call_calendar_no_band_and_no_legend(qtbot, store, clock, profile):
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    view = shown(qtbot, desk, clock)
    assert view.state.layout.bands == () and not view.on_call_legend.isVisible()
    assert not view.on_call_label.isVisible()


def test_the_agenda_says_who_is_on_call_under_each_day(qtbot, desk, store, clock):
    store.on_call.replace(KEY, SHIFTS + [OnCall("Dr. Cy Park", "+1", chicago(25, 0), chicago(26, 0))], [], clock())
    view = shown(qtbot, desk, clock)
    qtbot.keyClick(view.canvas, Qt.Key.Key_A)
    rows = [row.text.strip() for row in view.agenda.agenda.rows]
    assert rows[:2] == ["Monday 11/23  · today", "On call: Dr. Ana Ruiz from 5:00 PM"]
    tuesday = rows.index("Tuesday 11/24")
    assert rows[tuesday + 1] == "On call: Dr. Ana Ruiz until 9:00 AM · Dr. Bo Chen 9:00 AM – 5:00 PM"
    assert rows[rows.index("Wednesday 11/25") + 1] == "On call: Dr. Cy Park all day"
    assert rows[rows.index("Thursday 11/26") + 1] == "Nothing booked"
    on_call_row = view.agenda.agenda.rows[1]
    assert on_call_row.item is None  # not a booking: the keyboard passes over it
