"""GoogleCalendarProvider against the Google sandbox, through the real client libraries.

``CalendarProviderContract`` holds behaviour every ``CalendarProvider`` must show (it needs only the ``provider``
and ``calendar_id`` fixtures, so other adapters can reuse it); the rest is Google-specific: error mapping on the
wire, token refresh, the connect flow.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from receptionist.domain.ports import CalendarProvider, EventDraft
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
from receptionist.providers.google_calendar import (
    CLIENT_SECRET_KEY,
    NOT_CONNECTED,
    REFRESH_TOKEN_KEY,
    UID_PROPERTY,
    GoogleCalendarProvider,
    google_provider,
)
from receptionist.providers.google_oauth import connect_google
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.faults import Fault
from receptionist_sandbox.google import DEFAULT_ACCOUNT

UTC = timezone.utc
BASE = datetime(2025, 1, 15, 14, 0, tzinfo=UTC)  # 08:00 in Chicago (CST, -06:00)
WINDOW = (BASE - timedelta(days=1), BASE + timedelta(days=30))


def draft(n: int = 0, **changes) -> EventDraft:
    values = dict(
        uid=uuid.uuid4().hex,
        title=f"Cleaning — patient {n}",
        start=BASE + timedelta(hours=n),
        end=BASE + timedelta(hours=n, minutes=30),
        description="Booked by phone",
        location="Room 2",
        time_zone="America/Chicago",
    )
    values.update(changes)
    return EventDraft(**values)


class CalendarProviderContract:
    """Behaviour the sync engine relies on, whatever the remote calendar."""

    def test_is_a_calendar_provider(self, provider):
        assert isinstance(provider, CalendarProvider)

    def test_create_get_update_delete_round_trip(self, provider, calendar_id):
        wanted = draft(1)
        created = provider.create_event(calendar_id, wanted)
        assert created.uid == wanted.uid
        assert (created.title, created.description, created.location) == (
            wanted.title, wanted.description, wanted.location)
        assert created.start == wanted.start and created.end == wanted.end  # instants, whatever the zone
        assert created.start.utcoffset() == timedelta(0)
        assert created.etag and not created.cancelled and created.busy

        fetched = provider.get_event(calendar_id, created.remote_id)
        assert fetched == created

        moved = draft(1, uid=wanted.uid, title="Cleaning (moved)", start=BASE + timedelta(days=1),
                      end=BASE + timedelta(days=1, minutes=45))
        updated = provider.update_event(calendar_id, created.remote_id, moved, created.etag)
        assert updated.remote_id == created.remote_id
        assert updated.title == "Cleaning (moved)"
        assert (updated.start, updated.end) == (moved.start, moved.end)
        assert updated.etag != created.etag
        assert provider.get_event(calendar_id, created.remote_id) == updated

        provider.delete_event(calendar_id, created.remote_id, updated.etag)
        assert provider.get_event(calendar_id, created.remote_id) is None
        provider.delete_event(calendar_id, created.remote_id, None)  # deleting twice is not an error
        assert provider.list_events(calendar_id, *WINDOW) == []

    def test_create_is_idempotent_per_uid(self, provider, calendar_id):
        wanted = draft(2)
        first = provider.create_event(calendar_id, wanted)
        second = provider.create_event(calendar_id, wanted)
        assert second.remote_id == first.remote_id
        assert [e.uid for e in provider.list_events(calendar_id, *WINDOW)] == [wanted.uid]

    def test_stale_etag_is_a_conflict(self, provider, calendar_id):
        created = provider.create_event(calendar_id, draft(3))
        provider.update_event(calendar_id, created.remote_id, draft(3, uid=created.uid, title="edited"), created.etag)
        with pytest.raises(ConflictError):
            provider.update_event(calendar_id, created.remote_id, draft(3, uid=created.uid), created.etag)
        with pytest.raises(ConflictError):
            provider.delete_event(calendar_id, created.remote_id, created.etag)
        assert provider.get_event(calendar_id, created.remote_id).title == "edited"

    def test_get_unknown_event_is_none(self, provider, calendar_id):
        assert provider.get_event(calendar_id, uuid.uuid4().hex) is None

    def test_list_events_window_and_order(self, provider, calendar_id):
        inside = [provider.create_event(calendar_id, draft(n)) for n in (5, 1, 3)]
        provider.create_event(calendar_id, draft(0, start=BASE + timedelta(days=60),
                                                 end=BASE + timedelta(days=60, hours=1)))
        listed = provider.list_events(calendar_id, *WINDOW)
        assert [e.remote_id for e in listed] == [e.remote_id for e in sorted(inside, key=lambda e: e.start)]

    def test_changes_full_then_incremental_with_deletion(self, provider, calendar_id):
        kept = provider.create_event(calendar_id, draft(1))
        doomed = provider.create_event(calendar_id, draft(2))
        first = provider.list_changes(calendar_id, None, *WINDOW)
        assert first.full and first.cursor
        assert {e.remote_id for e in first.events} == {kept.remote_id, doomed.remote_id}

        quiet = provider.list_changes(calendar_id, first.cursor, *WINDOW)
        assert not quiet.full and quiet.events == [] and quiet.deleted_ids == [] and quiet.cursor

        provider.delete_event(calendar_id, doomed.remote_id, None)
        edited = provider.update_event(calendar_id, kept.remote_id, draft(1, uid=kept.uid, title="edited"), None)
        added = provider.create_event(calendar_id, draft(4))
        delta = provider.list_changes(calendar_id, quiet.cursor, *WINDOW)
        assert not delta.full
        changed = {e.remote_id: e for e in delta.events if not e.cancelled}
        gone = set(delta.deleted_ids) | {e.remote_id for e in delta.events if e.cancelled}
        assert set(changed) == {kept.remote_id, added.remote_id}
        assert changed[kept.remote_id].title == "edited" and changed[kept.remote_id].etag == edited.etag
        assert gone == {doomed.remote_id}
        assert delta.cursor and delta.cursor != quiet.cursor


class TestGoogleContract(CalendarProviderContract):
    @pytest.fixture
    def provider(self, make_google_provider):
        return make_google_provider()

    @pytest.fixture
    def calendar_id(self):
        return "primary"


# ---------------------------------------------------------------------------------------------- Google specifics


@pytest.fixture
def provider(make_google_provider):
    return make_google_provider()


def test_event_lands_in_google_shape(provider, google_sandbox):
    wanted = draft(0)
    provider.create_event("primary", wanted)
    (stored,) = google_sandbox.events(DEFAULT_ACCOUNT, "primary")
    assert stored["id"] == wanted.uid  # client-supplied id = our uid
    assert stored["extendedProperties"]["private"] == {UID_PROPERTY: wanted.uid}
    assert stored["start"] == {"dateTime": "2025-01-15T08:00:00-06:00", "timeZone": "America/Chicago"}
    assert stored["summary"] == wanted.title and stored["location"] == "Room 2"


def test_times_compare_as_instants_across_zones(make_google_provider, google_sandbox):
    google_sandbox.add_calendar(DEFAULT_ACCOUNT, "tokyo@group.calendar.google.com", "Tokyo", "Asia/Tokyo")
    provider = make_google_provider()
    wanted = draft(0, time_zone="America/New_York")
    created = provider.create_event("tokyo@group.calendar.google.com", wanted)
    raw = google_sandbox.events(DEFAULT_ACCOUNT, "tokyo@group.calendar.google.com")[0]
    assert raw["start"]["dateTime"] == "2025-01-15T23:00:00+09:00"
    assert (created.start, created.end) == (wanted.start, wanted.end)


def test_seeded_events_busy_free_and_all_day(provider, google_sandbox):
    google_sandbox.seed_event(DEFAULT_ACCOUNT, "primary", {
        "summary": "Lunch", "transparency": "transparent",
        "start": {"dateTime": "2025-01-16T12:00:00", "timeZone": "America/Chicago"},
        "end": {"dateTime": "2025-01-16T13:00:00", "timeZone": "America/Chicago"}})
    google_sandbox.seed_event(DEFAULT_ACCOUNT, "primary", {
        "summary": "Closed", "start": {"date": "2025-01-20"}, "end": {"date": "2025-01-21"}})
    lunch, closed = provider.list_events("primary", *WINDOW)
    assert lunch.title == "Lunch" and not lunch.busy and lunch.uid is None
    assert lunch.start == datetime(2025, 1, 16, 18, 0, tzinfo=UTC)
    assert closed.all_day and closed.busy
    assert closed.start == datetime(2025, 1, 20, 6, 0, tzinfo=UTC)  # midnight in the calendar's zone
    assert closed.end - closed.start == timedelta(days=1)
    assert provider.get_event("primary", closed.remote_id) == closed


def test_list_events_follows_every_page(make_google_provider, google_sandbox):
    provider = make_google_provider(page_size=5)
    made = [provider.create_event("primary", draft(n)) for n in range(12)]
    listed = provider.list_events("primary", *WINDOW)
    assert [e.remote_id for e in listed] == [e.remote_id for e in made]
    pages = [p for m, p in google_sandbox.requests if m == "GET" and p.endswith("/events")]
    assert len(pages) == 3


def test_a_full_read_asks_for_the_largest_page(google_sandbox, google_settings):
    """Google answers up to 2,500 events a page (250 unless asked): 300 events are one request, not two."""
    provider = GoogleCalendarProvider(google_settings, refresh_token=google_sandbox.issue_refresh_token(DEFAULT_ACCOUNT),
                                      client_secret=google_sandbox.client_secret)
    for n in range(300):
        google_sandbox.seed_event(DEFAULT_ACCOUNT, "primary", {
            "summary": f"busy {n}", "start": {"dateTime": (BASE + timedelta(minutes=5 * n)).isoformat()},
            "end": {"dateTime": (BASE + timedelta(minutes=5 * n + 5)).isoformat()}})
    google_sandbox.requests.clear()

    batch = provider.list_changes("primary", None, *WINDOW)

    assert len(batch.events) == 300 and batch.cursor
    assert [p for m, p in google_sandbox.requests if m == "GET" and p.endswith("/events")] == [
        "/calendar/v3/calendars/primary/events"]


def test_paged_changes_return_cursor_from_last_page(make_google_provider):
    provider = make_google_provider(page_size=2)
    for n in range(5):
        provider.create_event("primary", draft(n))
    full = provider.list_changes("primary", None, *WINDOW)
    assert len(full.events) == 5 and full.cursor
    for n in range(5, 8):
        provider.create_event("primary", draft(n))
    delta = provider.list_changes("primary", full.cursor, *WINDOW)
    assert len(delta.events) == 3 and delta.cursor


def test_expired_cursor_raises_cursor_expired(provider, google_sandbox):
    provider.create_event("primary", draft(1))
    batch = provider.list_changes("primary", None, *WINDOW)
    google_sandbox.invalidate_sync_tokens()
    with pytest.raises(CursorExpired) as info:
        provider.list_changes("primary", batch.cursor, *WINDOW)
    assert info.value.status == 410
    assert provider.list_changes("primary", None, *WINDOW).full  # a full read works again
    with pytest.raises(CursorExpired):
        provider.list_changes("primary", "not-a-token", *WINDOW)


def test_rate_limited_carries_retry_after(provider, google_sandbox):
    google_sandbox.faults.add(Fault(status=429, retry_after=7), method="POST", path=r"/events$")
    with pytest.raises(RateLimited) as info:
        provider.create_event("primary", draft(1))
    assert info.value.retry_after == 7 and info.value.status == 429 and info.value.retryable
    assert google_sandbox.events(DEFAULT_ACCOUNT, "primary") == []


def test_403_rate_limit_exceeded_is_rate_limited(provider, google_sandbox):
    google_sandbox.faults.add(Fault(status=403), path=r"/events$")
    with pytest.raises(RateLimited) as info:
        provider.list_events("primary", *WINDOW)
    assert info.value.status == 403 and info.value.retry_after is None


def test_service_unavailable_is_transient(provider, google_sandbox):
    google_sandbox.faults.add(Fault(status=503), path=r"/events")
    with pytest.raises(TransientError) as info:
        provider.list_events("primary", *WINDOW)
    assert not isinstance(info.value, RateLimited) and info.value.status == 503
    assert provider.list_events("primary", *WINDOW) == []  # the fault was one-shot


def test_timeout_is_transient(make_google_provider, google_sandbox):
    provider = make_google_provider(timeout_seconds=0.3)
    provider.list_calendars()  # token fetched before the slow answer
    google_sandbox.faults.add(Fault(status=200, delay=1.0), path=r"/events")
    with pytest.raises(TransientError, match="did not answer in time"):
        provider.list_events("primary", *WINDOW)


def test_connection_refused_is_transient(make_google_provider, google_sandbox):
    provider = make_google_provider()
    google_sandbox.stop()
    with pytest.raises(TransientError):
        provider.list_calendars()


def test_lost_answer_then_retry_returns_the_stored_event(provider, google_sandbox):
    wanted = draft(1)
    google_sandbox.faults.add(Fault(status=503, drop_after_store=True), method="POST", path=r"/events$")
    with pytest.raises(TransientError):
        provider.create_event("primary", wanted)
    again = provider.create_event("primary", wanted)  # the sync engine's retry: 409 → read back
    assert again.uid == wanted.uid
    assert len(google_sandbox.events(DEFAULT_ACCOUNT, "primary")) == 1


def test_a_replayed_create_of_an_event_deleted_since_is_not_found_and_a_new_generation_is_made(
        provider, google_sandbox):
    wanted = draft(1)
    created = provider.create_event("primary", wanted)
    provider.delete_event("primary", created.remote_id, None)  # a person deleted it (the id stays reserved)
    with pytest.raises(NotFound):
        provider.create_event("primary", wanted)
    again = provider.create_event("primary", dataclasses.replace(wanted, create_key=f"{wanted.uid}g1"))
    assert again.remote_id == f"{wanted.uid}g1" != created.remote_id and again.uid == wanted.uid


def test_foreign_event_with_our_id_is_a_conflict(provider, google_sandbox):
    taken = uuid.uuid4().hex
    google_sandbox.seed_event(DEFAULT_ACCOUNT, "primary", {
        "id": taken, "summary": "someone else's",
        "start": {"dateTime": "2025-01-15T09:00:00Z"}, "end": {"dateTime": "2025-01-15T10:00:00Z"}})
    with pytest.raises(ConflictError):
        provider.create_event("primary", draft(1, uid=taken))


def test_expired_access_token_is_refreshed_silently(provider, google_sandbox):
    provider.list_calendars()
    google_sandbox.expire_access_tokens()
    assert provider.list_events("primary", *WINDOW) == []
    token_posts = [p for m, p in google_sandbox.requests if (m, p) == ("POST", "/token")]
    assert len(token_posts) == 2


def test_revoked_refresh_token_is_auth_error(make_google_provider, google_sandbox):
    refresh_token = google_sandbox.issue_refresh_token()
    provider = make_google_provider(refresh_token)
    provider.list_calendars()
    google_sandbox.revoke_refresh_token(refresh_token)
    with pytest.raises(AuthError):
        provider.list_calendars()
    assert not AuthError.retryable


def test_persistent_401_after_refreshes_is_auth_error(provider, google_sandbox):
    google_sandbox.faults.add(Fault(status=401), path=r"/calendarList$", times=None)
    with pytest.raises(AuthError) as info:
        provider.list_calendars()
    assert info.value.status == 401
    # google-auth-httplib2 fetched a token, then refreshed twice on the 401s before giving up
    assert google_sandbox.requests.count(("POST", "/token")) == 3


def test_403_forbidden_is_not_rate_limited(provider, google_sandbox):
    body = {"error": {"code": 403, "message": "Forbidden",
                      "errors": [{"domain": "global", "reason": "forbidden", "message": "Forbidden"}]}}
    google_sandbox.faults.add(Fault(status=403, body=body), path=r"/events$")
    with pytest.raises(ProviderError) as info:
        provider.list_events("primary", *WINDOW)
    assert type(info.value) is ProviderError and info.value.status == 403


def test_unknown_refresh_token_is_auth_error(make_google_provider):
    with pytest.raises(AuthError):
        make_google_provider("1//not-issued").list_calendars()


def test_other_client_errors_are_provider_errors(provider):
    bad = draft(1, end=BASE - timedelta(hours=1))
    with pytest.raises(ProviderError) as info:
        provider.create_event("primary", bad)
    assert type(info.value) is ProviderError and info.value.status == 400
    assert str(info.value) == "Google Calendar refused the request: The specified time range is empty"


def test_unknown_calendar_is_not_found(provider):
    with pytest.raises(NotFound):
        provider.list_events("nobody@group.calendar.google.com", *WINDOW)


def test_list_calendars(provider, google_sandbox):
    google_sandbox.add_calendar(DEFAULT_ACCOUNT, "staff@group.calendar.google.com", "Staff", "America/Denver")
    calendars = {c.id: c for c in provider.list_calendars()}
    assert calendars[DEFAULT_ACCOUNT].primary and calendars[DEFAULT_ACCOUNT].time_zone == "America/Chicago"
    assert calendars["staff@group.calendar.google.com"].name == "Staff"


def test_google_provider_reads_the_keyring(google_settings, google_sandbox):
    secrets = memory_secret_store()
    with pytest.raises(UserError, match="not connected"):
        google_provider(google_settings, secrets)
    secrets.set(CLIENT_SECRET_KEY, google_sandbox.client_secret)
    secrets.set(REFRESH_TOKEN_KEY, google_sandbox.issue_refresh_token())
    assert google_provider(google_settings, secrets).kind == "google"
    assert NOT_CONNECTED.endswith("`receptionist connect google`")


# ---------------------------------------------------------------------------------------------- connect flow


def _browser(visited: list[str]):
    def open_url(url: str) -> None:
        visited.append(url)
        response = requests.get(url, timeout=5)  # follows the 302 to the loopback receiver
        response.raise_for_status()
        assert "connected" in response.text

    return open_url


def test_connect_google_stores_refresh_token_only_in_keyring(google_settings, google_sandbox):
    secrets = memory_secret_store()
    secrets.set(CLIENT_SECRET_KEY, google_sandbox.client_secret)
    visited: list[str] = []
    result = connect_google(google_settings, secrets, open_url=_browser(visited), timeout=10)
    assert result == "Google Calendar connected as owner@demo.example (America/Chicago)"
    stored = secrets.get(REFRESH_TOKEN_KEY)
    assert stored in google_sandbox.refresh_tokens(DEFAULT_ACCOUNT)
    assert stored not in result
    assert "code_challenge_method=S256" in visited[0] and "access_type=offline" in visited[0]
    # the stored grant works for the provider
    assert google_provider(google_settings, secrets).list_calendars()[0].primary


def test_connect_google_times_out_without_browser(google_settings, google_sandbox):
    secrets = memory_secret_store()
    secrets.set(CLIENT_SECRET_KEY, google_sandbox.client_secret)
    with pytest.raises(UserError, match="not completed"):
        connect_google(google_settings, secrets, open_url=lambda url: None, timeout=0.3)
    assert secrets.get(REFRESH_TOKEN_KEY) is None


def test_connect_google_ends_at_once_when_cancelled(google_settings, google_sandbox):
    secrets = memory_secret_store()
    secrets.set(CLIENT_SECRET_KEY, google_sandbox.client_secret)
    stop = threading.Event()
    with pytest.raises(UserError, match="Google sign-in was cancelled"):
        connect_google(google_settings, secrets, open_url=lambda url: stop.set(), timeout=300, stop=stop)
    assert secrets.get(REFRESH_TOKEN_KEY) is None


def test_connect_google_needs_client_secret(google_settings):
    with pytest.raises(UserError, match="client secret"):
        connect_google(google_settings, memory_secret_store(), open_url=lambda url: None, timeout=0.1)


def test_connect_google_with_wrong_client_secret_fails_cleanly(google_settings, google_sandbox):
    secrets = memory_secret_store()
    secrets.set(CLIENT_SECRET_KEY, "wrong")
    with pytest.raises(ProviderError) as info:
        connect_google(google_settings, secrets, open_url=_browser([]), timeout=10)
    assert info.value.status == 401
    assert secrets.get(REFRESH_TOKEN_KEY) is None
