import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receptionist.domain.models import Intent, Severity
from receptionist.domain.payload import (
    LocationRules,
    PayloadError,
    json_schema,
    normalise,
    normalise_phone,
    parse_payload,
    resolve_local_time,
)
from receptionist.paths import resource
from tests.helpers.payloads import payload

CHICAGO = ZoneInfo("America/Chicago")
RULES = LocationRules(zone=CHICAGO)
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


def issues_by_field(capture):
    return {i.field: i for i in capture.issues}


@pytest.mark.parametrize("version", ["1", "2"])
def test_schema_resource_matches_the_model(version):
    on_disk = json.loads(resource("schema", f"booking-payload-v{version}.json").read_text())
    assert on_disk == json_schema(version), (
        f"regenerate: python -m receptionist.domain.payload {version} > "
        f"resources/schema/booking-payload-v{version}.json")


def test_v2_carries_an_explicit_intent_and_v1_still_parses():
    v2 = parse_payload(payload(schema_version="2", intent="cancel", caller_id_number="+13125550199"))
    capture = normalise(v2, RULES, NOW)
    assert capture.intent is Intent.CANCEL
    assert capture.caller_id_number == "+13125550199"
    assert issues_by_field(capture)["intent"].severity is Severity.ERROR  # not approvable as a new booking
    v1 = normalise(parse_payload(payload()), RULES, NOW)
    assert v1.intent is Intent.BOOK and v1.raw_fields["requested_start"] == "2026-11-24T10:30:00"
    with pytest.raises(PayloadError) as err:
        parse_payload(payload(intent="cancel"))  # v1 has no intent field
    assert "intent" in err.value.errors
    with pytest.raises(PayloadError) as err:
        parse_payload(payload(schema_version="2", intent="buy a boat"))
    assert "intent" in err.value.errors


def test_clean_payload_normalises_to_utc_and_e164():
    capture = normalise(parse_payload(payload()), RULES, NOW)
    assert capture.callback_number == "+13125550142"
    assert capture.requested_start == datetime(2026, 11, 24, 16, 30, tzinfo=timezone.utc)  # 10:30 CST = 16:30Z
    assert capture.duration_minutes == 45
    assert capture.issues == ()


def test_offset_time_is_taken_as_given():
    capture = normalise(parse_payload(payload(requested_start="2026-11-24T10:30:00-05:00")), RULES, NOW)
    assert capture.requested_start == datetime(2026, 11, 24, 15, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "change, field, fragment",
    [
        ({"schema_version": "3"}, "schema_version", "'1' or '2'"),
        ({"schema_version": 1}, "schema_version", "'1' or '2'"),
        ({"call_id": ""}, "call_id", "at least 1"),
        ({"call_id": ...}, "call_id", "Field required"),
        ({"timestamp": "2026-11-23T14:55:00"}, "timestamp", "timezone"),
        ({"duration_minutes": 2}, "duration_minutes", "greater than or equal to 5"),
        ({"reason_codes": "urgent"}, "reason_codes", "valid list"),
        ({"surprise": 1}, "surprise", "Extra inputs"),
    ],
)
def test_structural_errors_name_the_field(change, field, fragment):
    with pytest.raises(PayloadError) as err:
        parse_payload(payload(**change))
    assert field in err.value.errors
    assert fragment in err.value.errors[field]


def test_not_json_and_not_object():
    with pytest.raises(PayloadError) as err:
        parse_payload(b"{nope")
    assert "not valid JSON" in err.value.errors["body"]
    with pytest.raises(PayloadError) as err:
        parse_payload(b"[1, 2]")
    assert err.value.errors == {"body": "must be a JSON object"}


def test_content_problems_are_kept_as_field_issues_not_rejections():
    body = payload(caller={"name": "", "callback_number": "555-01"}, service=None, requested_start="sometime soon")
    capture = normalise(parse_payload(body), RULES, NOW)
    found = issues_by_field(capture)
    assert found["callback_number"].severity is Severity.ERROR and "digits" in found["callback_number"].message
    assert found["requested_start"].severity is Severity.ERROR and "sometime soon" in found["requested_start"].message
    assert capture.requested_start is None and capture.requested_start_raw == "sometime soon"
    assert found["service"].severity is Severity.ERROR
    assert found["caller_name"].severity is Severity.WARNING
    assert capture.callback_number is None and capture.callback_number_raw == "555-01"


def test_outside_hours_and_past_are_flagged():
    late = normalise(parse_payload(payload(requested_start="2026-11-24T19:00:00")), RULES, NOW)
    assert "opening hours" in issues_by_field(late)["requested_start"].message
    past = normalise(parse_payload(payload(requested_start="2026-11-20T10:00:00")), RULES, NOW)
    assert "past" in issues_by_field(past)["requested_start"].message


# --- DST, both sides ----------------------------------------------------------------------------------------------


def test_spring_forward_gap_is_an_error():
    # 03/08/2026 02:30 does not exist in Chicago
    instant, issue = resolve_local_time(datetime(2026, 3, 8, 2, 30), CHICAGO)
    assert issue is not None and issue.severity is Severity.ERROR and "does not exist" in issue.message


def test_fall_back_overlap_takes_the_first_instant_with_a_warning():
    # 11/01/2026 01:30 happens twice in Chicago: CDT (06:30Z) then CST (07:30Z)
    instant, issue = resolve_local_time(datetime(2026, 11, 1, 1, 30), CHICAGO)
    assert instant == datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc)
    assert issue is not None and issue.severity is Severity.WARNING and "twice" in issue.message


@pytest.mark.parametrize(
    "local, utc",
    [
        (datetime(2026, 3, 7, 10, 0), datetime(2026, 3, 7, 16, 0)),  # day before spring forward: CST, -6
        (datetime(2026, 3, 9, 10, 0), datetime(2026, 3, 9, 15, 0)),  # day after: CDT, -5
        (datetime(2026, 10, 31, 10, 0), datetime(2026, 10, 31, 15, 0)),  # day before fall back: CDT
        (datetime(2026, 11, 2, 10, 0), datetime(2026, 11, 2, 16, 0)),  # day after: CST
    ],
)
def test_local_times_either_side_of_dst(local, utc):
    instant, issue = resolve_local_time(local, CHICAGO)
    assert issue is None
    assert instant == utc.replace(tzinfo=timezone.utc)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
       st.sampled_from(["America/Chicago", "America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC"]))
def test_resolved_instants_read_back_as_the_same_wall_time_unless_in_a_gap(naive, zone_name):
    zone = ZoneInfo(zone_name)
    instant, issue = resolve_local_time(naive, zone)
    back = instant.astimezone(zone).replace(tzinfo=None)
    if issue is None or issue.severity is Severity.WARNING:
        assert back == naive
    else:
        assert back != naive


# --- phone numbers ------------------------------------------------------------------------------------------------


@given(st.integers(200, 999), st.integers(0, 99), st.sampled_from(
    ["({a}) 555-01{b:02d}", "{a}-555-01{b:02d}", "+1 {a} 555 01{b:02d}", "{a}55501{b:02d}", "1.{a}.555.01{b:02d}"]))
def test_human_formats_normalise_to_the_same_e164(area, line, fmt):
    raw = fmt.format(a=area, b=line)
    e164, issue = normalise_phone(raw, "US")
    if issue is None:
        assert e164 == f"+1{area}55501{line:02d}"
    else:
        assert issue.field == "callback_number"


@given(st.text(max_size=30))
def test_phone_normalisation_never_raises(raw):
    e164, issue = normalise_phone(raw, "US")
    assert (e164 is None) != (issue is None)


@pytest.mark.parametrize("raw", [b'{"call_id": 1' + b"0" * 5000 + b"}", b"[" * 100_000 + b"]" * 100_000])
def test_unreadable_numbers_and_nesting_are_payload_errors(raw):
    with pytest.raises(PayloadError) as err:
        parse_payload(raw)
    assert "body" in err.value.errors
