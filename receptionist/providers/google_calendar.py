"""Google Calendar adapter: the ``CalendarProvider`` port on google-api-python-client.

The real client libraries are used end to end (googleapiclient's bundled discovery document, google-auth's
``Credentials`` refresh, google-auth-httplib2's ``AuthorizedHttp``, httplib2 trusting the OS certificate store through
``providers.http.OfficeHttp``), pointed at
``GoogleSettings.api_endpoint`` / ``token_uri`` so the same code talks to Google or to the loopback sandbox.

Failure mapping (see ``receptionist.errors``):

=========================================================  =============================================
429; 403 ``rateLimitExceeded``/``userRateLimitExceeded``   ``RateLimited`` (``retry_after`` from the header)
5xx, timeouts; no connection / closed before answering   ``TransientError``; ``Unreachable`` / ``Dropped``
401 after google-auth's own refresh; ``RefreshError``      ``AuthError``
404; 410 on an event                                       ``NotFound`` (``get_event`` → None; delete → ok)
412                                                        ``ConflictError``
410 on a sync token (``fullSyncRequired``)                 ``CursorExpired``
other 4xx                                                  ``ProviderError``
=========================================================  =============================================

Calls are not retried here (``num_retries=0``): the sync engine owns backoff.  httplib2 itself re-sends a request
once after a dropped connection (a POST included); creates use the draft's idempotency key (the appointment id,
plus a generation once re-created after a deletion) as the event id, so such a replay answers 409 and is resolved
by reading the event back — or ``NotFound`` if it was deleted since.

One provider holds one httplib2 connection, which is not thread-safe; calls are serialised with a lock.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import BatchError, HttpError
from googleapiclient.http import BatchHttpRequest

from receptionist.config import GoogleSettings
from receptionist.providers.http import OfficeHttp, connection_error, read_ahead, retry_after_seconds
from receptionist.providers.relisting import Relisting
from receptionist.domain.ports import (
    CalendarInfo,
    ChangeBatch,
    EventDraft,
    RemoteEvent,
    SecretStore,
    collect_changes,
    page_of_changes,
)
from receptionist.errors import (
    AuthError,
    ConflictError,
    CursorExpired,
    NotFound,
    ProviderError,
    RateLimited,
    TransientError,
    Unsupported,
    UserError,
)

log = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/calendar",)
UID_PROPERTY = "receptionist_uid"
REFRESH_TOKEN_KEY = "google.refresh_token"
CLIENT_SECRET_KEY = "google.client_secret"
NOT_CONNECTED = "Google Calendar is not connected: run `receptionist connect google`"
# events.list answers at most 2,500 events a page (its default is 250): a 10,000-event initial read is 4 requests.
MAX_PAGE = 2500
BATCH_LIMIT = 50  # calls in one batch request (Calendar v3's limit)

# ---------------------------------------------------------------------------------------------- error mapping


def _error_reason(exc: HttpError) -> str:
    try:
        data = json.loads(exc.content.decode("utf-8") if isinstance(exc.content, bytes) else exc.content)
        error = data.get("error")
        if isinstance(error, dict):
            errors = error.get("errors") or []
            if errors and isinstance(errors[0], dict) and errors[0].get("reason"):
                return str(errors[0]["reason"])
            details = error.get("details") or []
            for detail in details:
                if isinstance(detail, dict) and detail.get("reason"):
                    return str(detail["reason"])
            return str(error.get("status") or "")
        if isinstance(error, str):
            return error
    except (ValueError, AttributeError, TypeError):
        pass
    return ""


def _error_message(exc: HttpError) -> str:
    try:
        return str(exc._get_reason())  # googleapiclient's own extraction of error.message
    except Exception:  # pragma: no cover - defensive: never let error mapping raise
        return str(exc)




def map_http_error(exc: HttpError, *, sync_token: bool = False) -> ProviderError:
    """Translate a googleapiclient ``HttpError`` into the ``ProviderError`` family, worded as a sentence; Google's
    status, reason and message go to the log."""
    status = int(exc.resp.status)
    reason = _error_reason(exc)
    detail = _error_message(exc)
    log.info("Google Calendar answered %s %s: %s", status, reason, detail)
    message = f"Google Calendar refused the request: {detail.rstrip('.')}"
    retry_after = retry_after_seconds(exc.resp.get("retry-after"))
    if status == 429 or (status == 403 and reason in ("rateLimitExceeded", "userRateLimitExceeded",
                                                      "quotaExceeded", "RATE_LIMIT_EXCEEDED")):
        return RateLimited("Google Calendar asked us to slow down (rate limit: too many requests)", status=status,
                           retry_after=retry_after)
    if status >= 500:
        return TransientError(f"Google Calendar is having trouble on its side (it answered {status})",
                              status=status, retry_after=retry_after)
    if status == 401:
        return AuthError("Google Calendar refused the sign-in", status=status)
    if status == 410 and (sync_token or reason == "fullSyncRequired"):
        return CursorExpired(message, status=status)
    if status in (404, 410):
        return NotFound(message, status=status)
    if status == 412:
        return ConflictError(message, status=status)
    if status == 409:
        return ConflictError(message, status=status)
    return ProviderError(message, status=status)


def map_exception(exc: BaseException, *, sync_token: bool = False) -> ProviderError:
    """Translate anything the client stack raises into the ``ProviderError`` family (re-raises bugs)."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, HttpError):
        return map_http_error(exc, sync_token=sync_token)
    if isinstance(exc, google.auth.exceptions.RefreshError):
        # google-auth marks 5xx/429 answers of the token endpoint retryable; invalid_grant is not.
        log.info("Google token refresh failed: %r", exc)
        if getattr(exc, "retryable", False):
            return TransientError("Google's sign-in service is having trouble; it is tried again soon")
        return AuthError("Google refused the stored sign-in (it was revoked or has expired)")
    if isinstance(exc, google.auth.exceptions.TransportError):
        return connection_error("Google's sign-in service", exc, log)
    if isinstance(exc, (TimeoutError, socket.timeout)):
        log.info("Google Calendar: no answer in time: %r", exc)
        return TransientError("Google Calendar did not answer in time")
    if isinstance(exc, (httplib2.HttpLib2Error, ConnectionError, OSError)):
        return connection_error("Google Calendar", exc, log)
    raise exc


# ---------------------------------------------------------------------------------------------- time helpers


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    text = moment.astimezone(timezone.utc).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _parse_event_time(when: dict, fallback_zone: ZoneInfo | None) -> tuple[datetime, bool]:
    if when.get("dateTime"):
        moment = datetime.fromisoformat(when["dateTime"])
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_zone(when.get("timeZone")) or fallback_zone or timezone.utc)
        return moment.astimezone(timezone.utc), False
    day = date.fromisoformat(when["date"])
    zone = _zone(when.get("timeZone")) or fallback_zone or timezone.utc
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(timezone.utc), True


def _parse_updated(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).astimezone(timezone.utc)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------- the provider


class GoogleCalendarProvider:
    """``CalendarProvider`` for Google Calendar v3 (``kind = "google"``)."""

    kind = "google"
    reads_together = True  # get_events: one batch request per 50, on a connection of its own

    def __init__(self, settings: GoogleSettings, *, refresh_token: str, client_secret: str,
                 client_id: str | None = None, page_size: int = MAX_PAGE):
        self.settings = settings
        self.page_size = page_size
        # Built explicitly: Credentials.from_authorized_user_info() would put Google's token URI back.
        self.credentials = Credentials(
            token=None,
            refresh_token=refresh_token,
            token_uri=settings.token_uri,
            client_id=client_id or settings.client_id,
            client_secret=client_secret,
        )
        self._http = google_auth_httplib2.AuthorizedHttp(
            self.credentials, http=OfficeHttp(timeout=settings.timeout_seconds))  # the OS trust store
        self._service = build(
            "calendar", "v3",
            http=self._http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": settings.api_endpoint},
        )
        # ``service.events()`` builds every method of the resource from the discovery document (~2.5 ms of CPU
        # here, more than a loopback request): built once, not for every request.
        self._events = self._service.events()
        # googleapiclient builds the batch address from the discovery document's rootUrl, not the endpoint asked for
        root = urlsplit(settings.api_endpoint)
        self._batch_uri = f"{root.scheme}://{root.netloc}/batch/calendar/v3"
        self._lock = threading.RLock()  # httplib2 is not thread-safe: one request at a time on each connection
        # The sample's batches have their own connection (and lock): the engine sends them while a listing pages
        self._batch_http = google_auth_httplib2.AuthorizedHttp(
            self.credentials, http=OfficeHttp(timeout=settings.timeout_seconds))
        self._batch_lock = threading.Lock()
        self._zones: dict[str, ZoneInfo] = {}
        self._relisting = Relisting()

    # ------------------------------------------------------------------------------------------ plumbing

    def _execute(self, request, *, if_match: str | None = None, sync_token: bool = False) -> Any:
        if if_match:
            request.headers["If-Match"] = if_match
        with self._lock:
            try:
                return request.execute(num_retries=0)
            except Exception as exc:  # noqa: BLE001 - mapped or re-raised by map_exception
                raise map_exception(exc, sync_token=sync_token) from exc

    def _calendar_zone(self, calendar_id: str) -> ZoneInfo | None:
        if calendar_id not in self._zones:
            data = self._execute(self._service.calendars().get(calendarId=calendar_id))
            zone = _zone(data.get("timeZone"))
            if zone is None:
                return None
            self._zones[calendar_id] = zone
        return self._zones[calendar_id]

    def _to_remote(self, calendar_id: str, item: dict, list_zone: str | None = None) -> RemoteEvent:
        fallback = _zone(list_zone) or self._zones.get(calendar_id)
        start_info, end_info = item.get("start") or {}, item.get("end") or {}
        if fallback is None and ("date" in start_info or "date" in end_info) and "timeZone" not in start_info:
            fallback = self._calendar_zone(calendar_id)
        start, all_day = _parse_event_time(start_info, fallback)
        end, _ = _parse_event_time(end_info, fallback)
        private = ((item.get("extendedProperties") or {}).get("private") or {})
        return RemoteEvent(
            remote_id=item["id"],
            etag=item.get("etag", ""),
            title=item.get("summary", ""),
            start=start,
            end=end,
            description=item.get("description", ""),
            location=item.get("location", ""),
            uid=private.get(UID_PROPERTY),
            busy=item.get("transparency", "opaque") != "transparent",
            all_day=all_day,
            cancelled=item.get("status") == "cancelled",
            updated=_parse_updated(item.get("updated")),
        )

    @staticmethod
    def _body(draft: EventDraft) -> dict:
        if draft.start.tzinfo is None or draft.end.tzinfo is None:
            raise ValueError("EventDraft times must be timezone-aware")
        zone = draft.time_zone or "UTC"
        tz = _zone(zone) or timezone.utc
        return {
            "summary": draft.title,
            "description": draft.description,
            "location": draft.location,
            "start": {"dateTime": draft.start.astimezone(tz).isoformat(), "timeZone": zone},
            "end": {"dateTime": draft.end.astimezone(tz).isoformat(), "timeZone": zone},
            "extendedProperties": {"private": {UID_PROPERTY: draft.uid}},
        }

    # ------------------------------------------------------------------------------------------ the port

    def list_calendars(self) -> list[CalendarInfo]:
        out: list[CalendarInfo] = []
        page_token = None
        while True:
            data = self._execute(self._service.calendarList().list(pageToken=page_token, maxResults=250))
            for item in data.get("items", []):
                out.append(CalendarInfo(id=item["id"], name=item.get("summaryOverride") or item.get("summary", ""),
                                        primary=bool(item.get("primary")), time_zone=item.get("timeZone")))
                if item.get("timeZone") and _zone(item["timeZone"]):
                    self._zones[item["id"]] = ZoneInfo(item["timeZone"])
                    if item.get("primary"):
                        self._zones["primary"] = ZoneInfo(item["timeZone"])
            page_token = data.get("nextPageToken")
            if not page_token:
                return out

    def create_event(self, calendar_id: str, draft: EventDraft) -> RemoteEvent:
        event_id = draft.idempotency_key
        body = {"id": event_id, **self._body(draft)}
        request = self._events.insert(calendarId=calendar_id, body=body, sendUpdates="none")
        try:
            item = self._execute(request)
        except ConflictError as exc:
            if exc.status != 409:
                raise
            # The id is taken: our own earlier insert whose answer was lost (or httplib2's replay of it). It is
            # returned as Google holds it now; the engine compares it with what it sent.
            existing = self._execute(self._events.get(calendarId=calendar_id, eventId=event_id))
            uid = ((existing.get("extendedProperties") or {}).get("private") or {}).get(UID_PROPERTY)
            if uid != draft.uid:
                raise ConflictError(
                    f"event id {event_id} already exists on {calendar_id} and is not ours", status=409) from exc
            if existing.get("status") == "cancelled":
                # made by the first request, then deleted by a person: a re-create is a new generation's id
                raise NotFound(f"Google Calendar: our event {event_id} was deleted after it was created",
                               status=410) from exc
            log.info("Google event %s already existed (replayed create); using it", event_id)
            item = existing
        return self._to_remote(calendar_id, item)

    def get_event(self, calendar_id: str, remote_id: str) -> RemoteEvent | None:
        try:
            item = self._execute(self._events.get(calendarId=calendar_id, eventId=remote_id))
        except NotFound:
            return None
        if item.get("status") == "cancelled":
            return None
        return self._to_remote(calendar_id, item)

    def get_events(self, calendar_id: str, remote_ids: list[str]) -> list[RemoteEvent | None | Exception]:
        """Each event as ``get_event`` reads it, ``BATCH_LIMIT`` reads to a batch request (googleapiclient's
        ``BatchHttpRequest``, ``POST /batch/calendar/v3``). A read that failed inside the batch is its own error
        in its place (a rate limit is ``RateLimited``), the others standing; a failure of the batch itself
        raises. googleapiclient signs each call in again once if Google refused its sign-in."""
        out: list[RemoteEvent | None | Exception] = []
        for first in range(0, len(remote_ids), BATCH_LIMIT):
            chunk = remote_ids[first:first + BATCH_LIMIT]
            answers: dict[str, tuple[Any, Exception | None]] = {}
            batch = BatchHttpRequest(callback=lambda n, item, exc: answers.__setitem__(n, (item, exc)),
                                     batch_uri=self._batch_uri)
            for n, remote_id in enumerate(chunk):
                batch.add(self._events.get(calendarId=calendar_id, eventId=remote_id), request_id=str(n))
            with self._batch_lock:
                try:
                    batch.execute(http=self._batch_http)
                except BatchError as exc:
                    raise TransientError("Google Calendar answered a batch of reads this program cannot read") \
                        from exc
                except Exception as exc:  # noqa: BLE001 - mapped or re-raised by map_exception
                    raise map_exception(exc) from exc
            out.extend(self._batch_answer(calendar_id, *answers.get(str(n), (None, None))) for n in range(len(chunk)))
        return out

    def _batch_answer(self, calendar_id: str, item: Any, exc: Exception | None) -> RemoteEvent | None | Exception:
        if exc is not None:
            failure = map_exception(exc)
            return None if isinstance(failure, NotFound) else failure
        if not isinstance(item, dict):
            return TransientError("Google Calendar's batch answer left out one of its reads")
        return None if item.get("status") == "cancelled" else self._to_remote(calendar_id, item)

    def find_created(self, calendar_id: str, uid: str, idempotency_key: str) -> RemoteEvent | None:
        event = self.get_event(calendar_id, idempotency_key)  # the create's key is the event id
        return event if event is not None and event.uid == uid else None

    def update_event(self, calendar_id: str, remote_id: str, draft: EventDraft, etag: str | None) -> RemoteEvent:
        request = self._events.patch(calendarId=calendar_id, eventId=remote_id, body=self._body(draft),
                                     sendUpdates="none")
        item = self._execute(request, if_match=etag)
        return self._to_remote(calendar_id, item)

    def delete_event(self, calendar_id: str, remote_id: str, etag: str | None) -> None:
        request = self._events.delete(calendarId=calendar_id, eventId=remote_id, sendUpdates="none")
        try:
            self._execute(request, if_match=etag)
        except NotFound:
            return  # already gone (404) or already deleted (410)

    def _pages(self, calendar_id: str, params: dict, *, sync_token: bool = False):
        """Each page of an ``events.list``, following ``nextPageToken`` (the next page asked for while this one
        is read: ``read_ahead``)."""

        def fetch(page_token: str) -> dict:
            request = self._events.list(calendarId=calendar_id, pageToken=page_token or None, **params)
            data = self._execute(request, sync_token=sync_token)
            if data.get("timeZone") and _zone(data["timeZone"]):
                self._zones.setdefault(calendar_id, ZoneInfo(data["timeZone"]))
            return data

        return read_ahead(fetch, "", lambda data: data.get("nextPageToken") or None)

    def list_events(self, calendar_id: str, start: datetime, end: datetime) -> list[RemoteEvent]:
        """The window, recurring events expanded; what the last listing parsed at the same etag (and calendar
        zone) is not parsed again (``Relisting``)."""
        params = {"timeMin": _rfc3339(start), "timeMax": _rfc3339(end), "singleEvents": True,
                  "orderBy": "startTime", "maxResults": self.page_size}
        items = ((item["id"], (item.get("etag"), data.get("timeZone")) if item.get("etag") else None,
                  (item, data.get("timeZone")))
                 for data in self._pages(calendar_id, params)
                 for item in data.get("items", []) if item.get("status") != "cancelled")
        return self._relisting.read(calendar_id, items, lambda pair: self._to_remote(calendar_id, *pair))

    def busy_times(self, calendar_id: str, start: datetime, end: datetime,
                   zone: str = "UTC") -> list[tuple[datetime, datetime]]:
        """Busy periods over [start, end) from ``freebusy.query`` (one request; Google merges overlapping events
        and leaves out free/transparent and cancelled ones), asked in ``zone`` and returned in UTC. A calendar the
        query will not answer for (its per-calendar ``errors``, or a 4xx refusal) is ``Unsupported``."""
        body = {"timeMin": _rfc3339(start), "timeMax": _rfc3339(end), "timeZone": zone,
                "items": [{"id": calendar_id}]}
        try:
            data = self._execute(self._service.freebusy().query(body=body))
        except (TransientError, AuthError):
            raise
        except ProviderError as exc:
            raise Unsupported(f"Google Calendar would not answer a free/busy query: {exc}", status=exc.status) \
                from exc
        answer = (data.get("calendars") or {}).get(calendar_id) or {}
        if answer.get("errors") or calendar_id not in (data.get("calendars") or {}):
            reasons = ", ".join(e.get("reason", "?") for e in answer.get("errors") or []) or "no answer for it"
            raise Unsupported(f"Google Calendar's free/busy query has no answer for this calendar ({reasons})")
        return [(datetime.fromisoformat(p["start"]).astimezone(timezone.utc),
                 datetime.fromisoformat(p["end"]).astimezone(timezone.utc)) for p in answer.get("busy", [])]

    def list_changes(self, calendar_id: str, cursor: str | None, start: datetime, end: datetime) -> ChangeBatch:
        return collect_changes(self.read_changes(calendar_id, cursor, start, end))

    def read_changes(self, calendar_id: str, cursor: str | None, start: datetime,
                     end: datetime) -> Iterator[ChangeBatch]:
        """Incremental read, a ``ChangeBatch`` per page; the sync token comes with the last.

        With a cursor, Google reports every change since then in the whole calendar (a sync token cannot be
        combined with a time window), so events outside [start, end) may appear.  Deleted events come back with
        only their id guaranteed: those without times are reported in ``deleted_ids``.
        """
        if cursor:
            params: dict[str, Any] = {"syncToken": cursor, "singleEvents": True, "maxResults": self.page_size}
        else:
            params = {"timeMin": _rfc3339(start), "timeMax": _rfc3339(end), "singleEvents": True,
                      "showDeleted": True, "maxResults": self.page_size}
        def mention(item: dict, zone: str | None) -> RemoteEvent | str:
            has_times = bool((item.get("start") or {}).keys() & {"date", "dateTime"}) and bool(
                (item.get("end") or {}).keys() & {"date", "dateTime"})
            if item.get("status") == "cancelled" and not has_times:
                return item["id"]
            return self._to_remote(calendar_id, item, zone)

        for data in self._pages(calendar_id, params, sync_token=bool(cursor)):
            yield page_of_changes((mention(item, data.get("timeZone")) for item in data.get("items", [])),
                                  data.get("nextSyncToken"), cursor is None)


def google_provider(settings: GoogleSettings, secrets: SecretStore, **kwargs: Any) -> GoogleCalendarProvider:
    """The provider for ``settings``, with the refresh token and client secret from the keyring."""
    refresh_token = secrets.get(REFRESH_TOKEN_KEY)
    client_secret = secrets.get(CLIENT_SECRET_KEY)
    if not refresh_token or not client_secret:
        raise UserError(NOT_CONNECTED)
    if not settings.client_id:
        raise UserError("google.client_id is empty in the location profile")
    return GoogleCalendarProvider(settings, refresh_token=refresh_token, client_secret=client_secret, **kwargs)
