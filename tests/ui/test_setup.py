"""The setup screen of a first start, the Settings dialog, About, the Help menu and environment problems in the
window — driven as a person would, offscreen."""

from __future__ import annotations

import os
import threading
import tomllib

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from receptionist import errors, paths
from receptionist.config import Profile, describe_options
from receptionist.providers.secrets import MemoryKeyring, location_secret_store
from receptionist.ui import launch as launch_module
from receptionist.ui import main_window as main_window_module
from receptionist.ui.launch import CrashHandler
from receptionist.ui.main_window import MainWindow
from receptionist.ui.settings import SettingsDialog
from receptionist.ui.setup import SetupWizard, ZoneBox
from tests.helpers.ui import review

pytestmark = pytest.mark.gui


@pytest.fixture
def keyring_backend():
    return MemoryKeyring()


@pytest.fixture
def wizard(qtbot, keyring_backend, no_profile):
    wiz = SetupWizard(secrets_for=lambda p: location_secret_store(p.location, keyring_backend))
    qtbot.addWidget(wiz)
    wiz.show()
    return wiz


def _browser_that_consents(url: str) -> bool:
    import requests

    requests.get(url, timeout=10)
    return True


def _completions(box: ZoneBox, text: str) -> list[str]:
    completer = box.completer()
    completer.setCompletionPrefix(text)
    return [completer.completionModel().index(i, 0).data() for i in range(completer.completionCount())]


def test_the_zone_picker_finds_places_by_name_with_their_offset_today(qtbot):
    box = ZoneBox("UTC")
    qtbot.addWidget(box)
    [new_york] = [m for m in _completions(box, "new york") if m.startswith("New York")]
    assert new_york.startswith("New York — America (UTC−") and new_york.endswith(" now)")
    [phoenix] = _completions(box, "Phoenix")
    assert phoenix == "Phoenix — America (UTC−7 now)"  # Arizona keeps standard time all year
    box.setEditText(phoenix)
    assert box.zone() == "America/Phoenix"
    box.set_zone("Europe/Lisbon")
    assert box.zone() == "Europe/Lisbon" and box.currentText().startswith("Lisbon — Europe")
    box.setEditText("Mars")
    assert box.zone() == ""
    box.setEditText("new york")  # the only match: taken, and shown whole once the field is left
    box.settle()
    assert box.zone() == "America/New_York" and box.currentText().startswith("New York — America")
    box.setEditText("america")  # hundreds: none chosen
    assert box.zone() == ""


def test_zone_labels_follow_daylight_saving_time():
    from datetime import datetime, timezone

    from receptionist.ui.setup_fields import zone_label

    assert zone_label("America/New_York", datetime(2026, 1, 15, tzinfo=timezone.utc)).endswith("(UTC−5 now)")
    assert zone_label("America/New_York", datetime(2026, 7, 15, tzinfo=timezone.utc)).endswith("(UTC−4 now)")
    assert zone_label("Asia/Kolkata", datetime(2026, 7, 15, tzinfo=timezone.utc)) == "Kolkata — Asia (UTC+5:30 now)"


def test_times_are_12_hour_in_the_us_on_the_steps_asked_for(qtbot):
    from receptionist.ui.setup_fields import TimeBox, time_label

    box = TimeBox(8 * 60 + 15, step=15)
    qtbot.addWidget(box)
    assert box.currentText() == "8:15 AM" and box.count() == 97
    assert [box.itemText(i) for i in (0, 48, 52, 96)] == ["12:00 AM", "12:00 PM", "1:00 PM", "Midnight"]
    assert time_label(18 * 60, twelve_hour=False) == "18:00"
    hours = TimeBox(9 * 60, first=0, last=23 * 60, step=60)
    qtbot.addWidget(hours)
    assert hours.count() == 24 and hours.currentText() == "9:00 AM" and hours.minutes() == 540


def test_location_page_says_what_is_wrong_once_a_field_is_left(qtbot, wizard):
    page = wizard.location
    assert page.problem.text() == ""  # nothing red before anything is touched
    assert page.isComplete()  # Next can be pressed; it says what is missing then
    wizard.activateWindow()
    qtbot.waitActive(wizard)
    page.name.setFocus()
    qtbot.waitUntil(page.name.hasFocus)
    page.zone.setFocus()  # leaving the name empty
    qtbot.waitUntil(lambda: page.problem.text() != "")
    assert page.problem.text() == "Enter the business name."
    qtbot.keyClicks(page.name, "Lakeside Dental")
    assert page.problem.text() == ""
    page.zone.setEditText("Mars/Olympus")
    page.zone.setFocus()
    qtbot.waitUntil(page.zone.lineEdit().hasFocus)
    page.name.setFocus()  # leaving the zone
    qtbot.waitUntil(lambda: "is not a place in the list" in page.problem.text())
    page.zone.set_zone("America/Denver")
    assert page.validatePage() and page.problem.text() == ""


def test_next_on_an_empty_page_says_what_is_missing(qtbot, wizard):
    wizard.next()
    assert wizard.currentPage() is wizard.location
    assert wizard.location.problem.text() == "Enter the business name."


@pytest.fixture
def no_keyring(monkeypatch):
    """keyring's own "no keyring" backend, chosen as a desk without one would get it (PYTHON_KEYRING_BACKEND)."""
    import keyring
    import keyring.core

    previous = keyring.get_keyring()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core.init_backend()
    yield
    keyring.set_keyring(previous)


def test_setup_with_no_keyring_stops_on_its_first_page_and_says_what_to_do(qtbot, no_profile, no_keyring):
    import keyring

    wiz = SetupWizard()  # the product's own keyring, as keyring selects it
    qtbot.addWidget(wiz)
    wiz.show()
    page = wiz.location
    assert page.keyring.isVisible() and "gnome-keyring" in page.keyring.advice.text() \
        and "KWallet" in page.keyring.advice.text()
    qtbot.keyClicks(page.name, "Lakeside Dental")
    assert not page.isComplete() and not wiz.button(wiz.WizardButton.NextButton).isEnabled()
    wiz.next()
    assert wiz.currentPage() is page and wiz.agent.secret.text() == ""  # nothing generated
    keyring.set_keyring(MemoryKeyring())  # the person installed and unlocked one
    page.keyring.again.click()
    assert not page.keyring.isVisible() and page.isComplete()
    wiz.next()
    assert wiz.currentPage() is wiz.hours


@pytest.mark.parametrize("system, words", [("win32", "Credential Manager"), ("darwin", "Keychain"),
                                           ("linux", "gnome-keyring")])
def test_keyring_advice_names_what_to_install_or_unlock_on_each_system(system, words):
    from receptionist.onboarding import keyring_advice

    assert words in keyring_advice(system)


def test_setup_writes_the_user_profile_and_keeps_secrets_in_the_keyring(qtbot, wizard, keyring_backend):
    qtbot.keyClicks(wizard.location.name, "Lakeside Dental")
    wizard.location.zone.set_zone("America/Denver")
    wizard.hours.hours.days[0].ranges[0][0].set_minutes(7 * 60 + 45)
    wizard.twilio.enabled.setChecked(True)
    qtbot.keyClicks(wizard.twilio.sid, "AC123")
    qtbot.keyClicks(wizard.twilio.from_number, "+15551234567")
    qtbot.keyClicks(wizard.twilio.token, "twilio-token-xyz")
    wizard.agent.platform.setCurrentIndex(wizard.agent.platform.findData("generic"))
    wizard.agent.initializePage()
    assert wizard.agent.url.text().endswith(":8765/webhooks/v1/calls")
    wizard.agent.copy_secret.click()
    secret = wizard.agent.secret.text()
    assert QGuiApplication.clipboard().text() == secret and len(secret) >= 40
    wizard.accept()
    assert wizard.written == paths.user_profile_path()
    text = paths.user_profile_path().read_text(encoding="utf-8")
    profile = Profile.from_dict(tomllib.loads(text))
    assert profile.location.name == "Lakeside Dental" and profile.location.time_zone == "America/Denver"
    assert profile.availability.hours["mon"] == ["07:45-18:00"] and profile.location.id.startswith("lakeside-dental-")
    assert profile.twilio.enabled and profile.twilio.account_sid == "AC123"
    assert "twilio-token-xyz" not in text and secret not in text  # secrets: keyring only
    store = location_secret_store(profile.location, keyring_backend)
    assert store.get("twilio.auth_token") == "twilio-token-xyz" and store.get("ingest.webhook_secret") == secret


def test_sign_in_apps_come_from_the_profile_and_a_custom_one_is_under_advanced(qtbot, keyring_backend, no_profile):
    built = Profile.from_dict({"google": {"client_id": "installer.apps.googleusercontent.com"}})
    wiz = SetupWizard(base=built, secrets_for=lambda p: location_secret_store(p.location, keyring_backend))
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.keyClicks(wiz.location.name, "Lakeside Dental")
    wiz.next()
    wiz.next()
    page = wiz.calendars
    assert wiz.currentPage() is page
    assert not page.google_client_id.isVisible() and not page.outlook_authority.isVisible()
    assert page.google_status.text() == "Not connected."
    assert "no sign-in set up" in page.outlook_status.text()  # this build has no Microsoft app
    page.advanced.button.click()
    assert page.google_client_id.isVisible() and page.google_client_id.text() == "installer.apps.googleusercontent.com"


def test_the_whole_setup_by_keyboard(qtbot, wizard, keyring_backend):
    from PySide6.QtCore import Qt

    wizard.activateWindow()
    qtbot.waitActive(wizard)
    qtbot.keyClicks(wizard.location.name, "Keyboard Clinic")
    qtbot.keyClick(wizard.location.name, Qt.Key.Key_Tab)
    zone = QApplication.focusWidget()
    assert zone is wizard.location.zone
    qtbot.keyClick(zone, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(zone, "phoenix")
    popup = QApplication.activePopupWidget()  # the matches, as the person types
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert zone.currentText() == "Phoenix — America (UTC−7 now)"
    for page in (wizard.hours, wizard.calendars, wizard.caldav, wizard.agent, wizard.twilio):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # Enter goes on
        assert wizard.currentPage() is page
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # Save and start
    assert wizard.written == paths.user_profile_path()
    saved = Profile.load(paths.user_profile_path())
    assert saved.location.name == "Keyboard Clinic" and saved.location.time_zone == "America/Phoenix"


@pytest.mark.parametrize("platform", ["vapi", "retell", "elevenlabs", "bland", "synthflow", "twilio", "generic"])
def test_a_test_call_from_each_platforms_page_arrives(qtbot, keyring_backend, no_profile, platform):
    from receptionist.onboarding import PLATFORM_GUIDES

    wiz = SetupWizard(base=Profile.from_dict({"ingest": {"port": 0}}),
                      secrets_for=lambda p: location_secret_store(p.location, keyring_backend))
    qtbot.addWidget(wiz)
    page = wiz.agent
    page.platform.setCurrentIndex(page.platform.findData(platform))
    page.initializePage()
    guide = PLATFORM_GUIDES[platform]
    assert page.url.text().endswith("/webhooks/v1/calls" if platform == "generic" else f"/webhooks/{platform}")
    assert page.secret_label.text() == guide.secret_label and page.steps.text() == guide.steps
    if guide.we_make_secret:
        assert page.secret.isReadOnly() and len(page.secret.text()) >= 40
    else:
        assert page.secret.text() == "" and not page.secret.isReadOnly()
        qtbot.keyClicks(page.secret, f"{platform}-secret-from-its-dashboard")
    page.test_button.click()
    qtbot.waitUntil(lambda: page.test_button.isEnabled(), timeout=20000)
    assert page.test_result.text().startswith("✓ A signed ") and "appeared in the call list" in \
        page.test_result.text(), page.test_result.text()
    wiz.accept()
    saved = Profile.load(paths.user_profile_path())
    assert saved.ingest.platform == platform
    store = location_secret_store(saved.location, keyring_backend)
    assert store.get(guide.secret_key) == page.secret.text() and store.get("ingest.webhook_secret")


def test_a_test_call_without_the_secret_asks_for_it(qtbot, wizard):
    page = wizard.agent
    page.platform.setCurrentIndex(page.platform.findData("retell"))
    page.test_button.click()
    qtbot.waitUntil(lambda: page.test_button.isEnabled(), timeout=20000)
    assert page.test_result.text() == "✗ Enter the Retell API key first: the test call is signed with it."


def test_a_test_call_on_a_taken_port_says_so(qtbot):
    import socket

    from receptionist.onboarding import send_test_call

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        result = send_test_call(Profile.from_dict({"ingest": {"port": taken.getsockname()[1]}}), "vapi", "x")
    finally:
        taken.close()
    assert not result.ok and "could not be received" in result.sentence


def test_connect_google_runs_the_real_sign_in_on_a_worker_thread(qtbot, keyring_backend, no_profile):
    from receptionist_sandbox.stack import SandboxStack

    threads = []

    def browser(url):
        threads.append(threading.current_thread())
        return _browser_that_consents(url)

    with SandboxStack() as stack:
        wiz = SetupWizard(base=stack.profile(), open_url=browser,
                          secrets_for=lambda p: location_secret_store(p.location, keyring_backend))
        qtbot.addWidget(wiz)
        qtbot.keyClicks(wiz.location.name, "Lakeside Dental")
        wiz.calendars.google_enabled.setChecked(True)
        qtbot.keyClicks(wiz.calendars.google_secret, stack.google.client_secret)
        wiz.calendars.google_button.click()
        assert not wiz.calendars.google_button.isEnabled()  # returned at once; the flow runs elsewhere
        assert "Waiting for you" in wiz.calendars.google_status.text()
        qtbot.waitUntil(lambda: wiz.calendars.google_button.isEnabled(), timeout=20000)
        assert wiz.calendars.google_status.text().startswith("✓") and "owner@demo.example" in \
            wiz.calendars.google_status.text()
        assert threads and threads[0] is not threading.main_thread()
        store = location_secret_store(wiz.profile().location, keyring_backend)
        assert store.get("google.refresh_token")
        wiz.accept()
    assert Profile.load(paths.user_profile_path()).google.enabled


def test_a_desk_without_a_public_address_chooses_polling_with_its_api_key(qtbot, wizard, keyring_backend):
    qtbot.keyClicks(wizard.location.name, "Back Office Clinic")
    page = wizard.agent
    page.platform.setCurrentIndex(page.platform.findData("bland"))
    assert page.poll.isHidden()  # Bland has no API to fetch calls from
    page.platform.setCurrentIndex(page.platform.findData("elevenlabs"))
    assert not page.poll.isHidden() and page.poll_key.isHidden()
    page.poll.setChecked(True)
    assert not page.poll_key.isHidden()
    qtbot.keyClicks(page.secret, "el-webhook-secret")
    qtbot.keyClicks(page.poll_key, "key_eleven_123")
    wizard.accept()
    text = paths.user_profile_path().read_text(encoding="utf-8")
    profile = Profile.from_dict(tomllib.loads(text))
    assert profile.elevenlabs.poll and not profile.vapi.poll and not profile.retell.poll
    assert "key_eleven_123" not in text  # the API key: keyring only
    store = location_secret_store(profile.location, keyring_backend)
    assert store.get("elevenlabs.api_key") == "key_eleven_123"


def test_retell_polls_with_the_api_key_it_signs_with(qtbot, wizard, keyring_backend):
    page = wizard.agent
    page.platform.setCurrentIndex(page.platform.findData("retell"))
    page.poll.setChecked(True)
    assert page.poll_key.isHidden()  # one key does both
    qtbot.keyClicks(page.secret, "key_retell_123")
    wizard.accept()
    profile = Profile.load(paths.user_profile_path())
    assert profile.retell.poll
    assert location_secret_store(profile.location, keyring_backend).get("retell.api_key") == "key_retell_123"


def test_a_failed_sign_in_is_a_sentence_in_the_page(qtbot, wizard):
    def refuse(kind, profile, secrets, open_url):
        raise errors.UserError("the Google OAuth client secret is not in the keyring")

    wizard._connect = refuse
    wizard.calendars.google_enabled.setChecked(True)
    wizard.connect_calendar("google")
    qtbot.waitUntil(lambda: wizard.calendars.google_button.isEnabled(), timeout=5000)
    assert wizard.calendars.google_status.text() == "✗ the Google OAuth client secret is not in the keyring"


def test_settings_edits_every_option_and_writes_the_user_profile(qtbot, keyring_backend):
    profile = Profile.from_dict({"location": {"name": "Old Name"},
                                 "people": {"members": [{"name": "Ana Ruiz", "role": "owner"}]}})
    secrets = location_secret_store(profile.location, keyring_backend)
    dialog = SettingsDialog(profile, secrets)
    qtbot.addWidget(dialog)
    # a label; the hours, closed days, services and resources editors; the CalDAV picker; the people are changed with
    # `receptionist people`
    shown_elsewhere = {"location.id", "location.open_hour", "location.close_hour", "people.members",
                       "availability.hours", "availability.closures", "availability.services", "availability.resources",
                       "caldav.url",
                       "caldav.username", "caldav.calendar_url", "caldav.calendar_name"}
    assert {f"{s}.{n}" for s, n in dialog.editors} | shown_elsewhere == {name for name, *_ in describe_options()}
    assert dialog.location_id.text() == "old-name (from the name; written down when you save)"
    assert [dialog.sections.item(i).text() for i in range(dialog.sections.count())] == \
        ["Business and hours", "Services", "Calendars", "AI agent", "Texts", "People"]
    dialog.hours.days[0].ranges[0][1].set_minutes(17 * 60 + 15)
    dialog.editors[("location", "name")].setText("New Name")
    dialog.editors[("location", "time_zone")].set_zone("Europe/Dublin")
    dialog.editors[("sync", "max_attempts")].setValue(3)
    dialog.editors[("twilio", "enabled")].setChecked(True)
    retell_window = dialog.editors[("retell", "replay_window_seconds")]  # bounded as declared
    assert (retell_window.minimum(), retell_window.maximum(), retell_window.value()) == (10, 86_400, 300)
    retell_window.setValue(600)
    dialog.secret_edits["twilio.auth_token"].setText("tok-123")
    dialog.accept()
    saved = Profile.load(paths.user_profile_path())
    assert saved.location.name == "New Name" and saved.location.time_zone == "Europe/Dublin"
    assert saved.sync.max_attempts == 3 and saved.twilio.enabled and saved.retell.replay_window_seconds == 600
    assert saved.availability.hours["mon"] == ["08:00-17:15"] and saved.availability.hours["sun"] == []
    assert saved.location.id == "old-name"  # the derived id, written down before the rename took effect
    assert "tok-123" not in paths.user_profile_path().read_text()
    assert [p.name for p in saved.people.members] == ["Ana Ruiz"]
    assert location_secret_store(saved.location, keyring_backend).get("twilio.auth_token") == "tok-123"


def test_settings_refuses_a_bad_value_with_a_sentence(qtbot, monkeypatch, keyring_backend):
    said = []
    monkeypatch.setattr("receptionist.ui.settings.QMessageBox.warning",
                        staticmethod(lambda parent, title, text: said.append(text)))
    before = paths.user_profile_path().read_text()
    dialog = SettingsDialog(Profile(), location_secret_store(Profile().location, keyring_backend))
    qtbot.addWidget(dialog)
    dialog.editors[("location", "time_zone")].setEditText("Nowhere/Land")
    dialog.accept()
    assert said and "location.time_zone" in said[0] and dialog.written is None
    assert paths.user_profile_path().read_text() == before


@pytest.fixture
def window(qtbot, desk):
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def test_help_menu_and_about(qtbot, window, desk):
    from receptionist.onboarding import Installation

    menus = {a.text().replace("&", ""): [x.text().replace("&", "") for x in a.menu().actions() if x.text()]
             for a in window.menuBar().actions()}
    assert menus["File"] == ["Settings…", "Quit"]
    assert menus["Help"] == ["Open log folder", "About Receptionist Console"]
    window.installation = Installation.describe(desk.profile, None, "database file /tmp/x.db",
                                                "receptionist-console:demo-dental-wellness")
    about = window.about_dialog()
    assert about.rows["Location"] == "Demo Dental & Wellness — id demo-dental-wellness (derived from the name)"
    assert about.rows["Database"] == "database file /tmp/x.db" and about.rows["Log folder"] == str(paths.log_dir())
    from receptionist.version import version

    assert f"version {version()}" in about.title.text()


def test_open_log_folder_opens_the_platforms_log_folder(qtbot, window, monkeypatch):
    opened = []
    monkeypatch.setattr(main_window_module.QDesktopServices, "openUrl",
                        staticmethod(lambda url: opened.append(url.toLocalFile()) or True))
    assert window.open_log_folder()
    assert opened == [str(paths.log_dir())] and paths.log_dir().is_dir()


def test_open_log_folder_without_a_file_manager_shows_the_path(qtbot, window, monkeypatch):
    monkeypatch.setattr(main_window_module.QDesktopServices, "openUrl", staticmethod(lambda url: False))
    window.log_folder_action.trigger()
    assert window.status.currentMessage() == f"The log folder is {paths.log_dir()} (no file manager opened it)"


def test_an_environment_problem_from_a_worker_is_a_banner_not_a_crash(qtbot, window):
    problem = errors.DiskFull(errors.DISK_FULL)
    worker = threading.Thread(target=errors.report, args=(problem,))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: window.environment_banner.isVisible(), timeout=3000)
    assert window.environment_banner.text() == "⚠ Disk full — the disk is full: free space, nothing was lost"


def test_crash_handler_environment_problem_vs_bug_with_the_log_tail(qtbot, window, monkeypatch):
    import logging

    from receptionist import logs

    logs.configure(stderr=False)
    logging.getLogger("receptionist.test").info("a line before the crash")
    warnings, reports = [], []
    monkeypatch.setattr(launch_module.QMessageBox, "warning",
                        staticmethod(lambda parent, title, text: warnings.append((title, text))))
    monkeypatch.setattr(launch_module.QMessageBox, "exec", lambda box: reports.append(box.detailedText()))
    handler = CrashHandler(lambda: window, previous=lambda *a: None)
    problem = errors.DatabaseReadOnly("the database file x.db is read-only: give this user write permission")
    handler(type(problem), problem, None)
    assert warnings == [("Database is read-only — a problem on this computer", str(problem))] and not reports
    assert window.environment_banner.isVisible()
    import errno

    handler(OSError, OSError(errno.ENOSPC, "No space left on device"), None)  # a raw full disk too
    assert warnings[-1][0].startswith("Disk full") and not reports
    try:
        raise ValueError("boom")
    except ValueError as exc:
        handler(ValueError, exc, exc.__traceback__)
    [report] = reports
    assert "ValueError: boom" in report and "the last lines of" in report and "a line before the crash" in report


@pytest.mark.skipif(not os.environ.get("RECEPTIONIST_RUN_FIRST_START"), reason="run by the subprocess test below")
def test_first_start_opens_setup_then_the_console(qapp, no_profile, tmp_path):
    from receptionist.cli import main

    def fill_in():
        wiz = QApplication.activeModalWidget()
        if not isinstance(wiz, SetupWizard):
            QTimer.singleShot(100, fill_in)
            return
        wiz.base = Profile.from_dict({"ingest": {"port": 0}})
        wiz.location.name.setText("First Start Clinic")
        wiz.location.zone.set_zone("America/New_York")
        wiz.accept()

    QTimer.singleShot(100, fill_in)
    shot = tmp_path / "first.png"
    assert main(["--quit-after", "0.5", "--screenshot", str(shot)]) == 0
    profile = Profile.load(paths.user_profile_path())
    assert profile.location.name == "First Start Clinic"
    assert (paths.data_dir() / profile.location.id / "receptionist.db").is_file()
    assert shot.is_file()


def test_first_start_in_its_own_process():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"{__file__}::test_first_start_opens_setup_then_the_console"],
        env={**os.environ, "RECEPTIONIST_RUN_FIRST_START": "1", "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout


def test_a_broken_database_at_start_is_a_sentence_and_exit_2(tmp_path, capsys, monkeypatch):
    from receptionist.cli import main

    shown = []
    monkeypatch.setattr(launch_module, "show_startup_problem", shown.append)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert main(["--db", f"sqlite:///{junk}"]) == 2
    assert isinstance(shown[0], errors.DatabaseUnusable)
    assert "is not a Receptionist Console database" in capsys.readouterr().err


def test_settings_can_connect_a_calendar_later_on_a_worker_thread(qtbot, keyring_backend):
    seen = []

    def fake_flow(kind, profile, secrets, open_url):
        seen.append((kind, profile.outlook.client_id, threading.current_thread() is threading.main_thread()))
        return "Outlook connected as frontdesk@example.com"

    dialog = SettingsDialog(Profile(), location_secret_store(Profile().location, keyring_backend),
                            connect=fake_flow)
    qtbot.addWidget(dialog)
    dialog.editors[("outlook", "client_id")].setText("app-123")
    dialog.connect_buttons["outlook"].click()
    qtbot.waitUntil(lambda: dialog.connect_buttons["outlook"].isEnabled(), timeout=5000)
    assert seen == [("outlook", "app-123", False)]
    assert dialog.connect_status["outlook"].text() == "✓ Outlook connected as frontdesk@example.com"


def test_approving_on_a_full_disk_is_an_environment_problem_not_a_bug(qtbot, window, desk, monkeypatch):
    from PySide6.QtCore import Qt
    from sqlalchemy import Engine, event

    from receptionist.ui import operations as operations_module

    said, crashed = [], []
    monkeypatch.setattr(operations_module.QMessageBox, "warning",
                        staticmethod(lambda parent, title, text: said.append((title, text))))
    monkeypatch.setattr(launch_module.QMessageBox, "exec", lambda box: crashed.append(box))
    desk.submit_call()
    qtbot.waitUntil(lambda: window.call_panel.model.rowCount() == 1, timeout=5000)
    panel = window.call_panel
    review(qtbot, panel, panel.model.rows()[0].id)
    panel.detail.notes_edit.setPlainText("Prefers mornings. " * 600)  # the appointment needs new pages

    def no_room_left(dbapi_conn, _record):
        dbapi_conn.execute(f"PRAGMA max_page_count={dbapi_conn.execute('PRAGMA page_count').fetchone()[0]}")

    event.listen(Engine, "connect", no_room_left)
    desk.store.engine.dispose()  # new connections from here on: the disk is full
    try:
        qtbot.mouseClick(panel.detail.approve_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.environment_banner.isVisible(), timeout=3000)
    finally:
        event.remove(Engine, "connect", no_room_left)
        desk.store.engine.dispose()
    qtbot.waitUntil(lambda: not window.operations.busy, timeout=3000)
    assert said == [("Cannot approve", "The disk is full: free space, nothing was lost.")] and not crashed
    assert "Disk full" in window.environment_banner.text()
    assert desk.desk.appointments.between() == []  # nothing half-approved
    qtbot.mouseClick(panel.detail.approve_button, Qt.MouseButton.LeftButton)  # room again: it goes through
    qtbot.waitUntil(lambda: not window.operations.busy, timeout=3000)
    assert len(desk.desk.appointments.between()) == 1


def test_settings_opens_with_the_standard_shortcut_on_every_system(qtbot, window, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeySequence

    standard = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
    assert window.settings_action.shortcuts() == (standard or [QKeySequence("Ctrl+,")])
    opened = []
    monkeypatch.setattr(MainWindow, "open_settings", lambda self: opened.append(self))
    window.settings_action.triggered.disconnect()
    window.settings_action.triggered.connect(lambda: window.open_settings())
    window.activateWindow()
    qtbot.waitActive(window)
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert opened == [window]


def test_saved_settings_reach_the_window_at_once_and_it_says_what_waits(qtbot, window, desk):
    new = Profile.from_dict({"location": {"name": "Renamed Dental", "time_zone": "America/Phoenix"}})
    window.apply_settings(new)
    assert window.windowTitle() == "Renamed Dental — Receptionist Console"
    qtbot.waitUntil(lambda: "Settings saved." in window.status.currentMessage())
    assert "apply when the console starts again" in window.status.currentMessage()  # a desk without the App


def test_in_demo_mode_settings_edits_the_demos_own_profile(qtbot, desk, tmp_path, keyring_backend):
    demo_profile = tmp_path / "demo-profile.toml"
    before = paths.user_profile_path().read_text(encoding="utf-8")
    win = MainWindow(desk.desk, desk.bus, demo_banner="DEMO", settings_target=demo_profile)
    qtbot.addWidget(win)
    dialog = win.settings_dialog()
    qtbot.addWidget(dialog)
    dialog.editors[("location", "name")].setText("Demo Renamed")
    dialog.accept()
    assert dialog.written == demo_profile and Profile.load(demo_profile).location.name == "Demo Renamed"
    assert paths.user_profile_path().read_text(encoding="utf-8") == before


def test_the_webhook_pills_problem_is_one_short_sentence_of_what_to_do(qtbot, window, desk):
    desk.problems["webhook"] = ("Calls cannot arrive: port 8765 is taken by another program (another Receptionist "
                                "Console?). Close it, or choose another port under File → Settings.")
    window.refresh_health()
    qtbot.waitUntil(lambda: window.pills["webhook"].state == "error")
    tip = window.pills["webhook"].toolTip()
    assert tip == desk.problems["webhook"] and not tip.startswith("Listening")
