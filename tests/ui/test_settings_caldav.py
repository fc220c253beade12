"""Settings → Connect CalDAV…: the server and user name from the Calendars section, the app password typed there
too, signed in against a real server (Radicale) on a worker thread; the calendar found is written back to the tab
and kept on Save, the password in the keyring only."""

from __future__ import annotations

import uuid

import pytest

from receptionist import paths
from receptionist.config import Profile
from receptionist.providers.secrets import MemoryKeyring, location_secret_store
from receptionist.ui.settings import SettingsDialog
from tests.helpers.caldav import PASSWORD, make_calendar

pytestmark = pytest.mark.gui


def test_connect_caldav_in_settings_finds_the_calendar_and_save_keeps_it(qtbot, radicale_server):
    user = "settings-" + uuid.uuid4().hex[:8]
    make_calendar(radicale_server.url, "Family", user=user)
    work = make_calendar(radicale_server.url, "Work", user=user)
    secrets = location_secret_store(Profile().location, MemoryKeyring())
    dialog = SettingsDialog(Profile(), secrets)
    qtbot.addWidget(dialog)
    dialog.editors[("caldav", "url")].setText(radicale_server.url.rstrip("/"))
    dialog.editors[("caldav", "username")].setText(user)

    dialog.connect_buttons["caldav"].click()  # no password yet: said, nothing started
    qtbot.waitUntil(lambda: dialog.connect_buttons["caldav"].isEnabled(), timeout=10_000)
    assert dialog.connect_status["caldav"].text().startswith("✗ type the CalDAV app-specific password")

    dialog.secret_edits["caldav.password"].setText(PASSWORD)
    dialog.connect_buttons["caldav"].click()  # two calendars and none named: the error lists them
    qtbot.waitUntil(lambda: dialog.connect_buttons["caldav"].isEnabled(), timeout=10_000)
    assert "say which one to use" in dialog.connect_status["caldav"].text()
    assert "'Work'" in dialog.connect_status["caldav"].text()

    dialog.editors[("caldav", "calendar_name")].setText("Work")
    dialog.connect_buttons["caldav"].click()
    qtbot.waitUntil(lambda: dialog.connect_buttons["caldav"].isEnabled(), timeout=10_000)
    assert dialog.connect_status["caldav"].text().startswith("✓ CalDAV connected: calendar 'Work'")
    assert dialog.editors[("caldav", "calendar_url")].text() == work
    assert dialog.editors[("caldav", "enabled")].isChecked()
    dialog.accept()
    saved = Profile.load(paths.user_profile_path())
    assert (saved.caldav.enabled, saved.caldav.calendar_url, saved.caldav.username) == (True, work, user)
    assert PASSWORD not in paths.user_profile_path().read_text()
    assert secrets.get("caldav.password") == PASSWORD
