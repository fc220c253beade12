"""Reconnect… from the window on the real stack: the Google grant is revoked (as the owner would in their account
settings), the sync turns the calendar to "sign-in needed", the alert's Reconnect… runs the real installed-app flow
on a worker thread (the "browser" follows the sandbox's consent redirect to the loopback receiver), and the
calendar is back in service after the next cycle."""

import threading

import pytest
import requests
from PySide6.QtCore import Qt

from receptionist.ui import alerts as alerts_module
from receptionist.ui.main_window import MainWindow

pytestmark = [pytest.mark.e2e, pytest.mark.gui]
GOOGLE = "google:primary"


def test_reconnect_google_from_the_alert(qtbot, stack, e2e_app, monkeypatch):
    app = e2e_app
    for token in stack.google.refresh_tokens():
        stack.google.revoke_refresh_token(token)
    opened = []

    def browser(url):  # QDesktopServices.openUrl: a browser that clicks through consent, off the GUI thread
        opened.append(url.toString())
        threading.Thread(target=requests.get, args=(url.toString(),), kwargs={"timeout": 10}, daemon=True).start()
        return True

    monkeypatch.setattr(alerts_module.QDesktopServices, "openUrl", staticmethod(browser))
    window = MainWindow(app.desk, app.bus)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)

    cycle = threading.Thread(target=app.sync_engine.run_cycle, daemon=True)
    cycle.start()
    cycle.join(30)
    qtbot.waitUntil(lambda: GOOGLE in window.alert_bar.alerts, timeout=5000)
    assert window.pills[GOOGLE].state == "error" and "sign-in needed" in window.pills[GOOGLE].text()
    alert = window.alert_bar.alerts[GOOGLE]
    qtbot.mouseClick(alert.reconnect_button, Qt.MouseButton.LeftButton)
    assert alert.progress.isVisible()  # the sign-in runs on a worker: the window keeps answering
    qtbot.waitUntil(lambda: "connected" in window.status.currentMessage().lower(), timeout=20000)
    assert opened and opened[0].startswith(stack.google.auth_uri)

    cycle = threading.Thread(target=app.sync_engine.run_cycle, daemon=True)
    cycle.start()
    cycle.join(30)
    qtbot.waitUntil(lambda: GOOGLE not in window.alert_bar.alerts and window.pills[GOOGLE].state == "ok",
                    timeout=5000)
    window.close()


def test_reconnect_outlook_with_a_code_when_no_browser_opens(qtbot, stack, e2e_app, monkeypatch):
    """No browser on this computer: Sign in with a code instead runs msal's device code flow against the Microsoft
    stand-in; the window shows its address and code, the person types the code (on "another device": the
    stand-in's approval), and Outlook is back in service after the next cycle."""
    app = e2e_app
    stack.microsoft.expire_access_tokens()
    stack.microsoft.revoke_refresh_tokens()
    monkeypatch.setattr(stack.microsoft, "approve_device_codes", False)
    monkeypatch.setattr(alerts_module.QDesktopServices, "openUrl", staticmethod(lambda url: False))
    window = MainWindow(app.desk, app.bus)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    [outlook] = [k for k in app.desk.context.calendars if k.startswith("outlook:")]

    cycle = threading.Thread(target=app.sync_engine.run_cycle, daemon=True)
    cycle.start()
    cycle.join(30)
    qtbot.waitUntil(lambda: outlook in window.alert_bar.alerts, timeout=5000)
    alert = window.alert_bar.alerts[outlook]
    qtbot.mouseClick(alert.reconnect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: alert.code_button.isVisible() and "No browser opened" in alert.text.text(),
                    timeout=10000)
    qtbot.mouseClick(alert.code_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: alert.code.isVisible(), timeout=10000)
    assert alert.address.text() == f"{stack.microsoft.url}/devicelogin"
    assert stack.microsoft.approve_device_code(alert.code.text())
    qtbot.waitUntil(lambda: "connected as" in window.status.currentMessage().lower(), timeout=20000)

    cycle = threading.Thread(target=app.sync_engine.run_cycle, daemon=True)
    cycle.start()
    cycle.join(30)
    qtbot.waitUntil(lambda: outlook not in window.alert_bar.alerts and window.pills[outlook].state == "ok",
                    timeout=5000)
    window.close()
