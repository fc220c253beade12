"""Accessible names beyond the queue (test_accessibility.py walks the main window, the review pane and the queue's
dialogs): Settings with every section, the setup screens, the person picker, the discrepancy dialog, the new-booking
and reschedule dialogs, the caller's data dialog and the Health tab. Every control a person can Tab to has a name a
screen reader says. And Tab walks the main window in a sensible order: header → call list → review pane →
calendar → lower tabs."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFrame, QWidget

from receptionist.config import Profile
from receptionist.domain.people import hash_pin
from receptionist.providers.secrets import MemoryKeyring, location_secret_store
from receptionist.services import Desk, DeskContext
from receptionist.ui.caller_data import open_caller_data
from receptionist.ui.main_window import MainWindow
from receptionist.ui.people_views import PersonPicker
from receptionist.ui.settings import SettingsDialog
from receptionist.ui.setup import SetupWizard
from tests.helpers.ui import opened, review
from tests.ui.test_accessibility import unnamed
from tests.ui.test_appointment_actions import (
    GOOGLE,
    badge,
    book,
    person_edits,
    remote_id,
    sync,
    wait_synced,
)

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, desk):
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.quit_desk(ask=False)


def test_settings_every_section_and_the_setup_screens_name_every_control(qtbot):
    profile = Profile()
    settings = SettingsDialog(profile, location_secret_store(profile.location, MemoryKeyring()))
    qtbot.addWidget(settings)  # every section's page is built with the dialog: walked shown or not
    assert unnamed(settings) == [], "\n".join(unnamed(settings))
    wizard = SetupWizard(secrets_for=lambda p: location_secret_store(p.location, MemoryKeyring()))
    qtbot.addWidget(wizard)  # every page is built with the wizard
    assert unnamed(wizard) == [], "\n".join(unnamed(wizard))


def test_the_person_picker_names_every_control(qtbot, desk):
    profile = Profile.from_dict({"people": {"members": [
        {"name": "Ana Ruiz", "role": "owner", "pin_hash": hash_pin("1357")},
        {"name": "Ben Cole", "role": "front-desk"}]}})
    people = Desk(DeskContext.of(desk.store, profile, desk.bus, dict(desk.desk.context.calendars),
                                 desk.clock)).people
    picker = PersonPicker(people, _Operations())
    qtbot.addWidget(picker)
    assert unnamed(picker) == [], "\n".join(unnamed(picker))


class _Operations:
    """The picker only runs its pick through this; nothing is picked here."""

    def run(self, *_args, **_kwargs) -> None:
        raise AssertionError("nothing is picked in this test")


def test_the_booking_discrepancy_caller_data_and_health_screens_name_every_control(qtbot, window, desk):
    [appt_id] = book(qtbot, desk, "2026-11-24T10:30:00")
    # new booking (from the calendar) and reschedule
    window.calendar.booking_requested.emit(datetime(2026, 11, 25, 9, 0, tzinfo=window.zone), None, None)
    qtbot.waitUntil(lambda: window.booking_dialog is not None and window.booking_dialog.isVisible(), timeout=3000)
    assert unnamed(window.booking_dialog) == [], "\n".join(unnamed(window.booking_dialog))
    window.booking_dialog.close()
    window.open_action(appt_id, "reschedule")
    qtbot.waitUntil(lambda: window.action_dialog is not None and window.action_dialog.isVisible(), timeout=5000)
    assert unnamed(window.action_dialog) == [], "\n".join(unnamed(window.action_dialog))
    window.action_dialog.close()
    # the caller's data
    open_caller_data(window, "+13125550142", "Caller 0")
    qtbot.waitUntil(lambda: window.caller_data_dialog is not None and window.caller_data_dialog.isVisible(),
                    timeout=3000)
    assert unnamed(window.caller_data_dialog) == [], "\n".join(unnamed(window.caller_data_dialog))
    window.caller_data_dialog.close()
    # Keep ours / Take theirs, on a booking someone moved on Google
    sync(desk)
    wait_synced(qtbot, window, appt_id)
    ours = desk.desk.appointments.get(appt_id)
    person_edits(desk.google, remote_id(desk, appt_id, GOOGLE), start=ours.start + timedelta(hours=2),
                 end=ours.end + timedelta(hours=2))
    sync(desk)
    qtbot.waitUntil(lambda: badge(window, appt_id, GOOGLE) == "Drift", timeout=3000)
    window.open_discrepancy(next(link.id for link in desk.desk.appointments.get(appt_id).links
                                 if link.calendar == GOOGLE))
    compare = opened(qtbot, window, "discrepancy_dialog")
    assert unnamed(compare) == [], "\n".join(unnamed(compare))
    compare.close()
    # the Health tab, read and shown
    window.lower_tabs.setCurrentWidget(window.health_view)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=5000)
    assert unnamed(window.health_view) == [], "\n".join(unnamed(window.health_view))


def test_tab_walks_the_main_window_header_calls_review_calendar_then_lower_tabs(qtbot, window, desk):
    """From the header's first pill, Tab goes through the call list, the review pane (its pinned Approve row too),
    the calendar and the lower tabs, then round to the header again; each region is entered once."""
    desk.submit_call()
    qtbot.waitUntil(lambda: len(window.call_panel.model.rows()) == 1 and not window.call_panel.runner.busy,
                    timeout=5000)
    [call] = window.call_panel.model.rows()
    review(qtbot, window.call_panel, call.id)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    detail = window.call_panel.detail
    regions = {"header": [window.findChild(QFrame, "header")], "review": [detail, detail.decisions],
               "calls": [window.call_panel], "calendar": [window.calendar], "lower": [window.lower_tabs]}

    def region(widget: QWidget | None) -> str:
        for name, roots in regions.items():  # the review pane before the call panel that holds it
            if widget is not None and any(widget is r or r.isAncestorOf(widget) for r in roots):
                return name
        return f"elsewhere: {type(widget).__name__}"

    first = next(iter(window.pills.values()))
    first.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(first.hasFocus, timeout=2000)
    order, seen = ["header"], [first]
    while True:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        if widget is first or len(seen) > 200:
            break
        seen.append(widget)
        if region(widget) != order[-1]:
            order.append(region(widget))
    assert order == ["header", "calls", "review", "calendar", "lower"], [
        (region(w), type(w).__name__, w.accessibleName()) for w in seen]
    assert window.call_panel.list_view in seen and detail.approve_button in seen and window.calendar.canvas in seen
    assert all(pill in seen for pill in window.pills.values())
