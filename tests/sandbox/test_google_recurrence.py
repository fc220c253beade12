"""Recurring, all-day and transparent events on the Google sandbox, at the wire (plain HTTP).

The series is a weekly Tuesday 10:00 America/Chicago meeting from 10/20/2026, ten times: it crosses the US
fall-back of 11/01/2026, so it is at 15:00Z before and 16:00Z after (Google keeps the wall-clock time in the
series' ``start.timeZone``).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from receptionist_sandbox.google import DEFAULT_ACCOUNT

CHICAGO = "America/Chicago"
SERIES = {
    "summary": "Weekly huddle",
    "start": {"dateTime": "2026-10-20T10:00:00", "timeZone": CHICAGO},
    "end": {"dateTime": "2026-10-20T10:30:00", "timeZone": CHICAGO},
    "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10"],
}
WINDOW = {"timeMin": "2026-10-19T00:00:00Z", "timeMax": "2027-01-01T00:00:00Z"}


@pytest.fixture
def sandbox(google_sandbox):
    return google_sandbox


@pytest.fixture
def api(google_api):
    return google_api


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def instants(items) -> list[tuple[datetime, datetime]]:
    return [(utc(i["start"]["dateTime"]), utc(i["end"]["dateTime"])) for i in items]


def listing(api, **params) -> list[dict]:
    response = api.get(api.base, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_single_events_expands_a_weekly_series_keeping_local_time_across_fall_back(api):
    master = api.post(api.base, json=SERIES).json()
    items = listing(api, singleEvents="true", orderBy="startTime", **WINDOW)
    assert len(items) == 10
    assert {i["recurringEventId"] for i in items} == {master["id"]}
    assert all("recurrence" not in i for i in items)
    starts = [s for s, _ in instants(items)]
    assert starts[:2] == [datetime(2026, 10, 20, 15, tzinfo=timezone.utc),
                          datetime(2026, 10, 27, 15, tzinfo=timezone.utc)]
    assert starts[2:4] == [datetime(2026, 11, 3, 16, tzinfo=timezone.utc),
                           datetime(2026, 11, 10, 16, tzinfo=timezone.utc)]
    assert all((e - s).total_seconds() == 1800 for s, e in instants(items))
    third = items[2]
    assert third["id"] == f"{master['id']}_20261103T160000Z"
    assert utc(third["originalStartTime"]["dateTime"]) == starts[2]
    assert third["originalStartTime"]["timeZone"] == CHICAGO
    assert third["iCalUID"] == master["iCalUID"]


def test_without_single_events_the_series_itself_is_listed(api):
    master = api.post(api.base, json=SERIES).json()
    items = listing(api, **WINDOW)
    assert [i["id"] for i in items] == [master["id"]]
    assert items[0]["recurrence"] == SERIES["recurrence"]
    # a window after the series' last occurrence (12/22) does not list it
    assert listing(api, timeMin="2027-01-01T00:00:00Z", timeMax="2027-02-01T00:00:00Z") == []


def test_window_bounds_the_instances(api):
    api.post(api.base, json=SERIES)
    items = listing(api, singleEvents="true", timeMin="2026-11-03T16:15:00Z", timeMax="2026-11-17T16:00:00Z")
    # the 11/03 instance still runs at 16:15Z; the 11/17 one starts exactly at timeMax (excluded)
    assert [s for s, _ in instants(items)] == [datetime(2026, 11, 3, 16, tzinfo=timezone.utc),
                                               datetime(2026, 11, 10, 16, tzinfo=timezone.utc)]


def test_an_instance_moved_and_one_cancelled_by_id(api):
    master = api.post(api.base, json=SERIES).json()
    moved_id = f"{master['id']}_20261110T160000Z"
    cancelled_id = f"{master['id']}_20261117T160000Z"
    got = api.get(f"{api.base}/{moved_id}")
    assert got.status_code == 200 and got.json()["recurringEventId"] == master["id"]
    patched = api.patch(f"{api.base}/{moved_id}", json={
        "summary": "Huddle (moved)", "start": {"dateTime": "2026-11-11T14:00:00", "timeZone": CHICAGO},
        "end": {"dateTime": "2026-11-11T14:30:00", "timeZone": CHICAGO}},
        headers={"If-Match": got.json()["etag"]})
    assert patched.status_code == 200, patched.text
    assert api.delete(f"{api.base}/{cancelled_id}").status_code == 204

    items = listing(api, singleEvents="true", orderBy="startTime", **WINDOW)
    assert len(items) == 9
    moved = next(i for i in items if i["id"] == moved_id)
    assert moved["summary"] == "Huddle (moved)"
    assert utc(moved["start"]["dateTime"]) == datetime(2026, 11, 11, 20, tzinfo=timezone.utc)
    assert utc(moved["originalStartTime"]["dateTime"]) == datetime(2026, 11, 10, 16, tzinfo=timezone.utc)
    assert cancelled_id not in {i["id"] for i in items}

    with_deleted = listing(api, singleEvents="true", showDeleted="true", **WINDOW)
    gone = next(i for i in with_deleted if i["id"] == cancelled_id)
    assert gone == {"kind": "calendar#event", "etag": gone["etag"], "id": cancelled_id, "status": "cancelled",
                    "updated": gone["updated"], "recurringEventId": master["id"],
                    "originalStartTime": gone["originalStartTime"]}
    assert api.delete(f"{api.base}/{cancelled_id}").status_code == 410
    # the series view lists the exception beside the series
    assert {i["id"] for i in listing(api, **WINDOW)} == {master["id"], moved_id}


def test_exdate_removes_an_occurrence(api):
    body = {**SERIES, "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20261201T000000Z",
                                     "EXDATE;TZID=America/Chicago:20261027T100000"]}
    master = api.post(api.base, json=body).json()
    items = listing(api, singleEvents="true", orderBy="startTime", **WINDOW)
    days = [utc(i["start"]["dateTime"]).date().isoformat() for i in items]
    assert days == ["2026-10-20", "2026-11-03", "2026-11-10", "2026-11-17", "2026-11-24"]
    assert api.get(f"{api.base}/{master['id']}_20261027T150000Z").status_code == 404


def test_a_series_needs_its_zone_and_valid_rules(api):
    no_zone = {**SERIES, "start": {"dateTime": "2026-10-20T15:00:00Z"}, "end": {"dateTime": "2026-10-20T15:30:00Z"}}
    answer = api.post(api.base, json=no_zone)
    assert answer.status_code == 400 and answer.json()["error"]["errors"][0]["reason"] == "missingTimeZone"
    bad = api.post(api.base, json={**SERIES, "recurrence": ["RRULE:FREQ=SOMETIMES"]})
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["reason"] == "invalid"


def test_sync_token_carries_instance_changes(sandbox, api):
    master = api.post(api.base, json=SERIES).json()
    first = api.get(api.base, params={"singleEvents": "true", **WINDOW}).json()
    assert len(first["items"]) == 10
    token = first["nextSyncToken"]

    sandbox.edit_event(DEFAULT_ACCOUNT, "primary", f"{master['id']}_20261103T160000Z", {"summary": "Huddle + demo"})
    sandbox.remove_event(DEFAULT_ACCOUNT, "primary", f"{master['id']}_20261124T160000Z")
    changes = api.get(api.base, params={"singleEvents": "true", "syncToken": token}).json()
    by_id = {i["id"]: i for i in changes["items"]}
    assert set(by_id) == {f"{master['id']}_20261103T160000Z", f"{master['id']}_20261124T160000Z"}
    assert by_id[f"{master['id']}_20261103T160000Z"]["summary"] == "Huddle + demo"
    assert by_id[f"{master['id']}_20261124T160000Z"]["status"] == "cancelled"

    # a change to the series reports each of its (unchanged-on-their-own) instances
    sandbox.edit_event(DEFAULT_ACCOUNT, "primary", master["id"], {"location": "Room 4"})
    again = api.get(api.base, params={"singleEvents": "true", "syncToken": changes["nextSyncToken"]}).json()
    assert len(again["items"]) == 8 and {i["location"] for i in again["items"]} == {"Room 4"}
    # deleting the series cancels every instance, its exception included
    sandbox.remove_event(DEFAULT_ACCOUNT, "primary", master["id"])
    last = api.get(api.base, params={"singleEvents": "true", "syncToken": again["nextSyncToken"]}).json()
    assert len(last["items"]) == 9 and {i["status"] for i in last["items"]} == {"cancelled"}
    assert all(set(i) == {"kind", "etag", "id", "status", "updated", "recurringEventId", "originalStartTime"}
               for i in last["items"])
    assert listing(api, singleEvents="true", **WINDOW) == []


def test_all_day_and_transparent_events(api):
    all_day = api.post(api.base, json={"summary": "Office closed", "start": {"date": "2026-11-26"},
                                       "end": {"date": "2026-11-27"}}).json()
    free = api.post(api.base, json={"summary": "Tennis", "transparency": "transparent",
                                    "start": {"dateTime": "2026-11-28T16:00:00Z"},
                                    "end": {"dateTime": "2026-11-28T17:00:00Z"}}).json()
    items = {i["id"]: i for i in listing(api, singleEvents="true", **WINDOW)}
    assert items[all_day["id"]]["start"] == {"date": "2026-11-26"}
    assert items[all_day["id"]]["end"] == {"date": "2026-11-27"}
    assert items[free["id"]]["transparency"] == "transparent"
    # an all-day series: instance ids end in the date
    series = api.post(api.base, json={"summary": "On call", "start": {"date": "2026-11-02"},
                                      "end": {"date": "2026-11-03"},
                                      "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]}).json()
    days = [i for i in listing(api, singleEvents="true", orderBy="startTime", **WINDOW)
            if i.get("recurringEventId") == series["id"]]
    assert [d["id"] for d in days] == [f"{series['id']}_2026110{n}" for n in (2, 3, 4)]
    assert [d["start"]["date"] for d in days] == ["2026-11-02", "2026-11-03", "2026-11-04"]
