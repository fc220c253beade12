"""Settings saved on a running desk (the real App): the window follows the new time zone in its clock, week and lists,
its new name, and a calendar switched on gets its health pill (and loses it when switched off) — no restart."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QObject

from receptionist.app import App
from receptionist.config import Profile
from receptionist.providers.secrets import memory_secret_store
from receptionist.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def _with(profile: Profile, **parts) -> Profile:
    data = profile.model_dump()
    for part, values in parts.items():
        data[part].update(values)
    return Profile.from_dict(data)


@pytest.fixture
def running(qtbot, db_url, clock):
    profile = Profile.from_dict({"location": {"name": "Live Clinic", "id": "live-clinic"}})
    secrets = memory_secret_store("live-window")
    app = App.build(profile, db_url, secrets, with_receiver=False, clock=clock).start(sync=False)
    window = MainWindow(app.desk, app.bus)
    qtbot.addWidget(window)
    window.show()
    yield app, window
    window.close()
    app.stop()


def test_the_window_follows_a_new_time_zone_and_name_at_once(qtbot, running):
    app, window = running  # Monday 11/23/2026 15:00 UTC
    assert window.clock_label.text().endswith("9:00 AM CST")
    window.apply_settings(_with(app.profile, location={"name": "Mountain Clinic", "time_zone": "America/Denver"}))
    qtbot.waitUntil(lambda: "Settings saved." in window.status.currentMessage())
    assert "Times are now in America/Denver." in window.status.currentMessage()
    assert window.clock_label.text().endswith("8:00 AM MST")
    denver = ZoneInfo("America/Denver")
    assert window.calendar.zone == denver and window.zone == denver
    assert window.callbacks_view.zone == denver and window.sync_panel.zone == denver
    zones = {child.zone for child in window.findChildren(QObject) if isinstance(getattr(child, "zone", None),
                                                                                 ZoneInfo)}
    assert zones == {denver} and len(window.call_panel.findChildren(QObject)) > 0
    assert window.windowTitle() == "Mountain Clinic — Receptionist Console"
    assert window.findChild(type(window.clock_label), "locationName").text() == "Mountain Clinic"


def test_a_calendar_switched_on_live_gets_its_pill_and_loses_it_when_switched_off(qtbot, running):
    app, window = running
    assert "calendars" in window.pills and "caldav:default" not in window.pills
    on = _with(app.profile, caldav={"enabled": True, "url": "https://dav.example.com", "username": "ana"})
    window.apply_settings(on)
    qtbot.waitUntil(lambda: "Settings saved." in window.status.currentMessage())
    [key] = [k for k in window.pills if k.startswith("caldav:")]
    assert "calendars" not in window.pills
    pill = window.pills[key]
    qtbot.waitUntil(lambda: pill.state == "error")  # the health snapshot: enabled, not signed in
    assert "not connected" in pill.toolTip().lower() or "sign" in pill.toolTip().lower(), pill.toolTip()
    window.status.clearMessage()
    window.apply_settings(_with(on, caldav={"enabled": False}))
    qtbot.waitUntil(lambda: "Settings saved." in window.status.currentMessage())
    assert key not in window.pills and window.pills["calendars"].text() == "● No calendar connected"


def test_an_open_appointment_and_its_reschedule_follow_a_new_time_zone(qtbot, running, clock):
    from datetime import datetime, timezone

    from receptionist.ui.appointment_dialog import RescheduleDialog
    from tests.helpers.seed import seed_appointments

    app, window = running
    [appt_id] = seed_appointments(app.store, clock, 1)  # Monday 15:00 UTC: 9:00 AM in Chicago
    window.open_appointment(appt_id)
    qtbot.waitUntil(lambda: window.appointment_dialog is not None)
    dialog = window.appointment_dialog
    assert dialog.fields["when"].text().startswith("11/23/2026 9:00 AM")
    sub = dialog.reschedule()
    assert isinstance(sub, RescheduleDialog) and sub.zone_label.text() == "CST"
    window.apply_settings(_with(app.profile, location={"time_zone": "America/Denver"}))
    qtbot.waitUntil(lambda: "Settings saved." in window.status.currentMessage())
    denver = ZoneInfo("America/Denver")
    assert dialog.zone == denver and dialog.fields["when"].text().startswith("11/23/2026 8:00 AM")
    # the reschedule keeps proposing the same moment, now said in Denver's time
    assert sub.zone == denver and sub.zone_label.text() == "MST" and sub.suggestions.zone == denver
    assert sub.time_edit.time().toString("h:mm AP") == "8:00 AM" and sub.when.text().startswith("11/23/2026 8:00 AM")
    assert sub.new_start() == datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
    assert "America/Denver" in sub.zone_label.toolTip()
