"""What an appointment looks like on a calendar: the location's template, the privacy setting, a calendar edit
taken over (overrides), and what the sync plan compares."""

from datetime import datetime, timedelta, timezone

from receptionist.domain.bookings import EventTemplate, event_draft
from receptionist.domain.models import AppointmentRecord, AppointmentStatus
from receptionist.domain.sync_plan import EventContent, content_hash

START = datetime(2026, 11, 24, 16, 30, tzinfo=timezone.utc)


def appt(**kw) -> AppointmentRecord:
    base = dict(id="a" * 32, caller_name="Maria Lopez", callback_number="+13125550142", account_id="ACC-7",
                service="Teeth cleaning", start=START, end=START + timedelta(minutes=45), notes="Prefers mornings",
                status=AppointmentStatus.CONFIRMED, call_id="call-1", version=1)
    return AppointmentRecord(**{**base, **kw})


def test_default_template_carries_the_callers_details():
    d = event_draft(appt(), EventTemplate(location_name="Demo Dental", time_zone="America/Chicago"))
    assert d.title == "Teeth cleaning — Maria Lopez"
    assert d.description.splitlines()[:3] == ["Caller: Maria Lopez", "Callback: (312) 555-0142 (+13125550142)",
                                             "Account: ACC-7"]
    assert "Prefers mornings" in d.description and "from call call-1" in d.description
    assert d.location == "Demo Dental" and d.time_zone == "America/Chicago" and d.uid == "a" * 32


def test_lines_whose_fields_are_empty_are_left_out():
    d = event_draft(appt(account_id=None, notes=""), EventTemplate())
    assert "Account:" not in d.description and "\n\n\n" not in d.description


def test_a_custom_template():
    t = EventTemplate(title="{caller} ({service})", description="Call {phone}")
    d = event_draft(appt(), t)
    assert d.title == "Maria Lopez (Teeth cleaning)"
    assert d.description.startswith("Call (312) 555-0142")


def test_private_mode_writes_no_caller_details():
    d = event_draft(appt(), EventTemplate(private=True, private_title="Patient appointment"))
    assert d.title == "Patient appointment"
    for secret in ("Maria", "Lopez", "555", "ACC-7", "mornings", "call-1"):
        assert secret not in d.title and secret not in d.description


def test_a_calendar_edit_taken_over_replaces_the_template():
    d = event_draft(appt(title_override="Cleaning (moved by Dr. K)", description_override="See chart"),
                    EventTemplate())
    assert d.title == "Cleaning (moved by Dr. K)" and d.description == "See chart"


def test_content_compares_instants_and_normalised_text():
    from zoneinfo import ZoneInfo

    from receptionist.domain.ports import RemoteEvent

    d = event_draft(appt(), EventTemplate())
    # Google echoes times in the calendar's zone; Graph's text bodies come back with CRLF and trailing spaces.
    echoed = RemoteEvent("ev", '"2"', d.title, START.astimezone(ZoneInfo("America/Chicago")), d.end,
                         d.description.replace("\n", "\r\n") + "  \r\n", d.location)
    assert content_hash(echoed) == content_hash(d)
    moved = RemoteEvent("ev", '"3"', d.title, START + timedelta(hours=1), d.end, d.description, d.location)
    assert set(EventContent.of(d).diff(EventContent.of(moved))) == {"start"}
