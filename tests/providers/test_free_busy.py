"""The free/busy queries behind the write-time re-check: Google ``freebusy.query`` and Graph
``calendar/getSchedule``, through the real client libraries against the stand-ins, and the refusals that send the
re-check back to reading events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from receptionist.errors import TransientError, Unsupported
from receptionist_sandbox.faults import Fault
from receptionist_sandbox.google import DEFAULT_ACCOUNT
from tests.providers.microsoft_fixtures import T0

UTC = timezone.utc
DAY = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 9:00 AM in Chicago
CHICAGO = "America/Chicago"


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def google_event(google_sandbox, start, end, calendar="primary", **fields):
    return google_sandbox.seed_event(DEFAULT_ACCOUNT, calendar, {
        "summary": fields.pop("summary", "Staff meeting"), "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": end.isoformat()}, **fields})


# --- Google ----------------------------------------------------------------------------------------------------------


def test_google_free_busy_merges_overlaps_and_leaves_out_free_and_deleted_events(google_sandbox,
                                                                                 make_google_provider):
    google_event(google_sandbox, at(0), at(1))
    google_event(google_sandbox, at(0.5), at(1.5))  # overlaps the first: one period
    google_event(google_sandbox, at(3), at(4), transparency="transparent")
    gone = google_event(google_sandbox, at(5), at(6))
    google_sandbox.remove_event(DEFAULT_ACCOUNT, "primary", gone["id"])
    google_event(google_sandbox, at(7), at(9))  # runs past the window: clipped
    provider = make_google_provider()
    assert provider.busy_times("primary", at(-1), at(8), CHICAGO) == [(at(0), at(1.5)), (at(7), at(8))]
    assert ("POST", "/calendar/v3/freeBusy") in google_sandbox.requests


def test_google_free_busy_expands_a_series_and_answers_in_the_zone_asked_for(google_sandbox, make_google_provider):
    google_sandbox.seed_event(DEFAULT_ACCOUNT, "primary", {
        "summary": "Huddle", "start": {"dateTime": "2026-11-23T08:00:00", "timeZone": CHICAGO},
        "end": {"dateTime": "2026-11-23T08:15:00", "timeZone": CHICAGO}, "recurrence": ["RRULE:FREQ=DAILY"]})
    provider = make_google_provider()
    raw = provider._service.freebusy().query(body={  # noqa: SLF001 - the wire answer itself
        "timeMin": "2026-11-24T00:00:00Z", "timeMax": "2026-11-26T00:00:00Z", "timeZone": CHICAGO,
        "items": [{"id": "primary"}]}).execute()
    assert raw["kind"] == "calendar#freeBusy"
    assert raw["calendars"]["primary"]["busy"] == [
        {"start": "2026-11-24T08:00:00-06:00", "end": "2026-11-24T08:15:00-06:00"},
        {"start": "2026-11-25T08:00:00-06:00", "end": "2026-11-25T08:15:00-06:00"}]
    assert raw["timeMin"] == "2026-11-23T18:00:00-06:00"


def test_google_free_busy_for_a_calendar_it_cannot_see_is_unsupported(make_google_provider):
    with pytest.raises(Unsupported, match="notFound"):
        make_google_provider().busy_times("someone-else@example.com", at(0), at(1), CHICAGO)


def test_google_refusing_the_query_is_unsupported_and_an_outage_is_not(google_sandbox, make_google_provider):
    provider = make_google_provider()
    scopes = "Request had insufficient authentication scopes."
    google_sandbox.faults.add(Fault(status=403, body={"error": {
        "code": 403, "message": scopes, "status": "PERMISSION_DENIED",
        "errors": [{"domain": "global", "reason": "insufficientPermissions", "message": scopes}]}}),
        path=r"/freeBusy$")
    with pytest.raises(Unsupported, match="free/busy"):
        provider.busy_times("primary", at(0), at(1), CHICAGO)
    google_sandbox.faults.add(Fault(status=503), path=r"/freeBusy$")
    with pytest.raises(TransientError):
        provider.busy_times("primary", at(0), at(1), CHICAGO)


def test_the_google_stand_in_refuses_an_empty_range_and_an_unknown_zone(make_google_provider):
    from googleapiclient.errors import HttpError

    service = make_google_provider()._service  # noqa: SLF001
    for body in ({"timeMin": "2026-11-24T10:00:00Z", "timeMax": "2026-11-24T09:00:00Z", "items": []},
                 {"timeMin": "2026-11-24T10:00:00Z", "timeMax": "2026-11-24T11:00:00Z", "timeZone": "Mars/Base",
                  "items": []},
                 {"timeMax": "2026-11-24T11:00:00Z", "items": []}):
        with pytest.raises(HttpError) as caught:
            service.freebusy().query(body=body).execute()
        assert caught.value.resp.status == 400


# --- Microsoft Graph -------------------------------------------------------------------------------------------------


def graph_event(sandbox, start, minutes, calendar_id=None, **fields):
    return sandbox.seed_event(None, {
        "subject": fields.pop("subject", "Staff meeting"),
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        **fields}, calendar_id)


def test_graph_get_schedule_counts_busy_tentative_and_away_but_not_free(microsoft_sandbox, outlook):
    graph_event(microsoft_sandbox, T0, 60)
    graph_event(microsoft_sandbox, T0 + timedelta(hours=2), 30, showAs="tentative")
    graph_event(microsoft_sandbox, T0 + timedelta(hours=3), 30, showAs="free")
    graph_event(microsoft_sandbox, T0 + timedelta(hours=4), 30, showAs="oof")
    graph_event(microsoft_sandbox, T0 + timedelta(hours=5), 30, showAs="workingElsewhere")
    busy = outlook.busy_times("", T0 - timedelta(hours=1), T0 + timedelta(hours=8), CHICAGO)
    assert busy == [(T0, T0 + timedelta(hours=1)),
                    (T0 + timedelta(hours=2), T0 + timedelta(hours=2, minutes=30)),
                    (T0 + timedelta(hours=4), T0 + timedelta(hours=4, minutes=30))]


def test_graph_get_schedule_answers_in_the_zone_asked_for(microsoft_sandbox, outlook):
    graph_event(microsoft_sandbox, T0, 60, showAs="tentative")
    body = {"schedules": [microsoft_sandbox.default_user],
            "startTime": {"dateTime": "2026-11-23T08:00:00", "timeZone": "Central Standard Time"},
            "endTime": {"dateTime": "2026-11-23T11:00:00", "timeZone": "Central Standard Time"},
            "availabilityViewInterval": 30}
    answer = outlook._request("POST", "/me/calendar/getSchedule", json=body,  # noqa: SLF001 - the wire answer
                              headers={"Prefer": 'outlook.timezone="Central Standard Time"'}).json()
    [schedule] = answer["value"]
    assert schedule["availabilityView"] == "001100"
    [item] = schedule["scheduleItems"]
    assert (item["status"], item["subject"]) == ("tentative", "Staff meeting")
    assert item["start"] == {"dateTime": "2026-11-23T09:00:00.0000000", "timeZone": "Central Standard Time"}


def test_graph_get_schedule_names_an_unknown_mailbox_in_its_answer(outlook):
    body = {"schedules": ["nobody@example.com"], "startTime": {"dateTime": "2026-11-23T08:00:00", "timeZone": "UTC"},
            "endTime": {"dateTime": "2026-11-23T09:00:00", "timeZone": "UTC"}}
    [schedule] = outlook._request("POST", "/me/calendar/getSchedule", json=body).json()["value"]  # noqa: SLF001
    assert schedule["error"]["responseCode"] == "ErrorMailRecipientNotFound"


def test_graph_get_schedule_refuses_a_window_over_62_days(outlook):
    with pytest.raises(Unsupported, match="62 days"):
        outlook.busy_times("", T0, T0 + timedelta(days=63), CHICAGO)


def test_graph_get_schedule_covers_the_default_calendar_only(microsoft_sandbox, outlook):
    other = microsoft_sandbox.add_calendar(None, "Front desk")
    with pytest.raises(Unsupported, match="default calendar"):
        outlook.busy_times(other, T0, T0 + timedelta(hours=1), CHICAGO)
    default = microsoft_sandbox.default_calendar_id()
    graph_event(microsoft_sandbox, T0, 30)
    assert outlook.busy_times(default, T0, T0 + timedelta(hours=1), CHICAGO) == [(T0, T0 + timedelta(minutes=30))]


def test_graph_refusing_get_schedule_is_unsupported(microsoft_sandbox, outlook):
    microsoft_sandbox.faults.add(Fault(status=403), path=r"/getSchedule$")
    with pytest.raises(Unsupported, match="getSchedule"):
        outlook.busy_times("", T0, T0 + timedelta(hours=1), CHICAGO)
