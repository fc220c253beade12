"""Calendar v3 batch requests (``POST /batch/calendar/v3``): the Google stand-in as Google documents them, and
``GoogleCalendarProvider.get_events`` through googleapiclient's ``BatchHttpRequest`` against it — a read that
fails inside a batch is handled as the same read on its own would be."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from receptionist.domain.ports import EventDraft
from receptionist.errors import RateLimited, TransientError
from receptionist.providers.google_calendar import BATCH_LIMIT
from receptionist_sandbox.faults import Fault

BASE = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
CAL = "primary"


@pytest.fixture
def provider(make_google_provider):
    return make_google_provider()


def make_events(provider, n: int) -> list[str]:
    return [provider.create_event(CAL, EventDraft(uid=uuid.uuid4().hex, title=f"Visit {i}",
                                                   start=BASE + timedelta(hours=i),
                                                   end=BASE + timedelta(hours=i, minutes=30), description="",
                                                   location="", time_zone="America/Chicago")).remote_id
            for i in range(n)]


def batch_body(paths: list[str], token: str) -> tuple[str, str]:
    boundary = "b0undary"
    parts = [f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <call{n}>\r\n\r\n"
             f"GET {path} HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\r\n" for n, path in enumerate(paths)]
    return "".join(parts) + f"--{boundary}--\r\n", f"multipart/mixed; boundary={boundary}"


def test_the_stand_in_answers_each_call_of_a_batch_as_on_its_own(provider, google_sandbox):
    [remote_id] = make_events(provider, 1)
    token = provider.credentials.token  # the access token the provider was given
    google_sandbox.faults.add(Fault(status=429, retry_after=6), method="GET", path=r"/events/throttled$")
    body, content_type = batch_body([f"/calendar/v3/calendars/primary/events/{remote_id}",
                                     "/calendar/v3/calendars/primary/events/nothere1",
                                     "/calendar/v3/calendars/primary/events/throttled"], token)

    answer = requests.post(f"{google_sandbox.url}/batch/calendar/v3", data=body, timeout=10,
                           headers={"Content-Type": content_type})

    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("multipart/mixed")
    text = answer.text
    assert [text.index(f"<response-call{n}>") for n in range(3)] == sorted(text.index(f"<response-call{n}>")
                                                                           for n in range(3))
    assert "HTTP/1.1 200 OK" in text and f'"id": "{remote_id}"' in text.replace('":"', '": "')
    assert "HTTP/1.1 404" in text and "HTTP/1.1 429" in text and "Retry-After: 6" in text
    assert google_sandbox.requests[-1] == ("POST", "/batch/calendar/v3")


def test_a_batch_of_more_than_fifty_calls_is_refused_whole(google_sandbox):
    body, content_type = batch_body(["/calendar/v3/users/me/calendarList"] * 51, "t")

    answer = requests.post(f"{google_sandbox.url}/batch/calendar/v3", data=body, timeout=10,
                           headers={"Content-Type": content_type})

    assert answer.status_code == 400 and "at most 50" in answer.json()["error"]["message"]


def test_get_events_reads_in_batches_in_the_order_asked(provider, google_sandbox):
    ids = make_events(provider, BATCH_LIMIT + 3)
    gone = ids[5]
    provider.delete_event(CAL, gone, None)  # Google keeps it, cancelled: read back as gone
    asked = [*ids, "nothere1"]
    before = len(google_sandbox.requests)

    got = provider.get_events(CAL, asked)

    assert [r for r in google_sandbox.requests[before:] if r[1] != "/token"] == [
        ("POST", "/batch/calendar/v3")] * 2
    assert got[5] is None and got[-1] is None
    assert [e.title for i, e in enumerate(got[:-1]) if i != 5] == [f"Visit {i}" for i in range(len(ids)) if i != 5]
    assert got[0] == provider.get_event(CAL, ids[0])


@pytest.mark.parametrize("fault, expected", [
    (Fault(status=429, retry_after=4), RateLimited),
    (Fault(status=403), RateLimited),  # the stand-in's 403 is Google's rateLimitExceeded
    (Fault(status=500), TransientError),
    (Fault(status=404), None),
])
def test_a_read_failing_inside_a_batch_is_what_the_same_read_alone_would_be(provider, google_sandbox, fault,
                                                                            expected):
    first, second, third = make_events(provider, 3)
    google_sandbox.faults.add(fault, method="GET", path=f"/events/{second}$", times=2)
    try:
        alone = provider.get_event(CAL, second)
    except Exception as exc:  # noqa: BLE001 - compared below with what the batch answers
        alone = exc

    got = provider.get_events(CAL, [first, second, third])

    assert [got[0].remote_id, got[2].remote_id] == [first, third]
    if expected is None:
        assert got[1] is None and alone is None
    else:
        assert isinstance(got[1], expected) and isinstance(alone, expected)
        assert (got[1].status, got[1].retry_after, str(got[1])) == (alone.status, alone.retry_after, str(alone))
    assert provider.get_events(CAL, [second])[0].remote_id == second


def test_a_failed_batch_raises(provider, google_sandbox):
    ids = make_events(provider, 2)
    google_sandbox.faults.add(Fault(status=503), method="POST", path=r"^/batch/calendar/v3$")

    with pytest.raises(TransientError):
        provider.get_events(CAL, ids)
    assert [e.remote_id for e in provider.get_events(CAL, ids)] == ids
