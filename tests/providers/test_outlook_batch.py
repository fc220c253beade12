"""Graph JSON batching (``POST /v1.0/$batch``): the stand-in as Microsoft documents it, and the Outlook client's
``get_events`` through requests + msal against it — answers matched by id whatever their order, and a read that
fails inside a batch handled as the same read on its own would be."""

from __future__ import annotations

import pytest
import requests

from receptionist.errors import AuthError, RateLimited, TransientError
from receptionist.providers.outlook_calendar import BATCH_LIMIT
from receptionist_sandbox.faults import Fault
from tests.providers.microsoft_fixtures import T0, make_draft

CAL = "primary"


def make_events(outlook, n: int) -> list[str]:
    return [outlook.create_event(CAL, make_draft(f"{i:032d}", title=f"Visit {i}")).remote_id for i in range(n)]


def post_batch(outlook, microsoft_sandbox, body, token: str | None = None) -> requests.Response:
    token = token if token is not None else outlook._tokens.access_token()
    return requests.post(f"{microsoft_sandbox.graph_endpoint}/$batch", json=body, timeout=10,
                         verify=str(microsoft_sandbox.cert_path), headers={"Authorization": f"Bearer {token}"})


def get(request_id: str, remote_id: str, **headers) -> dict:
    item = {"id": request_id, "method": "GET", "url": f"/me/calendar/events/{remote_id}"}
    if headers:
        item["headers"] = {k.replace("_", "-"): v for k, v in headers.items()}
    return item


# --------------------------------------------------------------------------------------------- the stand-in


def test_the_stand_in_answers_each_request_by_id_and_never_in_the_order_asked(outlook, microsoft_sandbox):
    ids = make_events(outlook, 5)
    asked = [get(f"r{n}", remote_id) for n, remote_id in enumerate(ids)]
    asked.append({"id": "gone", "method": "GET", "url": "me/calendar/events/AAMkADnothere"})  # no leading slash

    answer = post_batch(outlook, microsoft_sandbox, {"requests": asked})

    assert answer.status_code == 200
    responses = answer.json()["responses"]
    assert [r["id"] for r in responses] != [r["id"] for r in asked]
    by_id = {r["id"]: r for r in responses}
    assert set(by_id) == {r["id"] for r in asked}
    for n, remote_id in enumerate(ids):
        assert by_id[f"r{n}"]["status"] == 200 and by_id[f"r{n}"]["body"]["id"] == remote_id
        assert by_id[f"r{n}"]["body"]["subject"] == f"Visit {n}"
    assert by_id["gone"]["status"] == 404 and by_id["gone"]["body"]["error"]["code"] == "ErrorItemNotFound"
    assert microsoft_sandbox.requests[-1] == ("POST", "/v1.0/$batch")  # one HTTP request


def test_a_requests_own_headers_apply_to_it_and_the_envelopes_do_not(outlook, microsoft_sandbox):
    [remote_id] = make_events(outlook, 1)
    body = {"requests": [get("text", remote_id, Prefer='outlook.body-content-type="text"'),
                         get("html", remote_id)]}

    by_id = {r["id"]: r for r in post_batch(outlook, microsoft_sandbox, body).json()["responses"]}

    assert by_id["text"]["body"]["body"]["contentType"] == "text"
    assert by_id["html"]["body"]["body"]["contentType"] == "html"
    assert by_id["text"]["headers"]["Preference-Applied"] == 'outlook.body-content-type="text"'


def test_a_throttled_request_inside_a_batch_fails_alone_with_its_own_retry_after(outlook, microsoft_sandbox):
    first, second = make_events(outlook, 2)
    microsoft_sandbox.faults.add(Fault(status=429, retry_after=9), method="GET", path=first)

    by_id = {r["id"]: r for r in post_batch(outlook, microsoft_sandbox, {"requests": [
        get("1", first), get("2", second)]}).json()["responses"]}

    assert by_id["1"]["status"] == 429 and by_id["1"]["headers"]["Retry-After"] == "9"
    assert by_id["2"]["status"] == 200


def test_a_write_in_a_batch_and_one_depending_on_a_failed_request(outlook, microsoft_sandbox):
    [remote_id] = make_events(outlook, 1)
    body = {"requests": [
        {"id": "1", "method": "PATCH", "url": f"/me/calendar/events/{remote_id}", "body": {"subject": "Moved"},
         "headers": {"Content-Type": "application/json"}},
        get("2", "AAMkADnothere"),
        {**get("3", remote_id), "dependsOn": ["2"]},
        {**get("4", remote_id), "dependsOn": ["1"]},
    ]}

    by_id = {r["id"]: r for r in post_batch(outlook, microsoft_sandbox, body).json()["responses"]}

    assert by_id["1"]["status"] == 200 and microsoft_sandbox.events()[0]["subject"] == "Moved"
    assert by_id["2"]["status"] == 404
    assert by_id["3"]["status"] == 424
    assert by_id["4"]["status"] == 200 and by_id["4"]["body"]["subject"] == "Moved"


@pytest.mark.parametrize("body, words", [
    ({"requests": [get(str(n), "x") for n in range(21)]}, "at most 20"),
    ({"requests": [get("a", "x"), get("A", "y")]}, "two requests with the id"),
    ({"requests": [{"id": "1", "method": "GET"}]}, "needs an id, a method and a url"),
    ({"requests": [{"id": "1", "method": "PATCH", "url": "/me/events/x", "body": {"subject": "s"}}]},
     "no Content-Type"),
    ({"requests": [{**get("1", "x"), "dependsOn": ["2"]}, get("2", "y")]}, "not an earlier request"),
    ({"requests": [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/me"}]}, "relative"),
    ({"calls": []}, "Invalid batch payload"),
])
def test_a_malformed_batch_is_refused_whole(outlook, microsoft_sandbox, body, words):
    answer = post_batch(outlook, microsoft_sandbox, body)

    assert answer.status_code == 400 and words in answer.json()["error"]["message"]


def test_a_bad_token_refuses_the_whole_batch(outlook, microsoft_sandbox):
    answer = post_batch(outlook, microsoft_sandbox, {"requests": [get("1", "x")]}, token="not-a-token")

    assert answer.status_code == 401 and answer.json()["error"]["code"] == "InvalidAuthenticationToken"


# ------------------------------------------------------------------------------------------ the client


def test_get_events_reads_in_batches_of_twenty_in_the_order_asked(outlook, microsoft_sandbox):
    ids = make_events(outlook, BATCH_LIMIT + 5)
    asked = [*ids[:12], "AAMkADdeletedlongago", *ids[12:]]
    before = len(microsoft_sandbox.requests)

    got = outlook.get_events(CAL, asked)

    assert microsoft_sandbox.requests[before:] == [("POST", "/v1.0/$batch")] * 2
    assert got[12] is None
    events = got[:12] + got[13:]
    assert [e.remote_id for e in events] == ids
    assert [e.title for e in events] == [f"Visit {i}" for i in range(len(ids))]
    assert all(e.uid == f"{i:032d}" for i, e in enumerate(events))  # the extended property was expanded
    assert events[0] == outlook.get_event(CAL, ids[0])
    assert events[0].start == T0 and events[0].description == "Booked by phone.\nPrefers mornings."


@pytest.mark.parametrize("fault, expected", [
    (Fault(status=429, retry_after=4), RateLimited),
    (Fault(status=500), TransientError),
    (Fault(status=503, retry_after=2), TransientError),
    (Fault(status=404), None),
])
def test_a_read_failing_inside_a_batch_is_what_the_same_read_alone_would_be(outlook, microsoft_sandbox, fault,
                                                                            expected):
    first, second, third = make_events(outlook, 3)
    microsoft_sandbox.faults.add(fault, method="GET", path=second, times=2)
    try:
        alone = outlook.get_event(CAL, second)
    except Exception as exc:  # noqa: BLE001 - compared below with what the batch answers
        alone = exc

    got = outlook.get_events(CAL, [first, second, third])

    assert [got[0].remote_id, got[2].remote_id] == [first, third]
    if expected is None:
        assert got[1] is None and alone is None
    else:
        assert isinstance(got[1], expected) and isinstance(alone, expected)
        assert (got[1].status, got[1].retry_after, str(got[1])) == (alone.status, alone.retry_after, str(alone))
    assert outlook.get_events(CAL, [second])[0].remote_id == second  # the faults were for those two reads


def batch_requests(microsoft_sandbox) -> int:
    return sum(1 for r in microsoft_sandbox.requests if r == ("POST", "/v1.0/$batch"))


def token_requests(microsoft_sandbox) -> int:
    return sum(1 for method, path in microsoft_sandbox.requests if method == "POST" and path.endswith("/token"))


def test_a_read_refused_for_its_token_inside_an_accepted_batch_is_sent_again_with_a_refreshed_token(
        outlook, microsoft_sandbox):
    first, second, third = make_events(outlook, 3)
    microsoft_sandbox.faults.add(Fault(status=401), method="GET", path=second, times=1)
    batches, tokens = batch_requests(microsoft_sandbox), token_requests(microsoft_sandbox)

    got = outlook.get_events(CAL, [first, second, third])

    assert [e.remote_id for e in got] == [first, second, third]
    assert batch_requests(microsoft_sandbox) == batches + 2  # the batch, then the refused read
    assert token_requests(microsoft_sandbox) == tokens + 1  # refreshed once for it


def test_a_read_refused_again_after_the_refresh_is_an_auth_error(outlook, microsoft_sandbox):
    first, second = make_events(outlook, 2)
    microsoft_sandbox.faults.add(Fault(status=401), method="GET", path=second, times=2)
    batches, tokens = batch_requests(microsoft_sandbox), token_requests(microsoft_sandbox)

    got = outlook.get_events(CAL, [first, second])

    assert got[0].remote_id == first and isinstance(got[1], AuthError) and got[1].status == 401
    assert batch_requests(microsoft_sandbox) == batches + 2  # refreshed and sent once more
    assert token_requests(microsoft_sandbox) == tokens + 1


def test_a_failed_batch_raises_and_an_expired_token_is_refreshed_once(outlook, microsoft_sandbox):
    ids = make_events(outlook, 2)
    microsoft_sandbox.faults.add(Fault(status=503, retry_after=3), method="POST", path=r"/\$batch$")
    with pytest.raises(TransientError) as caught:
        outlook.get_events(CAL, ids)
    assert caught.value.retry_after == 3

    microsoft_sandbox.expire_access_tokens()
    assert [e.remote_id for e in outlook.get_events(CAL, ids)] == ids
    batches = [r for r in microsoft_sandbox.requests if r == ("POST", "/v1.0/$batch")]
    assert len(batches) == 3  # the failed one, the one refused for its token, the retried one


def test_nothing_asked_sends_nothing(outlook, microsoft_sandbox):
    before = len(microsoft_sandbox.requests)
    assert outlook.get_events(CAL, []) == []
    assert len(microsoft_sandbox.requests) == before
