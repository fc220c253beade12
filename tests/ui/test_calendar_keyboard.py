"""The calendar by keyboard and mouse, as a person uses it: Alt+L to the bookings, arrows / Tab / Home / End between
them (a focus ring, an accessible description), Enter and the menu key; D / W / A for the day, week and agenda views,
T and Page Up / Page Down; the zone named; DST days on both sides; dragging a booking asks to move it, Esc cancels."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QApplication

from receptionist.domain.models import ExternalEventRecord
from receptionist.ui import week_keys
from receptionist.ui.calendar_view import AGENDA, DAY, WEEK_VIEW
from receptionist.ui.week_layout import CalendarItem
from receptionist.ui.week_painting import WEEK
from tests.ui.test_calendar_view import CHICAGO, WeekService, appt, at, make_view  # noqa: F401 - the fixture

pytestmark = pytest.mark.gui


def ext(rid, start, minutes=60):
    return ExternalEventRecord("google:primary", rid, f"Meeting {rid}", start, start + timedelta(minutes=minutes),
                               True, False, None)


@pytest.fixture
def week(make_view, qtbot):
    """Mon 9:00 (a), Mon 11:00 (b), Tue 10:30 (x, Google), Wed 10:00 (c); the view active, as a window is."""
    service = WeekService([appt("a", at(23, 9)), appt("b", at(23, 11)), appt("c", at(25, 10))],
                          [ext("x", at(24, 10, 30))])
    view = make_view(service)
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view, timeout=2000)
    return view


def focused_key(view) -> str | None:
    target = view.canvas.focused()
    return target.key.split("/")[-1] if isinstance(target, CalendarItem) else None


def agenda_texts(view) -> list[str]:
    model = view.agenda.model()
    return [model.data(model.index(n, 0)).strip() for n in range(model.rowCount())]


def press(qtbot, view, key, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(QApplication.focusWidget() or view, key, modifier)


def test_alt_l_then_arrows_home_end_move_between_bookings(qtbot, week):
    press(qtbot, week, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    assert week.canvas.hasFocus() and focused_key(week) == "a"
    moves = [(Qt.Key.Key_Down, "b"), (Qt.Key.Key_Down, "b"), (Qt.Key.Key_Right, "x"), (Qt.Key.Key_Right, "c"),
             (Qt.Key.Key_Right, "c"), (Qt.Key.Key_Left, "x"), (Qt.Key.Key_Up, "x"), (Qt.Key.Key_Home, "a"),
             (Qt.Key.Key_End, "c")]
    for key, expected in moves:
        press(qtbot, week, key)
        assert focused_key(week) == expected, (key, expected)
    # what a screen reader reads: the focused booking's description, and the grid's name
    assert "Meeting" not in week.canvas.accessibleDescription()
    assert week.canvas.accessibleDescription().startswith("Caller c — Cleaning. ")
    assert "11/25/2026" in week.canvas.accessibleDescription()
    assert week.canvas.accessibleName() == "Bookings of the week November 23 – 29, 2026"


def test_tab_walks_the_week_then_leaves_the_calendar(qtbot, week):
    press(qtbot, week, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    seen = [focused_key(week)]
    for _ in range(3):
        press(qtbot, week, Qt.Key.Key_Tab)
        seen.append(focused_key(week))
    assert seen == ["a", "b", "x", "c"]
    press(qtbot, week, Qt.Key.Key_Tab)
    assert not week.canvas.hasFocus()  # past the last booking, Tab moves on as anywhere else
    press(qtbot, week, Qt.Key.Key_Backtab)
    while not week.canvas.hasFocus():  # Shift+Tab comes back in on the last booking
        press(qtbot, week, Qt.Key.Key_Backtab)
    assert focused_key(week) == "c"


def test_enter_opens_ours_and_the_menu_key_asks_for_its_menu(qtbot, week):
    press(qtbot, week, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    with qtbot.waitSignal(week.appointment_activated, timeout=1000) as opened:
        press(qtbot, week, Qt.Key.Key_Return)
    assert opened.args == ["a"]
    press(qtbot, week, Qt.Key.Key_Down)
    with qtbot.waitSignal(week.appointment_context_menu_requested, timeout=1000) as menu:
        press(qtbot, week, Qt.Key.Key_Menu)
    assert menu.args[0] == "b"
    rect = week.canvas.focused_rect()
    assert week.canvas.rect().contains(week.canvas.mapFromGlobal(menu.args[1]))
    assert abs(week.canvas.mapFromGlobal(menu.args[1]).y() - rect.bottom()) <= 1
    with qtbot.waitSignal(week.appointment_context_menu_requested, timeout=1000) as menu:
        press(qtbot, week, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    assert menu.args[0] == "b"
    press(qtbot, week, Qt.Key.Key_Right)  # a calendar's event: Enter opens nothing of ours
    assert focused_key(week) == "x"
    with qtbot.assertNotEmitted(week.appointment_activated):
        press(qtbot, week, Qt.Key.Key_Return)


def test_the_focused_booking_has_a_ring_only_while_the_calendar_has_the_keyboard(qtbot, week):
    press(qtbot, week, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    rect = week.canvas.focused_rect()
    ring = QPoint(int(rect.center().x()), int(rect.top() - 3))  # on the 2 px ring drawn 3 px outside the block
    assert QColor(week.canvas.grab().toImage().pixel(ring)).lightness() < 80
    week.today_button.setEnabled(True)
    week.today_button.setFocus()
    assert QColor(week.canvas.grab().toImage().pixel(ring)).lightness() > 200


def test_day_agenda_and_week_by_keys_with_the_zone_named(qtbot, week):
    press(qtbot, week, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    assert week.zone_label.text() == "America/Chicago (CST)"
    press(qtbot, week, Qt.Key.Key_D)
    assert week.mode == DAY and week.state.days == (0,) and week.title_label.text() == "Monday, Nov 23, 2026"
    assert sorted(b.target.key for b in week.canvas.frame().blocks()) == ["a", "b"]
    assert week.prev_button.toolTip() == "Previous day (Page Up)"
    press(qtbot, week, Qt.Key.Key_PageDown)
    assert week.day == date(2026, 11, 24) and [b.target.title for b in week.canvas.frame().blocks()] == ["Meeting x"]
    assert week.today_button.isEnabled()
    for _ in range(6):  # into the next week: read on the worker, then shown
        press(qtbot, week, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: week.state.first_day == date(2026, 11, 30) and not week.loading_label.isVisible(),
                    timeout=3000)
    assert week.day == date(2026, 11, 30) and week.state.days == (0,)
    press(qtbot, week, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: week.state.first_day == date(2026, 11, 23) and not week.loading_label.isVisible(),
                    timeout=3000)
    assert week.day == date(2026, 11, 23) and not week.today_button.isEnabled()

    press(qtbot, week, Qt.Key.Key_A)
    assert week.mode == AGENDA and week.agenda.hasFocus()
    texts = agenda_texts(week)
    # it is 9:00 AM: a's time has come with no mark, b's has not
    assert texts[:4] == ["Monday 11/23  · today", "9:00 AM – 9:30 AM   Caller a — Cleaning   ⚠ Not marked",
                         "11:00 AM – 11:30 AM   Caller b — Cleaning", "Tuesday 11/24"]
    assert "10:30 AM – 11:30 AM   Meeting x   · Google Calendar" in texts and "Nothing booked" in texts
    model = week.agenda.model()
    assert model.flags(model.index(0, 0)) == Qt.ItemFlag.NoItemFlags  # a day's heading is not a stop
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole).startswith("Caller a — Cleaning\n")
    week.agenda.select_first()
    press(qtbot, week, Qt.Key.Key_Down)
    with qtbot.waitSignal(week.appointment_activated, timeout=1000) as opened:
        press(qtbot, week, Qt.Key.Key_Return)
    assert opened.args == ["b"]
    with qtbot.waitSignal(week.appointment_context_menu_requested, timeout=1000) as menu:
        press(qtbot, week, Qt.Key.Key_Menu)
    assert menu.args[0] == "b"
    press(qtbot, week, Qt.Key.Key_W)
    assert week.mode == WEEK_VIEW and week.state.days == WEEK and week.canvas.hasFocus()
    assert len(week.canvas.frame().blocks()) == 4


def test_the_mode_buttons_switch_views(qtbot, week):
    qtbot.mouseClick(week.mode_buttons[DAY], Qt.MouseButton.LeftButton)
    assert week.mode == DAY and week.mode_buttons[DAY].isChecked()
    qtbot.mouseClick(week.mode_buttons[AGENDA], Qt.MouseButton.LeftButton)
    assert week.stack.currentWidget() is week.agenda
    qtbot.mouseClick(week.mode_buttons[WEEK_VIEW], Qt.MouseButton.LeftButton)
    assert week.stack.currentWidget() is not week.agenda and week.mode_buttons[WEEK_VIEW].isChecked()


@pytest.mark.parametrize("day, items, expected, zone_name", [
    # fall back (Sun 11/1/2026): 1:30 AM happens twice, once CDT and once CST; 10 AM is CST
    (date(2026, 11, 1), [("early", datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc), 30),
                         ("again", datetime(2026, 11, 1, 7, 30, tzinfo=timezone.utc), 30),
                         ("late", datetime(2026, 11, 1, 16, 0, tzinfo=timezone.utc), 30)],
     {"early": "1:30 AM CDT – 1:00 AM CST", "again": "1:30 AM – 2:00 AM", "late": "10:00 AM – 10:30 AM"}, "CST"),
    # spring forward (Sun 3/8/2026): 2:00–3:00 AM does not exist; an hour from 1:30 CST ends 3:30 CDT
    (date(2026, 3, 8), [("across", datetime(2026, 3, 8, 7, 30, tzinfo=timezone.utc), 60),
                        ("after", datetime(2026, 3, 8, 8, 30, tzinfo=timezone.utc), 30),
                        ("late", datetime(2026, 3, 8, 15, 0, tzinfo=timezone.utc), 30)],
     {"across": "1:30 AM CST – 3:30 AM CDT", "after": "3:30 AM – 4:00 AM", "late": "10:00 AM – 10:30 AM"}, "CDT"),
])
def test_dst_days_show_wall_times_on_both_sides(qtbot, make_view, day, items, expected, zone_name):
    service = WeekService([appt(key, start, minutes) for key, start, minutes in items])
    service.now = datetime.combine(day, datetime.min.time().replace(hour=12), CHICAGO).astimezone(timezone.utc)
    view = make_view(service)
    with qtbot.waitSignal(view.week_shown, timeout=3000):
        view.show_day(day)
    assert view.title_label.text() == f"Sunday, {day:%b} {day.day}, {day.year}"
    shown = {b.target.key: b.target.time_label for b in view.canvas.frame().blocks()}
    assert shown == expected
    assert view.zone_label.text() == f"America/Chicago ({zone_name})"
    assert view.state.days == (6,)
    blocks = {b.target.key: b for b in view.canvas.frame().blocks()}
    if "early" in blocks:  # the two 1:30s share the grid's half hour side by side, each 30 minutes tall
        early, again = blocks["early"], blocks["again"]
        assert early.rect.top() == again.rect.top() and early.rect.height() == again.rect.height()
        assert {early.target.lane, again.target.lane} == {0, 1}
    # the blocks sit at their wall times: later on the grid, further down
    tops = {b.target.key: b.rect.top() for b in view.canvas.frame().blocks()}
    assert tops["late"] > max(top for key, top in tops.items() if key != "late")
    view.set_mode(AGENDA)
    assert f"{expected['late']}   Caller late — Cleaning   ⚠ Not marked" in agenda_texts(view)  # noon now


def test_the_keyboard_step_rules_without_widgets():
    items = [CalendarItem("appointment", k, k, day, at(23 + day, hour), at(23 + day, hour, 30))
             for k, day, hour in (("a", 0, 9), ("b", 0, 11), ("x", 1, 10), ("c", 4, 15))]
    assert week_keys.step(items, None, week_keys.NEXT).key == "a"
    assert week_keys.step(items, None, week_keys.PREVIOUS).key == "c"
    assert week_keys.step(items, items[3], week_keys.NEXT) is None
    assert week_keys.step(items, items[0], week_keys.PREVIOUS) is None
    assert week_keys.step(items, items[2], week_keys.RIGHT).key == "c"  # empty days are skipped
    assert week_keys.step(items, items[3], week_keys.LEFT).key == "x"
    assert week_keys.step([], None, week_keys.NEXT) is None
    moved = CalendarItem("appointment", "b", "b", 0, at(23, 12), at(23, 12, 30))  # laid out again after news
    assert week_keys.find_again([items[0], moved], items[1]) is moved


# --- drag -----------------------------------------------------------------------------------------------------------


def mouse(widget, kind, pos: QPointF, buttons=Qt.MouseButton.LeftButton):
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    QApplication.sendEvent(widget, QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons,
                                               Qt.KeyboardModifier.NoModifier))


def drag(view, key: str, day: int, minutes: int, release=True):
    canvas = view.canvas
    rect = next(b.rect for b in canvas.frame().blocks() if b.target.key == key)
    start = QPointF(rect.center().x(), rect.top() + 4)  # taken near its top: it lands where its top is dropped
    geo = view.state.geometry(canvas.width())
    target = QPointF(geo.column_x(day) + geo.column_width() / 2,
                     canvas.y_of(minutes) + (start.y() - rect.top()))
    mouse(canvas, QEvent.Type.MouseButtonPress, start)
    for n in range(1, 6):
        mouse(canvas, QEvent.Type.MouseMove, start + (target - start) * (n / 5))
    if release:
        mouse(canvas, QEvent.Type.MouseButtonRelease, target, Qt.MouseButton.NoButton)


def test_dragging_a_booking_asks_to_move_it_to_the_quarter_hour_it_is_dropped_on(qtbot, week):
    with qtbot.waitSignal(week.appointment_move_requested, timeout=1000) as moved:
        drag(week, "a", 1, 14 * 60 + 15)
    assert moved.args == ["a", datetime(2026, 11, 24, 14, 15, tzinfo=CHICAGO), None, None]
    assert not week.canvas.dragging


def test_esc_cancels_a_drag_and_a_calendar_event_does_not_move(qtbot, week):
    with qtbot.assertNotEmitted(week.appointment_move_requested):
        drag(week, "a", 2, 15 * 60, release=False)
        assert week.canvas.dragging
        qtbot.keyClick(week.canvas, Qt.Key.Key_Escape)
        assert not week.canvas.dragging
        mouse(week.canvas, QEvent.Type.MouseButtonRelease, QPointF(300, 300), Qt.MouseButton.NoButton)
        drag(week, "google:primary/x", 3, 15 * 60)


def test_enter_on_a_more_chip_lists_what_it_holds(qtbot, make_view):
    view = make_view(WeekService([appt(f"p{n}", at(23, 10)) for n in range(6)]))
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view, timeout=2000)
    press(qtbot, view, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    press(qtbot, view, Qt.Key.Key_End)
    chip = view.canvas.focused()
    assert not isinstance(chip, CalendarItem) and chip.text == "+3 more"
    assert view.canvas.accessibleDescription().count("Caller p") == 3
    press(qtbot, view, Qt.Key.Key_Return)
    menu = view.canvas.more_menu
    assert menu is not None and menu.isVisible() and len(menu.actions()) == 3
    menu.close()
