"""The Google sandbox on the wire: what a client sees, in Google's shapes (plain HTTP, no client library)."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httplib2
import httplib2.auth
import pytest
import requests

from receptionist_sandbox.faults import Fault
from receptionist_sandbox.google import DEFAULT_ACCOUNT, GoogleSandbox

EVENT = {
    "summary": "Cleaning",
    "start": {"dateTime": "2025-01-15T14:00:00Z", "timeZone": "America/Chicago"},
    "end": {"dateTime": "2025-01-15T14:30:00Z", "timeZone": "America/Chicago"},
}


@pytest.fixture
def sandbox(google_sandbox):
    return google_sandbox


@pytest.fixture
def api(google_api):
    return google_api


def reason_of(response) -> str:
    body = response.json()["error"]
    assert body["code"] == response.status_code and body["message"]
    return body["errors"][0]["reason"]


# ---------------------------------------------------------------------------------------------- auth


def test_missing_token_is_401_with_a_header_httplib2_parses(sandbox):
    response, content = httplib2.Http(timeout=5).request(sandbox.api_endpoint + "users/me/calendarList")
    assert response.status == 401
    challenge = httplib2.auth._parse_www_authenticate(response, "www-authenticate")
    assert challenge == {"bearer": {"realm": "https://accounts.google.com/"}}
    assert b'"reason": "required"' in content


def test_unknown_and_expired_tokens_are_invalid_credentials(sandbox, api):
    assert api.get(api.base, timeout=5).status_code == 200
    sandbox.expire_access_tokens()
    expired = api.get(api.base, timeout=5)
    assert expired.status_code == 401 and reason_of(expired) == "authError"
    parsed = httplib2.auth._parse_www_authenticate(expired.headers, "www-authenticate")
    assert parsed["bearer"]["error"] == "invalid_token"
    bogus = requests.get(api.base, headers={"Authorization": "Bearer nope"}, timeout=5)
    assert bogus.status_code == 401


def test_token_lifetime_follows_the_sandbox_clock():
    clock = {"now": datetime(2025, 1, 1, tzinfo=timezone.utc)}
    sandbox = GoogleSandbox(now=lambda: clock["now"]).start()
    try:
        _check_token_lifetime(sandbox, clock)
    finally:
        sandbox.stop()


def _check_token_lifetime(sandbox, clock):
    token = requests.post(sandbox.token_uri, data={
        "grant_type": "refresh_token", "refresh_token": sandbox.issue_refresh_token(),
        "client_id": sandbox.client_id, "client_secret": sandbox.client_secret}, timeout=5).json()
    assert token["expires_in"] == 3600 and token["token_type"] == "Bearer" and token["scope"]
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert requests.get(sandbox.api_endpoint + "users/me/calendarList", headers=headers, timeout=5).ok
    clock["now"] += timedelta(seconds=3601)
    assert requests.get(sandbox.api_endpoint + "users/me/calendarList", headers=headers, timeout=5).status_code == 401


def test_refresh_grant_checks_client_and_token(sandbox):
    refresh = sandbox.issue_refresh_token()
    wrong_client = requests.post(sandbox.token_uri, data={
        "grant_type": "refresh_token", "refresh_token": refresh, "client_id": sandbox.client_id,
        "client_secret": "wrong"}, timeout=5)
    assert wrong_client.status_code == 401 and wrong_client.json()["error"] == "invalid_client"
    sandbox.revoke_refresh_token(refresh)
    revoked = requests.post(sandbox.token_uri, data={
        "grant_type": "refresh_token", "refresh_token": refresh, "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret}, timeout=5)
    assert revoked.status_code == 400 and revoked.json()["error"] == "invalid_grant"


def _authorize(sandbox, challenge: str, redirect_uri: str = "http://127.0.0.1:9/", **extra) -> str:
    response = requests.get(sandbox.auth_uri, params={
        "response_type": "code", "client_id": sandbox.client_id, "redirect_uri": redirect_uri,
        "scope": "https://www.googleapis.com/auth/calendar", "state": "xyz", "code_challenge": challenge,
        "code_challenge_method": "S256", **extra}, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect_uri
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def test_authorization_code_grant_with_pkce(sandbox):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    code = _authorize(sandbox, challenge, login_hint="frontdesk@demo.example")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:9/",
            "client_id": sandbox.client_id, "client_secret": sandbox.client_secret}
    bad = requests.post(sandbox.token_uri, data={**form, "code_verifier": "w" * 50}, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    moved = requests.post(sandbox.token_uri, data={**form, "code_verifier": verifier,
                                                   "redirect_uri": "http://127.0.0.1:10/"}, timeout=5)
    assert moved.status_code == 400 and moved.json()["error"] == "redirect_uri_mismatch"
    good = requests.post(sandbox.token_uri, data={**form, "code_verifier": verifier}, timeout=5)
    assert good.status_code == 200
    body = good.json()
    assert body["refresh_token"] in sandbox.refresh_tokens("frontdesk@demo.example")
    calendars = requests.get(sandbox.api_endpoint + "users/me/calendarList",
                             headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=5).json()
    assert [c["id"] for c in calendars["items"]] == ["frontdesk@demo.example"]
    replay = requests.post(sandbox.token_uri, data={**form, "code_verifier": verifier}, timeout=5)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"  # codes are single-use


def test_authorize_refuses_non_loopback_redirect(sandbox):
    response = requests.get(sandbox.auth_uri, params={
        "response_type": "code", "client_id": sandbox.client_id, "redirect_uri": "https://evil.example/cb"},
        allow_redirects=False, timeout=5)
    assert response.status_code == 400


# ---------------------------------------------------------------------------------------------- events


def test_insert_answers_in_the_calendar_zone(api):
    event = api.post(api.base, json={**EVENT, "id": "abc123def456"}, timeout=5).json()
    assert event["id"] == "abc123def456"
    assert event["start"] == {"dateTime": "2025-01-15T08:00:00-06:00", "timeZone": "America/Chicago"}
    assert event["status"] == "confirmed" and event["sequence"] == 0
    assert event["etag"].startswith('"') and event["iCalUID"] == "abc123def456@google.com"
    assert event["organizer"] == {"email": DEFAULT_ACCOUNT, "self": True}
    assert event["created"].endswith("Z") and event["htmlLink"]


def test_insert_validation(api):
    no_end = api.post(api.base, json={"summary": "x", "start": EVENT["start"]}, timeout=5)
    assert no_end.status_code == 400 and reason_of(no_end) == "required"
    backwards = api.post(api.base, json={**EVENT, "start": EVENT["end"], "end": EVENT["start"]}, timeout=5)
    assert backwards.status_code == 400 and reason_of(backwards) == "timeRangeEmpty"
    bad_id = api.post(api.base, json={**EVENT, "id": "Has-Upper_and_dash"}, timeout=5)
    assert bad_id.status_code == 400 and reason_of(bad_id) == "invalid"
    short_id = api.post(api.base, json={**EVENT, "id": "abcd"}, timeout=5)
    assert short_id.status_code == 400
    floating = api.post(api.base, json={**EVENT, "start": {"dateTime": "2025-01-15T08:00:00"}}, timeout=5)
    assert floating.status_code == 400


def test_duplicate_id_is_409_even_after_delete(api):
    first = api.post(api.base, json={**EVENT, "id": "dupe00001"}, timeout=5)
    assert first.status_code == 200
    again = api.post(api.base, json={**EVENT, "id": "dupe00001"}, timeout=5)
    assert again.status_code == 409 and reason_of(again) == "duplicate"
    assert api.delete(f"{api.base}/dupe00001", timeout=5).status_code == 204
    assert api.post(api.base, json={**EVENT, "id": "dupe00001"}, timeout=5).status_code == 409


def test_delete_marks_cancelled_like_google(sandbox, api):
    api.post(api.base, json={**EVENT, "id": "gone00001"}, timeout=5)
    assert api.delete(f"{api.base}/gone00001", timeout=5).status_code == 204
    fetched = api.get(f"{api.base}/gone00001", timeout=5)
    assert fetched.status_code == 200 and fetched.json()["status"] == "cancelled"
    twice = api.delete(f"{api.base}/gone00001", timeout=5)
    assert twice.status_code == 410 and reason_of(twice) == "deleted"
    assert api.get(api.base, timeout=5).json()["items"] == []
    shown = api.get(api.base, params={"showDeleted": "true"}, timeout=5).json()["items"]
    assert [e["status"] for e in shown] == ["cancelled"]
    assert sandbox.events(DEFAULT_ACCOUNT, "primary") == []
    assert len(sandbox.events(DEFAULT_ACCOUNT, "primary", include_cancelled=True)) == 1
    missing = api.get(f"{api.base}/neverexisted", timeout=5)
    assert missing.status_code == 404 and reason_of(missing) == "notFound"


def test_etags_if_match_and_sequence(api):
    created = api.post(api.base, json={**EVENT, "id": "etag00001"}, timeout=5).json()
    url = f"{api.base}/etag00001"
    assert api.get(url, timeout=5).headers["ETag"] == created["etag"]
    patched = api.patch(url, json={"summary": "Renamed"}, headers={"If-Match": created["etag"]}, timeout=5)
    assert patched.status_code == 200
    patched = patched.json()
    assert patched["etag"] != created["etag"] and patched["sequence"] == 0
    assert patched["start"] == created["start"]  # a patch keeps what it does not name
    stale = api.patch(url, json={"summary": "Lost update"}, headers={"If-Match": created["etag"]}, timeout=5)
    assert stale.status_code == 412 and reason_of(stale) == "conditionNotMet"
    stale_delete = api.delete(url, headers={"If-Match": created["etag"]}, timeout=5)
    assert stale_delete.status_code == 412
    moved = api.put(url, json={**EVENT, "summary": "Moved",
                               "end": {"dateTime": "2025-01-15T15:00:00Z", "timeZone": "America/Chicago"}},
                    headers={"If-Match": patched["etag"]}, timeout=5).json()
    assert moved["sequence"] == 1 and moved["summary"] == "Moved"
    assert moved["created"] == created["created"] and moved["id"] == "etag00001"


def test_patch_merges_private_extended_properties(api):
    api.post(api.base, json={**EVENT, "id": "props0001", "extendedProperties": {
        "private": {"receptionist_uid": "abc", "other": "1"}}}, timeout=5)
    patched = api.patch(f"{api.base}/props0001", json={"extendedProperties": {"private": {"other": "2"}}},
                        timeout=5).json()
    assert patched["extendedProperties"]["private"] == {"receptionist_uid": "abc", "other": "2"}
    found = api.get(api.base, params={"privateExtendedProperty": "receptionist_uid=abc"}, timeout=5).json()
    assert [e["id"] for e in found["items"]] == ["props0001"]
    none = api.get(api.base, params={"privateExtendedProperty": "receptionist_uid=zzz"}, timeout=5).json()
    assert none["items"] == []


def test_list_window_order_paging_and_sync_token(api):
    for day in (3, 1, 2, 9):
        api.post(api.base, json={
            "summary": f"day {day}",
            "start": {"dateTime": f"2025-02-0{day}T15:00:00Z"}, "end": {"dateTime": f"2025-02-0{day}T16:00:00Z"}},
            timeout=5)
    params = {"timeMin": "2025-02-01T00:00:00Z", "timeMax": "2025-02-05T00:00:00Z", "singleEvents": "true",
              "orderBy": "startTime", "maxResults": 2}
    first = api.get(api.base, params=params, timeout=5).json()
    assert [e["summary"] for e in first["items"]] == ["day 1", "day 2"]
    assert "nextSyncToken" not in first and first["timeZone"] == "America/Chicago"
    second = api.get(api.base, params={**params, "pageToken": first["nextPageToken"]}, timeout=5).json()
    assert [e["summary"] for e in second["items"]] == ["day 3"] and "nextPageToken" not in second
    token = second["nextSyncToken"]

    quiet = api.get(api.base, params={"syncToken": token}, timeout=5).json()
    assert quiet["items"] == [] and quiet["nextSyncToken"]
    victim = first["items"][0]["id"]
    api.delete(f"{api.base}/{victim}", timeout=5)
    changes = api.get(api.base, params={"syncToken": token}, timeout=5).json()
    assert changes["items"] == [{"kind": "calendar#event", "etag": changes["items"][0]["etag"], "id": victim,
                                 "status": "cancelled", "updated": changes["items"][0]["updated"]}]

    mixed = api.get(api.base, params={"syncToken": token, "timeMin": "2025-02-01T00:00:00Z"}, timeout=5)
    assert mixed.status_code == 400
    unordered = api.get(api.base, params={"orderBy": "startTime"}, timeout=5)
    assert unordered.status_code == 400
    empty = api.get(api.base, params={"timeMin": "2025-02-05T00:00:00Z", "timeMax": "2025-02-01T00:00:00Z"},
                    timeout=5)
    assert empty.status_code == 400 and reason_of(empty) == "timeRangeEmpty"


def test_bad_or_invalidated_sync_token_is_410_full_sync_required(sandbox, api):
    token = api.get(api.base, timeout=5).json()["nextSyncToken"]
    assert api.get(api.base, params={"syncToken": token}, timeout=5).status_code == 200
    sandbox.invalidate_sync_tokens()
    expired = api.get(api.base, params={"syncToken": token}, timeout=5)
    assert expired.status_code == 410 and reason_of(expired) == "fullSyncRequired"
    garbage = api.get(api.base, params={"syncToken": "garbage"}, timeout=5)
    assert garbage.status_code == 410


def test_other_accounts_calendars_are_invisible(sandbox, api):
    sandbox.add_calendar("someone@else.example", "private@group.calendar.google.com", "Private", "UTC")
    hidden = api.get(sandbox.api_endpoint + "calendars/private@group.calendar.google.com/events", timeout=5)
    assert hidden.status_code == 404


def test_all_day_event_uses_date_and_the_calendar_day(sandbox, api):
    seeded = sandbox.seed_event(DEFAULT_ACCOUNT, "primary", {
        "summary": "Holiday", "start": {"date": "2025-07-04"}, "end": {"date": "2025-07-05"}})
    assert seeded["start"] == {"date": "2025-07-04"} and seeded["end"] == {"date": "2025-07-05"}
    # 02:00Z on the 5th is still the 4th in Chicago (-05:00 in July): the holiday overlaps that hour
    late = api.get(api.base, params={"timeMin": "2025-07-05T02:00:00Z", "timeMax": "2025-07-05T03:00:00Z"},
                   timeout=5).json()["items"]
    assert [e["summary"] for e in late] == ["Holiday"]
    after = api.get(api.base, params={"timeMin": "2025-07-05T05:00:00Z", "timeMax": "2025-07-05T06:00:00Z"},
                    timeout=5).json()["items"]
    assert after == []


# ---------------------------------------------------------------------------------------------- faults


def test_faults_answer_in_google_shape_with_retry_after(sandbox, api):
    sandbox.faults.add(Fault(status=429, retry_after=3), path=r"/events$", times=1)
    limited = api.get(api.base, timeout=5)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert reason_of(limited) == "rateLimitExceeded"
    assert api.get(api.base, timeout=5).status_code == 200  # one-shot


def test_faults_can_be_set_over_http(sandbox, api):
    control = requests.post(sandbox.url + "/_sandbox/faults", json={"status": 503, "path": "/events$", "times": 2},
                            timeout=5)
    assert control.status_code == 200 and control.json()[0]["remaining"] == 2
    assert [api.get(api.base, timeout=5).status_code for _ in range(3)] == [503, 503, 200]


def test_drop_after_store_keeps_the_write(sandbox, api):
    sandbox.faults.add(Fault(status=503, drop_after_store=True), method="POST", path=r"/events$")
    lost = api.post(api.base, json={**EVENT, "id": "stored001"}, timeout=5)
    assert lost.status_code == 503 and lost.content == b""
    assert [e["id"] for e in sandbox.events(DEFAULT_ACCOUNT, "primary")] == ["stored001"]


def test_delay_fault_slows_the_answer(sandbox, api):
    sandbox.faults.add(Fault(status=503, delay=0.5), path=r"/events$")
    with pytest.raises(requests.Timeout):
        api.get(api.base, timeout=0.2)
