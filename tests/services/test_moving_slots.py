"""Where an appointment can be moved: the free times offered for it (its service and length, itself not busy) and
the check of a typed time, by the same rule the reschedule then applies; the command's ``--appointment``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist import events
from receptionist.cli import main
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.schedule import OVERLAP
from receptionist.errors import UserError
from receptionist.services.context import location_rules
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY = datetime(2026, 11, 24).date()


def local(hour, minute=0, day=24):
    return datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO)


@pytest.fixture
def desk(store, profile, clock):
    return make_desk(store, profile, events.EventBus(), {"google:primary": "Google Calendar"}, clock=clock)


def booked(desk, clock, start: str, name: str, minutes: int = 45) -> str:
    call = store_payload(desk.context.store, payload(requested_start=start, duration_minutes=minutes,
                                                     caller={"name": name, "callback_number": "(312) 555-0142",
                                                             "account_id": None}),
                         location_rules(desk.context.profile), clock())
    return desk.bookings.approve(call.proposal.id, call.proposal.version).id


def starts(openings) -> list[str]:
    return [s.start.astimezone(CHICAGO).strftime("%H:%M") for s in openings.slots]


def test_offered_times_for_a_move_leave_the_appointment_itself_out(desk, clock):
    maria = booked(desk, clock, "2026-11-24T10:30:00", "Maria")
    booked(desk, clock, "2026-11-24T12:00:00", "Ken")
    offered = starts(desk.availability.free_slots(None, TUESDAY, 1, moving=maria))
    # Maria's own 10:30 is free for her; Ken's 12:00–12:45 is not, nor any 45-minute start running into it
    assert "10:30" in offered and "11:15" in offered
    assert not {"11:30", "11:45", "12:00", "12:30"} & set(offered)
    assert "12:45" in offered
    # for anyone else her 10:30 is taken
    assert "10:30" not in starts(desk.availability.free_slots(None, TUESDAY, 1))


def test_a_typed_time_is_checked_with_its_reasons_and_the_move_agrees(desk, clock):
    maria = booked(desk, clock, "2026-11-24T10:30:00", "Maria")
    booked(desk, clock, "2026-11-24T12:00:00", "Ken")
    refused = desk.availability.check(local(11, 45), moving=maria)
    assert refused.slot is None and [r.code for r in refused.reasons] == [OVERLAP]
    assert "Ken" in refused.reasons[0].message
    # the reschedule's own check warns of the same clash (a person may still overlap on purpose)
    appt = desk.appointments.get(maria)
    draft = BookingDraft(appt.caller_name, appt.callback_number, appt.service, local(11, 45), 45, appt.notes)
    assert refused.reasons[0].message in [i.message for i in desk.checks.check(draft, maria)[1]]
    ok = desk.availability.check(local(11, 15), moving=maria)
    assert ok.slot is not None and ok.reasons == []
    assert desk.appointments.reschedule(maria, local(11, 15)).start == local(11, 15).astimezone(timezone.utc)


def test_another_length_is_checked_at_that_length(desk, clock):
    maria = booked(desk, clock, "2026-11-24T10:30:00", "Maria")
    booked(desk, clock, "2026-11-24T12:00:00", "Ken")
    assert desk.availability.check(local(11, 15), moving=maria).slot is not None
    assert desk.availability.check(local(11, 15), moving=maria, minutes=60).slot is None
    assert "11:15" not in starts(desk.availability.free_slots(None, TUESDAY, 1, moving=maria, minutes=60))
    with pytest.raises(UserError, match="5 to 480 minutes, not 600"):
        desk.availability.check(local(11, 15), moving=maria, minutes=600)


def test_every_offered_time_for_a_move_is_accepted_by_the_reschedule(desk, clock):
    maria = booked(desk, clock, "2026-11-24T10:30:00", "Maria")
    booked(desk, clock, "2026-11-24T12:00:00", "Ken")
    booked(desk, clock, "2026-11-24T15:00:00", "Lee", minutes=90)
    for slot in desk.availability.free_slots(None, TUESDAY, 1, moving=maria).slots:
        assert desk.availability.check(slot.start, moving=maria).slot is not None
    last = desk.availability.free_slots(None, TUESDAY, 1, moving=maria).slots[-1]
    assert desk.appointments.reschedule(maria, last.start).start == last.start


def test_a_cancelled_or_unknown_appointment_is_a_sentence(desk, clock):
    maria = booked(desk, clock, "2026-11-24T10:30:00", "Maria")
    desk.appointments.cancel(maria, "asked")
    with pytest.raises(UserError, match="is cancelled: book a new one"):
        desk.availability.free_slots(None, TUESDAY, 1, moving=maria)
    with pytest.raises(UserError, match="nope does not exist"):
        desk.availability.check(local(11), moving="nope")


def test_the_command_offers_and_checks_a_move(store, profile, clock, db_url, capsys, tmp_path):
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    today = datetime.now(CHICAGO).date()
    day = (today + timedelta(days=(1 - today.weekday()) % 7 + 7)).isoformat()  # a Tuesday 8-14 days ahead
    maria = booked(desk, clock, f"{day}T10:30:00", "Maria")
    profile_file = tmp_path / "p.toml"
    profile_file.write_text("")

    def run(*argv, expect=0):
        code = main([*argv, "--db", db_url, "--profile", str(profile_file)])
        out = capsys.readouterr()
        assert code == expect, (argv, out.out, out.err)
        return json.loads(out.out) if "--json" in argv else out.out + out.err

    found = run("availability", "--appointment", maria, "--from", day, "--days", "1", "--json")
    assert found["appointment"] == maria and found["duration_minutes"] == 45
    assert f"{day}T10:30" in [s["start"][:16] for s in found["slots"]]
    taken = run("availability", "--from", day, "--days", "1", "--json")
    assert f"{day}T10:30" not in [s["start"][:16] for s in taken["slots"]]
    ok = run("availability", "check", "--appointment", maria, "--start", f"{day}T10:45", "--json")
    assert ok["accepted"] is True
    longer = run("availability", "check", "--appointment", maria, "--minutes", "600", "--start",
                 f"{day}T10:45", expect=2)
    assert "5 to 480 minutes, not 600" in longer
