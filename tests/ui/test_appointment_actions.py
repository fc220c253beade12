"""An appointment's life from the window: open it (double-click, Enter, the week view's context menu), reschedule,
edit, cancel; Drift/Conflict decided with Keep ours / Take theirs; the mass-deletion alert; Reconnect…; the pills
for paused calendars. Each test drives the window as a person would and checks what landed (in our store, through
the service, and on the FakeCalendars after a sync cycle)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QFont
from PySide6.QtWidgets import QApplication

from receptionist.domain.models import AppointmentStatus
from receptionist.errors import UserError
from receptionist.ui import alerts as alerts_module
from receptionist.ui import operations as operations_module
from receptionist.ui.appointment_dialog import CancelAppointmentDialog, RescheduleDialog
from receptionist.ui.main_window import MainWindow
from receptionist.ui.models import AppointmentTableModel
from tests.helpers.rows import audit_entries, outbox_items
from tests.helpers.ui import badge_column, item_rects, opened

pytestmark = pytest.mark.gui

GOOGLE, OUTLOOK = "google:primary", "outlook:default"


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
    """Calls for each local start ("2026-11-24T10:30:00"), approved; returns the appointment ids in that order."""
    for i, start in enumerate(starts):
        desk.submit_call(requested_start=start, caller={"name": f"Caller {i}", "callback_number": "(312) 555-0142",
                                                        "account_id": None})
    qtbot.waitUntil(lambda: len(desk.desk.bookings.calls()) == len(starts), timeout=5000)
    ids = []
    for call in sorted(desk.desk.bookings.calls(), key=lambda c: c.proposal.start):
        ids.append(desk.desk.bookings.approve(call.proposal.id, call.proposal.version).id)
    return ids


def settle(qtbot, win) -> None:
    """Wait until the window's writes (they run on a worker) are done and their answers are shown."""
    qtbot.waitUntil(lambda: not win.operations.busy, timeout=5000)


def sync(desk) -> None:
    desk.sync_in_background().join(10)


def person_edits(calendar, remote_id: str, **fields) -> None:
    """Someone changes one of our events on the calendar (new etag, listed as a change)."""
    event = calendar.events[remote_id]
    calendar.events[remote_id] = replace(event, **fields, etag=f'"person-{len(calendar._changes)}"')
    calendar._changes.append(remote_id)


def person_deletes(calendar, remote_id: str) -> None:
    person_edits(calendar, remote_id, cancelled=True)


def remote_id(desk, appointment_id: str, calendar: str) -> str:
    return next(link.remote_id for link in desk.desk.appointments.get(appointment_id).links
                if link.calendar == calendar)


def badge(win, appointment_id: str, calendar: str) -> str:
    model = win.sync_panel.model
    return model.data(model.index(model.row_of(appointment_id), badge_column(model, calendar)))


def select_cell(qtbot, win, appointment_id: str, column: int) -> None:
    table = win.sync_panel.table
    model = win.sync_panel.model
    index = model.index(model.row_of(appointment_id), column)
    table.scrollTo(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center())
    assert table.currentIndex() == index


def activate(qtbot, dialog) -> None:
    """A real window manager activates a dialog when it opens; the offscreen platform needs asking."""
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2000)


def wait_synced(qtbot, win, appointment_id: str) -> None:
    qtbot.waitUntil(lambda: badge(win, appointment_id, GOOGLE) == "Synced"
                    and badge(win, appointment_id, OUTLOOK) == "Synced", timeout=3000)


# --- opening an appointment -------------------------------------------------------------------------------------


def test_enter_and_double_click_open_the_appointment(qtbot, window, desk):
    [appt_id] = book(qtbot, desk, "2026-11-24T10:30:00")
    sync(desk)
    wait_synced(qtbot, window, appt_id)

    select_cell(qtbot, window, appt_id, AppointmentTableModel.Column.CALLER)
    qtbot.keyClick(window.sync_panel.table, Qt.Key.Key_Return)
    dialog = opened(qtbot, window, "appointment_dialog")
    assert dialog.isVisible()
    assert dialog.heading.text() == "Caller 0 — Teeth cleaning"
    assert dialog.fields["when"].text().startswith("11/24/2026 10:30 AM")
    assert dialog.badges[GOOGLE].text() == "Synced" and "holds our version" in dialog.sentences[GOOGLE].text()
    assert not dialog.status_banner.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()

    table = window.sync_panel.table
    index = window.sync_panel.model.index(0, AppointmentTableModel.Column.SERVICE)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center())
    qtbot.waitUntil(lambda: window.appointment_dialog is not None and window.appointment_dialog.isVisible(),
                    timeout=2000)
    assert window.appointment_dialog.appointment_id == appt_id


def test_keyboard_only_open_reschedule_and_back(qtbot, window, desk):
    """Menu key on the table row → Open… → Alt+R → Esc: nothing moved; mnemonics and Esc work without a mouse."""
    [appt_id] = book(qtbot, desk, "2026-11-24T10:30:00")
    qtbot.waitUntil(lambda: window.sync_panel.model.rowCount() == 1, timeout=2000)
    table = window.sync_panel.table
    table.setFocus()
    table.setCurrentIndex(window.sync_panel.model.index(0, 0))
    pos = QPoint(table.viewport().width() - 5, table.viewport().height() - 5)  # below the rows, as the Menu key gives
    QApplication.sendEvent(table.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, pos,
                                                               table.viewport().mapToGlobal(pos)))
    menu = opened(qtbot, window, "appointment_menu")
    assert menu.isVisible()
    qtbot.keyClick(menu, Qt.Key.Key_O)  # &Open…
    qtbot.waitUntil(lambda: window.appointment_dialog is not None and window.appointment_dialog.isVisible(),
                    timeout=2000)
    dialog = window.appointment_dialog
    activate(qtbot, dialog)
    qtbot.keyClick(dialog, "r", Qt.KeyboardModifier.AltModifier)  # &Reschedule… (a mnemonic animates a click)
    qtbot.waitUntil(lambda: dialog.sub_dialog is not None, timeout=2000)
    sub = dialog.sub_dialog
    assert isinstance(sub, RescheduleDialog) and sub.isVisible()
    activate(qtbot, sub)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not sub.isVisible() and dialog.isVisible()
    assert desk.desk.appointments.get(appt_id).version == 1  # nothing changed


def test_reschedule_refuses_with_a_sentence_then_moves_it_everywhere(qtbot, window, desk):
    [appt_id] = book(qtbot, desk, "2026-11-24T10:30:00")
    sync(desk)
    wait_synced(qtbot, window, appt_id)
    window.open_appointment(appt_id)
    dialog = opened(qtbot, window, "appointment_dialog")
    qtbot.mouseClick(dialog.reschedule_button, Qt.MouseButton.LeftButton)
    sub = dialog.sub_dialog
    assert isinstance(sub, RescheduleDialog) and sub.isVisible()
    assert sub.zone_label.text() == "CST" and sub.length_spin.value() == 45
    assert not sub.notify_check.isEnabled() and "SMS to callers is off" in sub.notify_check.toolTip()

    # in the past: the service says why, in the dialog, which stays open with what was typed
    activate(qtbot, sub)
    assert QApplication.focusWidget() is sub.date_edit
    sub.date_edit.setDate(sub.date_edit.date().addDays(-2))
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # Enter = the default button, Reschedule
    settle(qtbot, window)
    assert sub.isVisible() and sub.error_label.isVisible()
    assert sub.error_label.text() == "Cannot move it there: start: the requested time is in the past."
    sub.date_edit.setDate(sub.date_edit.date().addDays(2))
    assert desk.desk.appointments.get(appt_id).start == datetime(2026, 11, 24, 16, 30, tzinfo=timezone.utc)

    sub.date_edit.setDate(sub.date_edit.date().addDays(1))
    sub.time_edit.setTime(sub.time_edit.time().fromString("2:00 PM", "h:mm AP"))
    sub.length_spin.setValue(60)
    qtbot.mouseClick(sub.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert not shiboken6.isValid(sub) or not sub.isVisible()  # closed (perhaps deleted already)
    moved = desk.desk.appointments.get(appt_id)
    zone = desk.profile.location.zone
    assert moved.start == datetime(2026, 11, 25, 14, 0, tzinfo=zone)
    assert moved.duration_minutes == 60
    assert dialog.fields["when"].text().startswith("11/25/2026 2:00 PM")
    qtbot.waitUntil(lambda: badge(window, appt_id, GOOGLE) == "Pending", timeout=2000)

    sync(desk)
    wait_synced(qtbot, window, appt_id)
    for calendar in (desk.google, desk.outlook):
        [event] = [e for e in calendar.events.values() if e.uid == appt_id]
        assert event.start == moved.start and event.end == moved.end


def test_edit_then_cancel_keeps_it_listed_as_cancelled(qtbot, window, desk):
    [appt_id] = book(qtbot, desk, "2026-11-24T10:30:00")
    sync(desk)
    wait_synced(qtbot, window, appt_id)
    window.open_appointment(appt_id)
    dialog = opened(qtbot, window, "appointment_dialog")

    qtbot.mouseClick(dialog.edit_button, Qt.MouseButton.LeftButton)
    sub = dialog.sub_dialog
    activate(qtbot, sub)
    sub.service_edit.selectAll()
    qtbot.keyClicks(sub.service_edit, "Deep cleaning")
    qtbot.keyClick(sub.service_edit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is sub.length_spin  # tab order: service → length → notes
    sub.length_spin.setValue(60)
    qtbot.keyClick(sub.length_spin, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is sub.notes_edit
    sub.notes_edit.selectAll()
    qtbot.keyClicks(sub.notes_edit, "Bring X-rays.")
    qtbot.mouseClick(sub.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    edited = desk.desk.appointments.get(appt_id)
    assert (edited.service, edited.duration_minutes, edited.notes) == ("Deep cleaning", 60, "Bring X-rays.")
    assert dialog.fields["service"].text() == "Deep cleaning"

    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    sub = dialog.sub_dialog
    assert isinstance(sub, CancelAppointmentDialog)
    activate(qtbot, sub)
    assert QApplication.focusWidget() is sub.reason_edit
    qtbot.keyClicks(sub.reason_edit, "Caller is ill")
    qtbot.keyClick(sub.reason_edit, Qt.Key.Key_Return)  # Enter is "Keep appointment": nothing cancelled by accident
    assert not sub.isVisible()
    assert desk.desk.appointments.get(appt_id).status is AppointmentStatus.CONFIRMED

    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    sub = dialog.sub_dialog
    qtbot.keyClicks(sub.reason_edit, "Caller is ill")
    qtbot.mouseClick(sub.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    cancelled = desk.desk.appointments.get(appt_id)
    assert cancelled.status is AppointmentStatus.CANCELLED and cancelled.cancel_reason == "Caller is ill"
    assert dialog.status_banner.isVisible() and "Cancelled: Caller is ill" in dialog.status_banner.text()
    assert not dialog.reschedule_button.isEnabled() and not dialog.cancel_button.isEnabled()

    model = window.sync_panel.model
    qtbot.waitUntil(lambda: model.data(model.index(0, AppointmentTableModel.Column.STATUS)) == "Cancelled",
                    timeout=2000)
    font = model.data(model.index(0, AppointmentTableModel.Column.SERVICE), Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.strikeOut()
    sync(desk)
    wait_synced(qtbot, window, appt_id)  # the deletions landed
    assert not [e for e in desk.google.events.values() if e.uid == appt_id and not e.cancelled]
    assert not [e for e in desk.outlook.events.values() if e.uid == appt_id and not e.cancelled]
    assert model.rowCount() == 1  # still listed


@pytest.mark.sms
def test_text_the_caller_box_follows_sms_and_queues_the_text(qtbot, window, desk):
    [appt_id] = book(qtbot, desk, "2026-11-24T10:30:00")
    window.open_appointment(appt_id)
    dialog = opened(qtbot, window, "appointment_dialog")
    qtbot.mouseClick(dialog.reschedule_button, Qt.MouseButton.LeftButton)
    sub = dialog.sub_dialog
    assert sub.notify_check.isEnabled()
    sub.time_edit.setTime(sub.time_edit.time().fromString("11:30 AM", "h:mm AP"))
    qtbot.mouseClick(sub.notify_check, Qt.MouseButton.LeftButton)
    assert sub.notify_check.isChecked()
    qtbot.mouseClick(sub.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert not shiboken6.isValid(sub) or not sub.isVisible()  # closed (and perhaps deleted already)
    texts = [item for item in outbox_items(desk.store) if item.get("topic") == "sms.change"]
    assert len(texts) == 1 and "11:30 AM" in str(texts[0])


def test_week_view_context_menu_reschedules_and_cancels(qtbot, window, desk):
    [appt_id] = book(qtbot, desk, "2026-11-24T10:30:00")
    qtbot.waitUntil(lambda: any(i.key == appt_id for i in window.calendar.items), timeout=3000)
    canvas = window.calendar.canvas
    rect = next(r for r, item in item_rects(canvas) if item.key == appt_id)
    pos = rect.center().toPoint()
    QApplication.sendEvent(canvas, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, canvas.mapToGlobal(pos)))
    menu = opened(qtbot, window, "appointment_menu")
    assert [a.text() for a in menu.actions()] == ["&Open…", "&Reschedule…", "&Cancel appointment…", "",
                                                  "Mark &attended", "Mark &no-show"]
    assert not menu.actions()[4].isEnabled()  # its time has not come

    menu.actions()[1].trigger()
    sub = opened(qtbot, window, "action_dialog")
    assert isinstance(sub, RescheduleDialog) and sub.isVisible()
    sub.time_edit.setTime(sub.time_edit.time().fromString("3:15 PM", "h:mm AP"))
    qtbot.mouseClick(sub.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    zone = desk.profile.location.zone
    assert desk.desk.appointments.get(appt_id).start == datetime(2026, 11, 24, 15, 15, tzinfo=zone)

    qtbot.waitUntil(lambda: any(i.key == appt_id and i.start.hour == 15 for i in window.calendar.items),
                    timeout=3000)
    rect = next(r for r, item in item_rects(canvas) if item.key == appt_id)
    pos = rect.center().toPoint()
    QApplication.sendEvent(canvas, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, canvas.mapToGlobal(pos)))
    opened(qtbot, window, "appointment_menu").actions()[2].trigger()
    sub = opened(qtbot, window, "action_dialog")
    assert isinstance(sub, CancelAppointmentDialog)
    qtbot.mouseClick(sub.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert desk.desk.appointments.get(appt_id).status is AppointmentStatus.CANCELLED

    QApplication.sendEvent(canvas, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(2, 2),
                                                     canvas.mapToGlobal(QPoint(2, 2))))  # empty grid: no menu
    window.appointment_menu.actions()[0].trigger()  # the last menu (Open…) still opens the appointment
    assert opened(qtbot, window, "appointment_dialog").status_banner.isVisible()


# --- Drift and Conflict ---------------------------------------------------------------------------------------------


def test_drift_keep_ours_lands_on_the_calendar(qtbot, window, desk):
    [appt_id] = book(qtbot, desk, "2026-11-24T10:30:00")
    sync(desk)
    wait_synced(qtbot, window, appt_id)
    ours = desk.desk.appointments.get(appt_id)
    rid = remote_id(desk, appt_id, GOOGLE)
    person_edits(desk.google, rid, start=ours.start + timedelta(hours=1), end=ours.end + timedelta(hours=1))
    sync(desk)
    qtbot.waitUntil(lambda: badge(window, appt_id, GOOGLE) == "Drift", timeout=3000)
    assert badge(window, appt_id, OUTLOOK) == "Synced"

    panel = window.sync_panel
    select_cell(qtbot, window, appt_id, badge_column(panel.model, GOOGLE))
    text = panel.error_text.toPlainText()
    assert "Google Calendar: Drift" in text and "Keep ours or Take theirs" in text
    assert "Start: ours 11/24/2026 10:30 AM  ·  Google Calendar 11/24/2026 11:30 AM" in text
    tip = panel.model.data(panel.model.index(0, badge_column(panel.model, GOOGLE)), Qt.ItemDataRole.ToolTipRole)
    assert tip == ("Google Calendar: Drift\nChanged on Google Calendar (start, end). Choose Keep ours or Take "
                   "theirs.")
    assert not panel.retry_button.isEnabled() and panel.decide_button.isEnabled()
    qtbot.waitUntil(lambda: "1 sync problem" in window.status_counts.text(), timeout=2000)

    qtbot.mouseClick(panel.decide_button, Qt.MouseButton.LeftButton)
    compare = opened(qtbot, window, "discrepancy_dialog")
    assert compare.isVisible()
    assert compare.differing == ["start", "end"]
    assert compare.table.item(1, 0).text() == "11/24/2026 10:30 AM"
    assert compare.table.item(1, 1).text() == "11/24/2026 11:30 AM"
    assert compare.table.item(1, 0).background().color() != compare.table.item(0, 0).background().color()
    assert "Someone changed this event on Google Calendar" in compare.summary.text()
    qtbot.mouseClick(compare.keep_ours_button, Qt.MouseButton.LeftButton)
    # while the decision is written, neither it nor the other one can be pressed again
    assert not compare.keep_ours_button.isEnabled() and not compare.take_theirs_button.isEnabled()
    settle(qtbot, window)
    assert not shiboken6.isValid(compare) or not compare.isVisible()  # closed (perhaps deleted already)
    qtbot.waitUntil(lambda: badge(window, appt_id, GOOGLE) == "Pending", timeout=2000)
    assert desk.desk.appointments.get(appt_id).start == ours.start  # ours did not move

    sync(desk)
    wait_synced(qtbot, window, appt_id)
    event = desk.google.events[remote_id(desk, appt_id, GOOGLE)]
    assert (event.start, event.end) == (ours.start, ours.end)  # the calendar holds our version again
    assert any(e["action"] == "sync.keep_ours" or "keep" in e["action"] for e in audit_entries(desk.store))
    qtbot.waitUntil(lambda: "0 sync problems" in window.status_counts.text(), timeout=2000)


def test_deleted_on_outlook_take_theirs_cancels_from_the_appointment_dialog(qtbot, window, desk):
    [appt_id] = book(qtbot, desk, "2026-11-24T10:30:00")
    sync(desk)
    wait_synced(qtbot, window, appt_id)
    person_deletes(desk.outlook, remote_id(desk, appt_id, OUTLOOK))
    sync(desk)
    qtbot.waitUntil(lambda: badge(window, appt_id, OUTLOOK) == "Drift", timeout=3000)

    window.open_appointment(appt_id)
    dialog = opened(qtbot, window, "appointment_dialog")
    assert dialog.badges[OUTLOOK].text() == "Drift"
    assert dialog.sentences[OUTLOOK].text().startswith("Deleted on Outlook.")
    qtbot.mouseClick(dialog.compare_buttons[OUTLOOK], Qt.MouseButton.LeftButton)
    compare = opened(qtbot, window, "discrepancy_dialog")
    assert compare.parent() is dialog
    assert "deleted on Outlook" in compare.summary.text()
    assert compare.table.item(1, 1).text() == "(deleted)"
    assert "cancel the appointment" in compare.take_theirs_button.text()
    assert not compare.notify_check.isEnabled()  # SMS is off on this desk
    qtbot.mouseClick(compare.take_theirs_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert not shiboken6.isValid(compare) or not compare.isVisible()  # closed (perhaps deleted already)
    assert desk.desk.appointments.get(appt_id).status is AppointmentStatus.CANCELLED
    qtbot.waitUntil(lambda: dialog.status_banner.isVisible(), timeout=2000)

    sync(desk)
    wait_synced(qtbot, window, appt_id)
    assert not [e for e in desk.google.events.values() if e.uid == appt_id and not e.cancelled]  # followed


@pytest.mark.sms
def test_take_theirs_moves_our_appointment_and_texts_the_caller(qtbot, window, desk):
    [appt_id] = book(qtbot, desk, "2026-11-24T10:30:00")
    sync(desk)
    wait_synced(qtbot, window, appt_id)
    ours = desk.desk.appointments.get(appt_id)
    person_edits(desk.google, remote_id(desk, appt_id, GOOGLE), start=ours.start + timedelta(hours=2),
                 end=ours.end + timedelta(hours=2))
    sync(desk)
    qtbot.waitUntil(lambda: badge(window, appt_id, GOOGLE) == "Drift", timeout=3000)
    window.open_discrepancy(next(l.id for l in desk.desk.appointments.get(appt_id).links if l.calendar == GOOGLE))
    compare = opened(qtbot, window, "discrepancy_dialog")
    assert compare.notify_check.isEnabled()
    qtbot.mouseClick(compare.notify_check, Qt.MouseButton.LeftButton,
                     pos=QPoint(8, compare.notify_check.height() // 2))  # on the box, not the empty width
    assert compare.notify_check.isChecked()
    qtbot.mouseClick(compare.take_theirs_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert desk.desk.appointments.get(appt_id).start == ours.start + timedelta(hours=2)
    texts = [item for item in outbox_items(desk.store) if item.get("topic") == "sms.change"]
    assert len(texts) == 1 and "12:30 PM" in str(texts[0])
    sync(desk)
    wait_synced(qtbot, window, appt_id)
    [event] = [e for e in desk.outlook.events.values() if e.uid == appt_id]
    assert event.start == ours.start + timedelta(hours=2)  # the other calendar followed


# --- calendar alerts --------------------------------------------------------------------------------------------


def _six_synced_then_outlook_emptied(qtbot, window, desk) -> list[str]:
    ids = book(qtbot, desk, *[f"2026-11-{d}T{h:02d}:00:00" for d in (24, 25) for h in (9, 11, 14)])
    sync(desk)
    for appt_id in ids:
        wait_synced(qtbot, window, appt_id)
    gone = [remote_id(desk, appt_id, OUTLOOK) for appt_id in ids]
    for rid in gone:
        person_deletes(desk.outlook, rid)
    sync(desk)
    qtbot.waitUntil(lambda: OUTLOOK in window.alert_bar.alerts, timeout=3000)
    for rid in gone:  # the pull saw the deletions; Graph then forgets them (a re-create gets a fresh event)
        del desk.outlook.events[rid]
    return ids


def test_mass_deletion_one_alert_and_recreate_all(qtbot, window, desk):
    ids = _six_synced_then_outlook_emptied(qtbot, window, desk)
    bar = window.alert_bar
    assert bar.isVisible() and list(bar.alerts) == [OUTLOOK]  # one alert for the calendar, not one per booking
    alert = bar.alerts[OUTLOOK]
    assert "6 of our events vanished from Outlook at once" in alert.text.text()
    assert alert.recreate_button.isVisible() and alert.accept_button.isVisible()
    assert not alert.reconnect_button.isVisible()
    assert window.pills[OUTLOOK].state == "error" and "writes held" in window.pills[OUTLOOK].text()

    qtbot.mouseClick(alert.recreate_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert "6 event(s) will be written to Outlook again" in window.status.currentMessage()
    sync(desk)
    for appt_id in ids:
        wait_synced(qtbot, window, appt_id)
    live = [e for e in desk.outlook.events.values() if not e.cancelled]
    assert sorted(e.uid for e in live) == sorted(ids)
    qtbot.waitUntil(lambda: not bar.alerts and not bar.isVisible(), timeout=2000)


def test_mass_deletion_accept_asks_then_cancels(qtbot, window, desk, monkeypatch):
    ids = _six_synced_then_outlook_emptied(qtbot, window, desk)
    asked = []
    answers = iter([False, True])
    monkeypatch.setattr(alerts_module, "ask_yes_no", lambda parent, title, text: asked.append(text) or next(answers))
    alert = window.alert_bar.alerts[OUTLOOK]
    qtbot.mouseClick(alert.accept_button, Qt.MouseButton.LeftButton)  # No: nothing happens
    assert "Cancel the 6 appointments whose events vanished from Outlook?" in asked[0]
    assert all(desk.desk.appointments.get(i).status is AppointmentStatus.CONFIRMED for i in ids)
    qtbot.mouseClick(alert.accept_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert all(desk.desk.appointments.get(i).status is AppointmentStatus.CANCELLED for i in ids)
    sync(desk)
    assert not [e for e in desk.google.events.values() if e.uid in ids and not e.cancelled]
    qtbot.waitUntil(lambda: not window.alert_bar.alerts, timeout=2000)


def test_reconnect_runs_on_a_worker_and_reports(qtbot, window, desk, monkeypatch):
    opened, release, threads = [], threading.Event(), []
    monkeypatch.setattr(alerts_module.QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url)))
    desk.problems[OUTLOOK] = "Outlook sign-in was refused: press Reconnect… (invalid_grant)"

    def reconnector(key, open_url, **how):
        threads.append(threading.current_thread())
        open_url("https://login.example/authorize?client_id=x")
        release.wait(10)
        desk.problems.pop(key, None)
        return "Outlook connected as frontdesk@example.com"

    desk.reconnector = reconnector
    window.refresh_health()
    qtbot.waitUntil(lambda: not window.runner.busy)
    pill = window.pills[OUTLOOK]
    assert pill.state == "error" and pill.text() == "● Outlook: sign-in needed"
    assert "invalid_grant" in pill.toolTip()
    alert = window.alert_bar.alerts[OUTLOOK]
    assert alert.reconnect_button.isVisible() and not alert.recreate_button.isVisible()
    assert "Outlook needs to be connected again" in alert.text.text()

    qtbot.mouseClick(alert.reconnect_button, Qt.MouseButton.LeftButton)
    assert alert.progress.isVisible() and not alert.reconnect_button.isEnabled()
    assert "Finish in the browser" in alert.text.text()
    qtbot.waitUntil(lambda: bool(opened), timeout=3000)
    assert opened[0].toString() == "https://login.example/authorize?client_id=x"
    assert threads[0] is not threading.main_thread()
    release.set()
    qtbot.waitUntil(lambda: "connected as frontdesk@example.com" in window.status.currentMessage(), timeout=3000)
    assert not alert.progress.isVisible()
    window.refresh_health()
    qtbot.waitUntil(lambda: not window.runner.busy)
    assert OUTLOOK not in window.alert_bar.alerts and window.pills[OUTLOOK].state != "error"


def test_reconnect_failure_is_a_sentence(qtbot, window, desk, monkeypatch):
    shown = []
    monkeypatch.setattr(operations_module, "show_user_error", lambda parent, title, text: shown.append(text))
    desk.problems[GOOGLE] = "Google Calendar needs to be connected again"

    def reconnector(key, open_url, **how):
        raise UserError("the browser sign-in was closed before it finished")

    desk.reconnector = reconnector
    window.refresh_health()
    qtbot.waitUntil(lambda: not window.runner.busy)
    alert = window.alert_bar.alerts[GOOGLE]
    qtbot.mouseClick(alert.reconnect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown), timeout=3000)
    assert shown == ["The browser sign-in was closed before it finished."]
    assert "did not work" in alert.text.text() and alert.reconnect_button.isEnabled()


def test_paused_calendars_say_until_when_or_waiting_for_network(qtbot, window, desk):
    now = desk.clock()
    desk.store.health.save(GOOGLE, now, gate="throttled", paused_until=now + timedelta(minutes=5),
                                    pause_reason="Google Calendar asked us to wait until 9:05 AM (429)")
    desk.store.health.save(OUTLOOK, now, gate="offline", paused_until=now + timedelta(minutes=1),
                                    pause_reason="waiting for network: connection refused")
    window.refresh_health()
    qtbot.waitUntil(lambda: not window.runner.busy)
    assert window.pills[GOOGLE].text() == "● Google Calendar: paused until 9:05 AM"
    assert "asked us to wait" in window.pills[GOOGLE].toolTip()
    assert window.pills[OUTLOOK].text() == "● Outlook: waiting for network"
    assert window.pills[GOOGLE].state == window.pills[OUTLOOK].state == "pending"
    assert not window.alert_bar.alerts  # they resume by themselves: nothing for a person to do


def test_reconnect_without_a_browser_shows_the_address_to_copy_and_can_be_cancelled(qtbot, window, desk,
                                                                                    monkeypatch):
    """No browser on this computer: the alert says so, shows the sign-in address with Copy address, and a Cancel
    that stops waiting (the flow ends at its own time limit, unheard). The alert gives one piece of advice."""
    from PySide6.QtGui import QGuiApplication

    monkeypatch.setattr(alerts_module.QDesktopServices, "openUrl", staticmethod(lambda url: False))
    desk.problems[OUTLOOK] = "Outlook sign-in expired: run `receptionist connect outlook`"
    release = threading.Event()

    def reconnector(key, open_url, **how):
        open_url("https://login.example/authorize?client_id=x&state=s")
        release.wait(10)
        raise UserError("Outlook sign-in failed: no sign-in within 300 seconds")

    desk.reconnector = reconnector
    window.refresh_health()
    qtbot.waitUntil(lambda: not window.runner.busy)
    alert = window.alert_bar.alerts[OUTLOOK]
    assert alert.text.text() == ("<b>Outlook needs to be connected again</b> (Outlook sign-in expired). Press "
                                 "Reconnect… to sign in.")
    qtbot.mouseClick(alert.reconnect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: alert.address.isVisible(), timeout=3000)
    assert alert.address.text() == "https://login.example/authorize?client_id=x&state=s"
    assert "No browser opened on this computer" in alert.text.text() and "5 minutes" in alert.text.text()
    qtbot.mouseClick(alert.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == alert.address.text()
    assert alert.cancel_button.isVisible()
    qtbot.mouseClick(alert.cancel_button, Qt.MouseButton.LeftButton)
    assert "cancelled" in alert.text.text() and alert.reconnect_button.isEnabled()
    assert not alert.address.isVisible() and not alert.progress.isVisible()
    shown = []
    monkeypatch.setattr(operations_module, "show_user_error", lambda parent, title, text: shown.append(text))
    release.set()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=3000)
    assert shown == [] and "cancelled" in alert.text.text()


def test_attended_and_no_show_by_keyboard_from_the_menu_and_the_dialog(qtbot, window, desk):
    """Before its time the marks are off (a sentence says when they come); once it has started: Menu key → Mark
    no-show (N), then the dialog's Alt+T corrects it to attended; the audit names the person at the desk."""
    from receptionist.domain.models import Attendance

    [appt_id] = book(qtbot, desk, "2026-11-24T10:30:00")
    window.open_appointment(appt_id)
    dialog = opened(qtbot, window, "appointment_dialog")
    assert not dialog.attended_button.isEnabled() and "once its time has come" in dialog.fields["attendance"].text()
    dialog.close()
    desk.clock.advance(days=1, hours=2)  # Tuesday 11:00 AM: it has started
    qtbot.waitUntil(lambda: window.sync_panel.model.rowCount() == 1, timeout=2000)
    table = window.sync_panel.table
    table.setFocus()
    table.setCurrentIndex(window.sync_panel.model.index(0, 0))
    pos = QPoint(table.viewport().width() - 5, table.viewport().height() - 5)
    window.appointment_menu = None
    QApplication.sendEvent(table.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, pos,
                                                               table.viewport().mapToGlobal(pos)))
    menu = opened(qtbot, window, "appointment_menu")
    qtbot.keyClick(menu, Qt.Key.Key_N)  # Mark &no-show
    settle(qtbot, window)
    marked = desk.desk.appointments.get(appt_id)
    assert marked.attendance is Attendance.NO_SHOW
    window.open_appointment(appt_id)
    qtbot.waitUntil(lambda: window.appointment_dialog is not None and window.appointment_dialog is not dialog
                    and window.appointment_dialog.isVisible(), timeout=2000)
    dialog = window.appointment_dialog
    assert dialog.fields["attendance"].text().startswith("No-show (marked by ")
    assert not dialog.no_show_button.isEnabled() and dialog.attended_button.isEnabled()
    activate(qtbot, dialog)
    qtbot.keyClick(dialog, "t", Qt.KeyboardModifier.AltModifier)  # A&ttended (a mnemonic animates a click)
    qtbot.waitUntil(lambda: desk.desk.appointments.get(appt_id).attendance is Attendance.ATTENDED, timeout=3000)
    settle(qtbot, window)
    qtbot.waitUntil(lambda: dialog.fields["attendance"].text().startswith("Attended"), timeout=2000)
    actions = [e.action for e in desk.store.audit.entries(action="appointment")]
    assert actions[:2] == ["appointment.attended", "appointment.no-show"]
