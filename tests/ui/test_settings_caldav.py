"""CalDAV in Settings → Calendars: server, user and app password, Find calendars lists the account's calendars on a
worker thread against a real server (Radicale), the drop-down picks one, and Save keeps it (the password in the
keyring only). A stored password is enough to list them again later."""

from __future__ import annotations

import uuid

import pytest

from receptionist import paths
from receptionist.config import Profile
from receptionist.providers.secrets import MemoryKeyring, location_secret_store
from receptionist.ui.settings import SettingsDialog
from tests.helpers.caldav import PASSWORD, make_calendar

pytestmark = pytest.mark.gui


def _find(qtbot, dialog: SettingsDialog) -> str:
    picker = dialog.caldav
    picker.find_button.click()
    qtbot.waitUntil(picker.find_button.isEnabled, timeout=10_000)
    return picker.status.text()


def test_find_calendars_fills_the_drop_down_and_save_keeps_the_one_picked(qtbot, radicale_server):
    user = "settings-" + uuid.uuid4().hex[:8]
    make_calendar(radicale_server.url, "Family", user=user)
    work = make_calendar(radicale_server.url, "Work", user=user)
    secrets = location_secret_store(Profile().location, MemoryKeyring())
    dialog = SettingsDialog(Profile(), secrets)
    qtbot.addWidget(dialog)
    picker = dialog.caldav
    picker.url.setText(radicale_server.url.rstrip("/"))
    picker.username.setText(user)
    assert _find(qtbot, dialog) == "✗ Type the app-specific password first."  # nothing started

    picker.password.setText(PASSWORD)
    said = _find(qtbot, dialog)
    assert said.startswith("✓ Found 2 calendar(s) on ") and said.endswith("pick the one for appointments.")
    assert sorted(picker.calendars.itemText(i) for i in range(picker.calendars.count())) == ["Family", "Work"]
    picker.calendars.setCurrentIndex(picker.calendars.findText("Work"))
    picker.calendars.activated.emit(picker.calendars.currentIndex())  # picked: the calendar is switched on
    assert dialog.editors[("caldav", "enabled")].isChecked()
    dialog.accept()
    saved = Profile.load(paths.user_profile_path())
    assert (saved.caldav.enabled, saved.caldav.calendar_url, saved.caldav.calendar_name, saved.caldav.username) == \
        (True, work, "Work", user)
    assert PASSWORD not in paths.user_profile_path().read_text()
    assert secrets.get("caldav.password") == PASSWORD

    again = SettingsDialog(saved, secrets)  # opened later: the pick is shown, the stored password lists again
    qtbot.addWidget(again)
    assert again.caldav.calendars.currentText() == "Work" and again.caldav.calendars.currentData() == work
    assert _find(qtbot, again).startswith("✓ Found 2 calendar(s)")
    assert again.caldav.calendars.currentText() == "Work"  # the calendar in use stays picked


def test_a_bare_domain_that_is_no_caldav_server_is_a_sentence(qtbot):
    secrets = location_secret_store(Profile().location, MemoryKeyring())
    dialog = SettingsDialog(Profile(), secrets)
    qtbot.addWidget(dialog)
    dialog.caldav.url.setText("http://127.0.0.1:9")  # nothing listens on the discard port
    dialog.caldav.username.setText("ana")
    dialog.caldav.password.setText("pw")
    assert _find(qtbot, dialog).startswith("✗ no CalDAV server answered: ")


def test_the_setup_has_a_caldav_page_that_finds_and_picks_the_calendar(qtbot, radicale_server, no_profile):
    from receptionist.ui.setup import SetupWizard

    user = "setup-" + uuid.uuid4().hex[:8]
    front = make_calendar(radicale_server.url, "Front desk", user=user)
    make_calendar(radicale_server.url, "Private", user=user)
    backend = MemoryKeyring()
    wiz = SetupWizard(secrets_for=lambda p: location_secret_store(p.location, backend))
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.keyClicks(wiz.location.name, "Lakeside Dental")
    for _ in range(3):
        wiz.next()
    page = wiz.caldav
    assert wiz.currentPage() is page and not page.picker.isEnabled()  # off unless asked for
    page.enabled.setChecked(True)
    wiz.next()  # on, but no calendar picked: said, and the page stays
    assert wiz.currentPage() is page and page.problem.text().startswith("Find the account's calendars")
    page.picker.url.setText(radicale_server.url.rstrip("/"))
    page.picker.username.setText(user)
    page.picker.password.setText(PASSWORD)
    page.picker.find_button.click()
    qtbot.waitUntil(page.picker.find_button.isEnabled, timeout=10_000)
    assert page.picker.status.text().startswith("✓ Found 2 calendar(s)")
    page.picker.calendars.setCurrentIndex(page.picker.calendars.findText("Front desk"))
    wiz.next()
    assert wiz.currentPage() is wiz.agent
    wiz.accept()
    saved = Profile.load(paths.user_profile_path())
    assert (saved.caldav.enabled, saved.caldav.calendar_url, saved.caldav.calendar_name) == (True, front, "Front desk")
    assert PASSWORD not in paths.user_profile_path().read_text()
    assert location_secret_store(saved.location, backend).get("caldav.password") == PASSWORD
