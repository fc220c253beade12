"""Settings → AI agent → Send a test call: the platform's own signed report through a real receiver and intake on a
spare port (the desk's receiver keeps its own), with the secret typed there or the one stored in the keyring."""

from __future__ import annotations

import pytest

from receptionist.config import Profile
from receptionist.providers.secrets import MemoryKeyring, location_secret_store
from receptionist.ui.settings import SECTIONS, SettingsDialog

pytestmark = pytest.mark.gui


def _dialog(qtbot, platform: str, stored: dict[str, str] | None = None) -> SettingsDialog:
    profile = Profile.from_dict({"location": {"name": "Lakeside Dental", "id": "lakeside"},
                                 "ingest": {"platform": platform}})
    secrets = location_secret_store(profile.location, MemoryKeyring())
    for key, value in (stored or {}).items():
        secrets.set(key, value)
    dialog = SettingsDialog(profile, secrets)
    qtbot.addWidget(dialog)
    dialog.sections.setCurrentRow([title for title, *_ in SECTIONS].index("AI agent"))
    return dialog


def _sent(qtbot, dialog: SettingsDialog) -> str:
    dialog.test_button.click()
    qtbot.waitUntil(dialog.test_button.isEnabled, timeout=20000)
    return dialog.test_result.text()


def test_a_test_call_with_the_stored_secret_arrives(qtbot):
    dialog = _dialog(qtbot, "vapi", {"vapi.webhook_secret": "vapi-stored-secret"})
    said = _sent(qtbot, dialog)
    assert said.startswith("✓ A signed Vapi test call reached this computer and appeared in the call list"), said


def test_a_test_call_with_a_secret_typed_in_settings_arrives_before_it_is_saved(qtbot):
    dialog = _dialog(qtbot, "retell")
    dialog.secret_edits["retell.api_key"].setText("key_retell_typed")
    said = _sent(qtbot, dialog)
    assert said.startswith("✓ A signed Retell test call"), said
    assert dialog.written is None  # nothing saved by the test


def test_a_test_call_without_a_secret_asks_for_it(qtbot):
    dialog = _dialog(qtbot, "elevenlabs")
    said = _sent(qtbot, dialog)
    assert said.startswith("✗ Enter the ") and "first: the test call is signed with it." in said
