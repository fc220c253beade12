"""A caller's data from the window: an owner opens it from an appointment (Alt+D), exports it to a file and forgets
the caller only once the sentence saying what that erases is ticked; both audited with the owner's name; anyone else
reads why they cannot."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from receptionist.config import Profile
from receptionist.domain.people import hash_pin
from receptionist.services import Desk, DeskContext
from receptionist.ui.main_window import MainWindow
from tests.helpers.ui import review

pytestmark = pytest.mark.gui


@pytest.fixture
def booked(qtbot, desk):
    profile = Profile.from_dict({"people": {"members": [
        {"name": "Ana Ruiz", "role": "owner", "pin_hash": hash_pin("1357")},
        {"name": "Ben Cole", "role": "front-desk"}]}})
    desk.desk = Desk(DeskContext.of(desk.store, profile, desk.bus, dict(desk.desk.context.calendars), desk.clock))
    desk.desk.people.pick("Ana Ruiz", "1357")
    desk.submit_call(caller={"name": "Maria Lopez", "callback_number": "(312) 555-0142", "account_id": None})
    qtbot.waitUntil(lambda: len(desk.desk.bookings.calls()) == 1, timeout=5000)
    [call] = desk.desk.bookings.calls()
    appt = desk.desk.bookings.approve(call.proposal.id, call.proposal.version)
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    return win, desk, appt


def caller_dialog(qtbot, win, appt_id):
    win.open_appointment(appt_id)
    qtbot.waitUntil(lambda: win.appointment_dialog is not None and win.appointment_dialog.isVisible(), timeout=3000)
    dialog = win.appointment_dialog
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2000)
    qtbot.keyClick(dialog, "d", Qt.KeyboardModifier.AltModifier)  # Caller's &data…
    qtbot.waitUntil(lambda: win.caller_data_dialog is not None and win.caller_data_dialog.isVisible(), timeout=3000)
    return dialog, win.caller_data_dialog


def test_an_owner_exports_then_forgets_a_caller(qtbot, booked, tmp_path):
    win, desk, appt = booked
    dialog, data = caller_dialog(qtbot, win, appt.id)
    assert data.windowTitle() == "Caller's data — (312) 555-0142"
    out = tmp_path / "maria.json"
    data.choose = lambda parent, suggested: str(out)
    data.export_button.click()
    qtbot.waitUntil(lambda: data.result.text().startswith("Written to"), timeout=5000)
    assert json.loads(out.read_text())["number"] == "+13125550142"
    assert "1 call(s), 1 appointment(s)" in data.result.text()
    assert not data.forget_button.isEnabled()  # not before the sentence is ticked
    data.confirm.setChecked(True)
    data.forget_button.click()
    qtbot.waitUntil(lambda: data.result.text().startswith("Forgotten:"), timeout=5000)
    assert desk.desk.appointments.get(appt.id).caller_name == "Forgotten caller"
    assert desk.desk.bookings.calls() == []
    qtbot.waitUntil(lambda: dialog.fields["caller"].text() == "Forgotten caller", timeout=3000)  # read again
    who = {e.action: e.actor for e in desk.store.audit.entries(action="caller")}
    assert who == {"caller.exported": "Ana Ruiz", "caller.forgotten": "Ana Ruiz"}


def test_front_desk_staff_read_that_it_is_for_owners(qtbot, booked):
    win, desk, appt = booked
    desk.desk.people.pick("Ben Cole")
    _dialog, data = caller_dialog(qtbot, win, appt.id)
    assert not data.export_button.isEnabled() and not data.confirm.isEnabled()
    assert data.result.text() == ("Exporting or forgetting a caller's data is for owners: ask an owner of the "
                                  "desk.")


def listed(qtbot, win, call_id: int) -> None:
    """The window shown, the call listed (past the "N new" bar) and reviewed."""
    win.show()
    qtbot.waitExposed(win)

    qtbot.waitUntil(lambda: not win.call_panel.runner.busy, timeout=5000)
    win.call_panel.show_new()
    qtbot.waitUntil(lambda: any(c.id == call_id for c in win.call_panel.model.rows())
                    and not win.call_panel.runner.busy, timeout=5000)
    review(qtbot, win.call_panel, call_id)


def from_the_review_pane(qtbot, desk, win):
    """A new call from the same number (pending), reviewed; the caller's data opened from its history line by
    keyboard: Tab from the history's neighbour onto **Caller's data…**, then Space."""
    desk.submit_call(caller={"name": "Maria Lopez", "callback_number": "312.555.0142", "account_id": None})
    qtbot.waitUntil(lambda: len(desk.desk.bookings.calls()) == 2, timeout=5000)
    pending = next(c for c in desk.desk.bookings.calls() if c.proposal.status.value == "pending")
    listed(qtbot, win, pending.id)
    detail = win.call_panel.detail
    button = detail.caller_data_button
    assert button.isVisible() and detail.caller_note.text().startswith("Returning caller")
    win.activateWindow()
    button.setFocus()
    qtbot.waitUntil(button.hasFocus, timeout=2000)
    qtbot.keyClick(button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: win.caller_data_dialog is not None and win.caller_data_dialog.isVisible(), timeout=3000)
    return detail, win.caller_data_dialog


def test_an_owner_forgets_a_caller_from_the_call_review(qtbot, booked, tmp_path):
    win, desk, _appt = booked
    detail, data = from_the_review_pane(qtbot, desk, win)
    assert data.windowTitle() == "Caller's data — (312) 555-0142"
    out = tmp_path / "maria.json"
    data.choose = lambda parent, suggested: str(out)
    data.export_button.click()
    qtbot.waitUntil(lambda: data.result.text().startswith("Written to"), timeout=5000)
    assert len(json.loads(out.read_text())["calls"]) == 2  # the call under review and the earlier one
    data.confirm.setChecked(True)
    data.forget_button.click()
    qtbot.waitUntil(lambda: data.result.text().startswith("Forgotten:"), timeout=5000)
    assert desk.desk.bookings.calls() == []
    qtbot.waitUntil(lambda: detail.call is None and not detail.caller_data_button.isVisible(), timeout=5000)
    who = {e.action: e.actor for e in desk.store.audit.entries(action="caller")}
    assert who == {"caller.exported": "Ana Ruiz", "caller.forgotten": "Ana Ruiz"}


def test_front_desk_staff_read_it_is_for_owners_from_the_call_review_too(qtbot, booked):
    win, desk, _appt = booked
    desk.desk.people.pick("Ben Cole")
    _detail, data = from_the_review_pane(qtbot, desk, win)
    assert not data.export_button.isEnabled() and not data.forget_button.isEnabled()
    assert data.result.text().endswith("ask an owner of the desk.")
    assert desk.store.audit.entries(action="caller") == []


def test_a_call_without_a_number_offers_no_caller_data(qtbot, booked):
    win, desk, _appt = booked
    desk.submit_call(caller={"name": "Someone", "callback_number": None, "account_id": None})
    qtbot.waitUntil(lambda: len(desk.desk.bookings.calls()) == 2, timeout=5000)
    unknown = next(c for c in desk.desk.bookings.calls() if c.proposal.status.value == "pending")
    listed(qtbot, win, unknown.id)
    assert unknown.callback_number is None and unknown.caller_id_number is None
    assert win.call_panel.detail.caller_note.isVisible() and not win.call_panel.detail.caller_data_button.isVisible()
