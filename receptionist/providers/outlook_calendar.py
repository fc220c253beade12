"""Outlook / Microsoft 365 calendar over Microsoft Graph v1.0 (plain ``requests``; tokens from msal).

Every request carries ``Prefer: outlook.timezone="UTC", outlook.body-content-type="text"`` so times come back in
UTC and bodies as text.  Writes are idempotent and recognisable as ours: ``transactionId`` = the draft's
idempotency key (the appointment uid, plus a generation once re-created after a deletion: Graph refuses a
transactionId used before; it answers a retried POST with the event the first POST created, as it is now, which
the engine compares with what it sent) and a single-value extended property ``receptionist.uid`` holding the uid.
Reads of one event expand that property; delta responses never carry extended properties, so events from
``list_changes`` have ``uid=None`` -- match them by ``remote_id``.

Reads go through ``calendarView`` (and its delta), so a recurring series arrives as one event per occurrence or
exception (``seriesMasterId`` set), never as its master.  All-day events are floating dates: Graph answers them as
midnight in the requested zone (UTC here), so they are read as midnight to midnight in ``all_day_zone`` (the
location's zone), the day the people at the desk see them on.

Errors become ``receptionist.errors`` types: 429 → ``RateLimited`` (``retry_after`` from ``Retry-After``),
5xx/timeouts → ``TransientError``, no connection → ``Unreachable``, a connection closed before the
answer → ``Dropped``, 401 after one token refresh → ``AuthError``, 404 →
``NotFound`` (``get_event`` answers None, ``delete_event`` ignores it), 409/412 → ``ConflictError``, 410 on a delta
link → ``CursorExpired``, anything else → ``ProviderError`` carrying Graph's message.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone, tzinfo
from typing import Protocol
from urllib.parse import quote, urlencode, urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from requests.structures import CaseInsensitiveDict
from tzlocal.windows_tz import win_tz

from receptionist.config import OutlookSettings
from receptionist.providers.http import connection_error, read_ahead, retry_after_seconds
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
from receptionist.providers.microsoft_auth import http_session, is_connected, outlook_token_source

log = logging.getLogger(__name__)

UTC = timezone.utc
UID_PROPERTY_ID = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name receptionist.uid"
EXPAND_UID = f"singleValueExtendedProperties($filter=id eq '{UID_PROPERTY_ID}')"
PREFER = 'outlook.timezone="UTC", outlook.body-content-type="text"'
_UID_PROPERTY_KEY = UID_PROPERTY_ID.casefold()  # Graph may echo a property id in another case
NOT_BUSY = {"free", "workingelsewhere"}
DEFAULT_CALENDAR_ALIASES = {"", "primary", "default", "calendar"}
# Outlook resources page 10 by default and take up to 1,000 a page ($top, Prefer: odata.maxpagesize); a bigger
# page costs Graph no more than the round trips it saves. A service that caps lower just sends more pages.
MAX_PAGE = 1000
BATCH_LIMIT = 20  # requests in one JSON batch (POST /$batch)


class TokenSource(Protocol):
    """``access_token()`` for every request; a source may also have ``new_cycle()`` (see ``begin_cycle``)."""

    def access_token(self, force_refresh: bool = False) -> str: ...


_FRACTION = re.compile(r"\.(\d+)")


def _parse_iso(text: str) -> datetime:
    """Graph's timestamps: seven fraction digits, ``Z`` or none. ``fromisoformat`` (3.11) reads those as they
    come (10,000 events are 30,000 of them); the rewrite is for anything else it refuses."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    text = text.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    return datetime.fromisoformat(text)


@functools.lru_cache(maxsize=64)
def _zone(name: str | None) -> tzinfo:
    """The zone a Graph ``timeZone`` names, IANA or Windows (Exchange answers "Central Standard Time" where a
    mailbox or an event was set up that way; CLDR's table in ``tzlocal`` maps it); UTC as ``timezone.utc``, which
    every instant is converted to: an instant in it needs no conversion (through ``ZoneInfo("UTC")`` each of
    10,000 events' times cost 1 µs more)."""
    if not name or name.upper() in ("UTC", "ETC/UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(win_tz.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("Graph answered with time zone %r we cannot read; taking it as UTC", name)
        return UTC


def _parse_when(value: dict | None) -> datetime:
    if not value or not value.get("dateTime"):
        raise ProviderError("Outlook returned an event without start/end")
    moment = _parse_iso(value["dateTime"])
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(value.get("timeZone")))
    return moment.astimezone(UTC)


def _wall_time(instant: datetime, zone_name: str) -> tuple[str, str]:
    """(``dateTime`` without offset, ``timeZone``) for a Graph dateTimeTimeZone; unknown zones fall back to UTC."""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone_name, zone = "UTC", ZoneInfo("UTC")
    local = instant.astimezone(zone).replace(tzinfo=None)
    return local.isoformat(timespec="microseconds" if local.microsecond else "seconds"), zone_name


def _clean_text(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").strip()


def _all_day_instant(value: dict | None, zone: tzinfo) -> datetime:
    """Midnight of an all-day event's date (whatever zone Graph labelled it with) in ``zone``, as UTC."""
    if not value or not value.get("dateTime"):
        raise ProviderError("Outlook returned an event without start/end")
    day = _parse_iso(value["dateTime"]).date()
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def parse_event(item: dict, all_day_zone: tzinfo = UTC) -> RemoteEvent:
    """A Graph event (asked for with the ``Prefer`` headers above) as a ``RemoteEvent``; an all-day event spans
    its dates in ``all_day_zone``."""
    uid = None
    for prop in item.get("singleValueExtendedProperties") or ():
        if str(prop.get("id", "")).casefold() == _UID_PROPERTY_KEY:
            uid = prop.get("value")
    modified = item.get("lastModifiedDateTime")
    all_day = bool(item.get("isAllDay"))
    when = (lambda value: _all_day_instant(value, all_day_zone)) if all_day else _parse_when
    return RemoteEvent(
        remote_id=item["id"],
        etag=item.get("@odata.etag") or "",
        title=item.get("subject") or "",
        start=when(item.get("start")),
        end=when(item.get("end")),
        description=_clean_text((item.get("body") or {}).get("content")),
        location=((item.get("location") or {}).get("displayName") or ""),
        uid=uid,
        busy=str(item.get("showAs") or "busy").lower() not in NOT_BUSY,
        all_day=all_day,
        cancelled=bool(item.get("isCancelled")),
        updated=_parse_iso(modified).astimezone(UTC) if modified else None,
    )


def _graph_error(body: object, reason: str) -> tuple[str, str]:
    """(code, message) of a decoded Graph error body."""
    error = (body.get("error") if isinstance(body, dict) else None) or {}
    if isinstance(error, str):  # not Graph's shape; be lenient
        return error, error
    return str(error.get("code") or ""), str(error.get("message") or reason or "")


def _decoded(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


class OutlookCalendarProvider:
    """``CalendarProvider`` for an Outlook / Microsoft 365 mailbox (see module docstring)."""

    kind = "outlook"
    reads_together = True  # get_events: one $batch per 20, on a session of its own

    def __init__(self, settings: OutlookSettings, tokens: TokenSource, *, session: requests.Session | None = None,
                 page_size: int = MAX_PAGE, all_day_zone: str = "UTC"):
        self._settings = settings
        self._tokens = tokens
        self._session = session or http_session(settings)
        # The sample's batches have a session of their own: the engine sends them while a listing pages on the other
        self._batch_session = http_session(settings)
        self._root = settings.graph_endpoint.rstrip("/")
        origin = urlparse(self._root)
        self._origin = f"{origin.scheme}://{origin.netloc}"
        self.page_size = page_size
        self._all_day_zone = _zone(all_day_zone)
        self._schedule_id: str | None = None  # the mailbox's SMTP address, for getSchedule (read once)
        self._default_ids: dict[str, bool] = {}  # calendar id -> is it the mailbox's default calendar
        self._relisting = Relisting()

    def begin_cycle(self) -> None:
        """A sync cycle begins (the engine says so): the stored sign-in is read from the keyring once more at the
        next request, not at every request."""
        new_cycle = getattr(self._tokens, "new_cycle", None)
        if new_cycle is not None:
            new_cycle()

    # -------------------------------------------------------------------------------------------- plumbing
    def _calendar_path(self, calendar_id: str | None) -> str:
        cal = calendar_id or self._settings.calendar_id or ""
        if cal.lower() in DEFAULT_CALENDAR_ALIASES:
            return "/me/calendar"
        return f"/me/calendars/{quote(cal, safe='')}"

    def _event_path(self, calendar_id: str | None, remote_id: str) -> str:
        return f"{self._calendar_path(calendar_id)}/events/{quote(remote_id, safe='')}"

    def _ours(self, url: str) -> bool:
        """Links from Graph (nextLink/deltaLink/cursor) are only followed on the configured Graph host."""
        return url.startswith(self._origin + "/")

    def _request(self, method: str, path_or_url: str, *, params: dict | None = None, json: dict | None = None,
                 headers: dict | None = None, delta: bool = False,
                 session: requests.Session | None = None, refreshed: bool = False) -> requests.Response:
        url = path_or_url if path_or_url.startswith(("https://", "http://")) else self._root + path_or_url
        base_headers = {"Prefer": PREFER, "Accept": "application/json", **(headers or {})}
        for attempt in (2,) if refreshed else (1, 2):  # refreshed: the token is refreshed before the one try
            token = self._tokens.access_token(force_refresh=attempt == 2)
            try:
                response = (session or self._session).request(
                    method, url, params=params, json=json, timeout=self._settings.timeout_seconds,
                    headers={**base_headers, "Authorization": f"Bearer {token}"},
                )
            except requests.Timeout as exc:
                raise TransientError(f"Outlook did not answer within {self._settings.timeout_seconds:g} s") from exc
            except requests.RequestException as exc:
                raise connection_error("Outlook", exc, log) from exc
            if response.status_code != 401:
                break
            log.info("Graph refused the access token (%s %s); refreshing once", method, urlparse(url).path)
        if response.status_code < 400:
            return response
        self._raise(response, delta=delta)
        raise AssertionError("unreachable")  # pragma: no cover

    @classmethod
    def _raise(cls, response: requests.Response, *, delta: bool) -> None:
        raise cls._failure(response.status_code, response.headers, _decoded(response), response.reason or "",
                           delta=delta)

    @staticmethod
    def _failure(status: int, headers, body: object, reason: str, *, delta: bool) -> ProviderError:
        """The error a Graph answer with this status, headers and decoded body means (a request on its own, or
        one answer inside a ``$batch``)."""
        code, message = _graph_error(body, reason)
        text = f"Outlook: {message or 'HTTP ' + str(status)}" + (f" ({code})" if code else "")
        retry_after = retry_after_seconds(CaseInsensitiveDict(headers or {}).get("Retry-After"))
        if status == 401:
            exc: ProviderError = AuthError("Outlook refused the sign-in: run `receptionist connect outlook`",
                                           status=status)
        elif status == 429:
            exc = RateLimited(text, status=status, retry_after=retry_after)
        elif status >= 500:
            log.info("%s", text)
            exc = TransientError(f"Outlook is having trouble on its side (it answered {status})", status=status,
                                 retry_after=retry_after)
        elif status == 410 and delta:
            exc = CursorExpired(text, status=status)
        elif status in (404, 410):
            exc = NotFound(text, status=status)
        elif status in (409, 412):
            exc = ConflictError(text, status=status)
        else:
            exc = ProviderError(text, status=status, retry_after=retry_after)
        exc.graph_code = code  # type: ignore[attr-defined]
        return exc

    def _pages(self, path: str, params: dict | None, *, delta: bool = False, headers: dict | None = None):
        """Yield each page's JSON, following ``@odata.nextLink`` (the next page asked for while this one is read:
        ``read_ahead``); the last page is yielded too."""

        def fetch(where: tuple[str, dict | None]) -> dict:
            return self._request("GET", where[0], params=where[1], delta=delta, headers=headers).json()

        def next_of(page: dict) -> tuple[str, None] | None:
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return None
            if not self._ours(next_link):
                raise ProviderError(f"Outlook sent a next-page link to another host: {urlparse(next_link).netloc}")
            return next_link, None

        return read_ahead(fetch, (path, params), next_of)

    @staticmethod
    def _window(start: datetime, end: datetime) -> dict:
        def fmt(moment: datetime) -> str:
            if moment.tzinfo is None:
                raise ValueError("calendar windows must be timezone-aware")
            return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "Z"

        return {"startDateTime": fmt(start), "endDateTime": fmt(end)}

    @staticmethod
    def _body(draft: EventDraft) -> dict:
        start, zone = _wall_time(draft.start, draft.time_zone)
        end, _ = _wall_time(draft.end, draft.time_zone)
        return {
            "subject": draft.title,
            "body": {"contentType": "text", "content": draft.description},
            "start": {"dateTime": start, "timeZone": zone},
            "end": {"dateTime": end, "timeZone": zone},
            "location": {"displayName": draft.location},
            "showAs": "busy",
            "singleValueExtendedProperties": [{"id": UID_PROPERTY_ID, "value": draft.uid}],
        }

    # ------------------------------------------------------------------------------------------ the port
    def list_calendars(self) -> list[CalendarInfo]:
        out = []
        for page in self._pages("/me/calendars", None):
            for item in page.get("value", []):
                out.append(CalendarInfo(id=item["id"], name=item.get("name") or "",
                                        primary=bool(item.get("isDefaultCalendar"))))
        return out

    def create_event(self, calendar_id: str, draft: EventDraft) -> RemoteEvent:
        """A POST with our ``transactionId``: Graph answers a replayed one with the event the first made, as it is
        now, which is returned as it is (the engine compares it with what it sent)."""
        body = {**self._body(draft), "transactionId": draft.idempotency_key}
        try:
            response = self._request("POST", f"{self._calendar_path(calendar_id)}/events", json=body)
        except ProviderError as exc:
            if getattr(exc, "graph_code", None) == "ErrorDuplicateTransactionId":
                # the transactionId was used before for an event Graph no longer pairs with this POST (moved
                # or deleted): our event, if it is still there, is found by its receptionist.uid property.
                existing = self.find_by_uid(calendar_id, draft.uid)
                if existing is None:
                    raise NotFound(f"Outlook: our event for this appointment was deleted after it was created "
                                   f"({exc})", status=404) from exc
                return existing
            raise
        return replace(parse_event(response.json(), self._all_day_zone), uid=draft.uid)

    def find_created(self, calendar_id: str, uid: str, idempotency_key: str) -> RemoteEvent | None:
        return self.find_by_uid(calendar_id, uid)  # whichever generation made it: it is this appointment's

    def find_by_uid(self, calendar_id: str, uid: str) -> RemoteEvent | None:
        """Our event with ``receptionist.uid == uid`` in the calendar, if any."""
        flt = (f"singleValueExtendedProperties/Any(ep: ep/id eq '{UID_PROPERTY_ID}' and ep/value eq "
               f"'{uid.replace(chr(39), chr(39) * 2)}')")
        page = self._request("GET", f"{self._calendar_path(calendar_id)}/events",
                             params={"$filter": flt, "$expand": EXPAND_UID, "$top": "2"}).json()
        items = page.get("value") or []
        return parse_event(items[0], self._all_day_zone) if items else None

    def get_event(self, calendar_id: str, remote_id: str) -> RemoteEvent | None:
        try:
            response = self._request("GET", self._event_path(calendar_id, remote_id), params={"$expand": EXPAND_UID})
        except NotFound:
            return None
        return parse_event(response.json(), self._all_day_zone)

    def get_events(self, calendar_id: str, remote_ids: list[str]) -> list[RemoteEvent | None | ProviderError]:
        """Each event as ``get_event`` reads it, ``BATCH_LIMIT`` reads to a ``POST /$batch`` (Graph's JSON
        batching). Graph answers a batch's requests in any order, each with its own status: the answers are matched
        by id, and one that failed is that read's own error (a 429 is ``RateLimited`` with its own
        ``Retry-After``) in its place, while the others stand; reads refused for the token (401) are sent once
        more in one batch with a refreshed token, as a lone request is. A failure of the batch itself raises."""
        out: list[RemoteEvent | None | ProviderError] = []
        for first in range(0, len(remote_ids), BATCH_LIMIT):
            chunk = self._read_batch(calendar_id, remote_ids[first:first + BATCH_LIMIT])
            refused = [n for n, got in enumerate(chunk) if isinstance(got, AuthError)]
            if refused:  # as a lone request refused for its token: the token refreshed, those reads sent once more
                log.info("Graph refused the access token for %d read(s) inside a batch; refreshing once",
                         len(refused))
                again = self._read_batch(calendar_id, [remote_ids[first + n] for n in refused], refreshed=True)
                for n, got in zip(refused, again):
                    chunk[n] = got
            out.extend(chunk)
        return out

    def _read_batch(self, calendar_id: str, remote_ids: list[str], *,
                    refreshed: bool = False) -> list[RemoteEvent | None | ProviderError]:
        """One ``POST /$batch`` of up to ``BATCH_LIMIT`` reads (``refreshed``: with a newly refreshed token)."""
        query = urlencode({"$expand": EXPAND_UID})
        each = {"Prefer": PREFER, "Accept": "application/json"}  # an envelope's headers do not reach its requests
        batch = [{"id": str(n), "method": "GET", "url": f"{self._event_path(calendar_id, rid)}?{query}",
                  "headers": each} for n, rid in enumerate(remote_ids)]
        answer = _decoded(self._request("POST", "/$batch", json={"requests": batch}, session=self._batch_session,
                                        refreshed=refreshed))
        responses = answer.get("responses") if isinstance(answer, dict) else None
        by_id = {str(r.get("id")): r for r in responses or [] if isinstance(r, dict)}
        return [self._batch_answer(by_id.get(str(n))) for n in range(len(remote_ids))]

    def _batch_answer(self, answer: dict | None) -> RemoteEvent | None | ProviderError:
        if answer is None:
            return TransientError("Outlook's batch answer left out one of its reads")
        status = int(answer.get("status") or 0)
        body = answer.get("body")
        if 200 <= status < 300 and isinstance(body, dict):
            return parse_event(body, self._all_day_zone)
        failure = self._failure(status, answer.get("headers"), body, "", delta=False)
        return None if isinstance(failure, NotFound) else failure

    def update_event(self, calendar_id: str, remote_id: str, draft: EventDraft, etag: str | None) -> RemoteEvent:
        headers = {"If-Match": etag} if etag else None
        response = self._request("PATCH", self._event_path(calendar_id, remote_id), json=self._body(draft),
                                 headers=headers)
        event = parse_event(response.json(), self._all_day_zone)
        return replace(event, uid=event.uid or draft.uid)

    def delete_event(self, calendar_id: str, remote_id: str, etag: str | None) -> None:
        headers = {"If-Match": etag} if etag else None
        try:
            self._request("DELETE", self._event_path(calendar_id, remote_id), headers=headers)
        except NotFound:
            return None

    def list_events(self, calendar_id: str, start: datetime, end: datetime) -> list[RemoteEvent]:
        """The window through ``calendarView``; what the last listing parsed at the same etag is not parsed again
        (``Relisting``)."""
        params = {**self._window(start, end), "$top": str(self.page_size), "$expand": EXPAND_UID}
        items = ((item["id"], item.get("@odata.etag"), item)
                 for page in self._pages(f"{self._calendar_path(calendar_id)}/calendarView", params)
                 for item in page.get("value", []))
        return self._relisting.read(calendar_id, items, lambda item: parse_event(item, self._all_day_zone))

    def busy_times(self, calendar_id: str, start: datetime, end: datetime,
                   zone: str = "UTC") -> list[tuple[datetime, datetime]]:
        """Busy periods over [start, end) from ``calendar/getSchedule`` for this mailbox, asked in ``zone`` and
        returned in UTC: tentative, busy, out-of-office and unknown items count, free and working-elsewhere do not.
        getSchedule answers for the mailbox's default calendar only, so another calendar is ``Unsupported``, as is
        a refusal (a permission the sign-in lacks, a schedule error)."""
        try:
            if not self._is_default(calendar_id):
                raise Unsupported("Outlook's getSchedule covers the mailbox's default calendar only")
            if self._schedule_id is None:
                me = self._request("GET", "/me", params={"$select": "mail,userPrincipalName"}).json()
                self._schedule_id = me.get("mail") or me.get("userPrincipalName") or ""
            first, _ = _wall_time(start, zone)
            last, zone_name = _wall_time(end, zone)
            body = {"schedules": [self._schedule_id], "startTime": {"dateTime": first, "timeZone": zone_name},
                    "endTime": {"dateTime": last, "timeZone": zone_name}, "availabilityViewInterval": 15}
            answer = self._request("POST", "/me/calendar/getSchedule", json=body,
                                   headers={"Prefer": f'outlook.timezone="{zone_name}"'}).json()
        except (TransientError, AuthError, Unsupported):
            raise
        except ProviderError as exc:
            raise Unsupported(f"Outlook would not answer getSchedule: {exc}", status=exc.status) from exc
        schedule = next(iter(answer.get("value") or []), None)
        if schedule is None or schedule.get("error"):
            detail = ((schedule or {}).get("error") or {}).get("responseCode") or "no answer for the mailbox"
            raise Unsupported(f"Outlook's getSchedule has no answer for this mailbox ({detail})")
        return [(_parse_when(item.get("start")), _parse_when(item.get("end")))
                for item in schedule.get("scheduleItems") or []
                if str(item.get("status") or "busy").lower() not in NOT_BUSY]

    def _is_default(self, calendar_id: str | None) -> bool:
        cal = calendar_id or self._settings.calendar_id or ""
        if cal.lower() in DEFAULT_CALENDAR_ALIASES:
            return True
        if cal not in self._default_ids:
            item = self._request("GET", self._calendar_path(cal), params={"$select": "isDefaultCalendar"}).json()
            self._default_ids[cal] = bool(item.get("isDefaultCalendar"))
        return self._default_ids[cal]

    def list_changes(self, calendar_id: str, cursor: str | None, start: datetime, end: datetime) -> ChangeBatch:
        return collect_changes(self.read_changes(calendar_id, cursor, start, end))

    def read_changes(self, calendar_id: str, cursor: str | None, start: datetime,
                     end: datetime) -> Iterator[ChangeBatch]:
        """``calendarView/delta``, a ``ChangeBatch`` per page (``@removed``: deleted, or moved out of the window);
        the delta link comes with the last page."""
        headers = {"Prefer": f"{PREFER}, odata.maxpagesize={self.page_size}"}
        if cursor is None:
            url, params, full = f"{self._calendar_path(calendar_id)}/calendarView/delta", self._window(start, end), True
        else:
            if not self._ours(cursor):
                raise CursorExpired("Outlook delta link belongs to another Graph endpoint; a full read is needed")
            url, params, full = cursor, None, False
        for page in self._pages(url, params, delta=True, headers=headers):
            delta_link = page.get("@odata.deltaLink")
            if delta_link is None and page.get("@odata.nextLink") is None:
                raise ProviderError("Outlook ended a delta round without a delta link")
            yield page_of_changes((item["id"] if "@removed" in item else parse_event(item, self._all_day_zone)
                                   for item in page.get("value", [])), delta_link, full)


def outlook_provider(settings: OutlookSettings, secrets: SecretStore, *,
                     all_day_zone: str = "UTC") -> OutlookCalendarProvider:
    """The Outlook provider for a profile, using the sign-in stored by ``receptionist connect outlook``;
    ``all_day_zone`` is the location's zone (see the module docstring)."""
    if not is_connected(secrets):
        raise UserError("Outlook is not connected: run `receptionist connect outlook`")
    return OutlookCalendarProvider(settings, outlook_token_source(settings, secrets), all_day_zone=all_day_zone)
