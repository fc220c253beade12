"""The review pane and the window around it, worked as a front desk works: by keyboard, safely, from the tray."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from receptionist.domain.call_queue import CallFilter
from receptionist.domain.models import ProposalStatus
from receptionist.ui import call_review as call_review_module
from receptionist.ui.main_window import MainWindow
from receptionist.ui.shell import DeskTray, WindowPlacement, fitted
from tests.helpers.ui import review

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, desk):
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    win.resize(1280, 760)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=2000)
    yield win
    win.quit_desk(ask=False)


def arrive(qtbot, win, desk, **overrides) -> list[int]:
    """A call arrives and the desk lists it (shown from behind the "N new calls" bar when it was held there, as a
    person would); the listed calls' ids, newest first (by arrival: the fake clock gives them all one time)."""
    panel = win.call_panel
    call_id = desk.submit_call(**overrides)

    def listed() -> bool:
        return any(c.call_id == call_id for c in panel.model.rows())

    qtbot.waitUntil(lambda: listed() or panel.model.held() > 0, timeout=5000)
    if not listed():
        panel.show_new()
    qtbot.waitUntil(lambda: listed() and not panel.runner.busy, timeout=5000)
    return sorted((c.id for c in panel.model.rows()), reverse=True)


def idle(qtbot, win):
    qtbot.waitUntil(lambda: not win.runner.busy and not win.operations.busy, timeout=5000)


def texts(desk):
    return [body for _id, topic, body, *_ in desk.store.outbox.due(desk.clock() + timedelta(days=1))
            if topic == "sms.confirmation"]


def status(desk, call_row_id):
    return desk.store.calls.get(call_row_id).proposal.status


def test_a_call_opens_on_top_with_what_the_person_decides_with(qtbot, window, desk):
    [first] = arrive(qtbot, window, desk, custom_fields={"insurance": "Delta Dental", "retell_user_sentiment":
                                                         "Positive", "recording_url": "https://rec.example/1.mp3"})
    panel, detail = window.call_panel, window.call_panel.detail
    review(qtbot, panel, first)
    assert detail.summary.isVisible() and "Maria Lopez wants a cleaning" in detail.summary.text()
    assert detail.caller_note.text() == "(312) 555-0142 · New caller"
    assert "Tue 11/24/2026 10:30 AM – 11:15 AM CST" in detail.slot.text()
    assert detail.approve_button.isVisible() and "Ctrl+Enter" in detail.approve_button.toolTip()
    # technical fields and the transcript are one click away, custom fields read as words
    assert detail.details_box.isHidden() and not detail.transcript.isVisible()
    assert "Insurance: Delta Dental" in detail.captured["custom"].text()
    assert "retell" not in detail.captured["custom"].text()
    assert "retell_user_sentiment: Positive" in detail.captured["platform"].text()
    assert "rec.example/1.mp3" in detail.captured["recording"].text()
    qtbot.mouseClick(detail.details_button, Qt.MouseButton.LeftButton)
    assert detail.transcript.isVisible() and "I'd like a cleaning" in detail.transcript.toPlainText()

    # the pane was scrolled down on this call; the next call opens at its top, details folded
    second, *_ = arrive(qtbot, window, desk, requested_start="2026-11-25T10:30:00")
    bar = panel.detail_scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert bar.maximum() > 0
    review(qtbot, panel, second)
    assert bar.value() == 0 and detail.details_box.isHidden()


def test_the_queue_by_keyboard_alone(qtbot, window, desk, monkeypatch):
    arrive(qtbot, window, desk)
    arrive(qtbot, window, desk, requested_start="2026-11-25T10:30:00")
    [bad, second, first] = arrive(qtbot, window, desk, caller={"name": "Sam Carter", "callback_number": "555-01"},
                                  requested_start="2026-11-26T10:30:00")
    panel, detail = window.call_panel, window.call_panel.detail
    review(qtbot, panel, first)

    # approve: Ctrl+Enter from anywhere in the window
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: status(desk, first) is ProposalStatus.APPROVED, timeout=5000)
    idle(qtbot, window)

    # edit: Tab through the fields (Tab leaves the date field whole), Enter on the focused Save button
    review(qtbot, panel, second)
    detail.name_edit.setFocus()
    qtbot.keyClicks(detail.name_edit, " Jr")
    for expected in (detail.phone_edit, detail.service_edit, detail.start_edit, detail.duration_spin):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is expected
    detail.save_button.setFocus()
    qtbot.keyClick(detail.save_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.store.calls.get(second).proposal.caller_name == "Maria Lopez Jr", timeout=5000)
    idle(qtbot, window)
    assert status(desk, second) is ProposalStatus.PENDING and not detail.dirty

    # reject: Ctrl+Shift+R, a reason, Enter
    monkeypatch.setattr(call_review_module.QInputDialog, "getText",
                        staticmethod(lambda *a, **k: ("Booked by phone already", True)))
    qtbot.keyClick(detail.name_edit, Qt.Key.Key_R,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: status(desk, second) is ProposalStatus.REJECTED, timeout=5000)
    idle(qtbot, window)

    # after a decision the next call opens with focus on what needs attention: the bad number
    assert panel.select_call(bad)
    qtbot.waitUntil(lambda: detail.call is not None and detail.call.id == bad, timeout=5000)
    assert QApplication.focusWidget() is detail.phone_edit
    # Esc goes back to the list; the shortcuts are in the Call menu
    qtbot.keyClick(detail.phone_edit, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is panel.list_view
    assert window.approve_action.shortcut().toString() == "Ctrl+Return"
    assert window.reject_action.shortcut().toString() == "Ctrl+Shift+R"
    assert window.sync_action.shortcut().toString() == "F5"


def test_a_booking_with_warnings_needs_a_confirmation_that_names_them(qtbot, window, desk):
    [first] = arrive(qtbot, window, desk)
    desk.desk.bookings.approve(desk.store.calls.get(first).proposal.id, desk.store.calls.get(first).proposal.version)
    clash, *_ = arrive(qtbot, window, desk)  # the same slot: it overlaps the booking just made
    panel, detail = window.call_panel, window.call_panel.detail
    review(qtbot, panel, clash)
    assert detail.approve_button.isEnabled() and "⚠" in detail.slot_issues.text()
    detail.approve_button.setFocus()
    qtbot.keyClick(detail.approve_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: detail.approve_dialog is not None and detail.approve_dialog.isVisible(), timeout=5000)
    dialog = detail.approve_dialog
    assert "Check before approving" in dialog.warnings.text() and "overlap" in dialog.warnings.text().lower()
    assert dialog.approve_button.text() == "Approve anyway" and dialog.back_button.isDefault()
    assert dialog.heading.text() == "Maria Lopez — Teeth cleaning\nTeeth cleaning · Tue 11/24/2026 10:30 AM – 11:15 AM CST"
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # Enter is Go back: nothing approved
    idle(qtbot, window)
    assert status(desk, clash) is ProposalStatus.PENDING

    detail.approve()
    qtbot.waitUntil(lambda: detail.approve_dialog is not None and detail.approve_dialog.isVisible(), timeout=5000)
    qtbot.mouseClick(detail.approve_dialog.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status(desk, clash) is ProposalStatus.APPROVED, timeout=5000)
    idle(qtbot, window)


@pytest.mark.sms
def test_prefers_a_call_sends_no_sms_and_the_text_can_be_edited(qtbot, window, desk):
    [call] = arrive(qtbot, window, desk, summary="Maria wants a cleaning Tuesday; she prefers a phone call.")
    panel, detail = window.call_panel, window.call_panel.detail
    review(qtbot, panel, call)
    detail.approve()
    qtbot.waitUntil(lambda: detail.approve_dialog is not None and detail.approve_dialog.isVisible(), timeout=5000)
    dialog = detail.approve_dialog
    assert not dialog.notify_check.isChecked() and "prefers a phone call" in dialog.contact_note.text()
    assert "confirmed for 11/24/2026 at 10:30 AM" in dialog.text_edit.toPlainText()
    assert dialog.approve_button.isDefault()  # no warnings: Enter approves
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status(desk, call) is ProposalStatus.APPROVED, timeout=5000)
    idle(qtbot, window)
    assert texts(desk) == []

    other, *_ = arrive(qtbot, window, desk, requested_start="2026-11-25T10:30:00")
    review(qtbot, panel, other)
    detail.approve()
    qtbot.waitUntil(lambda: detail.approve_dialog is not None and detail.approve_dialog.isVisible(), timeout=5000)
    dialog = detail.approve_dialog
    assert dialog.notify_check.isChecked()
    dialog.text_edit.setPlainText("See you Wednesday at 10:30, Maria!")
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status(desk, other) is ProposalStatus.APPROVED, timeout=5000)
    idle(qtbot, window)
    assert [t["body"] for t in texts(desk)] == ["See you Wednesday at 10:30, Maria!"]


def test_unsaved_edits_are_not_dropped_when_another_call_is_picked(qtbot, window, desk):
    arrive(qtbot, window, desk)
    [second, first] = arrive(qtbot, window, desk, requested_start="2026-11-25T10:30:00")
    panel, detail = window.call_panel, window.call_panel.detail
    review(qtbot, panel, first)
    detail.name_edit.setText("Maria L.")
    detail.name_edit.textEdited.emit("Maria L.")
    assert detail.dirty
    panel.select_call(second)
    qtbot.waitUntil(lambda: detail.unsaved_box is not None and detail.unsaved_box.isVisible(), timeout=5000)
    box = detail.unsaved_box
    stay = [b for b in box.buttons() if box.buttonRole(b) is QMessageBox.ButtonRole.RejectRole][0]
    qtbot.mouseClick(stay, Qt.MouseButton.LeftButton)
    idle(qtbot, window)
    assert detail.call.id == first and detail.name_edit.text() == "Maria L." and detail.dirty
    assert panel.list_view.currentIndex().row() == panel.model.row_of(first)

    panel.select_call(second)
    qtbot.waitUntil(lambda: detail.unsaved_box is not None and detail.unsaved_box.isVisible(), timeout=5000)
    box = detail.unsaved_box
    save = [b for b in box.buttons() if box.buttonRole(b) is QMessageBox.ButtonRole.AcceptRole][0]
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: desk.store.calls.get(first).proposal.caller_name == "Maria L.", timeout=5000)
    qtbot.waitUntil(lambda: detail.call is not None and detail.call.id == second, timeout=5000)
    idle(qtbot, window)


def test_a_cancel_call_offers_cancelling_the_callers_appointment(qtbot, window, desk):
    [booked] = arrive(qtbot, window, desk)
    p = desk.store.calls.get(booked).proposal
    appt = desk.desk.bookings.approve(p.id, p.version)
    cancel, *_ = arrive(qtbot, window, desk, reason_codes=["cancel"], summary="Maria wants to cancel.")
    panel, detail = window.call_panel, window.call_panel.detail
    review(qtbot, panel, cancel)
    assert detail.matches_box.isVisible() and "Tue 11/24/2026 10:30 AM" in detail.match_label.text()
    assert detail.match_action.text() == "Cancel this appointment…" and not detail.approve_button.isEnabled()
    detail.match_action.setFocus()
    qtbot.keyClick(detail.match_action, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.action_dialog is not None and window.action_dialog.isVisible(), timeout=5000)
    sub = window.action_dialog
    assert sub.appt.id == appt.id
    qtbot.keyClicks(sub.reason_edit, "Caller asked to")
    qtbot.mouseClick(sub.ok_button, Qt.MouseButton.LeftButton)
    # cancelled, and the call is closed: its proposal was not a new booking
    qtbot.waitUntil(lambda: status(desk, cancel) is ProposalStatus.REJECTED, timeout=5000)
    idle(qtbot, window)
    assert desk.desk.appointments.get(appt.id).status.value == "cancelled"
    assert "Cancelled the caller's appointment instead (11/24/2026 10:30 AM)" == \
        desk.store.calls.get(cancel).proposal.reject_reason


def test_tray_count_follows_the_queue_and_each_call_is_announced_once(qtbot, window, desk):
    announced = []
    window.tray.announce = lambda call_id, title, text: announced.append((call_id, title, text))
    arrive(qtbot, window, desk)
    qtbot.waitUntil(lambda: window.tray.waiting == 1 and len(announced) == 1, timeout=5000)
    assert "1 call waiting" in window.tray.tray.toolTip()
    assert announced[0][1] == "New call: Maria Lopez" and "11/24/2026 10:30 AM" in announced[0][2]
    [_, first] = arrive(qtbot, window, desk, requested_start="2026-11-25T10:30:00")
    qtbot.waitUntil(lambda: window.tray.waiting == 2, timeout=5000)
    p = desk.store.calls.get(first).proposal
    desk.desk.bookings.reject(p.id, p.version, "duplicate")
    qtbot.waitUntil(lambda: window.tray.waiting == 1, timeout=5000)
    idle(qtbot, window)


def test_announce_is_deduplicated_with_one_taskbar_alert_and_one_sound_per_call(sounds):
    from PySide6.QtWidgets import QWidget

    owner, chime = QWidget(), [True]
    tray = DeskTray(owner, QApplication.windowIcon(), available=False, chime=lambda: chime[0])
    assert tray.announce(7, "New call", "x") and not tray.announce(7, "New call", "x")
    assert sounds == ["flash", "beep"]
    chime[0] = False  # the desk's profile says no sound: the taskbar alert only
    assert tray.announce(8, "New call", "y") and sounds == ["flash", "beep", "flash"]
    tray.set_waiting(3)
    assert "3 calls waiting" in tray.tray.toolTip()
    owner.deleteLater()


def test_a_call_that_needs_a_person_chimes_once_as_the_profile_says(qtbot, window, desk, sounds):
    from receptionist.config import Profile

    arrive(qtbot, window, desk)
    qtbot.waitUntil(lambda: "beep" in sounds, timeout=5000)
    assert sounds == ["flash", "beep"]
    data = window.profile.model_dump()
    data["location"]["sound_on_new_call"] = False
    window.profile = Profile.from_dict(data)  # as Settings → Business and hours → Advanced saves it
    arrive(qtbot, window, desk, requested_start="2026-11-25T10:30:00")
    qtbot.waitUntil(lambda: sounds.count("flash") == 2, timeout=5000)
    assert sounds == ["flash", "beep", "flash"]


def test_quitting_with_calls_waiting_asks_first(qtbot, window, desk):
    arrive(qtbot, window, desk)
    qtbot.waitUntil(lambda: window.call_panel.pending == 1, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    box = window.quit_box
    assert box is not None and box.isVisible() and "1 call waiting" in box.text()
    keep = [b for b in box.buttons() if box.buttonRole(b) is QMessageBox.ButtonRole.RejectRole][0]
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
    assert window.isVisible()
    window.quit_desk()
    box = window.quit_box
    leave = [b for b in box.buttons() if box.buttonRole(b) is QMessageBox.ButtonRole.DestructiveRole][0]
    qtbot.mouseClick(leave, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=2000)


def test_closing_keeps_the_desk_in_the_tray_while_the_receiver_is_up(qtbot, window):
    qtbot.waitUntil(lambda: window.pills["webhook"].state == "ok", timeout=5000)
    window.tray.available = True
    window.close()
    assert window.isHidden() and not window._quitting  # still running: the tray brings it back
    window.tray.show_requested.emit()
    assert window.isVisible()


def test_geometry_is_restored_and_fits_a_1366x768_screen(qtbot, window, tmp_path):
    placement = WindowPlacement("loc-1", str(tmp_path / "window.ini"))
    window.resize(1000, 650)  # (the offscreen screen is 800×800: the window's minimum width is the widest it gets)
    main, _right = window.splitters
    main.setSizes([600, 400])
    QApplication.processEvents()
    saved = main.sizes()
    placement.save(window, window.named_splitters())
    window.resize(1300, 780)
    main.setSizes([450, 650])
    WindowPlacement("loc-1", str(tmp_path / "window.ini")).restore(window, window.named_splitters(), (1440, 900))
    assert (window.width(), window.height()) == (1000, 650)
    QApplication.processEvents()
    assert main.sizes() == saved
    # the window's layout fits a 1366×768 screen with a taskbar and a title bar, status bar included
    hint = window.minimumSizeHint()
    assert hint.width() <= 1366 and hint.height() <= 768 - 40 - 30
    # a size saved smaller than the window now needs (another screen, an older layout) does not clip its contents
    window.resize(400, 300)
    placement.save(window, window.named_splitters())
    WindowPlacement("loc-1", str(tmp_path / "window.ini")).restore(window, window.named_splitters(), (1440, 900))
    least = window.minimumSizeHint()
    assert window.width() >= min(least.width(), window.screen().availableGeometry().width())
    assert window.height() >= min(least.height(), window.screen().availableGeometry().height())
    # a window saved on a bigger screen is brought inside the smaller one's available area
    x, y, w, h = fitted(QRect(200, 150, 1448, 938), 1440, 900, QRect(0, 0, 1366, 728))
    assert (x, y) == (0, 0) and w + 8 <= 1366 and h + 38 <= 728


def test_sync_table_lets_tab_out_keeps_red_when_selected_and_counts_a_cancel(qtbot, window, desk):
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

    from receptionist.errors import TransientError
    from tests.helpers.ui import badge_column

    [call] = arrive(qtbot, window, desk)
    p = desk.store.calls.get(call).proposal
    appt = desk.desk.bookings.approve(p.id, p.version)
    desk.google.fail_next = [TransientError("503 backend error", status=503)]
    desk.sync_in_background().join(10)
    panel, model = window.sync_panel, window.sync_panel.model
    column = badge_column(model, "google:primary")
    qtbot.waitUntil(lambda: model.data(model.index(0, column)) == "Failed", timeout=5000)
    index = model.index(0, column)
    qtbot.waitUntil(lambda: panel.summary.text().startswith("1 booked"), timeout=5000)

    # selected, the Failed badge keeps its colour
    option = QStyleOptionViewItem()
    option.state = QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_Enabled
    panel.table.itemDelegate().initStyleOption(option, index)
    red = model.data(index, Qt.ItemDataRole.ForegroundRole)
    assert option.palette.color(QPalette.ColorRole.HighlightedText) == red and red.red() > 150

    # Tab leaves the table; Shift+Tab reaches Retry
    window.lower_tabs.setCurrentWidget(panel)
    panel.table.setFocus()
    panel.table.setCurrentIndex(index)
    assert panel.retry_button.isEnabled()
    qtbot.keyClick(panel.table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not panel.table
    panel.table.setFocus()
    seen = []
    for _ in range(6):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
        seen.append(QApplication.focusWidget())
    assert panel.retry_button in seen

    # a cancelled appointment is no longer counted as booked
    desk.desk.appointments.cancel(appt.id, "asked to")
    qtbot.waitUntil(lambda: panel.summary.text().startswith("0 booked · 1 cancelled"), timeout=5000)
    idle(qtbot, window)


def test_a_second_start_brings_the_first_forward(qtbot):
    from receptionist.ui.shell import SingleInstance

    first = SingleInstance("loc-a")
    assert first.listen()
    try:
        with qtbot.waitSignal(first.raise_requested, timeout=3000):
            assert SingleInstance("loc-a").forward_to_running()
        assert not SingleInstance("loc-b").forward_to_running(timeout_ms=100)  # another location runs on its own
    finally:
        first.close()


def test_tab_leaves_the_reschedule_dialogs_date_and_time_whole(qtbot, window, desk):
    [call] = arrive(qtbot, window, desk)
    p = desk.store.calls.get(call).proposal
    appt = desk.desk.bookings.approve(p.id, p.version)
    idle(qtbot, window)
    window.open_action(appt.id, "reschedule")
    qtbot.waitUntil(lambda: window.action_dialog is not None and window.action_dialog.isVisible(), timeout=5000)
    sub = window.action_dialog
    sub.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is sub, timeout=2000)
    assert QApplication.focusWidget() is sub.date_edit
    qtbot.keyClick(sub.date_edit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is sub.time_edit
    qtbot.keyClick(sub.time_edit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is sub.length_spin
    sub.close()
    idle(qtbot, window)


def test_a_reschedule_call_and_a_question_by_keyboard_alone(qtbot, window, desk, monkeypatch):
    """The queue's other two decisions by keyboard: a reschedule call moves the caller's appointment (Enter on the
    offered action, Tab and ↑ in the dialog, Enter), and a question goes to the callback desk (Ctrl+Shift+C, a note,
    Enter), where the Callbacks tab lists it."""
    [booked] = arrive(qtbot, window, desk)
    p = desk.store.calls.get(booked).proposal
    appt = desk.desk.bookings.approve(p.id, p.version)
    question = arrive(qtbot, window, desk, reason_codes=["general inquiry"], service=..., requested_start=...,
                      summary="Asked whether Delta Dental is taken.")[0]
    move = arrive(qtbot, window, desk, reason_codes=["reschedule"], summary="Maria wants to come an hour later.")[0]
    first = arrive(qtbot, window, desk, requested_start="2026-11-26T10:30:00")[0]
    panel, detail = window.call_panel, window.call_panel.detail
    review(qtbot, panel, first)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: status(desk, first) is ProposalStatus.APPROVED, timeout=5000)

    # the reschedule call opens next, focus on the action it offers
    qtbot.waitUntil(lambda: detail.call is not None and detail.call.id == move and not panel.runner.busy,
                    timeout=5000)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is detail.match_action, timeout=5000)
    assert detail.match_action.text() == "Reschedule this appointment…" and not detail.approve_button.isEnabled()
    qtbot.keyClick(detail.match_action, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.action_dialog is not None and window.action_dialog.isVisible(), timeout=5000)
    sub = window.action_dialog
    sub.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is sub, timeout=2000)
    assert QApplication.focusWidget() is sub.date_edit and sub.appt.id == appt.id
    qtbot.keyClick(sub.date_edit, Qt.Key.Key_Tab)
    qtbot.keyClick(sub.time_edit, Qt.Key.Key_Up)  # the hour: 10:30 → 11:30
    qtbot.keyClick(sub.time_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: status(desk, move) is ProposalStatus.REJECTED, timeout=5000)
    moved = desk.desk.appointments.get(appt.id)
    assert moved.start == appt.start + timedelta(hours=1)
    assert desk.store.calls.get(move).proposal.reject_reason.startswith("Moved the caller's appointment instead")

    # the question opens next, focus on Needs a callback; Ctrl+Shift+C works from anywhere too
    qtbot.waitUntil(lambda: detail.call is not None and detail.call.id == question and not panel.runner.busy,
                    timeout=5000)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is detail.callback_button, timeout=5000)
    assert detail.callback_button.objectName() == "primary" and detail.approve_button.objectName() == ""
    assert window.callback_action.shortcut().toString() == "Ctrl+Shift+C"
    asked = []
    monkeypatch.setattr(call_review_module.QInputDialog, "getText",
                        staticmethod(lambda *a, **k: asked.append(a[1:]) or ("Ask about Delta Dental", True)))
    qtbot.keyClick(detail.callback_button, Qt.Key.Key_C,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: status(desk, question) is ProposalStatus.CALLBACK, timeout=5000)
    idle(qtbot, window)
    assert asked and asked[0][0] == "Needs a callback"
    qtbot.waitUntil(lambda: any(c.call_row_id == question and c.note == "Ask about Delta Dental"
                                for c in window.callbacks_view.model.rows()), timeout=5000)
    [sent] = [c for c in window.callbacks_view.model.rows() if c.call_row_id == question]
    assert "<b>From the desk:</b> Ask about Delta Dental" in window.callbacks_view.detail_html(sent)
    # off the queue: Needs me no longer counts it; the pane says where it went
    assert desk.desk.bookings.call_counts()[CallFilter.NEEDS_ME] == 0
    review(qtbot, panel, question)
    assert detail.state_banner.text() == "Sent to Callbacks by staff: Ask about Delta Dental"
    assert not detail.callback_button.isVisible()
