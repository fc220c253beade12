"""The resources editor (people, chairs, rooms a service needs) alone, in Settings → Services and on setup's hours
page: what a person picks is what the profile holds and what the desk books by, and a problem is said once a
resource is left (or on Save / Next), never before."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication

from receptionist import paths
from receptionist.config import Profile
from receptionist.domain.schedule import WeeklyHours
from receptionist.providers.secrets import MemoryKeyring, location_secret_store
from receptionist.ui.resources_editor import ResourcesEditor
from receptionist.ui.settings import SettingsDialog
from receptionist.ui.setup import SetupWizard

pytestmark = pytest.mark.gui


def _leave(widget) -> None:
    """Focus leaves ``widget`` (as Tab would; the offscreen window is never active, so Qt sends no focus-out)."""
    QApplication.sendEvent(widget, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))


def test_a_resource_has_a_name_a_kind_its_own_hours_or_the_business_and_a_calendar(qtbot):
    business = WeeklyHours.simple(9, 17)
    editor = ResourcesEditor([{"name": "Dr. Lee", "kind": "staff", "hours": {"mon": ["10:00-14:00"]},
                               "calendar": "google:lee@example.com"}], business_hours=lambda: business)
    qtbot.addWidget(editor)
    editor.show()
    lee = editor.rows[0]
    assert lee.own_hours.isChecked() and lee.hours.isVisible()
    assert lee.hours.table()["mon"] == ["10:00-14:00"] and lee.hours.table()["tue"] == ["09:00-17:00"]
    assert not editor.empty.isVisible()
    editor.add_button.click()
    chair = editor.rows[1]
    assert editor.focusWidget() is chair.name
    assert chair.hours is None  # the business's hours until told otherwise (its week grid is made when wanted)
    qtbot.keyClicks(chair.name, "Chair  2")
    chair.kind.setCurrentIndex(chair.kind.findData("chair"))
    assert chair.kind.currentText() == "Chair"
    chair.own_hours.setChecked(True)  # starts from the business's hours as they are now
    assert not chair.hours.isHidden() and chair.hours.table()["mon"] == ["09:00-17:00"]
    chair.hours.days[0].ranges[0][1].set_minutes(12 * 60)
    assert editor.show_problems(every=True)
    assert editor.names() == ["Dr. Lee", "Chair 2"]
    assert editor.resources() == [
        {"name": "Dr. Lee", "kind": "staff", "hours": lee.hours.table(), "calendar": "google:lee@example.com"},
        {"name": "Chair 2", "kind": "chair", "hours": {**chair.hours.table(), "mon": ["09:00-12:00"]},
         "calendar": ""}]
    chair.own_hours.setChecked(False)
    assert editor.resources()[1]["hours"] is None
    editor.remove(lee)
    assert editor.names() == ["Chair 2"] and editor.focusWidget() is editor.add_button
    editor.remove(chair)
    assert editor.resources() == [] and editor.empty.isVisible()


def test_a_resources_problem_is_said_once_it_is_left_never_before(qtbot):
    editor = ResourcesEditor([{"name": "Room A", "kind": "room"}], business_hours=lambda: WeeklyHours.simple(8, 18),
                             twelve_hour=True)
    qtbot.addWidget(editor)
    editor.show()
    editor.add_button.click()
    second = editor.rows[1]
    assert not second.problem.isVisibleTo(editor)  # not touched yet
    qtbot.keyClicks(second.name, "room a")
    _leave(second.name)
    assert second.problem.text() == "Two resources are named “room a”."
    second.name.setText("Room B")
    second.calendar.setText("lee@example.com")
    _leave(second.calendar)
    assert second.problem.text().startswith("“lee@example.com” is not a calendar: write google:, outlook: or caldav:")
    second.calendar.setText("caldav:https://dav.example.com/rooms/b/")
    second.own_hours.setChecked(True)
    second.hours.days[1].ranges[0][1].set_minutes(7 * 60)  # closes before it opens
    assert not editor.show_problems(every=True)
    assert second.problem.text() == "" and second.hours.day_problems[1].text().startswith(
        "Tuesday: 7:00 AM is not after 8:00 AM")
    second.hours.days[1].ranges[0][1].set_minutes(11 * 60)
    editor.add({})
    assert not editor.show_problems(every=True)
    assert editor.rows[2].problem.text().startswith("Name the resource")


def test_settings_edits_resources_beside_the_services_and_the_desk_books_by_them(qtbot, monkeypatch):
    monkeypatch.setattr("receptionist.ui.settings.QMessageBox.warning",
                        staticmethod(lambda parent, title, text: pytest.fail(text)))
    backend = MemoryKeyring()
    profile = Profile.from_dict({"location": {"name": "Lakeside Dental", "id": "lakeside-res"}})
    dialog = SettingsDialog(profile, location_secret_store(profile.location, backend))
    qtbot.addWidget(dialog)
    assert ("availability", "resources") not in dialog.editors  # no JSON field under Advanced any more
    assert dialog.resources_editor.isVisibleTo(dialog.pages["Services"])
    dialog.hours.days[0].ranges[0][0].set_minutes(7 * 60)  # the business opens at 7 on Mondays
    dialog.resources_editor.add({"name": "Dr. Lee"})
    lee = dialog.resources_editor.rows[0]
    lee.own_hours.setChecked(True)  # from the business's hours as edited now
    assert lee.hours.table()["mon"] == ["07:00-18:00"]
    lee.hours.days[0].ranges[0][1].set_minutes(12 * 60)
    dialog.resources_editor.add({"name": "Chair 1", "kind": "chair", "calendar": "google:chair1@example.com"})
    dialog.services.add({"name": "Cleaning", "duration_minutes": 45, "resources": ["Chair 1"]})
    dialog.accept()
    saved = Profile.load(paths.user_profile_path())
    assert [(r.name, r.kind, r.calendar) for r in saved.availability.resources] == [
        ("Dr. Lee", "staff", ""), ("Chair 1", "chair", "google:chair1@example.com")]
    assert saved.availability.resources[0].hours["mon"] == ["07:00-12:00"]
    assert saved.availability.resources[1].hours is None
    rules = saved.availability.booking_rules(saved.location)
    lee_rule, chair_rule = rules.resources
    assert lee_rule.hours.days[0] == ((420, 720),) and chair_rule.hours is None
    assert chair_rule.calendar == "google:chair1@example.com" and rules.services[0].resources == ("Chair 1",)
    again = SettingsDialog(saved, location_secret_store(saved.location, backend))
    qtbot.addWidget(again)
    assert again.resources_editor.resources() == [
        {"name": "Dr. Lee", "kind": "staff", "hours": saved.availability.resources[0].hours, "calendar": ""},
        {"name": "Chair 1", "kind": "chair", "hours": None, "calendar": "google:chair1@example.com"}]


def test_settings_with_a_bad_resource_shows_the_services_section_and_writes_nothing(qtbot):
    before = paths.user_profile_path().read_text()
    profile = Profile()
    dialog = SettingsDialog(profile, location_secret_store(profile.location, MemoryKeyring()))
    qtbot.addWidget(dialog)
    dialog.resources_editor.add({"name": "Chair 1", "calendar": "chair one"})
    dialog.accept()
    assert dialog.written is None and paths.user_profile_path().read_text() == before
    assert dialog.sections.currentItem().text() == "Services"
    assert "is not a calendar" in dialog.resources_editor.rows[0].problem.text()


def test_setup_page_takes_resources_by_keyboard(qtbot, no_profile):
    backend = MemoryKeyring()
    wiz = SetupWizard(secrets_for=lambda p: location_secret_store(p.location, backend))
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.keyClicks(wiz.location.name, "Lakeside Dental")
    wiz.next()
    page = wiz.hours
    page.resources.add_button.setFocus()
    qtbot.keyClick(page.resources.add_button, Qt.Key.Key_Space)
    row = page.resources.rows[0]
    wiz.next()  # unnamed: said, and the page stays
    assert wiz.currentPage() is page and row.problem.text().startswith("Name the resource")
    qtbot.keyClicks(row.name, "Dr. Lee")
    page.services.add({"name": "Exam", "duration_minutes": 30, "resources": ["dr. lee"]})
    wiz.next()
    assert wiz.currentPage() is wiz.calendars
    wiz.accept()
    saved = Profile.load(paths.user_profile_path())
    assert [(r.name, r.kind, r.hours) for r in saved.availability.resources] == [("Dr. Lee", "staff", None)]
    assert saved.availability.services[0].resources == ["dr. lee"]
