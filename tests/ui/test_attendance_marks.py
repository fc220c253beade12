"""Whether the caller came, where appointments are shown: the appointments table's Status, the week and day grid,
the agenda and their hover / accessible texts. A glyph and words every time (never colour alone), and "⚠ Not
marked" for a booking whose time has come that nobody marked, to prompt the desk."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from receptionist.domain.models import AppointmentStatus, Attendance, attendance_mark
from receptionist.ui.agenda_view import agenda_line
from receptionist.ui.calendar_view import AGENDA, DAY
from receptionist.ui.main_window import MainWindow
from receptionist.ui.models import AppointmentTableModel

NOW = datetime(2026, 11, 24, 17, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("status", "start", "attendance", "shown"), [
    (AppointmentStatus.CONFIRMED, NOW + timedelta(minutes=1), None, ""),  # still to come
    (AppointmentStatus.CONFIRMED, NOW, None, "⚠ Not marked"),  # its time has come
    (AppointmentStatus.CONFIRMED, NOW - timedelta(days=3), None, "⚠ Not marked"),
    (AppointmentStatus.CONFIRMED, NOW - timedelta(hours=1), Attendance.ATTENDED, "✓ Attended"),
    (AppointmentStatus.CONFIRMED, NOW - timedelta(hours=1), Attendance.NO_SHOW, "✗ No-show"),
    (AppointmentStatus.CANCELLED, NOW - timedelta(hours=1), None, ""),  # nobody is expected
])
def test_attendance_mark_is_a_glyph_and_words(status, start, attendance, shown):
    assert attendance_mark(status, start, attendance, NOW) == shown


@pytest.fixture
def window(qtbot, desk):
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def book(qtbot, desk, *starts: str) -> list[str]:
    """Approved calls for each local start, the appointment ids in that order."""
    for i, start in enumerate(starts):
        desk.submit_call(requested_start=start, caller={"name": f"Caller {i}", "callback_number": "(312) 555-0142",
                                                        "account_id": None})
    qtbot.waitUntil(lambda: len(desk.desk.bookings.calls()) == len(starts), timeout=5000)
    return [desk.desk.bookings.approve(c.proposal.id, c.proposal.version).id
            for c in sorted(desk.desk.bookings.calls(), key=lambda c: c.proposal.start)]


def statuses(window) -> dict[str, str]:
    model = window.sync_panel.model
    return {model.data(model.index(r, 0), AppointmentTableModel.Role.APPOINTMENT_ID):
            model.data(model.index(r, AppointmentTableModel.Column.STATUS)) for r in range(model.rowCount())}


def marks(window) -> dict[str, str]:
    return {item.key: item.mark for item in window.calendar.items}


def test_the_table_and_the_calendar_show_attended_no_show_and_not_marked(qtbot, window, desk):
    came, missed, unmarked, later = book(qtbot, desk, "2026-11-24T09:00:00", "2026-11-24T09:30:00",
                                         "2026-11-24T10:00:00", "2026-11-25T10:00:00")
    qtbot.waitUntil(lambda: len(statuses(window)) == 4 and len(marks(window)) == 4, timeout=3000)
    assert set(statuses(window).values()) == {"Booked"} and set(marks(window).values()) == {""}

    desk.clock.advance(days=1, hours=2)  # Tuesday 11 AM: three have begun, nobody has marked them
    window.tick()  # the minute's tick: no news came, the clock alone turns them into "not marked"
    qtbot.waitUntil(lambda: marks(window)[came] == "⚠ Not marked", timeout=3000)
    assert statuses(window) == {came: "⚠ Not marked", missed: "⚠ Not marked", unmarked: "⚠ Not marked",
                                later: "Booked"}
    assert marks(window)[later] == ""

    desk.desk.appointments.mark_attendance(came, Attendance.ATTENDED)
    desk.desk.appointments.mark_attendance(missed, "no-show")
    expected = {came: "✓ Attended", missed: "✗ No-show", unmarked: "⚠ Not marked", later: ""}
    qtbot.waitUntil(lambda: marks(window) == expected, timeout=3000)
    qtbot.waitUntil(lambda: statuses(window) == {**expected, later: "Booked"}, timeout=3000)

    # the table: the words with their glyph; amber and a prompt only where a mark is owed
    model = window.sync_panel.model
    cell = model.index(model.row_of(unmarked), AppointmentTableModel.Column.STATUS)
    assert isinstance(model.data(cell, Qt.ItemDataRole.ForegroundRole), QColor)
    assert "mark Attended or No-show" in model.data(cell, Qt.ItemDataRole.ToolTipRole)
    done = model.index(model.row_of(came), AppointmentTableModel.Column.STATUS)
    assert model.data(done, Qt.ItemDataRole.ForegroundRole) is None
    assert "✓ Attended" in model.data(done, Qt.ItemDataRole.ToolTipRole)

    # the grid: the glyph leads the painted title, the words follow the time; the hover (and the focused
    # booking's accessible description) says it in words
    calendar = window.calendar
    calendar.set_mode(DAY)
    calendar.show_day(datetime(2026, 11, 24).date())
    qtbot.waitUntil(lambda: len(calendar.canvas.frame().blocks()) == 3, timeout=3000)
    blocks = {b.target.key: b for b in calendar.canvas.frame().blocks()}
    assert blocks[came].title.startswith("✓ ") and blocks[missed].title.startswith("✗ ")
    assert blocks[unmarked].title.startswith("⚠ ")
    assert any(b.when.endswith("· ✓ Attended") for b in blocks.values() if b.when)  # a tall enough block
    items = {item.key: item for item in calendar.items}
    assert "✗ No-show" in calendar.tooltip_of(items[missed]).split("\n")
    assert "⚠ Not marked: open it and mark Attended or No-show" in calendar.tooltip_of(items[unmarked])
    calendar.canvas.set_focused(items[missed])  # the keyboard on it: a screen reader reads the words
    assert "✗ No-show" in calendar.canvas.accessibleDescription()
    # the agenda: one line each, the words at the end
    calendar.set_mode(AGENDA)
    lines = [row.text for row in calendar.agenda.agenda.rows if row.item is not None]
    assert [line.rsplit("   ", 1)[-1] for line in lines[:3]] == ["✓ Attended", "✗ No-show", "⚠ Not marked"]
    assert agenda_line(items[came], {}) == f"{items[came].time_label}   {items[came].title}   ✓ Attended"


def test_a_cancelled_booking_carries_no_mark(qtbot, window, desk):
    [appt_id] = book(qtbot, desk, "2026-11-24T09:00:00")
    appt = desk.desk.appointments.get(appt_id)
    desk.desk.appointments.cancel(appt_id, "moved away")
    desk.clock.advance(days=1, hours=2)
    window.tick()
    qtbot.waitUntil(lambda: statuses(window).get(appt.id) == "Cancelled", timeout=3000)
    qtbot.waitUntil(lambda: [i.kind for i in window.calendar.items] == ["cancelled"], timeout=3000)
    assert marks(window) == {appt.id: ""}
