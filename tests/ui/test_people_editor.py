"""Settings → People by keyboard: an owner adds a person with a role and a PIN, changes and removes one; Save writes
the list (the PIN only as its hash) and the desk audits it person by person; anyone else reads why they cannot."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from receptionist.config import Profile
from receptionist.domain.people import hash_pin
from receptionist.services import Desk, DeskContext
from receptionist.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def people_window(qtbot, desk, tmp_path):
    profile = Profile.from_dict({"people": {"members": [
        {"name": "Ana Ruiz", "role": "owner", "pin_hash": hash_pin("1357")},
        {"name": "Ben Cole", "role": "front-desk"}]}})
    desk.desk = Desk(DeskContext.of(desk.store, profile, desk.bus, dict(desk.desk.context.calendars), desk.clock))
    win = MainWindow(desk.desk, desk.bus, settings_target=tmp_path / "profile.toml")
    win.profile = profile
    qtbot.addWidget(win)
    return win, desk


def people_page(qtbot, win):
    dialog = win.settings_dialog()
    qtbot.addWidget(dialog)
    dialog.sections.setCurrentRow([dialog.sections.item(i).text() for i in range(dialog.sections.count())]
                                  .index("People"))
    return dialog, dialog.people_editor


def test_an_owner_adds_a_person_with_a_pin_by_keyboard_and_save_audits_it(qtbot, people_window, tmp_path):
    win, desk = people_window
    desk.desk.people.pick("Ana Ruiz", "1357")
    dialog, editor = people_page(qtbot, win)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()  # a window manager would; the offscreen platform needs asking
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2000)
    assert editor.save_button.isEnabled() and editor.people_list.count() == 2
    editor.name.setFocus()
    qtbot.keyClicks(editor.name, "Cara Diaz")
    qtbot.keyClick(editor.name, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is editor.role
    qtbot.keyClick(editor.role, Qt.Key.Key_Down)  # Owner
    editor.pin.setFocus()
    qtbot.keyClicks(editor.pin, "24")
    editor.save_button.click()
    assert "4 to 8 digits" in editor.message.text() and len(editor.members) == 2  # nothing added
    qtbot.keyClicks(editor.pin, "68")
    qtbot.keyClick(editor.pin, "a", Qt.KeyboardModifier.AltModifier)  # &Add person (a mnemonic animates a click)
    qtbot.waitUntil(lambda: len(editor.members) == 3, timeout=2000)
    assert [p.name for p in editor.members] == ["Ana Ruiz", "Ben Cole", "Cara Diaz"]
    assert editor.people_list.item(2).text() == "Cara Diaz — Owner, PIN"
    editor.people_list.setCurrentRow(1)  # Ben: removed
    assert editor.name.text() == "Ben Cole" and editor.remove_button.isEnabled()
    editor.remove_button.click()
    assert [p.name for p in editor.members] == ["Ana Ruiz", "Cara Diaz"]
    dialog.accept()
    written = (tmp_path / "profile.toml").read_text()
    assert 'name = "Cara Diaz"' in written and "Ben Cole" not in written and "2468" not in written
    win.apply_settings(dialog.profile, [])
    qtbot.waitUntil(lambda: "Settings saved." in win.status.currentMessage(), timeout=5000)
    [row] = desk.store.audit.entries(action="settings.people_changed")
    assert row.actor == "Ana Ruiz" and row.detail == {"changes": [
        {"person": "Cara Diaz", "added": True, "role": "owner", "pin": True},
        {"person": "Ben Cole", "removed": True}]}
    assert desk.desk.people.pick("Cara Diaz", "2468") == "Cara Diaz"  # at once, no restart


def test_front_desk_staff_read_why_they_cannot_change_people(qtbot, people_window):
    win, desk = people_window
    desk.desk.people.pick("Ben Cole")
    dialog, editor = people_page(qtbot, win)
    assert not editor.save_button.isEnabled() and not editor.name.isEnabled()
    assert editor.message.text().startswith("Only an owner can add, change or remove people.")
    assert editor.people_list.count() == 2  # they still see who is listed
