"""The weekly hours, closed days and services editors, alone and in Settings and setup: what a person picks is what
the profile holds, and a problem is said once a row is left (or on Save / Next), never before."""

from __future__ import annotations

from datetime import date

import pytest

from receptionist import paths
from receptionist.config import Profile
from receptionist.domain.schedule import WeeklyHours
from receptionist.providers.secrets import MemoryKeyring, location_secret_store
from receptionist.ui.hours_editor import ClosuresEditor, ServicesEditor, WeekHoursEditor
from receptionist.ui.settings import SettingsDialog
from receptionist.ui.setup import SetupWizard

pytestmark = pytest.mark.gui


def test_the_week_has_several_ranges_a_day_on_quarter_hours_in_12_hour_time(qtbot):
    editor = WeekHoursEditor(WeeklyHours.simple(8, 18))
    qtbot.addWidget(editor)
    monday = editor.days[0]
    opens, closes, _ = monday.ranges[0]
    assert (opens.currentText(), closes.currentText()) == ("8:00 AM", "6:00 PM")
    assert opens.itemText(1) == "12:15 AM" and closes.itemText(closes.count() - 1) == "Midnight"
    closes.set_minutes(12 * 60 + 30)
    monday.add_button.click()  # a second range, after the first
    assert [(a, b) for a, b in monday.minutes()] == [(8 * 60, 12 * 60 + 30), (13 * 60 + 30, 16 * 60 + 30)]
    assert editor.days[6].closed.isVisibleTo(editor) and editor.days[6].add_button.text() == "Open this day"
    editor.days[6].add_button.click()  # Sundays open 9 to 5
    table = editor.table()
    assert table["mon"] == ["08:00-12:30", "13:30-16:30"] and table["sun"] == ["09:00-17:00"]
    assert table["sat"] == ["08:00-18:00"] and set(table) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    editor.days[5].remove_range(editor.days[5].ranges[0])
    assert editor.table()["sat"] == []
    assert WeeklyHours.of(editor.table()).days[0] == ((480, 750), (810, 990))  # what the desk will read


def test_a_days_problem_is_said_once_it_is_left_never_before(qtbot):
    editor = WeekHoursEditor(WeeklyHours.simple(9, 17))
    qtbot.addWidget(editor)
    editor.show()
    tuesday = editor.days[1]
    tuesday.ranges[0][1].set_minutes(8 * 60)  # closes before it opens, not yet left
    assert not editor.day_problems[1].isVisible() and editor.problems() == {
        1: "8:00 AM is not after 9:00 AM: the closing time comes after the opening."}
    tuesday.ranges[0][1].activated.emit(0)  # picked in the list: the row is left
    assert editor.day_problems[1].text().startswith("Tuesday: 8:00 AM is not after 9:00 AM")
    tuesday.ranges[0][1].set_minutes(13 * 60)
    tuesday.add_range(12 * 60, 17 * 60)
    assert editor.day_problems[1].text() == "Tuesday: 9:00 AM to 1:00 PM and the hours from 12:00 PM overlap."
    assert not editor.show_problems()
    tuesday.ranges[1][0].set_minutes(13 * 60)
    assert editor.show_problems() and not editor.day_problems[1].isVisible()


def test_same_as_monday_copies_mondays_ranges_to_the_weekdays(qtbot):
    editor = WeekHoursEditor(WeeklyHours.simple(8, 18), twelve_hour=False)
    qtbot.addWidget(editor)
    editor.days[0].ranges[0][1].set_minutes(12 * 60)
    editor.days[0].add_range(13 * 60, 17 * 60 + 45)
    assert editor.days[0].ranges[1][1].currentText() == "17:45"  # 24-hour outside the US
    editor.copy_monday.click()
    table = editor.table()
    assert all(table[d] == ["08:00-12:00", "13:00-17:45"] for d in ("tue", "wed", "thu", "fri"))
    assert table["sat"] == ["08:00-18:00"]


def test_closed_days_and_services_read_back_as_the_profile_holds_them(qtbot):
    closures = ClosuresEditor([{"name": "Christmas Day", "date": date(2026, 12, 25), "until": None}],
                              today=date(2026, 12, 7))
    qtbot.addWidget(closures)
    closures.add("Winter break", date(2026, 12, 28))
    row = closures.rows[1]
    row.several.setChecked(True)
    row.last.setDate(row.last.date().addDays(3))
    assert closures.closures() == [
        {"name": "Christmas Day", "date": date(2026, 12, 25), "until": None},
        {"name": "Winter break", "date": date(2026, 12, 28), "until": date(2026, 12, 31)}]
    closures.add_button.click()  # a new row, named later
    assert closures.show_problems() and not closures.show_problems(every=True)
    assert closures.rows[2].problem.text().startswith("Name the closed day")
    closures.remove(closures.rows[2])
    assert closures.show_problems(every=True) and len(closures.closures()) == 2

    services = ServicesEditor([{"name": "Cleaning", "duration_minutes": 45, "buffer_after_minutes": 10,
                                "max_per_day": 6, "resources": ["Chair 1"]}], resources=lambda: ["Chair 1"])
    qtbot.addWidget(services)
    first = services.rows[0]
    assert first.spins["buffer_before_minutes"].text() == "Usual" and first.spins["max_per_week"].text() == "No cap"
    first.spins["buffer_before_minutes"].stepUp()  # from the location's to none at all, then 5-minute steps
    assert first.spins["buffer_before_minutes"].text() == "0 min"
    first.spins["buffer_before_minutes"].stepDown()
    services.add_button.click()
    services.rows[1].name.setText("cleaning ")
    services.rows[1].spins["duration_minutes"].setValue(60)
    assert not services.show_problems(every=True)
    assert services.rows[1].problem.text() == "Two services are named “cleaning”."
    services.rows[1].name.setText("Crown")
    assert services.show_problems()
    assert services.services() == [
        {"name": "Cleaning", "duration_minutes": 45, "buffer_before_minutes": None, "buffer_after_minutes": 10,
         "max_per_day": 6, "max_per_week": 0, "resources": ["Chair 1"]},
        {"name": "Crown", "duration_minutes": 60, "buffer_before_minutes": None, "buffer_after_minutes": None,
         "max_per_day": 0, "max_per_week": 0, "resources": []}]
    services.remove(services.rows[0])  # the row below moves up
    assert [s["name"] for s in services.services()] == ["Crown"]
    assert services.grid.itemAtPosition(1, 0).widget() is services.rows[0].name
    services.remove(services.rows[0])
    assert services.services() == [] and services.empty.isVisibleTo(services)
    assert not any(header.isVisibleTo(services) for header in services.headers)


def test_settings_writes_hours_closed_days_and_services_and_the_desk_books_by_them(qtbot):
    backend = MemoryKeyring()
    profile = Profile.from_dict({"location": {"name": "Lakeside Dental", "id": "lakeside", "time_zone":
                                              "America/New_York"},
                                 "availability": {"buffer_after_minutes": 5}})
    dialog = SettingsDialog(profile, location_secret_store(profile.location, backend))
    qtbot.addWidget(dialog)
    monday = dialog.hours.days[0]
    monday.ranges[0][1].set_minutes(12 * 60)
    monday.add_range(13 * 60 + 15, 17 * 60 + 45)
    dialog.closures.add("Thanksgiving", date(2026, 11, 26))
    dialog.services.add({"name": "Cleaning", "duration_minutes": 45})
    dialog.services.add({"name": "Consult", "duration_minutes": 20, "buffer_after_minutes": 0})
    dialog.accept()
    saved = Profile.load(paths.user_profile_path())
    assert saved.availability.hours["mon"] == ["08:00-12:00", "13:15-17:45"]
    assert [(c.name, c.date, c.until) for c in saved.availability.closures] == [
        ("Thanksgiving", date(2026, 11, 26), None)]
    rules = saved.availability.booking_rules(saved.location)
    assert [(s.name, s.duration_minutes, s.buffer_after) for s in rules.services] == [
        ("Cleaning", 45, 5), ("Consult", 20, 0)]  # "Usual" is the location's buffer
    assert rules.hours.days[0] == ((480, 720), (795, 1065))
    assert [(c.first, c.last) for c in rules.closures] == [(date(2026, 11, 26), date(2026, 11, 26))]
    # opened again: the editors show what was saved
    again = SettingsDialog(saved, location_secret_store(saved.location, backend))
    qtbot.addWidget(again)
    assert again.hours.table() == saved.availability.hours
    assert [r.name.text() for r in again.services.rows] == ["Cleaning", "Consult"]
    assert again.closures.closures() == [{"name": "Thanksgiving", "date": date(2026, 11, 26), "until": None}]


def test_settings_with_a_bad_row_shows_its_section_and_writes_nothing(qtbot, monkeypatch):
    said = []
    monkeypatch.setattr("receptionist.ui.settings.QMessageBox.warning",
                        staticmethod(lambda parent, title, text: said.append(text)))
    before = paths.user_profile_path().read_text()
    profile = Profile()
    dialog = SettingsDialog(profile, location_secret_store(profile.location, MemoryKeyring()))
    qtbot.addWidget(dialog)
    dialog.services.add({})  # left without a name
    dialog.accept()
    assert dialog.written is None and paths.user_profile_path().read_text() == before
    assert dialog.stack.currentIndex() == 1 and dialog.services.rows[0].problem.text() == \
        "Name the service as callers ask for it."
    dialog.services.rows[0].name.setText("Cleaning")
    dialog.hours.days[2].ranges[0][1].set_minutes(7 * 60)
    dialog.accept()
    assert dialog.written is None and dialog.stack.currentIndex() == 0
    assert dialog.hours.day_problems[2].text().startswith("Wednesday: 7:00 AM is not after 8:00 AM")


def test_a_service_needing_an_unknown_resource_is_said_and_the_resources_edited_count(qtbot, monkeypatch):
    monkeypatch.setattr("receptionist.ui.settings.QMessageBox.warning",
                        staticmethod(lambda parent, title, text: pytest.fail(text)))
    profile = Profile.from_dict({"availability": {"resources": [{"name": "Chair 1", "kind": "chair"}]}})
    dialog = SettingsDialog(profile, location_secret_store(profile.location, MemoryKeyring()))
    qtbot.addWidget(dialog)
    dialog.services.add({"name": "Cleaning", "resources": ["Chair 9"]})
    dialog.accept()
    assert dialog.written is None and dialog.services.rows[0].problem.text() == (
        "“Chair 9” is not one of the resources here (Chair 1): add it under Resources, or leave “Needs "
        "one of” empty.")
    dialog.resources_editor.add({"name": "Chair 9", "kind": "chair"})
    assert dialog.services.show_problems(every=True)  # added under Resources: known now
    dialog.accept()
    saved = Profile.load(paths.user_profile_path())
    assert saved.availability.services[0].resources == ["Chair 9"]
    assert [r.name for r in saved.availability.resources] == ["Chair 1", "Chair 9"]


def test_setup_has_an_hours_and_services_page_that_is_written_to_the_profile(qtbot, no_profile):
    backend = MemoryKeyring()
    wiz = SetupWizard(secrets_for=lambda p: location_secret_store(p.location, backend))
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.keyClicks(wiz.location.name, "Lakeside Dental")
    wiz.next()
    page = wiz.hours
    assert wiz.currentPage() is page and page.hours.days[0].ranges[0][0].currentText() == "8:00 AM"
    page.services.add_button.click()
    wiz.next()  # a service without a name: said, and the page stays
    assert wiz.currentPage() is page and page.services.rows[0].problem.isVisibleTo(page)
    page.services.rows[0].name.setText("Cleaning")
    page.services.rows[0].spins["duration_minutes"].setValue(45)
    page.hours.days[5].remove_range(page.hours.days[5].ranges[0])  # closed on Saturdays
    page.closures.add("New Year's Day", date(2027, 1, 1))
    wiz.next()
    assert wiz.currentPage() is wiz.calendars
    wiz.accept()
    saved = Profile.load(paths.user_profile_path())
    assert saved.availability.hours["sat"] == [] and saved.availability.hours["fri"] == ["08:00-18:00"]
    assert [(s.name, s.duration_minutes) for s in saved.availability.services] == [("Cleaning", 45)]
    assert saved.availability.closures[0].name == "New Year's Day"
