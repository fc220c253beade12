"""The Google stand-in answers in Google's own shapes: every response body is checked against the Calendar v3
discovery document that ships with google-api-python-client (the schema Google publishes for this API), so the
sandbox cannot invent a field, give one the wrong type, or write a date-time that is not RFC 3339."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import googleapiclient
import pytest
import requests

from receptionist_sandbox.google import GoogleSandbox

DISCOVERY = json.loads((Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" /
                        "calendar.v3.json").read_text())
SCHEMAS = DISCOVERY["schemas"]
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def violations(value, schema: dict, path: str = "$") -> list[str]:
    """Where ``value`` breaks a discovery-document schema (properties, types, formats, $ref)."""
    if "$ref" in schema:
        return violations(value, SCHEMAS[schema["$ref"]], path)
    kind = schema.get("type")
    problems: list[str] = []
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: expected object, got {type(value).__name__}"]
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                problems += violations(item, props[key], f"{path}.{key}")
            elif extra is not None:
                problems += violations(item, extra, f"{path}.{key}")
            else:
                problems.append(f"{path}.{key}: not a field of {schema.get('id', 'this object')}")
    elif kind == "array":
        if not isinstance(value, list):
            return [f"{path}: expected array"]
        for i, item in enumerate(value):
            problems += violations(item, schema["items"], f"{path}[{i}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected string, got {value!r}"]
        fmt = schema.get("format")
        if fmt == "date-time" and not RFC3339.match(value):
            problems.append(f"{path}: {value!r} is not RFC 3339")
        if fmt == "date":
            date.fromisoformat(value)
        if fmt in ("int64", "uint64") and not value.lstrip("-").isdigit():
            problems.append(f"{path}: {value!r} is not an integer string")
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{path}: {value!r} not in {schema['enum']}")
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected integer, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected boolean, got {value!r}")
    return problems


def response_schema(resource: str, method: str) -> dict:
    return DISCOVERY["resources"][resource]["methods"][method]["response"]


@pytest.fixture(scope="module")
def api():
    sandbox = GoogleSandbox().start()
    token = requests.post(sandbox.token_uri, data={
        "grant_type": "refresh_token", "refresh_token": sandbox.issue_refresh_token(),
        "client_id": sandbox.client_id, "client_secret": sandbox.client_secret}, timeout=5).json()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    yield sandbox, session, sandbox.api_endpoint.rstrip("/")
    sandbox.stop()


def check(response: requests.Response, resource: str, method: str) -> dict:
    body = response.json()
    assert response.ok, body
    assert violations(body, response_schema(resource, method)) == []
    return body


def test_event_lifecycle_bodies_match_the_published_schema(api):
    sandbox, http, base = api
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)
    new = {"id": "a" * 32, "summary": "Teeth cleaning — Maria Lopez", "description": "Callback (312) 555-0142",
           "location": "Demo Dental", "transparency": "opaque",
           "start": {"dateTime": start.isoformat(), "timeZone": "America/Chicago"},
           "end": {"dateTime": (start + timedelta(minutes=45)).isoformat(), "timeZone": "America/Chicago"},
           "extendedProperties": {"private": {"receptionist_uid": "a" * 32}}}
    created = check(http.post(f"{base}/calendars/primary/events", json=new), "events", "insert")
    check(http.get(f"{base}/calendars/primary/events/{created['id']}"), "events", "get")
    check(http.patch(f"{base}/calendars/primary/events/{created['id']}", json={"summary": "Moved"}),
          "events", "patch")
    listing = check(http.get(f"{base}/calendars/primary/events", params={
        "timeMin": (start - timedelta(days=1)).isoformat(), "timeMax": (start + timedelta(days=2)).isoformat(),
        "singleEvents": "true", "maxResults": 10}), "events", "list")
    assert listing["kind"] == "calendar#events" and listing["items"]
    assert http.delete(f"{base}/calendars/primary/events/{created['id']}").status_code == 204
    changes = check(http.get(f"{base}/calendars/primary/events",
                             params={"syncToken": listing["nextSyncToken"]}), "events", "list")
    assert [item["status"] for item in changes["items"]] == ["cancelled"]


def test_all_day_and_calendar_list_bodies_match(api):
    sandbox, http, base = api
    day = date.today() + timedelta(days=3)
    check(http.post(f"{base}/calendars/primary/events", json={
        "summary": "On call — Dr. Patel", "start": {"date": day.isoformat()},
        "end": {"date": (day + timedelta(days=1)).isoformat()}, "transparency": "transparent"}), "events", "insert")
    check(http.get(f"{base}/users/me/calendarList"), "calendarList", "list")
    check(http.get(f"{base}/calendars/primary"), "calendars", "get")


def test_recurring_series_bodies_match(api):
    sandbox, http, base = api
    events = f"{base}/calendars/primary/events"
    series = check(http.post(events, json={
        "summary": "Weekly huddle",
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4", "EXDATE;TZID=America/Chicago:20261103T100000"],
        "start": {"dateTime": "2026-10-27T10:00:00", "timeZone": "America/Chicago"},
        "end": {"dateTime": "2026-10-27T10:30:00", "timeZone": "America/Chicago"}}), "events", "insert")
    window = {"timeMin": "2026-10-26T00:00:00Z", "timeMax": "2026-12-01T00:00:00Z"}
    listing = check(http.get(events, params={**window, "singleEvents": "true"}), "events", "list")
    instance = listing["items"][1]
    assert instance["recurringEventId"] == series["id"] and "originalStartTime" in instance
    check(http.patch(f"{events}/{instance['id']}", json={"summary": "Huddle (moved)"}), "events", "patch")
    assert http.delete(f"{events}/{listing['items'][2]['id']}").status_code == 204
    check(http.get(events, params={**window, "singleEvents": "true", "showDeleted": "true"}), "events", "list")
    check(http.get(events, params=window), "events", "list")
    changes = check(http.get(events, params={"syncToken": listing["nextSyncToken"], "singleEvents": "true"}),
                    "events", "list")
    assert {i["status"] for i in changes["items"]} == {"confirmed", "cancelled"}


def test_error_bodies_have_googles_error_shape(api):
    sandbox, http, base = api
    missing = http.get(f"{base}/calendars/primary/events/doesnotexist1")
    assert missing.status_code == 404
    error = missing.json()["error"]
    assert error["code"] == 404 and error["errors"][0]["reason"] == "notFound" and error["message"]
    unauthorised = requests.get(f"{base}/users/me/calendarList", timeout=5)
    assert unauthorised.status_code == 401 and unauthorised.json()["error"]["status"] == "UNAUTHENTICATED"


def test_the_checker_catches_what_it_should():
    event = {"kind": "calendar#event", "summary": 5, "inventedField": 1,
             "start": {"dateTime": "2026-11-24 10:30"}, "attendees": [{"email": "a@b", "optional": "yes"}]}
    found = violations(event, {"$ref": "Event"})
    assert "$.summary: expected string, got 5" in found
    assert "$.inventedField: not a field of Event" in found
    assert "$.start.dateTime: '2026-11-24 10:30' is not RFC 3339" in found
    assert "$.attendees[0].optional: expected boolean, got 'yes'" in found
