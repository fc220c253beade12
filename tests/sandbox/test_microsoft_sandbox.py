"""The Microsoft identity + Graph stand-in, at the wire: what it answers must look like what the real services
answer, because the product's client code (msal, our Graph client) is what talks to it."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import msal
import pytest
import requests

from receptionist_sandbox.faults import Fault
from receptionist_sandbox.microsoft import MicrosoftSandbox, html_to_text, text_to_html

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPE = "Calendars.ReadWrite User.Read offline_access openid profile"
UID_PROP = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name receptionist.uid"


@pytest.fixture
def sandbox():
    with MicrosoftSandbox(device_code_interval=0) as sb:
        yield sb


@pytest.fixture
def http(sandbox) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(sandbox.cert_path)
    return session


def b64json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def sign_in(sandbox, http, scope: str = SCOPE) -> dict:
    """The device code flow by hand: start, one pending poll, then tokens."""
    start = http.post(f"{sandbox.authority}/oauth2/v2.0/devicecode",
                      data={"client_id": sandbox.client_id, "scope": scope}).json()
    poll = {"client_id": sandbox.client_id, "grant_type": DEVICE_GRANT, "device_code": start["device_code"],
            "client_info": "1"}
    pending = http.post(f"{sandbox.authority}/oauth2/v2.0/token", data=poll)
    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"
    done = http.post(f"{sandbox.authority}/oauth2/v2.0/token", data=poll)
    assert done.status_code == 200, done.text
    return done.json()


@pytest.fixture
def graph(sandbox, http) -> requests.Session:
    http.headers["Authorization"] = f"Bearer {sign_in(sandbox, http)['access_token']}"
    return http


def seed(sandbox, subject="Staff meeting", start="2026-11-23T15:00:00", end="2026-11-23T16:00:00", **extra):
    return sandbox.seed_event(None, {"subject": subject, "start": {"dateTime": start, "timeZone": "UTC"},
                                     "end": {"dateTime": end, "timeZone": "UTC"}, **extra})


WINDOW = {"startDateTime": "2026-11-22T00:00:00Z", "endDateTime": "2026-11-30T00:00:00Z"}


# ----------------------------------------------------------------------------------------------- identity
def test_openid_configuration_points_every_endpoint_at_the_tls_stand_in(sandbox, http):
    config = http.get(f"{sandbox.authority}/v2.0/.well-known/openid-configuration").json()

    for key in ("authorization_endpoint", "token_endpoint", "device_authorization_endpoint", "jwks_uri"):
        assert config[key].startswith(f"{sandbox.authority}/"), key
    assert config["issuer"] == f"{sandbox.url}/{sandbox.tenant_id}/v2.0"
    assert "form_post" in config["response_modes_supported"]


def test_unknown_tenant_is_refused_like_aad(sandbox, http):
    answer = http.get(f"{sandbox.url}/no-such-tenant/v2.0/.well-known/openid-configuration")

    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "invalid_tenant" and body["error_codes"] == [90002]
    assert body["error_description"].startswith("AADSTS90002:")


def test_token_response_has_what_msal_needs(sandbox, http):
    tokens = sign_in(sandbox, http)

    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert set(tokens["scope"].split()) == {"Calendars.ReadWrite", "User.Read", "openid", "profile"}
    assert tokens["refresh_token"]
    claims = b64json(tokens["id_token"].split(".")[1])
    assert claims["aud"] == sandbox.client_id and claims["tid"] == sandbox.tenant_id
    assert claims["preferred_username"] == "frontdesk@demo.example" and claims["exp"] > claims["iat"]
    assert b64json(tokens["client_info"]) == {"uid": claims["oid"], "utid": sandbox.tenant_id}


def test_real_msal_signs_in_and_refreshes_against_the_stand_in(sandbox):
    session = requests.Session()
    session.trust_env = False
    session.verify = str(sandbox.cert_path)
    app = msal.PublicClientApplication(sandbox.client_id, authority=sandbox.authority, http_client=session,
                                       instance_discovery=False)
    flow = app.initiate_device_flow(scopes=["Calendars.ReadWrite", "User.Read"])
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    [account] = app.get_accounts()
    assert account["username"] == "frontdesk@demo.example"

    refreshed = app.acquire_token_silent(["Calendars.ReadWrite"], account, force_refresh=True)

    assert refreshed["access_token"] != result["access_token"]


def test_device_code_waits_for_a_person_when_not_auto_approved(sandbox, http):
    sandbox.approve_device_codes = False
    start = http.post(f"{sandbox.authority}/oauth2/v2.0/devicecode",
                      data={"client_id": sandbox.client_id, "scope": SCOPE}).json()
    poll = {"client_id": sandbox.client_id, "grant_type": DEVICE_GRANT, "device_code": start["device_code"]}
    for _ in range(3):
        assert http.post(f"{sandbox.authority}/oauth2/v2.0/token", data=poll).json()["error"] == \
            "authorization_pending"

    page = http.post(start["verification_uri"], data={"otc": start["user_code"]})

    assert page.status_code == 200
    assert "access_token" in http.post(f"{sandbox.authority}/oauth2/v2.0/token", data=poll).json()
    again = http.post(f"{sandbox.authority}/oauth2/v2.0/token", data=poll).json()
    assert again["error"] == "bad_verification_code"  # a device code is redeemed once


def _authorize(sandbox, http, verifier="v" * 43, **overrides):
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {"client_id": sandbox.client_id, "response_type": "code", "redirect_uri": "http://localhost:5555",
              "scope": SCOPE, "state": "s1", "code_challenge": challenge, "code_challenge_method": "S256",
              "nonce": "n1", **overrides}
    return http.get(f"{sandbox.authority}/oauth2/v2.0/authorize", params=params, allow_redirects=False)


def _redeem(sandbox, http, code, verifier="v" * 43, redirect_uri="http://localhost:5555"):
    return http.post(f"{sandbox.authority}/oauth2/v2.0/token", data={
        "client_id": sandbox.client_id, "grant_type": "authorization_code", "code": code,
        "redirect_uri": redirect_uri, "code_verifier": verifier, "scope": SCOPE})


def test_authorize_redirects_with_code_and_state_and_verifies_pkce(sandbox, http):
    answer = _authorize(sandbox, http)

    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert (location.hostname, location.port) == ("localhost", 5555)
    query = parse_qs(location.query)
    assert query["state"] == ["s1"]
    wrong = _redeem(sandbox, http, query["code"][0], verifier="w" * 43)
    assert wrong.status_code == 400 and wrong.json()["error_codes"] == [501481]

    code = parse_qs(urlsplit(_authorize(sandbox, http).headers["Location"]).query)["code"][0]
    tokens = _redeem(sandbox, http, code).json()
    assert b64json(tokens["id_token"].split(".")[1])["nonce"] == "n1"
    replay = _redeem(sandbox, http, code)
    assert replay.json()["error"] == "invalid_grant" and replay.json()["error_codes"] == [54005]


def test_authorize_form_post_and_redirect_checks(sandbox, http):
    page = _authorize(sandbox, http, response_mode="form_post")
    assert page.status_code == 200
    assert 'action="http://localhost:5555"' in page.text and 'name="code"' in page.text

    assert _authorize(sandbox, http, redirect_uri="https://evil.example/cb").status_code == 400
    code = parse_qs(urlsplit(_authorize(sandbox, http).headers["Location"]).query)["code"][0]
    mismatch = _redeem(sandbox, http, code, redirect_uri="http://localhost:6666")
    assert mismatch.json()["error"] == "invalid_grant"


def test_revoked_refresh_token_is_invalid_grant(sandbox, http):
    tokens = sign_in(sandbox, http)
    sandbox.revoke_refresh_tokens()

    answer = http.post(f"{sandbox.authority}/oauth2/v2.0/token", data={
        "client_id": sandbox.client_id, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "scope": SCOPE})

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant" and answer.json()["error_codes"] == [50173]


# ---------------------------------------------------------------------------------------------------- graph
def test_graph_refuses_missing_and_expired_tokens_with_www_authenticate(sandbox, http, graph):
    bare = http.get(f"{sandbox.graph_endpoint}/me", headers={"Authorization": ""})
    assert bare.status_code == 401 and "WWW-Authenticate" in bare.headers
    assert bare.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert graph.get(f"{sandbox.graph_endpoint}/me").status_code == 200

    sandbox.expire_access_tokens()

    expired = graph.get(f"{sandbox.graph_endpoint}/me")
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_read_only_token_cannot_write(sandbox, http):
    token = sign_in(sandbox, http, scope="Calendars.Read offline_access openid profile")["access_token"]

    answer = http.post(f"{sandbox.graph_endpoint}/me/calendar/events", headers={"Authorization": f"Bearer {token}"},
                       json={"subject": "x", "start": {"dateTime": "2026-11-23T15:00:00", "timeZone": "UTC"},
                             "end": {"dateTime": "2026-11-23T16:00:00", "timeZone": "UTC"}})

    assert answer.status_code == 403 and answer.json()["error"]["code"] == "ErrorAccessDenied"


def test_times_default_to_utc_with_seven_digits_and_follow_prefer_timezone(sandbox, graph):
    event = seed(sandbox)
    url = f"{sandbox.graph_endpoint}/me/events/{event['id']}"

    plain = graph.get(url)
    pacific = graph.get(url, headers={"Prefer": 'outlook.timezone="Pacific Standard Time"'})

    assert plain.json()["start"] == {"dateTime": "2026-11-23T15:00:00.0000000", "timeZone": "UTC"}
    assert pacific.json()["start"] == {"dateTime": "2026-11-23T07:00:00.0000000", "timeZone": "Pacific Standard Time"}
    assert pacific.headers["Preference-Applied"] == 'outlook.timezone="Pacific Standard Time"'
    assert plain.json()["createdDateTime"].endswith("Z")


def test_bodies_are_html_unless_text_is_preferred(sandbox, graph):
    event = seed(sandbox, body={"contentType": "text", "content": "Bring x-rays & forms\nThanks"})
    url = f"{sandbox.graph_endpoint}/me/events/{event['id']}"

    as_html = graph.get(url).json()["body"]
    as_text = graph.get(url, headers={"Prefer": 'outlook.body-content-type="text"'}).json()["body"]

    assert as_html["contentType"] == "html" and "&amp;" in as_html["content"]
    assert as_text == {"contentType": "text", "content": "Bring x-rays & forms\nThanks"}
    assert html_to_text(text_to_html("a < b\nc")) == "a < b\nc"


def test_extended_properties_only_when_expanded_and_never_in_delta(sandbox, graph):
    event = seed(sandbox, singleValueExtendedProperties=[{"id": UID_PROP, "value": "abc"}])
    url = f"{sandbox.graph_endpoint}/me/calendar/events/{event['id']}"

    assert "singleValueExtendedProperties" not in graph.get(url).json()
    expanded = graph.get(url, params={"$expand": f"singleValueExtendedProperties($filter=id eq '{UID_PROP}')"})
    assert expanded.json()["singleValueExtendedProperties"] == [{"id": UID_PROP, "value": "abc"}]
    delta = graph.get(f"{sandbox.graph_endpoint}/me/calendarView/delta",
                      params={**WINDOW, "$expand": "singleValueExtendedProperties"}).json()
    assert delta["value"] and all("singleValueExtendedProperties" not in item for item in delta["value"])

    found = graph.get(f"{sandbox.graph_endpoint}/me/calendar/events", params={
        "$filter": f"singleValueExtendedProperties/Any(ep: ep/id eq '{UID_PROP}' and ep/value eq 'abc')"}).json()
    assert [e["id"] for e in found["value"]] == [event["id"]]


def test_transaction_id_makes_a_retried_post_return_the_first_event(sandbox, graph):
    body = {"subject": "Cleaning", "transactionId": "t-1",
            "start": {"dateTime": "2026-11-23T09:00:00", "timeZone": "America/Chicago"},
            "end": {"dateTime": "2026-11-23T09:30:00", "timeZone": "America/Chicago"}}

    first = graph.post(f"{sandbox.graph_endpoint}/me/calendar/events", json=body)
    second = graph.post(f"{sandbox.graph_endpoint}/me/calendar/events", json=body)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert len(sandbox.events()) == 1
    graph.delete(f"{sandbox.graph_endpoint}/me/events/{first.json()['id']}")
    gone = graph.post(f"{sandbox.graph_endpoint}/me/calendar/events", json=body)
    assert gone.status_code == 400 and gone.json()["error"]["code"] == "ErrorDuplicateTransactionId"


def test_if_match_guards_updates_and_deletes(sandbox, graph):
    event = seed(sandbox)
    url = f"{sandbox.graph_endpoint}/me/events/{event['id']}"

    ok = graph.patch(url, json={"subject": "Renamed"}, headers={"If-Match": event["@odata.etag"]})
    assert ok.status_code == 200 and ok.json()["@odata.etag"] != event["@odata.etag"]
    assert ok.json()["changeKey"] in ok.json()["@odata.etag"]

    stale = graph.patch(url, json={"subject": "Again"}, headers={"If-Match": event["@odata.etag"]})
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "ErrorIrresolvableConflict"
    assert graph.delete(url, headers={"If-Match": event["@odata.etag"]}).status_code == 412
    assert graph.delete(url, headers={"If-Match": ok.json()["@odata.etag"]}).status_code == 204
    missing = graph.get(url)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ErrorItemNotFound"


def test_calendar_view_needs_a_window_and_pages_by_ten(sandbox, graph):
    for day in range(23, 30):  # 7 events, one a day
        seed(sandbox, f"e{day}", start=f"2026-11-{day}T15:00:00", end=f"2026-11-{day}T16:00:00")
    seed(sandbox, "next month", start="2026-12-05T15:00:00", end="2026-12-05T16:00:00")
    url = f"{sandbox.graph_endpoint}/me/calendarView"

    no_window = graph.get(url)
    assert no_window.status_code == 400 and no_window.json()["error"]["code"] == "ErrorInvalidParameter"

    for i in range(5):
        seed(sandbox, f"x{i}", start=f"2026-11-24T0{i}:00:00", end=f"2026-11-24T0{i}:30:00")
    seed(sandbox, "after the window", start="2026-11-30T00:00:00", end="2026-11-30T01:00:00")
    first = graph.get(url, params=WINDOW).json()
    assert len(first["value"]) == 10 and "$skip=10" in first["@odata.nextLink"]
    rest = graph.get(first["@odata.nextLink"]).json()
    assert len(rest["value"]) == 2 and "@odata.nextLink" not in rest
    assert {e["subject"] for e in first["value"] + rest["value"]} == {*(f"e{d}" for d in range(23, 30)),
                                                                      *(f"x{i}" for i in range(5))}
    small = graph.get(url, params=WINDOW, headers={"Prefer": "odata.maxpagesize=4"})
    assert len(small.json()["value"]) == 4 and small.headers["Preference-Applied"] == "odata.maxpagesize=4"


def test_delta_rounds_skiptoken_deltatoken_removed_and_410(sandbox, graph):
    a, b, c = (seed(sandbox, name, start=f"2026-11-23T1{i}:00:00", end=f"2026-11-23T1{i}:30:00")
               for i, name in enumerate("abc"))
    url = f"{sandbox.graph_endpoint}/me/calendarView/delta"
    page = graph.get(url, params=WINDOW, headers={"Prefer": "odata.maxpagesize=2"}).json()
    assert "$skiptoken=" in page["@odata.nextLink"] and len(page["value"]) == 2
    last = graph.get(page["@odata.nextLink"], headers={"Prefer": "odata.maxpagesize=2"}).json()
    assert "$deltatoken=" in last["@odata.deltaLink"] and [e["id"] for e in last["value"]] == [c["id"]]

    sandbox.remove_event(None, b["id"])
    sandbox.edit_event(None, a["id"], {"subject": "a2"})
    changes = graph.get(last["@odata.deltaLink"]).json()

    assert changes["value"][0] == {"@odata.type": "#microsoft.graph.event", "id": b["id"],
                                   "@removed": {"reason": "deleted"}}
    assert changes["value"][1]["subject"] == "a2"
    sandbox.invalidate_delta_tokens()
    gone = graph.get(changes["@odata.deltaLink"])
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "SyncStateNotFound"
    assert graph.get(url, params={"$deltatoken": "garbage"}).status_code == 410


def test_a_delta_token_from_an_empty_calendar_still_reports_what_happens_next(sandbox, graph):
    url = f"{sandbox.graph_endpoint}/me/calendarView/delta"
    first = graph.get(url, params=WINDOW).json()
    assert first["value"] == [] and "$deltatoken=" in first["@odata.deltaLink"]
    made = seed(sandbox, "new", start="2026-11-23T10:00:00", end="2026-11-23T10:30:00")
    sandbox.remove_event(None, made["id"])
    changes = graph.get(first["@odata.deltaLink"]).json()
    assert changes["value"] == [{"@odata.type": "#microsoft.graph.event", "id": made["id"],
                                 "@removed": {"reason": "deleted"}}]


def test_faults_answer_in_the_services_shape(sandbox, graph, http):
    sandbox.faults.add(Fault(status=429, retry_after=3), method="GET", path=r"/calendarView$")
    throttled = graph.get(f"{sandbox.graph_endpoint}/me/calendarView", params=WINDOW)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
    assert throttled.json()["error"]["code"] == "ApplicationThrottled"

    control = http.post(f"{sandbox.url}/_sandbox/faults", json={"status": 503, "path": "/token$", "times": 1})
    assert control.json()[0]["status"] == 503
    busy = http.post(f"{sandbox.authority}/oauth2/v2.0/token", data={"client_id": sandbox.client_id})
    assert busy.status_code == 503 and busy.json()["error"] == "temporarily_unavailable"
    assert graph.get(f"{sandbox.graph_endpoint}/me/calendarView", params=WINDOW).status_code == 200
