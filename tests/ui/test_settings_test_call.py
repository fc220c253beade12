"""Settings → AI agent → Send a test call: the platform's own signed report through the running desk's own receiver
(it shows in the desk's call list until Settings closes), or, when the desk cannot take it (no desk, a secret typed
but not saved, Synthflow), through a real receiver and intake on a spare port; the result says which."""

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
    assert said.endswith("(Through a receiver on a spare port: this window has no desk.)")


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


@pytest.fixture
def desk_app(db_url):
    from receptionist.app import App
    from receptionist.providers.secrets import memory_secret_store

    profile = Profile.from_dict({"location": {"name": "Door Clinic", "id": "door-clinic"},
                                 "ingest": {"port": 0, "platform": "vapi"}})
    secrets = memory_secret_store("settings-test-call")
    secrets.set("vapi.webhook_secret", "vapi-desk-secret")
    secrets.set("synthflow.webhook_secret", "synthflow-desk-secret")
    app = App.build(profile, db_url, secrets).start(sync=False)
    yield app
    app.stop()


def test_a_test_call_goes_through_the_desks_own_receiver_and_shows_in_its_queue_until_settings_closes(
        qtbot, desk_app):
    from receptionist import events
    from receptionist.domain.intake import TEST_CALL_PREFIX
    from receptionist.ui.main_window import MainWindow

    app = desk_app
    arrived = []
    app.bus.subscribe(lambda e: arrived.append(e.data) if e.topic == events.CALL_RECEIVED else None)
    window = MainWindow(app.desk, app.bus)
    qtbot.addWidget(window)
    dialog = window.settings_dialog()
    qtbot.addWidget(dialog)
    dialog.sections.setCurrentRow([title for title, *_ in SECTIONS].index("AI agent"))
    said = _sent(qtbot, dialog)
    assert said == (f"✓ A signed Vapi test call came in through this desk's own receiver at {app.receiver.base_url} "
                    "and is in its call list as “Test Caller”. It is removed again when Settings closes.")
    [call] = [data for data in arrived if TEST_CALL_PREFIX in data["call_id"]]
    stored = app.store.calls.get(call["call_row_id"])
    assert stored.caller_name == "Test Caller" and stored.platform == "vapi"
    # the window's own queue shows it (it read the desk's store, as for any call)
    model = window.call_panel.model
    qtbot.waitUntil(lambda: model.row_of(call["call_row_id"]) >= 0 or model.held() == 1, timeout=10000)
    assert dialog.test_calls_here == 1
    dialog.done(0)  # Cancel: nothing saved, the test call leaves the desk
    qtbot.waitUntil(lambda: app.store.calls.get(call["call_row_id"]) is None, timeout=10000)
    qtbot.waitUntil(lambda: model.row_of(call["call_row_id"]) < 0 and model.held() == 0, timeout=10000)
    assert app.desk.callbacks.desk().callbacks == []  # nor does a callback stay behind


def test_a_secret_typed_but_not_saved_or_synthflow_go_through_a_spare_receiver_and_say_so(qtbot, desk_app):
    app = desk_app
    dialog = SettingsDialog(app.profile, app.secrets, intake=app.desk.intake)
    qtbot.addWidget(dialog)
    dialog.sections.setCurrentRow([title for title, *_ in SECTIONS].index("AI agent"))
    dialog.secret_edits["vapi.webhook_secret"].setText("vapi-new-secret")
    said = _sent(qtbot, dialog)
    assert said.startswith("✓ A signed Vapi test call reached this computer") and said.endswith(
        "(Through a receiver on a spare port: the secret typed here is not saved yet, and the desk checks the saved "
        "one.)"), said
    dialog.secret_edits["vapi.webhook_secret"].clear()
    box = dialog.editors[("ingest", "platform")]
    box.setCurrentIndex(box.findData("synthflow"))
    said = _sent(qtbot, dialog)
    assert said.startswith("✓ A signed Synthflow test call reached this computer") and said.endswith(
        "(Through a receiver on a spare port: the desk reads every Synthflow call back from Synthflow, which knows "
        "no test call.)"), said
    assert dialog.test_calls_here == 0 and app.store.calls.recent() == []


def test_the_desks_receiver_refusing_a_wrong_saved_secret_says_so(qtbot, desk_app):
    app = desk_app
    app.secrets.set("vapi.webhook_secret", "changed-in-the-keyring")  # the desk reads it per delivery
    ok, said = app.desk.intake.test_call("vapi", "not-the-one", label="Vapi")
    assert not ok and said.startswith(f"This desk's receiver at {app.receiver.base_url} refused the Vapi test call "
                                      "(401)") and said.endswith("Check the secret: the desk checks the one saved in "
                                                                 "the keyring."), said


@pytest.mark.parametrize(("platform", "key"), [("twilio", "twilio.auth_token"), ("generic", "ingest.webhook_secret"),
                                              ("retell", "retell.api_key")])
def test_each_platforms_test_call_through_the_desk_arrives_and_is_removed(desk_app, platform, key):
    app = desk_app
    app.secrets.set(key, f"{platform}-desk-secret")
    assert app.desk.intake.own_door(platform) is None
    ok, said = app.desk.intake.test_call(platform, f"{platform}-desk-secret", label=platform)
    assert ok, said
    [call] = app.store.calls.recent()
    assert call.platform == platform and call.caller_name.lower() == "test caller"
    assert f"is in its call list as “{call.caller_name}”" in said
    assert app.desk.intake.remove_test_calls() == [call.id]
    assert app.store.calls.recent() == [] and app.desk.intake.remove_test_calls() == []
