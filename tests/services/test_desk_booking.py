"""A booking made at the desk (a caller on the phone, a walk-in; the calendar's click on free time): checked by the
one booking rule, owed to every calendar, texted when asked; refused with a sentence and nothing stored; and the
``appointments book`` command."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from receptionist import events
from receptionist.cli import main
from receptionist.domain.models import AppointmentStatus, SyncState
from receptionist.errors import UserError
from tests.helpers.desk import make_desk
from tests.helpers.rows import audit_entries, outbox_items

CHICAGO = ZoneInfo("America/Chicago")
CALENDARS = {"google:primary": "Google Calendar", "outlook:default": "Outlook"}


@pytest.fixture
def desk(store, profile, clock):
    return make_desk(store, profile, events.EventBus(), CALENDARS, clock=clock, sms_enabled=True)


def test_a_desk_booking_is_owed_to_every_calendar_and_texted_when_asked(desk):
    start = datetime(2026, 11, 24, 14, 0, tzinfo=CHICAGO)
    appt = desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", start, notify=True, actor="amy")
    assert appt.status is AppointmentStatus.CONFIRMED and appt.start == start and appt.duration_minutes == 30
    assert appt.callback_number == "+13125550199"
    assert {link.calendar: link.state for link in appt.links} == {key: SyncState.PENDING for key in CALENDARS}
    [sms] = [m for m in outbox_items(desk.context.store) if m["topic"] == "sms.confirmation"]
    assert sms["payload"]["to"] == "+13125550199" and "11/24/2026 at 2:00 PM" in sms["payload"]["body"]
    [entry] = [e for e in audit_entries(desk.context.store) if e["action"] == "appointment.booked"]
    assert entry["actor"] == "amy" and entry["entity_id"] == appt.id
    # the time is now busy for the agent and the desk alike
    assert desk.availability.check(start).slot is None
    quiet = desk.appointments.book("Bo Lee", "(312) 555-0100", "Cleaning", start + timedelta(hours=2), 45)
    assert quiet.duration_minutes == 45 and len(outbox_items(desk.context.store)) == 1


def test_a_sunday_is_a_warning_a_person_may_book_over_as_on_approval(desk):
    sunday = datetime(2026, 11, 29, 10, 0, tzinfo=CHICAGO)
    assert [r.message for r in desk.availability.check(sunday).reasons] == ["we are closed on Sundays"]
    assert desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", sunday).start == sunday


def test_a_refused_booking_says_why_and_stores_nothing(desk):
    last_week = datetime(2026, 11, 16, 10, 0, tzinfo=CHICAGO)
    with pytest.raises(UserError, match="cannot book it: requested_start: .*past"):
        desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", last_week)
    tuesday = datetime(2026, 11, 24, 14, tzinfo=CHICAGO)
    with pytest.raises(UserError, match="cannot book it: service: choose a service"):
        desk.appointments.book("Ana Ruiz", "(312) 555-0199", " ", tuesday)
    with pytest.raises(UserError, match="cannot book it: callback_number: no callback number was captured"):
        desk.appointments.book("Ana Ruiz", None, "Cleaning", tuesday)
    assert desk.appointments.between(include_cancelled=True) == []
    assert outbox_items(desk.context.store) == []


def test_the_command_books_and_answers_json(db_url, store, capsys, tmp_path):
    profile_file = tmp_path / "p.toml"
    profile_file.write_text("")
    today = datetime.now(CHICAGO).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 + 7)
    code = main(["appointments", "book", "--caller", "Ana Ruiz", "--phone", "(312) 555-0199", "--service",
                 "Cleaning", "--start", f"{tuesday.isoformat()}T14:00", "--json", "--db", db_url, "--profile",
                 str(profile_file)])
    out = capsys.readouterr()
    assert code == 0, out.err
    booked = json.loads(out.out)
    assert booked["caller"] == "Ana Ruiz" and booked["minutes"] == 30 and booked["status"] == "confirmed"
    assert booked["start_local"].startswith(f"{tuesday.isoformat()}T14:00")
    code = main(["appointments", "book", "--caller", "Ana Ruiz", "--service", "Cleaning", "--start",
                 "someday", "--db", db_url, "--profile", str(profile_file)])
    assert code == 2 and "--start 'someday' is not a date and time" in capsys.readouterr().err
