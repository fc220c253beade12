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
from receptionist.ui import main_window as main_window_module
from receptionist.ui.main_window import CrashHandler, MainWindow
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


def test_zone_list_is_searchable(qtbot):
    box = ZoneBox("UTC")
    qtbot.addWidget(box)
    completer = box.completer()
    completer.setCompletionPrefix("chicago")
    matches = [completer.completionModel().index(i, 0).data() for i in range(completer.completionCount())]
    assert "America/Chicago" in matches
    box.set_zone("Europe/Lisbon")
    assert box.zone() == "Europe/Lisbon"


def test_location_page_says_what_is_missing(qtbot, wizard):
    page = wizard.location
    assert not page.isComplete() and "business name" in page.problem.text()
    qtbot.keyClicks(page.name, "Lakeside Dental")
    page.zone.setEditText("Mars/Olympus")
    assert not page.isComplete() and "not a time zone" in page.problem.text()
    page.zone.set_zone("America/Denver")
    page.close_hour.setValue(6)
    assert not page.isComplete() and "after the opening hour" in page.problem.text()
    page.close_hour.setValue(17)
    assert page.isComplete() and page.problem.text() == ""


def test_setup_writes_the_user_profile_and_keeps_secrets_in_the_keyring(qtbot, wizard, keyring_backend):
    qtbot.keyClicks(wizard.location.name, "Lakeside Dental")
    wizard.location.zone.set_zone("America/Denver")
    wizard.location.open_hour.setValue(7)
    wizard.twilio.enabled.setChecked(True)
    qtbot.keyClicks(wizard.twilio.sid, "AC123")
    qtbot.keyClicks(wizard.twilio.from_number, "+15551234567")
    qtbot.keyClicks(wizard.twilio.token, "twilio-token-xyz")
    wizard.webhook.initializePage()
    assert wizard.webhook.url.text().endswith(":8765/webhooks/v1/calls")
    wizard.webhook.copy_secret.click()
    secret = wizard.webhook.secret.text()
    assert QGuiApplication.clipboard().text() == secret and len(secret) >= 40
    wizard.accept()
    assert wizard.written == paths.user_profile_path()
    text = paths.user_profile_path().read_text(encoding="utf-8")
    profile = Profile.from_dict(tomllib.loads(text))
    assert profile.location.name == "Lakeside Dental" and profile.location.time_zone == "America/Denver"
    assert profile.location.open_hour == 7 and profile.location.id.startswith("lakeside-dental-")
    assert profile.twilio.enabled and profile.twilio.account_sid == "AC123"
    assert "twilio-token-xyz" not in text and secret not in text  # secrets: keyring only
    store = location_secret_store(profile.location, keyring_backend)
    assert store.get("twilio.auth_token") == "twilio-token-xyz" and store.get("ingest.webhook_secret") == secret


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


def test_a_desk_without_a_public_address_chooses_a_polling_source(qtbot, wizard, keyring_backend):
    qtbot.keyClicks(wizard.location.name, "Back Office Clinic")
    page = wizard.webhook
    page.initializePage()
    assert not page.poll_key.isEnabled()  # "No polling (webhooks)" first
    page.poll_platform.setCurrentIndex(page.poll_platform.findData("retell"))
    assert page.poll_key.isEnabled()
    qtbot.keyClicks(page.poll_key, "key_retell_123")
    wizard.accept()
    text = paths.user_profile_path().read_text(encoding="utf-8")
    profile = Profile.from_dict(tomllib.loads(text))
    assert profile.retell.poll and not profile.vapi.poll and not profile.elevenlabs.poll
    assert "key_retell_123" not in text  # the API key: keyring only
    assert location_secret_store(profile.location, keyring_backend).get("retell.api_key") == "key_retell_123"


def test_a_failed_sign_in_is_a_sentence_in_the_page(qtbot, wizard):
    def refuse(kind, profile, secrets, open_url):
        raise errors.UserError("the Google OAuth client secret is not in the keyring")

    wizard._connect = refuse
    wizard.calendars.google_enabled.setChecked(True)
    wizard.connect_calendar("google")
    qtbot.waitUntil(lambda: wizard.calendars.google_button.isEnabled(), timeout=5000)
    assert wizard.calendars.google_status.text() == "✗ the Google OAuth client secret is not in the keyring"


def test_setup_without_a_keyring_still_writes_the_profile_and_says_so(qtbot, no_profile, monkeypatch):
    import keyring.backends.fail

    said = []
    monkeypatch.setattr("receptionist.ui.setup.QMessageBox.warning",
                        staticmethod(lambda parent, title, text: said.append((title, text))))
    wiz = SetupWizard(secrets_for=lambda p: location_secret_store(p.location, keyring.backends.fail.Keyring()))
    qtbot.addWidget(wiz)
    qtbot.keyClicks(wiz.location.name, "Lakeside Dental")
    wiz.accept()
    assert paths.user_profile_path().is_file()
    [(title, text)] = said
    assert title == "No OS keyring" and "the secrets are not" in text and "OS keyring is not available" in text


def test_settings_edits_every_option_and_writes_the_user_profile(qtbot, keyring_backend):
    profile = Profile.from_dict({"location": {"name": "Old Name"},
                                 "people": {"members": [{"name": "Ana Ruiz", "role": "owner"}]}})
    secrets = location_secret_store(profile.location, keyring_backend)
    dialog = SettingsDialog(profile, secrets)
    qtbot.addWidget(dialog)
    # the people are listed and changed with `receptionist people`; Settings keeps them as they are
    assert {f"{s}.{n}" for s, n in dialog.editors} == {name for name, *_ in describe_options()} - {"people.members"}
    assert dialog.editors[("location", "id")].isReadOnly()
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
    monkeypatch.setattr(main_window_module.QMessageBox, "warning",
                        staticmethod(lambda parent, title, text: warnings.append((title, text))))
    monkeypatch.setattr(main_window_module.QMessageBox, "exec", lambda box: reports.append(box.detailedText()))
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
    monkeypatch.setattr(main_window_module, "show_startup_problem", shown.append)
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
    monkeypatch.setattr(main_window_module.QMessageBox, "exec", lambda box: crashed.append(box))
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
