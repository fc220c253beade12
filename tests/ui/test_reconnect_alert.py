"""Reconnect… without a browser: the reason and one piece of advice in the window; for Outlook a device code with
its address to copy, replacing the browser sign-in still waiting; the time left counting down; Cancel ending the
flow at once (its answer unheard)."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from receptionist.errors import UserError
from receptionist.ui import alerts as alerts_module
from receptionist.ui import operations as operations_module
from receptionist.ui.main_window import MainWindow

pytestmark = pytest.mark.gui
GOOGLE, OUTLOOK = "google:primary", "outlook:default"


@pytest.fixture
def window(qtbot, desk):
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def alert_of(qtbot, window, desk, key: str, problem: str):
    desk.problems[key] = problem
    window.refresh_health()
    qtbot.waitUntil(lambda: not window.runner.busy and key in window.alert_bar.alerts, timeout=5000)
    return window.alert_bar.alerts[key]


def test_outlook_without_a_browser_signs_in_with_a_code_shown_in_the_window(qtbot, window, desk, monkeypatch):
    monkeypatch.setattr(alerts_module.QDesktopServices, "openUrl", staticmethod(lambda url: False))
    flows, code_typed = [], threading.Event()

    def reconnector(key, open_url, *, stop, device_code=False, on_code=None):
        flows.append((device_code, stop))
        if not device_code:  # the browser sign-in waits for its answer until it is stopped
            open_url("https://login.example/authorize?client_id=x")
            stop.wait(10)
            raise UserError("Outlook sign-in failed: the sign-in was cancelled")
        on_code("https://microsoft.example/devicelogin", "H7KD-2QXM")
        code_typed.wait(10)
        desk.problems.pop(key, None)
        return "Outlook connected as frontdesk@example.com"

    desk.reconnector = reconnector
    alert = alert_of(qtbot, window, desk, OUTLOOK, "Outlook sign-in expired: run `receptionist connect outlook`")
    assert not alert.sign_in_row.isVisible() and not alert.code_button.isVisible()
    qtbot.mouseClick(alert.reconnect_button, Qt.MouseButton.LeftButton)
    assert alert.progress.isVisible() and alert.progress.format() == "5:00 left"
    alert.tick()
    assert alert.progress.format() == "4:59 left" and alert.progress.value() == 299
    qtbot.waitUntil(lambda: alert.address.isVisible(), timeout=3000)
    # the reason, and one piece of advice: the code
    assert alert.text.text().startswith("<b>No browser opened on this computer</b> (no web browser is set up")
    assert "Press Sign in with a code instead" in alert.text.text() and "Copy" not in alert.text.text()
    assert alert.code_button.isVisible() and not alert.code.isVisible()

    qtbot.mouseClick(alert.code_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: alert.code.isVisible(), timeout=3000)
    assert [d for d, _ in flows] == [False, True] and flows[0][1].is_set()  # the browser sign-in ended at once
    assert (alert.address.text(), alert.code.text()) == ("https://microsoft.example/devicelogin", "H7KD-2QXM")
    assert "Sign in to Outlook with a code" in alert.text.text() and not alert.code_button.isVisible()
    assert alert.cancel_button.isVisible() and alert.progress.format() == "5:00 left"
    qtbot.mouseClick(alert.copy_code_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "H7KD-2QXM"
    qtbot.mouseClick(alert.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "https://microsoft.example/devicelogin"
    shown = []
    monkeypatch.setattr(operations_module, "show_user_error", lambda parent, title, text: shown.append(text))
    code_typed.set()
    qtbot.waitUntil(lambda: "connected as frontdesk@example.com" in window.status.currentMessage(), timeout=3000)
    qtbot.waitUntil(lambda: not window.operations.busy, timeout=3000)
    assert shown == []  # the replaced browser sign-in's failure is not shown
    assert not alert.sign_in_row.isVisible() and not alert.countdown.isActive()


def test_google_without_a_browser_says_to_copy_the_address_on_this_computer(qtbot, window, desk, monkeypatch):
    def no_browser(url):
        raise OSError("xdg-open was not found")

    monkeypatch.setattr(alerts_module.QDesktopServices, "openUrl", staticmethod(no_browser))
    ended = threading.Event()

    def reconnector(key, open_url, *, stop):
        open_url("https://accounts.example/o/oauth2/auth?client_id=x")
        stop.wait(10)
        ended.set()
        raise UserError("Google sign-in was cancelled")

    desk.reconnector = reconnector
    alert = alert_of(qtbot, window, desk, GOOGLE, "Google Calendar sign-in was refused: press Reconnect…")
    qtbot.mouseClick(alert.reconnect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: alert.address.isVisible(), timeout=3000)
    assert alert.text.text() == ("<b>No browser opened on this computer</b> (Xdg-open was not found). Copy this "
                                 "address into a browser on this computer and sign in to Google Calendar there; "
                                 "this waits up to 5 minutes.")
    assert not alert.code_button.isVisible() and not alert.code.isVisible()
    qtbot.mouseClick(alert.cancel_button, Qt.MouseButton.LeftButton)
    assert ended.wait(5)  # Cancel ends the flow itself, not only the waiting
    qtbot.waitUntil(lambda: not window.operations.busy, timeout=3000)
    assert "was cancelled" in alert.text.text() and alert.reconnect_button.isEnabled()
    assert not alert.sign_in_row.isVisible()
