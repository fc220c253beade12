"""Attended / no-show: marked by a person once the appointment's time has come, audited with that person,
corrected with the mark it replaced kept in the audit, cleared by a move to a new time; and
``receptionist appointments mark ID attended|no-show --json``."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from receptionist import events
from receptionist.cli import main
from receptionist.config import Profile
from receptionist.domain.models import Attendance
from receptionist.errors import UserError
from receptionist.services.context import location_rules
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload


@pytest.fixture
def bus():
    return events.EventBus()


@pytest.fixture
def desk(store, profile, clock, bus):
    return make_desk(store, profile, bus, {"google:primary": "Google Calendar"}, clock=clock)


def booked(desk, clock):
    """The default payload's booking (Tuesday 11/24/2026 10:30 AM in Chicago), approved."""
    call = store_payload(desk.context.store, payload(), location_rules(desk.context.profile), clock())
    return desk.bookings.approve(call.proposal.id, call.proposal.version, actor="Ana")


def test_a_mark_waits_for_the_time_and_names_the_person(desk, clock, bus):
    appt = booked(desk, clock)
    with pytest.raises(UserError, match="has not started yet"):
        desk.appointments.mark_attendance(appt.id, "attended", actor="Ana")
    clock.advance(days=1, hours=2)  # 11:00 AM Tuesday: it has started
    heard = []
    bus.subscribe(lambda event: heard.append((event.topic, event.data.get("appointment_id"))))
    marked = desk.appointments.mark_attendance(appt.id, "no-show", actor="Ben")
    assert (marked.attendance, marked.attendance_by) == (Attendance.NO_SHOW, "Ben")
    assert (events.APPOINTMENT_CHANGED, appt.id) in heard
    assert all(link.state.value == "pending" for link in marked.links)  # nothing owed beyond the approval's write
    fixed = desk.appointments.mark_attendance(appt.id, Attendance.ATTENDED, actor="Ana")
    assert fixed.attendance is Attendance.ATTENDED
    log = desk.context.store.audit.entries(action="appointment")
    by_action = {(e.action, e.actor): e.detail for e in log}
    assert by_action[("appointment.no-show", "Ben")] == {"before": None, "attendance": "no-show"}
    assert by_action[("appointment.attended", "Ana")] == {"before": "no-show", "attendance": "attended"}


def test_bad_marks_are_refused_and_change_nothing(desk, clock):
    appt = booked(desk, clock)
    clock.advance(days=2)
    with pytest.raises(UserError, match="'came' is not attended or no-show"):
        desk.appointments.mark_attendance(appt.id, "came")
    with pytest.raises(UserError, match="does not exist"):
        desk.appointments.mark_attendance("nope", "attended")
    desk.appointments.cancel(appt.id, "asked to")
    with pytest.raises(UserError, match="cancelled: there is nothing to mark"):
        desk.appointments.mark_attendance(appt.id, "attended")
    assert desk.appointments.get(appt.id).attendance is None


def test_a_move_to_a_new_time_clears_the_mark(desk, clock):
    appt = booked(desk, clock)
    clock.advance(days=1, hours=2)
    desk.appointments.mark_attendance(appt.id, "no-show")
    moved = desk.appointments.reschedule(appt.id, appt.start + timedelta(days=2))
    assert (moved.attendance, moved.attendance_by) == (None, None)


def test_appointments_mark_on_the_command_line(db_url, capsys, clock):
    from receptionist.store import Store
    from receptionist.store.db import make_engine, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    store = Store(engine)
    desk = make_desk(store, Profile(), events.EventBus(), {}, clock=clock)
    appt = booked(desk, clock)  # 11/24/2026: the command line's clock is the real one, later
    engine.dispose()
    capsys.readouterr()
    assert main(["appointments", "mark", appt.id, "no-show", "--json", "--actor", "Cara", "--db", db_url]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["attendance"], out["attendance_by"]) == ("no-show", "Cara")
    assert main(["appointments", "mark", appt.id, "attended", "--db", db_url]) == 0
    assert "marked attended:" in capsys.readouterr().out
    assert main(["appointments", "mark", appt.id, "gone", "--db", db_url]) == 2
    assert "invalid choice: 'gone'" in capsys.readouterr().err
