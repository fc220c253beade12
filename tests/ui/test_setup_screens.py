"""Screenshots of every setup page and Settings section, to look at as a business owner would (not assertions about
pixels). Opt-in: ``RECEPTIONIST_SCREENSHOTS=/tmp/shots pytest tests/ui/test_setup_screens.py`` saves them at the
dialogs' own size (what fits a 1366x768 screen) and stretched to the whole 1366x768 and 1920x1080 screens."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from receptionist.config import Profile
from receptionist.providers.secrets import MemoryKeyring, location_secret_store
from receptionist.ui import theme
from receptionist.ui.settings import SECTIONS, SettingsDialog
from receptionist.ui.setup import SetupWizard

pytestmark = pytest.mark.gui
SHOTS = os.environ.get("RECEPTIONIST_SCREENSHOTS")


def _save(widget, out: Path, name: str) -> None:
    for _ in range(3):  # the layout of what was just opened or added (a layout request per level)
        QApplication.processEvents()
    widget.grab().save(str(out / f"{name}.png"))
    size = widget.size()
    for width, height in ((1366, 768), (1920, 1080)):
        widget.resize(width, height)
        QApplication.processEvents()
        widget.grab().save(str(out / f"{name}-{width}x{height}.png"))
    widget.resize(size)


@pytest.mark.skipif(not SHOTS, reason="set RECEPTIONIST_SCREENSHOTS=DIR to save the screens")
def test_save_setup_and_settings_screens(qtbot, no_profile):
    import keyring.backends.fail

    out = Path(SHOTS)
    out.mkdir(parents=True, exist_ok=True)
    stopped = SetupWizard(secrets_for=lambda p: location_secret_store(p.location, keyring.backends.fail.Keyring()))
    stopped.setStyleSheet(theme.load_stylesheet())
    qtbot.addWidget(stopped)
    stopped.show()
    _save(stopped, out, "setup-0-no-keyring")
    backend = MemoryKeyring()
    wiz = SetupWizard(base=Profile.from_dict({"ingest": {"port": 0}}),
                      secrets_for=lambda p: location_secret_store(p.location, backend))
    wiz.setStyleSheet(theme.load_stylesheet())
    qtbot.addWidget(wiz)
    wiz.show()
    _save(wiz, out, "setup-1-business")
    wiz.location.validatePage()
    _save(wiz, out, "setup-1-business-problems")
    qtbot.keyClicks(wiz.location.name, "Lakeside Dental")
    wiz.location.zone.set_zone("America/New_York")
    wiz.next()
    wiz.hours.hours.days[0].ranges[0][1].set_minutes(12 * 60)
    wiz.hours.hours.days[0].add_button.click()
    wiz.hours.closures.add("Thanksgiving")
    wiz.hours.services.add({"name": "Cleaning", "duration_minutes": 45})
    wiz.hours.services.add_button.click()
    wiz.hours.services.show_problems(every=True)
    wiz.hours.resources.add({"name": "Chair 1", "kind": "chair"})
    _save(wiz, out, "setup-2-hours")
    wiz.hours.services.remove(wiz.hours.services.rows[1])
    wiz.next()
    wiz.calendars.advanced.button.click()
    _save(wiz, out, "setup-3-calendars")
    wiz.next()
    wiz.caldav.enabled.setChecked(True)
    wiz.caldav.picker.url.setText("fastmail.com")
    wiz.caldav.picker.username.setText("ana@lakeside.example")
    wiz.caldav.validatePage()  # no calendar picked yet: the problem shown
    _save(wiz, out, "setup-4-caldav")
    wiz.caldav.enabled.setChecked(False)
    wiz.next()
    page = wiz.agent
    for platform in ("vapi", "retell"):
        page.platform.setCurrentIndex(page.platform.findData(platform))
        if platform == "retell":
            qtbot.keyClicks(page.secret, "key_retell")
            page.poll.setChecked(True)
        page.test_button.click()
        qtbot.waitUntil(lambda: page.test_button.isEnabled(), timeout=20000)
        _save(wiz, out, f"setup-5-agent-{platform}")
    wiz.next()
    _save(wiz, out, "setup-6-texts")

    profile = Profile.from_dict({"location": {"name": "Lakeside Dental", "id": "lakeside-dental-1a2b3c"},
                                 "availability": {"hours": {"mon": ["08:00-12:00", "13:00-17:30"], "sun": []},
                                                  "closures": [{"name": "Christmas Day", "date": "2026-12-25"}],
                                                  "resources": [{"name": "Chair 1", "kind": "chair"},
                                                                {"name": "Dr. Lee", "hours": {"mon": ["09:00-13:00"]},
                                                                 "calendar": "google:lee@example.com"}],
                                                  "services": [{"name": "Cleaning", "duration_minutes": 45,
                                                                "resources": ["Chair 1"]},
                                                               {"name": "Consult", "duration_minutes": 20,
                                                                "buffer_after_minutes": 0}]}})
    location_secret_store(profile.location, backend).set("ingest.webhook_secret", "screenshot-secret")
    dialog = SettingsDialog(profile, location_secret_store(profile.location, backend))
    dialog.setStyleSheet(theme.load_stylesheet())
    qtbot.addWidget(dialog)
    dialog.show()
    for row, (title, *_rest) in enumerate(SECTIONS):
        dialog.sections.setCurrentRow(row)
        _save(dialog, out, f"settings-{row + 1}-{title.lower().replace(' ', '-')}")
        if title == "Services":  # scrolled down to the resources
            dialog.stack.currentWidget().ensureWidgetVisible(dialog.resources_editor.rows[1].hours.days[0])
            _save(dialog, out, "settings-2-services-resources")
    dialog.sections.setCurrentRow(2)
    dialog.pages["Calendars"].findChild(type(wiz.calendars.advanced)).button.click()
    _save(dialog, out, "settings-3-calendars-advanced")
    dialog.sections.setCurrentRow(3)
    dialog.test_button.click()
    qtbot.waitUntil(dialog.test_button.isEnabled, timeout=20000)
    _save(dialog, out, "settings-4-ai-agent-test-call")
