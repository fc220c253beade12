"""Screenshots of the sync screens, to look at as a user would (not assertions about pixels). Opt-in:
``RECEPTIONIST_SCREENSHOTS=/tmp/shots xvfb-run pytest tests/ui/test_sync_screens.py`` (QT_QPA_PLATFORM=xcb for real
fonts and window frames) saves main-window, appointment, compare, reschedule, cancel and menu PNGs there."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication

from receptionist.ui.main_window import MainWindow
from tests.helpers.ui import badge_column, item_rects, opened
from tests.ui.test_appointment_actions import (
    GOOGLE,
    OUTLOOK,
    book,
    person_deletes,
    person_edits,
    remote_id,
    sync,
)

pytestmark = pytest.mark.gui
SHOTS = os.environ.get("RECEPTIONIST_SCREENSHOTS")


@pytest.mark.skipif(not SHOTS, reason="set RECEPTIONIST_SCREENSHOTS=DIR to save the screens")
@pytest.mark.parametrize("size", [(1440, 900), (1366, 768)])
@pytest.mark.sms
def test_save_sync_screens(qtbot, desk, size):
    out = Path(SHOTS)
    out.mkdir(parents=True, exist_ok=True)
    tag = f"{size[0]}x{size[1]}"
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    ids = book(qtbot, desk, "2026-11-24T10:30:00", "2026-11-24T14:00:00", "2026-11-25T09:00:00",
               "2026-11-26T11:00:00")
    sync(desk)
    moved, cancelled, failing, _ = ids
    appt = desk.desk.appointments.get(moved)
    person_edits(desk.google, remote_id(desk, moved, GOOGLE), start=appt.start + timedelta(hours=1),
                 end=appt.end + timedelta(hours=1), title="Teeth cleaning — Caller 0 (moved by Dr. Patel)")
    desk.desk.appointments.cancel(cancelled, "Caller is ill")
    desk.desk.appointments.reschedule(failing, desk.desk.appointments.get(failing).start + timedelta(hours=2))
    from receptionist.errors import TransientError
    from receptionist.providers.microsoft_auth import EXPIRED_MESSAGE

    desk.outlook.fail_next = [TransientError("503 backend error", status=503)]
    sync(desk)
    desk.problems[OUTLOOK] = EXPIRED_MESSAGE  # what the window is told when Microsoft refuses the sign-in
    win.refresh_all()
    qtbot.waitUntil(lambda: not win.runner.busy)
    qtbot.wait(300)
    panel = win.sync_panel
    panel.table.setCurrentIndex(panel.model.index(panel.model.row_of(moved), badge_column(panel.model, GOOGLE)))
    qtbot.wait(200)
    win.grab().save(str(out / f"main-{tag}.png"))

    win.open_appointment(moved)
    dialog = opened(qtbot, win, "appointment_dialog")
    qtbot.wait(300)
    dialog.grab().save(str(out / f"appointment-{tag}.png"))
    win.open_discrepancy(next(link.id for link in desk.desk.appointments.get(moved).links
                              if link.calendar == GOOGLE), dialog)
    compare = opened(qtbot, win, "discrepancy_dialog")
    qtbot.wait(300)
    compare.grab().save(str(out / f"compare-{tag}.png"))
    compare.close()
    sub = dialog.reschedule()
    sub.date_edit.setDate(sub.date_edit.date().addDays(-3))
    sub.accept()
    qtbot.wait(200)
    sub.grab().save(str(out / f"reschedule-{tag}.png"))
    sub.close()
    sub = dialog.cancel_appointment()
    qtbot.wait(200)
    sub.grab().save(str(out / f"cancel-{tag}.png"))
    sub.close()
    dialog.close()
    win.open_appointment(cancelled)
    dialog = opened(qtbot, win, "appointment_dialog")
    qtbot.wait(200)
    dialog.grab().save(str(out / f"appointment-cancelled-{tag}.png"))
    dialog.close()

    canvas = win.calendar.canvas
    rect = next(r for r, item in item_rects(canvas) if item.key == failing)
    pos = rect.center().toPoint()
    QApplication.sendEvent(canvas, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, canvas.mapToGlobal(pos)))
    opened(qtbot, win, "appointment_menu")
    qtbot.wait(200)
    win.appointment_menu.grab().save(str(out / f"menu-{tag}.png"))
    win.appointment_menu.close()

    # Outlook emptied by a person: one alert for the calendar
    desk.problems.pop(OUTLOOK)
    more = book_more(qtbot, desk)
    sync(desk)
    for appt_id in more:
        link = next(link for link in desk.desk.appointments.get(appt_id).links if link.calendar == OUTLOOK)
        if link.remote_id and link.remote_id in desk.outlook.events:
            person_deletes(desk.outlook, link.remote_id)
    sync(desk)
    win.refresh_all()
    qtbot.waitUntil(lambda: not win.runner.busy)
    qtbot.wait(300)
    win.grab().save(str(out / f"main-held-{tag}.png"))
    win.close()


def book_more(qtbot, desk) -> list[str]:
    before = {c.id for c in desk.desk.bookings.calls()}
    starts = [f"2026-11-27T{h:02d}:00:00" for h in (9, 10, 11, 13, 14, 15)]
    for i, start in enumerate(starts):
        desk.submit_call(requested_start=start, caller={"name": f"Late caller {i}", "callback_number": "(312) 555-0142",
                                                        "account_id": None})
    qtbot.waitUntil(lambda: len(desk.desk.bookings.calls()) == len(before) + len(starts), timeout=5000)
    ids = [desk.desk.bookings.approve(c.proposal.id, c.proposal.version).id for c in desk.desk.bookings.calls()
           if c.id not in before]
    return ids + [a.id for a in desk.desk.appointments.between() if a.id not in ids]


