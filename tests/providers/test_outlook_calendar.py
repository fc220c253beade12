"""OutlookCalendarProvider against the Graph stand-in, through requests and a real msal sign-in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from receptionist.domain.ports import CalendarProvider
from receptionist.errors import (
    AuthError,
    ConflictError,
    CursorExpired,
    NotFound,
    ProviderError,
    RateLimited,
    TransientError,
    UserError,
)
from receptionist.providers.microsoft_auth import outlook_token_source
from receptionist.providers.outlook_calendar import (
    UID_PROPERTY_ID,
    OutlookCalendarProvider,
    outlook_provider,
    parse_event,
)
from receptionist_sandbox.faults import Fault
from tests.providers.microsoft_fixtures import T0, make_draft

CAL = ""  # the account's default calendar
WINDOW = (T0 - timedelta(days=1), T0 + timedelta(days=7))


def seed(sandbox, subject: str, start, minutes: int = 60, **extra) -> dict:
    return sandbox.seed_event(None, {
        "subject": subject,
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        **extra,
    })


def graph_posts(sandbox) -> int:
    return sum(1 for method, path in sandbox.requests if method == "POST" and path.endswith("/events"))


def test_provider_satisfies_the_port(outlook):
    assert isinstance(outlook, CalendarProvider)
    assert outlook.kind == "outlook"


def test_not_connected_is_a_user_error(outlook_settings, outlook_secrets):
    with pytest.raises(UserError, match="connect outlook"):
        outlook_provider(outlook_settings, outlook_secrets)


def test_list_calendars_marks_the_default(outlook, microsoft_sandbox):
    extra = microsoft_sandbox.add_calendar(None, "Hygienist")

    calendars = {c.id: c for c in outlook.list_calendars()}

    assert calendars[microsoft_sandbox.default_calendar_id()].primary
    assert calendars[extra].name == "Hygienist" and not calendars[extra].primary


def test_create_get_update_delete_round_trip(outlook, microsoft_sandbox):
    draft = make_draft()

    created = outlook.create_event(CAL, draft)

    assert (created.start, created.end) == (draft.start, draft.end)
    assert created.uid == draft.uid and created.busy and created.etag.startswith('W/"')
    stored = microsoft_sandbox.events()[0]
    assert stored["transactionId"] == draft.uid
    assert stored["originalStartTimeZone"] == "America/Chicago"
    assert stored["singleValueExtendedProperties"] == [{"id": UID_PROPERTY_ID, "value": draft.uid}]
    assert stored["start"] == {"dateTime": "2026-11-23T15:00:00.0000000", "timeZone": "UTC"}

    fetched = outlook.get_event(CAL, created.remote_id)
    assert fetched.uid == draft.uid
    assert fetched.description == draft.description  # text, not the HTML Graph answers by default
    assert (fetched.title, fetched.location) == (draft.title, draft.location)
    assert (fetched.start, fetched.end) == (draft.start, draft.end)

    moved = make_draft(start=T0 + timedelta(hours=2), minutes=45, title="Cleaning - Pat Doe (moved)")
    updated = outlook.update_event(CAL, created.remote_id, moved, fetched.etag)
    assert updated.etag != fetched.etag
    again = outlook.get_event(CAL, created.remote_id)
    assert (again.start, again.end, again.title) == (moved.start, moved.end, moved.title)

    outlook.delete_event(CAL, created.remote_id, again.etag)
    assert outlook.get_event(CAL, created.remote_id) is None
    assert microsoft_sandbox.events() == []
    outlook.delete_event(CAL, created.remote_id, None)  # already gone: not an error


def test_create_is_idempotent_through_transaction_id(outlook, microsoft_sandbox):
    draft = make_draft()

    first = outlook.create_event(CAL, draft)
    second = outlook.create_event(CAL, draft)

    assert second.remote_id == first.remote_id
    assert len(microsoft_sandbox.events()) == 1
    assert graph_posts(microsoft_sandbox) == 2


def test_create_whose_answer_was_lost_is_safe_to_retry(outlook, microsoft_sandbox):
    microsoft_sandbox.faults.add(Fault(drop_after_store=True), method="POST", path=r"/events$")
    draft = make_draft()

    with pytest.raises(TransientError):
        outlook.create_event(CAL, draft)
    assert len(microsoft_sandbox.events()) == 1  # stored, answer lost

    retried = outlook.create_event(CAL, draft)

    assert [e["id"] for e in microsoft_sandbox.events()] == [retried.remote_id]


def test_a_retried_create_answers_the_first_event_as_it_is_now(outlook, microsoft_sandbox):
    """Graph answers a replayed transactionId with the event the first POST made, edited since or not; the
    provider returns it as it is (the engine tells our reschedule from a person's edit), and makes no second."""
    first = outlook.create_event(CAL, make_draft())
    microsoft_sandbox.edit_event(None, first.remote_id, {"subject": "Moved by Dr. Patel"})

    result = outlook.create_event(CAL, make_draft(start=T0 + timedelta(days=1)))

    assert result.remote_id == first.remote_id and result.title == "Moved by Dr. Patel" and result.start == T0
    [stored] = microsoft_sandbox.events()
    assert stored["subject"] == "Moved by Dr. Patel"


def test_a_retried_create_of_an_event_deleted_since_is_not_found(outlook, microsoft_sandbox):
    first = outlook.create_event(CAL, make_draft())
    outlook.delete_event(CAL, first.remote_id, None)  # a person deleted it; Graph remembers the transactionId

    with pytest.raises(NotFound):
        outlook.create_event(CAL, make_draft())
    assert microsoft_sandbox.events() == []


def test_transaction_id_used_in_another_calendar_is_refused_with_graphs_reason(outlook, microsoft_sandbox):
    other = microsoft_sandbox.add_calendar(None, "Front desk")
    draft = make_draft()
    outlook.create_event(other, draft)

    with pytest.raises(ProviderError, match="ErrorDuplicateTransactionId") as caught:
        outlook.create_event(CAL, draft)

    assert not caught.value.retryable
    assert microsoft_sandbox.events() == []
    assert len(microsoft_sandbox.events(None, other)) == 1


def test_refused_transaction_id_adopts_our_event_found_by_uid(outlook, microsoft_sandbox):
    other = microsoft_sandbox.add_calendar(None, "Front desk")
    draft = make_draft()
    outlook.create_event(other, draft)
    # a copy of our event (same receptionist.uid) sits in the default calendar, e.g. copied there in Outlook
    copy = seed(microsoft_sandbox, "old title", T0 - timedelta(hours=5),
                singleValueExtendedProperties=[{"id": UID_PROPERTY_ID, "value": draft.uid}])

    adopted = outlook.create_event(CAL, draft)

    assert adopted.remote_id == copy["id"] and adopted.title == "old title"  # as it is: the engine compares
    [stored] = microsoft_sandbox.events()
    assert stored["subject"] == "old title"


def test_stale_etag_is_a_conflict(outlook, microsoft_sandbox):
    created = outlook.create_event(CAL, make_draft())
    microsoft_sandbox.edit_event(None, created.remote_id, {"subject": "Changed in Outlook"})

    with pytest.raises(ConflictError):
        outlook.update_event(CAL, created.remote_id, make_draft(title="Ours"), created.etag)
    with pytest.raises(ConflictError):
        outlook.delete_event(CAL, created.remote_id, created.etag)

    assert microsoft_sandbox.events()[0]["subject"] == "Changed in Outlook"


def test_events_made_in_outlook_are_read_as_utc_instants(outlook, microsoft_sandbox):
    microsoft_sandbox.seed_event(None, {
        "subject": "Staff meeting",
        "start": {"dateTime": "2026-11-23T12:00:00", "timeZone": "Central Standard Time"},
        "end": {"dateTime": "2026-11-23T13:00:00", "timeZone": "Central Standard Time"},
        "body": {"contentType": "html", "content": "<html><body><p>Lunch &amp; learn</p></body></html>"},
        "showAs": "free",
    })

    [event] = outlook.list_events(CAL, *WINDOW)

    assert event.start == T0 + timedelta(hours=3)  # 12:00 CST = 18:00 UTC
    assert event.description == "Lunch & learn"
    assert event.uid is None and not event.busy


def test_calendar_view_follows_every_page(outlook, microsoft_sandbox):
    for i in range(7):
        seed(microsoft_sandbox, f"busy {i}", T0 + timedelta(hours=i))
    seed(microsoft_sandbox, "outside the window", T0 + timedelta(days=30))
    outlook.page_size = 3

    events = outlook.list_events(CAL, *WINDOW)

    assert [e.title for e in events] == [f"busy {i}" for i in range(7)]
    views = [p for m, p in microsoft_sandbox.requests if p.endswith("/calendarView")]
    assert len(views) == 3


def test_a_full_delta_read_asks_for_large_pages(outlook_settings, connected_secrets, microsoft_sandbox):
    """Graph pages 10 events unless asked (Prefer: odata.maxpagesize, up to 1,000): 150 events are one request."""
    outlook = outlook_provider(outlook_settings, connected_secrets)
    for i in range(150):
        seed(microsoft_sandbox, f"busy {i}", T0 + timedelta(minutes=10 * i), minutes=10)
    microsoft_sandbox.requests.clear()

    batch = outlook.list_changes(CAL, None, *WINDOW)

    assert len(batch.events) == 150 and batch.cursor
    assert [p for m, p in microsoft_sandbox.requests if p.endswith("/delta")] == ["/v1.0/me/calendar/calendarView/delta"]


def test_delta_reports_changes_and_removals_incrementally(outlook, microsoft_sandbox):
    keep = seed(microsoft_sandbox, "keep", T0)
    doomed = seed(microsoft_sandbox, "doomed", T0 + timedelta(hours=2))
    moved = seed(microsoft_sandbox, "moved away", T0 + timedelta(hours=4))
    outlook.page_size = 2

    first = outlook.list_changes(CAL, None, *WINDOW)

    assert first.full and first.cursor and first.deleted_ids == []
    assert {e.title for e in first.events} == {"keep", "doomed", "moved away"}

    microsoft_sandbox.edit_event(None, keep["id"], {"subject": "kept, renamed"})
    microsoft_sandbox.remove_event(None, doomed["id"])
    microsoft_sandbox.edit_event(None, moved["id"], {
        "start": {"dateTime": "2027-03-01T10:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2027-03-01T11:00:00", "timeZone": "UTC"}})
    added = seed(microsoft_sandbox, "new", T0 + timedelta(days=2))

    second = outlook.list_changes(CAL, first.cursor, *WINDOW)

    assert not second.full
    assert {e.remote_id: e.title for e in second.events} == {keep["id"]: "kept, renamed", added["id"]: "new"}
    assert set(second.deleted_ids) == {doomed["id"], moved["id"]}

    third = outlook.list_changes(CAL, second.cursor, *WINDOW)
    assert (third.events, third.deleted_ids) == ([], [])


def test_expired_delta_link_asks_for_a_full_read(outlook, microsoft_sandbox):
    first = outlook.list_changes(CAL, None, *WINDOW)
    microsoft_sandbox.invalidate_delta_tokens()

    with pytest.raises(CursorExpired):
        outlook.list_changes(CAL, first.cursor, *WINDOW)

    assert outlook.list_changes(CAL, None, *WINDOW).full


def test_delta_link_for_another_host_is_not_followed(outlook):
    with pytest.raises(CursorExpired):
        outlook.list_changes(CAL, "https://attacker.example/v1.0/me/calendarView/delta?$deltatoken=x", *WINDOW)


def test_throttling_carries_retry_after(outlook, microsoft_sandbox):
    microsoft_sandbox.faults.add(Fault(status=429, retry_after=7), method="GET", path=r"/calendarView$")

    with pytest.raises(RateLimited) as caught:
        outlook.list_events(CAL, *WINDOW)

    assert caught.value.retry_after == 7 and caught.value.status == 429
    assert outlook.list_events(CAL, *WINDOW) == []  # the fault was for one request


def test_service_unavailable_is_transient(outlook, microsoft_sandbox):
    microsoft_sandbox.faults.add(Fault(status=503), method="POST", path=r"/events$")

    with pytest.raises(TransientError) as caught:
        outlook.create_event(CAL, make_draft())

    assert caught.value.retryable and caught.value.status == 503
    assert microsoft_sandbox.events() == []


def test_slow_answer_is_a_transient_timeout(outlook_settings, connected_secrets, microsoft_sandbox):
    quick = outlook_settings.model_copy(update={"timeout_seconds": 0.2})
    provider = OutlookCalendarProvider(quick, outlook_token_source(outlook_settings, connected_secrets))
    provider.list_calendars()  # sign-in and connection warmed up
    microsoft_sandbox.faults.add(Fault(status=200, delay=0.6), method="GET", path=r"/calendarView$")

    with pytest.raises(TransientError, match="did not answer"):
        provider.list_events(CAL, *WINDOW)


def test_expired_access_token_is_refreshed_once_and_the_call_retried(outlook, microsoft_sandbox):
    outlook.list_calendars()
    microsoft_sandbox.expire_access_tokens()

    assert outlook.list_calendars()

    calls = [i for i, (m, p) in enumerate(microsoft_sandbox.requests) if p == "/v1.0/me/calendars"]
    assert len(calls) == 3  # ok, 401, retried ok
    assert any(p.endswith("/oauth2/v2.0/token") for m, p in microsoft_sandbox.requests[calls[1]:calls[2]])


def test_refused_sign_in_after_refresh_is_an_auth_error(outlook, microsoft_sandbox):
    outlook.list_calendars()
    microsoft_sandbox.expire_access_tokens()
    microsoft_sandbox.revoke_refresh_tokens()

    with pytest.raises(AuthError, match="connect outlook"):
        outlook.list_calendars()


def test_other_client_errors_carry_graphs_message(outlook, microsoft_sandbox):
    backwards = make_draft(minutes=-30)

    with pytest.raises(ProviderError, match="end time must be after the start time") as caught:
        outlook.create_event(CAL, backwards)

    assert caught.value.status == 400 and not caught.value.retryable
    assert microsoft_sandbox.events() == []


def test_unknown_calendar_is_not_found(outlook):
    with pytest.raises(NotFound):
        outlook.list_events("AAMkACnot-a-calendar", *WINDOW)


def test_draft_in_a_zone_graph_would_refuse_is_written_in_utc(outlook, microsoft_sandbox):
    draft = make_draft(time_zone="Mars/Olympus_Mons")

    created = outlook.create_event(CAL, draft)

    assert created.start == draft.start
    assert microsoft_sandbox.events()[0]["originalStartTimeZone"] == "UTC"


@pytest.mark.parametrize("wall, zone, utc", [
    # Exchange labels times with Windows zone names; both sides of each 2026 US change (Chicago: CST -6, CDT -5)
    ("2026-03-08T01:30:00.0000000", "Central Standard Time", "2026-03-08T07:30:00+00:00"),
    ("2026-03-08T03:30:00.0000000", "Central Standard Time", "2026-03-08T08:30:00+00:00"),
    ("2026-10-31T23:00:00.0000000", "Central Standard Time", "2026-11-01T04:00:00+00:00"),
    ("2026-11-01T02:30:00.0000000", "Central Standard Time", "2026-11-01T08:30:00+00:00"),
    ("2026-07-01T09:00:00.0000000", "US Mountain Standard Time", "2026-07-01T16:00:00+00:00"),  # Phoenix: no DST
    ("2026-07-01T09:00:00.0000000", "America/Chicago", "2026-07-01T14:00:00+00:00"),
    ("2026-07-01T09:00:00.0000000", "UTC", "2026-07-01T09:00:00+00:00"),
])
def test_times_labelled_with_a_windows_zone_are_read_in_that_zone(wall, zone, utc):
    item = {"id": "AAMk1", "subject": "Staff meeting", "start": {"dateTime": wall, "timeZone": zone},
            "end": {"dateTime": wall, "timeZone": zone}}
    event = parse_event(item)
    assert event.start.isoformat() == utc and event.start.utcoffset() == timedelta(0)
