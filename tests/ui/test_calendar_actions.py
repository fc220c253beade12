"""The calendar in the real window over a real desk: Enter on a booking opens it; a booking dragged to a free time
opens the reschedule dialog at that time, says it is free, and the move goes to every calendar (links Pending); a
drop on a taken time says why; the reschedule dialog lists the nearest free times (picked by keyboard) and the reasons
a typed time is refused — by the rule ``receptionist availability check`` answers with."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QDate, QEvent, QPointF, Qt, QTime
from PySide6.QtWidgets import QApplication

from receptionist.domain.models import SyncState
from receptionist.ui.appointment_dialog import RescheduleDialog
from receptionist.ui.slot_picker import SLOT_ROLE, nearest
from receptionist.domain.schedule import Slot
from tests.helpers.ui import opened
from tests.ui.test_appointment_actions import book, settle, sync, wait_synced, window  # noqa: F401 - fixture
from tests.ui.test_calendar_keyboard import mouse

pytestmark = pytest.mark.gui


def shown(qtbot, win, *ids):
    qtbot.waitUntil(lambda: {i.key for i in win.calendar.items} >= set(ids), timeout=3000)


def drop(win, appointment_id: str, day: int, minutes: int) -> None:
    canvas = win.calendar.canvas
    rect = next(b.rect for b in canvas.frame().blocks() if b.target.key == appointment_id)
    start = QPointF(rect.center().x(), rect.top() + 4)
    geo = win.calendar.state.geometry(canvas.width())
    target = QPointF(geo.column_x(day) + geo.column_width() / 2, canvas.y_of(minutes) + 4)
    mouse(canvas, QEvent.Type.MouseButtonPress, start)
    for n in range(1, 6):
        mouse(canvas, QEvent.Type.MouseMove, start + (target - start) * (n / 5))
    mouse(canvas, QEvent.Type.MouseButtonRelease, target, Qt.MouseButton.NoButton)


def verdict(qtbot, dialog, text: str) -> str:
    qtbot.waitUntil(lambda: text in dialog.suggestions.verdict.text(), timeout=3000)
    return dialog.suggestions.verdict.text()


def listed(dialog) -> list[str]:
    return [dialog.suggestions.list.item(n).text() for n in range(dialog.suggestions.list.count())]


def test_enter_on_a_booking_in_the_week_opens_it(qtbot, window, desk):
    [first, second] = book(qtbot, desk, "2026-11-24T10:30:00", "2026-11-25T09:00:00")
    shown(qtbot, window, first, second)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    assert window.calendar.canvas.hasFocus()
    qtbot.keyClick(window.calendar.canvas, Qt.Key.Key_Right)  # Tuesday's to Wednesday's
    qtbot.keyClick(window.calendar.canvas, Qt.Key.Key_Return)
    dialog = opened(qtbot, window, "appointment_dialog")
    assert dialog.appointment_id == second and dialog.heading.text() == "Caller 1 — Teeth cleaning"


def test_a_drag_to_a_free_time_moves_it_everywhere_after_confirming(qtbot, window, desk):
    [appt_id] = book(qtbot, desk, "2026-11-24T10:30:00")
    sync(desk)
    wait_synced(qtbot, window, appt_id)
    shown(qtbot, window, appt_id)
    drop(window, appt_id, 2, 14 * 60)  # Wednesday 2:00 PM
    dialog = opened(qtbot, window, "action_dialog")
    assert isinstance(dialog, RescheduleDialog)
    assert dialog.date_edit.date() == QDate(2026, 11, 25) and dialog.time_edit.time() == QTime(14, 0)
    assert verdict(qtbot, dialog, "is free") == "✓ Wed 11/25 2:00 PM is free."
    assert desk.desk.appointments.get(appt_id).start.hour == 16  # nothing moved before confirming (10:30 CST)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    moved = desk.desk.appointments.get(appt_id)
    zone = desk.profile.location.zone
    assert moved.start == datetime(2026, 11, 25, 14, 0, tzinfo=zone)
    assert {link.state for link in moved.links} == {SyncState.PENDING}  # the calendars follow at the next sync
    sync(desk)
    assert [e.start for e in desk.google.events.values()] == [moved.start]


def test_a_drop_on_a_taken_time_says_why_and_esc_keeps_it(qtbot, window, desk):
    [first, second] = book(qtbot, desk, "2026-11-24T10:30:00", "2026-11-24T13:00:00")
    shown(qtbot, window, first, second)
    drop(window, first, 1, 13 * 60)  # onto Caller 1's 1:00 PM
    dialog = opened(qtbot, window, "action_dialog")
    text = verdict(qtbot, dialog, "is not free")
    assert text.startswith("⚠ Tue 11/24 1:00 PM is not free: ") and "Caller 1" in text
    qtbot.waitUntil(lambda: dialog.suggestions.list.count() > 0, timeout=3000)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert desk.desk.appointments.get(first).version == 1


def test_the_reschedule_dialog_offers_the_nearest_free_times_picked_by_keyboard(qtbot, window, desk):
    [first, second] = book(qtbot, desk, "2026-11-24T10:30:00", "2026-11-24T11:30:00")
    window.open_action(first, "reschedule")
    dialog = opened(qtbot, window, "action_dialog")
    qtbot.waitUntil(lambda: dialog.suggestions.list.count() == 8, timeout=3000)
    # its own 10:30 is free for it; 45 minutes from 11:00 to 12:00 would run into Caller 1's 11:30–12:15
    offered = listed(dialog)
    assert offered[0].startswith("Tue 11/24") and "Tue 11/24   10:30 AM" in offered
    assert "Tue 11/24   10:45 AM" in offered
    assert not [t for t in offered if t.endswith(("11:00 AM", "11:15 AM", "11:30 AM", "11:45 AM", "12:00 PM"))]
    expected = desk.desk.availability.free_slots(None, datetime(2026, 11, 24).date(), 7, moving=first).slots
    wanted = desk.desk.appointments.get(first).start
    assert [dialog.suggestions.list.item(n).data(SLOT_ROLE) for n in range(8)] == [
        s.start for s in nearest(expected, wanted)]
    assert verdict(qtbot, dialog, "is free") == "✓ Tue 11/24 10:30 AM is free."

    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2000)
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)  # Free time&s nearby
    assert dialog.suggestions.list.hasFocus()
    qtbot.keyClick(dialog.suggestions.list, Qt.Key.Key_End)
    last = dialog.suggestions.list.currentItem().data(SLOT_ROLE).astimezone(dialog.zone)
    assert (dialog.date_edit.date(), dialog.time_edit.time()) == (QDate(last.year, last.month, last.day),
                                                                  QTime(last.hour, last.minute))
    assert dialog.suggestions.list.count() == 8  # picking does not search again under the arrow keys

    dialog.time_edit.setTime(QTime(11, 0))  # typed: runs into Caller 1
    dialog.date_edit.setDate(QDate(2026, 11, 24))
    assert "Caller 1" in verdict(qtbot, dialog, "is not free")
    dialog.date_edit.setDate(QDate(2026, 11, 29))  # a Sunday
    assert "we are closed on Sundays" in verdict(qtbot, dialog, "Sun 11/29")
    dialog.date_edit.setDate(QDate(2026, 11, 24))
    dialog.time_edit.setTime(QTime(10, 30))
    assert verdict(qtbot, dialog, "10:30 AM is free")
    dialog.length_spin.setValue(90)  # a longer visit from 10:30 runs into Caller 1
    assert "Caller 1" in verdict(qtbot, dialog, "10:30 AM is not free")
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=3000)
    assert "Tue 11/24   10:30 AM" not in listed(dialog)  # a new length searches again


def test_nearest_keeps_the_closest_in_time_order():
    base = datetime(2026, 11, 24, 15)
    slots = [Slot(base + timedelta(minutes=15 * n), base + timedelta(minutes=15 * n + 30)) for n in range(-10, 10)]
    chosen = nearest(slots, base + timedelta(minutes=5), count=3)
    assert [s.start for s in chosen] == [base - timedelta(minutes=15), base, base + timedelta(minutes=15)]


# --- booking on free time -------------------------------------------------------------------------------------------


def click_free_time(win, day: int, minutes: int) -> None:
    canvas = win.calendar.canvas
    geo = win.calendar.state.geometry(canvas.width())
    at = QPointF(geo.column_x(day) + geo.column_width() / 2, canvas.y_of(minutes) + 5)
    mouse(canvas, QEvent.Type.MouseButtonPress, at)
    mouse(canvas, QEvent.Type.MouseButtonRelease, at, Qt.MouseButton.NoButton)


def test_a_click_on_free_time_books_there_for_every_calendar(qtbot, window, desk):
    click_free_time(window, 2, 14 * 60)  # Wednesday, in the 2:00 PM quarter hour
    dialog = opened(qtbot, window, "booking_dialog")
    assert dialog.date_edit.date() == QDate(2026, 11, 25) and dialog.time_edit.time() == QTime(14, 0)
    assert verdict(qtbot, dialog, "is free") == "✓ Wed 11/25 2:00 PM is free."
    assert dialog.caller_edit.hasFocus()
    qtbot.keyClicks(dialog.caller_edit, "Ana Ruiz")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # no number: refused, in the dialog
    settle(qtbot, window)
    assert dialog.isVisible() and "no callback number" in dialog.error_label.text()
    assert desk.desk.appointments.between() == []
    qtbot.keyClicks(dialog.phone_edit, "(312) 555-0199")
    dialog.service_edit.setCurrentText("Cleaning")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    [appt] = desk.desk.appointments.between()
    assert appt.caller_name == "Ana Ruiz" and appt.start == datetime(2026, 11, 25, 14, tzinfo=dialog.zone)
    assert {link.state for link in appt.links} == {SyncState.PENDING} and len(appt.links) == 2
    shown(qtbot, window, appt.id)
    sync(desk)
    assert [e.start for e in desk.outlook.events.values()] == [appt.start]


def test_n_books_right_after_the_focused_booking_and_a_taken_time_says_why(qtbot, window, desk):
    [first] = book(qtbot, desk, "2026-11-24T10:30:00")
    shown(qtbot, window, first)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(window.calendar.canvas, Qt.Key.Key_N)
    dialog = opened(qtbot, window, "booking_dialog")
    assert dialog.time_edit.time() == QTime(11, 15)  # Caller 0's 45 minutes end at 11:15
    assert verdict(qtbot, dialog, "is free")
    dialog.time_edit.setTime(QTime(10, 45))
    assert "Caller 0" in verdict(qtbot, dialog, "10:45 AM is not free")
    qtbot.waitUntil(lambda: dialog.suggestions.list.count() > 0, timeout=3000)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=3000)
