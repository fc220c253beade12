"""N (a new booking from the keyboard) in the day view's chair columns books on the chair of the column that has the
focus — the focused booking's, N then booking right after it — else of the column under the mouse pointer, as a
sweep in that column does; ``Other`` and the week view leave the chair to the rule ("First free")."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QCursor

from tests.helpers.ui import opened
from tests.ui.test_appointment_actions import window  # noqa: F401 - fixture
from tests.ui.test_calendar_drag import (  # noqa: F401 - the profile fixture: two chairs
    booked,
    column_x,
    day_view_of_tuesday,
    profile,
)

pytestmark = pytest.mark.gui


def new_booking(qtbot, win, previous=None):
    """Press N on the calendar; the booking dialog it opens."""
    qtbot.keyClick(win.calendar.canvas, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: win.booking_dialog is not None and win.booking_dialog is not previous, timeout=3000)
    return win.booking_dialog


def point_at(win, column: int, hour: int) -> None:
    """The mouse pointer over a chair column of the day view, at ``hour``."""
    canvas = win.calendar.canvas
    QCursor.setPos(canvas.mapToGlobal(QPoint(int(column_x(win, column)), int(canvas.y_of(hour * 60)) + 3)))


def test_n_books_on_the_chair_of_the_focused_bookings_column(qtbot, window, desk):  # noqa: F811
    ana, bo = booked(qtbot, window, desk, ("Ana Ruiz", 10), ("Bo Lee", 10))
    assert [desk.desk.appointments.get(i).resource for i in (ana, bo)] == ["Chair 1", "Chair 2"]
    day_view_of_tuesday(qtbot, window)
    canvas = window.calendar.canvas
    point_at(window, 0, 15)  # the pointer over Chair 1: the keyboard's column wins
    canvas.setFocus(Qt.FocusReason.TabFocusReason)
    for _ in range(3):
        if canvas.focused().key == bo:
            break
        qtbot.keyClick(canvas, Qt.Key.Key_Tab)
    assert canvas.focused().key == bo
    dialog = new_booking(qtbot, window)
    assert dialog.resource_edit.currentData() == "Chair 2"
    assert (dialog.time_edit.time().hour(), dialog.time_edit.time().minute()) == (11, 0)  # right after Bo's
    dialog.close()
    canvas.setFocus()
    while canvas.focused().key != ana:
        qtbot.keyClick(canvas, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    dialog = new_booking(qtbot, window, dialog)
    assert dialog.resource_edit.currentData() == "Chair 1"
    dialog.close()


def test_without_a_focused_booking_n_takes_the_column_under_the_pointer(qtbot, window, desk):  # noqa: F811
    day_view_of_tuesday(qtbot, window)  # nothing booked that day
    canvas = window.calendar.canvas
    canvas.setFocus()
    assert canvas.focused() is None
    point_at(window, 1, 13)
    dialog = new_booking(qtbot, window)
    assert dialog.resource_edit.currentData() == "Chair 2"
    dialog.close()
    point_at(window, 2, 13)  # "Other": the rule picks
    dialog = new_booking(qtbot, window, dialog)
    assert dialog.resource_edit.currentData() is None
    dialog.close()
    QCursor.setPos(window.mapToGlobal(QPoint(5, 5)))  # away from the calendar
    dialog = new_booking(qtbot, window, dialog)
    assert dialog.resource_edit.currentData() is None
    dialog.close()
    # the week view has no chair columns: the pointer over Tuesday's column picks no chair
    qtbot.keyClick(canvas, Qt.Key.Key_W)
    qtbot.waitUntil(lambda: window.calendar.state.days == tuple(range(7)), timeout=3000)
    geo = window.calendar.state.geometry(canvas.width())
    QCursor.setPos(canvas.mapToGlobal(QPoint(int(geo.column_x(1) + geo.column_width() * 0.8),
                                             int(canvas.y_of(13 * 60)))))
    dialog = new_booking(qtbot, window, dialog)
    assert dialog.resource_edit.currentData() is None
