"""Recurring series, all-day and free events on the Microsoft Graph stand-in, at the wire.

The series is a weekly Tuesday 10:00 Central meeting from 10/20/2026, ten times: across the US fall-back of
11/01/2026 it is at 15:00Z before and 16:00Z after (Graph keeps the wall-clock time in the series' zone).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.sandbox.test_microsoft_sandbox import graph, http, sandbox  # noqa: F401 - fixtures

SERIES = {
    "subject": "Weekly huddle",
    "start": {"dateTime": "2026-10-20T10:00:00", "timeZone": "Central Standard Time"},
    "end": {"dateTime": "2026-10-20T10:30:00", "timeZone": "Central Standard Time"},
    "recurrence": {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["tuesday"]},
                   "range": {"type": "numbered", "startDate": "2026-10-20", "numberOfOccurrences": 10}},
}
WINDOW = {"startDateTime": "2026-10-19T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z", "$top": "50"}
PREFER_UTC = {"Prefer": 'outlook.timezone="UTC"'}


def utc(value: dict) -> datetime:
    assert value["timeZone"] == "UTC"
    return datetime.fromisoformat(value["dateTime"][:19]).replace(tzinfo=timezone.utc)


@pytest.fixture
def view(sandbox, graph):  # noqa: F811 - fixtures
    def get(**params):
        answer = graph.get(f"{sandbox.graph_endpoint}/me/calendarView", params={**WINDOW, **params},
                           headers=PREFER_UTC)
        assert answer.status_code == 200, answer.text
        return answer.json()["value"]

    return get


def test_calendar_view_expands_a_series_into_occurrences_across_fall_back(sandbox, graph, view):  # noqa: F811
    created = graph.post(f"{sandbox.graph_endpoint}/me/events", json=SERIES)
    assert created.status_code == 201, created.text
    master = created.json()
    assert master["type"] == "seriesMaster"
    assert master["recurrence"]["range"]["recurrenceTimeZone"] == "Central Standard Time"
    items = view()
    assert len(items) == 10
    assert {i["type"] for i in items} == {"occurrence"} and {i["seriesMasterId"] for i in items} == {master["id"]}
    starts = [utc(i["start"]) for i in items]
    assert starts[1] == datetime(2026, 10, 27, 15, tzinfo=timezone.utc)
    assert starts[2] == datetime(2026, 11, 3, 16, tzinfo=timezone.utc)
    assert all((utc(i["end"]) - utc(i["start"])).total_seconds() == 1800 for i in items)
    assert items[2]["originalStart"] == "2026-11-03T16:00:00Z"
    assert items[2]["occurrenceId"] == f"OID.{master['id']}.2026-11-03"
    assert len({i["id"] for i in items}) == 10 and master["id"] not in {i["id"] for i in items}
    # /events lists the series master, not its occurrences
    listed = graph.get(f"{sandbox.graph_endpoint}/me/events").json()["value"]
    assert [e["id"] for e in listed] == [master["id"]]


def test_an_occurrence_patched_becomes_an_exception_and_a_deleted_one_is_absent(sandbox, graph, view):  # noqa: F811
    master = graph.post(f"{sandbox.graph_endpoint}/me/events", json=SERIES).json()
    items = view()
    moved, doomed = items[3], items[4]
    got = graph.get(f"{sandbox.graph_endpoint}/me/events/{moved['id']}")
    assert got.status_code == 200 and got.json()["type"] == "occurrence"
    patched = graph.patch(f"{sandbox.graph_endpoint}/me/events/{moved['id']}", headers={
        "If-Match": got.json()["@odata.etag"], **PREFER_UTC}, json={
        "subject": "Huddle (moved)", "start": {"dateTime": "2026-11-11T14:00:00", "timeZone": "Central Standard Time"},
        "end": {"dateTime": "2026-11-11T14:30:00", "timeZone": "Central Standard Time"}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["type"] == "exception" and patched.json()["id"] == moved["id"]
    assert graph.delete(f"{sandbox.graph_endpoint}/me/events/{doomed['id']}").status_code == 204
    assert graph.get(f"{sandbox.graph_endpoint}/me/events/{doomed['id']}").status_code == 404

    after = {i["id"]: i for i in view()}
    assert len(after) == 9 and doomed["id"] not in after
    exception = after[moved["id"]]
    assert exception["type"] == "exception" and exception["seriesMasterId"] == master["id"]
    assert utc(exception["start"]) == datetime(2026, 11, 11, 20, tzinfo=timezone.utc)
    assert exception["originalStart"] == "2026-11-10T16:00:00Z"


def test_delta_reports_occurrences_and_removals(sandbox, graph):  # noqa: F811
    master = sandbox.seed_event(None, SERIES)
    url = f"{sandbox.graph_endpoint}/me/calendarView/delta"
    headers = {"Prefer": 'outlook.timezone="UTC", odata.maxpagesize=50'}
    first = graph.get(url, params={k: v for k, v in WINDOW.items() if k != "$top"}, headers=headers).json()
    assert len(first["value"]) == 10 and {i["type"] for i in first["value"]} == {"occurrence"}
    occurrence_ids = [i["id"] for i in first["value"]]

    sandbox.edit_event(None, occurrence_ids[0], {"subject": "First huddle"})
    sandbox.remove_event(None, occurrence_ids[1])
    second = graph.get(first["@odata.deltaLink"], headers=headers).json()
    assert [(i["id"], i.get("subject"), "@removed" in i) for i in second["value"]] == [
        (occurrence_ids[0], "First huddle", False), (occurrence_ids[1], None, True)]
    exception = second["value"][0]
    assert (exception["type"], exception["seriesMasterId"]) == ("exception", master["id"])

    sandbox.remove_event(None, master["id"])
    third = graph.get(second["@odata.deltaLink"], headers=headers).json()
    removed = {i["id"] for i in third["value"] if "@removed" in i}
    assert removed == set(occurrence_ids) - {occurrence_ids[1]}
    assert graph.get(f"{sandbox.graph_endpoint}/me/events/{occurrence_ids[0]}").status_code == 404


def test_a_relative_monthly_pattern_with_an_end_date(sandbox, view):
    sandbox.seed_event(None, {
        "subject": "Monthly review", "start": {"dateTime": "2026-10-01T09:00:00", "timeZone": "America/Chicago"},
        "end": {"dateTime": "2026-10-01T10:00:00", "timeZone": "America/Chicago"},
        "recurrence": {"pattern": {"type": "relativeMonthly", "daysOfWeek": ["thursday"], "index": "first"},
                       "range": {"type": "endDate", "startDate": "2026-10-01", "endDate": "2026-12-31"}}})
    starts = [utc(i["start"]) for i in view(startDateTime="2026-09-01T00:00:00Z")]
    assert starts == [datetime(2026, 10, 1, 14, tzinfo=timezone.utc), datetime(2026, 11, 5, 15, tzinfo=timezone.utc),
                      datetime(2026, 12, 3, 15, tzinfo=timezone.utc)]


def test_a_bad_pattern_is_refused(sandbox, graph):  # noqa: F811
    bad = {**SERIES, "recurrence": {"pattern": {"type": "weekly"}, "range": {"type": "noEnd"}}}
    answer = graph.post(f"{sandbox.graph_endpoint}/me/events", json=bad)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "ErrorInvalidRequest"


def test_all_day_and_free_events_come_back_as_given(sandbox, view):
    sandbox.seed_event(None, {"subject": "Office closed", "isAllDay": True,
                              "start": {"dateTime": "2026-11-26T00:00:00", "timeZone": "Central Standard Time"},
                              "end": {"dateTime": "2026-11-27T00:00:00", "timeZone": "Central Standard Time"}})
    sandbox.seed_event(None, {"subject": "Lunch", "showAs": "free",
                              "start": {"dateTime": "2026-11-25T18:00:00", "timeZone": "UTC"},
                              "end": {"dateTime": "2026-11-25T19:00:00", "timeZone": "UTC"}})
    items = {i["subject"]: i for i in view()}
    assert items["Office closed"]["isAllDay"] is True
    assert items["Office closed"]["start"] == {"dateTime": "2026-11-26T00:00:00.0000000", "timeZone": "UTC"}
    assert items["Lunch"]["showAs"] == "free"


def test_an_all_day_series_repeats_its_dates(sandbox, view):
    sandbox.seed_event(None, {
        "subject": "On call", "isAllDay": True,
        "start": {"dateTime": "2026-11-02T00:00:00", "timeZone": "Central Standard Time"},
        "end": {"dateTime": "2026-11-03T00:00:00", "timeZone": "Central Standard Time"},
        "recurrence": {"pattern": {"type": "daily", "interval": 2}, "range": {"type": "numbered",
                                                                              "numberOfOccurrences": 3}}})
    days = [(i["start"]["dateTime"][:10], i["end"]["dateTime"][:10], i["isAllDay"]) for i in view()]
    assert days == [("2026-11-02", "2026-11-03", True), ("2026-11-04", "2026-11-05", True),
                    ("2026-11-06", "2026-11-07", True)]
