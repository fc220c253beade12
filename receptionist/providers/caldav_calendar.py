"""CalDAV calendar (iCloud, Fastmail, Nextcloud, Radicale, ...): the ``CalendarProvider`` port on the ``caldav``
library (transport, sign-in negotiation, discovery, Retry-After, multistatus parsing), ``icalendar`` for the data
and ``recurring-ical-events`` to expand recurring events with their exceptions.

Identity.  ``remote_id`` is an event resource's path on the server (``/dav/calendars/pat/work/<key>.ics``); an
occurrence of a recurring event is ``<path>#<RECURRENCE-ID in UTC>`` (``...#20261110T160000Z``, a date for an
all-day series), so a moved occurrence keeps its id.  Our events are written to ``<calendar>/<key>.ics`` with
``UID:<key>``, where the key is the draft's idempotency key (the appointment id, plus ``g<n>`` once re-created),
and carry ``X-RECEPTIONIST-UID:<appointment id>``.

Writes.  A create is ``PUT`` with ``If-None-Match: *``: a retry after a lost answer gets 412, the event is read and
returned as it is now (the engine compares it with what it sent), never made twice.  Updates and deletes send
``If-Match: <etag>``; a 412 is ``ConflictError``, which the engine reads and compares before it calls it a conflict.
An update reads the event first and changes only our fields, so what a person added (alarms, notes in other
properties) survives.  Every write is read back by the engine through ``get_event``.

Reads.  ``list_changes`` uses the collection's RFC 6578 ``sync-collection`` REPORT with ``calendar-data`` asked
for, so a cycle with nothing changed is one REPORT; a server that answers the token as invalid
(``DAV:valid-sync-token``) gives ``CursorExpired``.  A full read takes the token first (``PROPFIND``) and then
lists the window with a ``calendar-query`` (time-range), so nothing changed in between is missed.

Server quirks, each handled here:

* **Servers without sync-collection** (no ``DAV:sync-token`` property, or the REPORT refused): the cursor is the
  collection's ``CS:getctag`` instead (``ctag:`` cursors); an unchanged ctag is an empty batch, a changed one a
  full read of the window (``full=True``), whose comparison against the cache is the etag comparison.
* **iCloud's per-user host**: iCloud answers ``caldav.icloud.com`` with a principal on ``pNN-caldav.icloud.com``;
  calendar ids are therefore kept as absolute URLs (whatever host the discovery ended on) and every href is
  resolved against the calendar's own URL, never against the URL the person typed.
* **Servers that rewrite an event's href** (some store a PUT under a name of their own and answer ``Location``, or
  201 without it): after a create we follow ``Location``, and when our href is not there we find the event by
  its UID with a ``calendar-query``; the link keeps whatever href the server chose.
* **Nextcloud's trash bin** keeps a deleted event's UID and refuses a new event with it (``no-uid-conflict``): the
  event is recreated under a new UID ``<key>r<n>`` (deterministic, so a retry of that create is still one event),
  and the link keeps pointing at the new href with the same ``X-RECEPTIONIST-UID``.

A plain ``PUT`` cannot tell a first create from one whose event a person deleted since: the provider remembers
the hrefs it saw deleted (its own deletes and the deletions a pull reported) and answers ``NotFound`` for a create
of one of them, as the port asks.

Memory.  A sync report names a changed series, not which of its occurrences went away, so the provider keeps the
occurrence ids it last reported per recurring event, as of each of the last two cursors it returned (the engine
may not have stored the newest when the desk stopped); the hrefs of ours seen deleted; and whether the server
refused sync-collection.  All of it is kept through ``ProviderMemory`` (the store's ``provider_memory`` table, one
JSON document per calendar URL), so a provider built anew on the same store carries on from the engine's cursor.
A sync cursor the memory does not know (a desk upgraded from before it) costs one full read.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote, unquote, urljoin, urlparse
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
from caldav import DAVClient
from caldav.elements import dav
from caldav.lib import error as dav_error
from caldav.lib.http_sync import requests as http

from receptionist.config import CalDavSettings
from receptionist.domain.ports import (
    CalendarInfo,
    ChangeBatch,
    EventDraft,
    ProviderMemory,
    RemoteEvent,
    SecretStore,
)
from receptionist.errors import (
    AuthError,
    ConflictError,
    CursorExpired,
    NotFound,
    ProviderError,
    RateLimited,
    TransientError,
    Unreachable,
    UserError,
)

log = logging.getLogger(__name__)

UTC = timezone.utc
PASSWORD_KEY = "caldav.password"
UID_PROPERTY = "X-RECEPTIONIST-UID"
PRODID = "-//Receptionist Console//CalDAV//EN"
NOT_CONNECTED = "CalDAV is not connected: run `receptionist connect caldav --url URL --username NAME`"
_OUR_KEY = re.compile(r"^([0-9a-f]{32})(?:g\d+)?(?:r\d+)?$")
_UID_CONFLICT = "{urn:ietf:params:xml:ns:caldav}no-uid-conflict"
_NO_REPORT = "{DAV:}supported-report"
_RENAMES = 3  # how many new UIDs a create tries when the old one is still held by a trash bin
_ICAL = {"Content-Type": "text/calendar; charset=utf-8"}
_XML = {"Content-Type": "application/xml; charset=utf-8"}
_NS = 'xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/"'
_COLLECTION_PROPS = f'<?xml version="1.0" encoding="utf-8"?><d:propfind {_NS}><d:prop><d:sync-token/><cs:getctag/>' \
                    '</d:prop></d:propfind>'


def _sync_query(token: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><d:sync-collection {_NS}><d:sync-token>{escape(token)}'
            '</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/><c:calendar-data/></d:prop>'
            '</d:sync-collection>')


def _time_range_query(start: datetime, end: datetime) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><c:calendar-query {_NS}><d:prop><d:getetag/><c:calendar-data/>'
            '</d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
            f'<c:time-range start="{_stamp(start)}" end="{_stamp(end)}"/></c:comp-filter></c:comp-filter>'
            '</c:filter></c:calendar-query>')


def _uid_query(uid: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><c:calendar-query {_NS}><d:prop><d:getetag/><c:calendar-data/>'
            '</d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
            f'<c:prop-filter name="UID"><c:text-match collation="i;octet">{escape(uid)}</c:text-match>'
            '</c:prop-filter></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>')


def _multiget_query(hrefs: Iterable[str]) -> str:
    refs = "".join(f"<d:href>{escape(h)}</d:href>" for h in hrefs)
    return (f'<?xml version="1.0" encoding="utf-8"?><c:calendar-multiget {_NS}><d:prop><d:getetag/>'
            f'<c:calendar-data/></d:prop>{refs}</c:calendar-multiget>')


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("calendar windows must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _path(url: str) -> str:
    """An href in one spelling (servers differ on escaping ``@`` and the like): fully percent-encoded but ``/``."""
    return quote(unquote(urlparse(url).path), safe="/")


# ---------------------------------------------------------------------------------------------- iCalendar


def draft_calendar(draft: EventDraft, uid: str, base: icalendar.Calendar | None = None) -> icalendar.Calendar:
    """The iCalendar object for ``draft``: ``base`` (the event as the server holds it) with our fields replaced, or
    a new one. Times are written in the draft's zone (with its VTIMEZONE) so calendar apps show local time."""
    zone = _zone(draft.time_zone)
    if base is None:
        cal = icalendar.Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        event = icalendar.Event()
        event.add("uid", uid)
        cal.add_component(event)
    else:
        cal = base
        event = next(c for c in cal.walk("VEVENT") if "RECURRENCE-ID" not in c)
    now = datetime.now(UTC).replace(microsecond=0)
    sequence = int(event.get("SEQUENCE", -1)) + 1
    for name in ("SUMMARY", "DESCRIPTION", "LOCATION", "DTSTART", "DTEND", "DURATION", "DTSTAMP", "LAST-MODIFIED",
                 "TRANSP", UID_PROPERTY, "SEQUENCE"):
        event.pop(name, None)
    event.add("summary", draft.title)
    if draft.description:
        event.add("description", draft.description)
    if draft.location:
        event.add("location", draft.location)
    event.add("dtstart", draft.start.astimezone(zone))
    event.add("dtend", draft.end.astimezone(zone))
    event.add("dtstamp", now)
    event.add("last-modified", now)
    event.add("transp", "OPAQUE")
    event.add("sequence", sequence)
    event.add(UID_PROPERTY, draft.uid)
    if zone.key != "UTC":
        cal.add_missing_timezones()
    return cal


def _occurrence_key(value) -> str:
    moment = value.dt if hasattr(value, "dt") else value
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            return moment.strftime("%Y%m%dT%H%M%S")
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return moment.strftime("%Y%m%d")


class _Parser:
    """iCalendar resources to ``RemoteEvent`` s: floating times and all-day dates are read in the location's zone
    (the day the people at the desk see them on)."""

    def __init__(self, all_day_zone: ZoneInfo):
        self.zone = all_day_zone

    def instant(self, value) -> tuple[datetime, bool]:
        moment = value.dt if hasattr(value, "dt") else value
        if isinstance(moment, datetime):
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.zone)
            return moment.astimezone(UTC), False
        return datetime(moment.year, moment.month, moment.day, tzinfo=self.zone).astimezone(UTC), True

    def event(self, component, href: str, etag: str, *, occurrence: bool) -> RemoteEvent:
        start, all_day = self.instant(component["DTSTART"])
        if "DTEND" in component:
            end, _ = self.instant(component["DTEND"])
        elif "DURATION" in component:
            end = start + component["DURATION"].dt
        else:
            end = start + (timedelta(days=1) if all_day else timedelta(0))
        uid = str(component.get(UID_PROPERTY) or "") or None
        if uid is None:
            match = _OUR_KEY.match(str(component.get("UID", "")))
            uid = match.group(1) if match and not occurrence else None
        modified = component.get("LAST-MODIFIED") or component.get("DTSTAMP")
        remote_id = f"{href}#{_occurrence_key(component['RECURRENCE-ID'])}" if occurrence else href
        return RemoteEvent(
            remote_id=remote_id,
            etag=etag,
            title=str(component.get("SUMMARY", "")),
            start=start,
            end=end,
            description=str(component.get("DESCRIPTION", "")).replace("\r\n", "\n"),
            location=str(component.get("LOCATION", "")),
            uid=uid,
            busy=str(component.get("TRANSP", "OPAQUE")).upper() != "TRANSPARENT",
            all_day=all_day,
            cancelled=str(component.get("STATUS", "")).upper() == "CANCELLED",
            updated=self.instant(modified)[0] if modified is not None else None,
        )

    def resource(self, href: str, etag: str, data: str, start: datetime | None = None,
                 end: datetime | None = None) -> list[RemoteEvent]:
        """One resource's events: a single event as it is (whatever its time), a recurring one expanded over
        [start, end) with its moved occurrences, and its removed ones (EXDATE) there as cancelled."""
        cal = icalendar.Calendar.from_ical(data)
        events = [c for c in cal.walk("VEVENT")]
        if not events:
            return []
        if not any("RRULE" in c or "RDATE" in c for c in events):
            return [self.event(events[0], href, etag, occurrence=False)]
        if start is None or end is None:
            raise ValueError("a recurring event is expanded over a window")
        out = [self.event(c, href, etag, occurrence=True)
               for c in recurring_ical_events.of(cal).between(start, end)]
        for master in (c for c in events if "RECURRENCE-ID" not in c):
            exdates = master.get("EXDATE") or []
            for group in exdates if isinstance(exdates, list) else [exdates]:
                for value in group.dts:
                    moment, _ = self.instant(value)
                    if start <= moment < end:
                        out.append(RemoteEvent(remote_id=f"{href}#{_occurrence_key(value)}", etag=etag,
                                               title=str(master.get("SUMMARY", "")), start=moment, end=moment,
                                               cancelled=True))
        return out


# ---------------------------------------------------------------------------------------------- the provider


class Refused(ProviderError):
    """A 4xx the server explained (or not) with RFC 4918 preconditions (``{urn:...caldav}no-uid-conflict``)."""

    def __init__(self, message: str, *, status: int | None, preconditions: Iterable[str] = ()):
        super().__init__(message, status=status)
        self.preconditions = list(preconditions)


Series = dict[str, set[str]]  # href of a recurring event → the occurrence ids last reported


def _series_of(events: Iterable[RemoteEvent]) -> Series:
    out: Series = {}
    for event in events:
        href, sep, _ = event.remote_id.partition("#")
        if sep:
            out.setdefault(href, set()).add(event.remote_id)
    return out


class _Remembered:
    """What the provider remembers of one calendar (see the module docstring), as kept in ``ProviderMemory``."""

    def __init__(self, text: str | None):
        doc = {}
        if text:
            try:
                doc = json.loads(text)
            except ValueError:
                log.warning("CalDAV: the remembered state is unreadable; the next read is a full one")
        self.gone: set[str] = set(doc.get("gone", ()))  # hrefs of ours seen deleted
        self.refused = bool(doc.get("refused"))  # the server named a sync token but refused sync-collection
        # (cursor, series as of that cursor), newest first, at most two
        self.snapshots: list[tuple[str, Series]] = [
            (cursor, {href: set(ids) for href, ids in series.items()}) for cursor, series in doc.get("snapshots", ())]
        self.kept = self.text()

    def series_at(self, cursor: str) -> Series | None:
        """A copy of the series as of ``cursor``, or None when the memory does not know that cursor."""
        for known, series in self.snapshots:
            if known == cursor:
                return {href: set(ids) for href, ids in series.items()}
        return None

    def settle(self, given: str | None, cursor: str, series: Series) -> None:
        """A read from ``given`` returned ``cursor`` with ``series``; ``given``'s own stays until the engine has
        stored the new cursor (the next read starts from one of the two)."""
        before = [(c, s) for c, s in self.snapshots if c == given and c != cursor]
        self.snapshots = [(cursor, series), *before]

    def text(self) -> str:
        return json.dumps({"gone": sorted(self.gone), "refused": self.refused,
                           "snapshots": [[c, {h: sorted(ids) for h, ids in sorted(s.items())}]
                                         for c, s in self.snapshots]}, separators=(",", ":"))


class _InProcess:
    """``ProviderMemory`` of a provider without a store (a sign-in listing calendars): lasts as long as it does."""

    def __init__(self):
        self._docs: dict[str, str] = {}

    def recall(self, scope: str) -> str | None:
        return self._docs.get(scope)

    def keep(self, scope: str, value: str) -> None:
        self._docs[scope] = value


class CalDavCalendarProvider:
    """``CalendarProvider`` for one CalDAV account (``kind = "caldav"``); calendar ids are calendar URLs."""

    kind = "caldav"
    reads_together = False  # get_events reads one by one, on the one session

    def __init__(self, settings: CalDavSettings, client: DAVClient, *, all_day_zone: str = "UTC",
                 memory: ProviderMemory | None = None):
        self.settings = settings
        self._client = client
        self._parse = _Parser(_zone(all_day_zone))
        self._lock = threading.RLock()  # one HTTP session per provider
        self._memory = memory or _InProcess()
        self._remembered: dict[str, _Remembered] = {}  # by calendar URL, read from the memory once

    def close(self) -> None:
        """Close the connections (a sign-in's providers, once it has read the calendars)."""
        with self._lock:
            self._client.close()

    # ------------------------------------------------------------------------------------------ plumbing

    def _url(self, calendar_id: str, href: str = "") -> str:
        return urljoin(calendar_id or self.settings.calendar_url, href)

    def _request(self, url: str, method: str, body: str = "", headers: dict | None = None, *,
                 sync: bool = False):
        with self._lock:
            try:
                response = self._client.request(url, method, body, headers or {})
            except dav_error.RateLimitError as exc:
                text = f"CalDAV server asked us to wait ({exc.status})"
                if exc.status == 429:
                    raise RateLimited(text, status=429, retry_after=exc.retry_after_seconds) from exc
                raise TransientError(text, status=exc.status or 503, retry_after=exc.retry_after_seconds) from exc
            except dav_error.AuthorizationError as exc:
                if sync and dav.ValidSyncToken.tag in exc.preconditions:
                    raise CursorExpired("CalDAV: the sync token is no longer valid", status=exc.status) from exc
                if exc.status == 401:
                    raise AuthError("CalDAV refused the user name or app password: run `receptionist connect "
                                    "caldav`", status=401) from exc
                raise Refused(f"CalDAV refused {method} {_path(url)} ({exc.status}): {exc.reason}",
                              status=exc.status, preconditions=exc.preconditions) from exc
            except http.exceptions.Timeout as exc:
                raise TransientError(f"CalDAV server did not answer within {self.settings.timeout_seconds:g} s"
                                     ) from exc
            except http.exceptions.ConnectionError as exc:
                raise Unreachable(f"CalDAV server could not be reached: {exc}") from exc
            except http.exceptions.RequestException as exc:
                raise TransientError(f"CalDAV server could not be reached: {exc}") from exc
        status = response.status
        if status < 400:
            return response
        text = f"CalDAV answered {status} to {method} {_path(url)}"
        body_text = response.raw if isinstance(response.raw, str) else ""
        preconditions = dav_error.parse_preconditions(body_text)
        if status >= 500:
            raise TransientError(text, status=status)
        if status == 404 or status == 410:
            raise NotFound(text, status=status)
        if status == 412:
            raise ConflictError(text, status=status)
        if sync and (dav.ValidSyncToken.tag in preconditions or status in (409,)):
            raise CursorExpired(text, status=status)
        raise Refused(text, status=status, preconditions=preconditions)

    def _get(self, url: str):
        """(etag, iCalendar text) of a resource, or None when it is not there."""
        try:
            response = self._request(url, "GET")
        except NotFound:
            return None
        return str(response.headers.get("ETag") or ""), response.raw

    def _report(self, calendar_id: str, body: str, *, sync: bool = False):
        return self._request(self._url(calendar_id), "REPORT", body, {**_XML, "Depth": "1"}, sync=sync)

    def _recall(self, calendar_id: str) -> _Remembered:
        scope = self._url(calendar_id)
        with self._lock:
            if scope not in self._remembered:
                self._remembered[scope] = _Remembered(self._memory.recall(scope))
            return self._remembered[scope]

    def _keep(self, calendar_id: str) -> None:
        """Write the calendar's memory through, when it changed."""
        with self._lock:
            remembered = self._recall(calendar_id)
            text = remembered.text()
            if text != remembered.kept:
                self._memory.keep(self._url(calendar_id), text)
                remembered.kept = text

    # ------------------------------------------------------------------------------------------ the port

    def list_calendars(self) -> list[CalendarInfo]:
        with self._lock:
            try:
                calendars = self._client.principal().get_calendars()
                out = []
                for cal in calendars:
                    name = cal.get_display_name() or _path(str(cal.url)).rstrip("/").rsplit("/", 1)[-1]
                    out.append(CalendarInfo(id=str(cal.url), name=name))
            except dav_error.AuthorizationError as exc:
                raise AuthError("CalDAV refused the user name or app password", status=exc.status) from exc
            except dav_error.DAVError as exc:
                raise ProviderError(f"CalDAV: the calendars could not be listed ({exc.reason})",
                                    status=exc.status) from exc
            except http.exceptions.ConnectionError as exc:
                raise Unreachable(f"CalDAV server could not be reached: {exc}") from exc
            except http.exceptions.RequestException as exc:
                raise TransientError(f"CalDAV server could not be reached: {exc}") from exc
        return out

    def create_event(self, calendar_id: str, draft: EventDraft) -> RemoteEvent:
        key = draft.idempotency_key
        for attempt in range(_RENAMES + 1):
            uid = key if attempt == 0 else f"{key}r{attempt}"
            href = _path(self._url(calendar_id, f"{uid}.ics"))
            if href in self._recall(calendar_id).gone:
                raise NotFound(f"CalDAV: our event {uid} was deleted after it was created", status=404)
            body = draft_calendar(draft, uid).to_ical().decode("utf-8")
            try:
                response = self._request(self._url(calendar_id, href), "PUT", body,
                                         {**_ICAL, "If-None-Match": "*"})
            except ConflictError:
                # 412: the href is taken: our own earlier create whose answer was lost, as it is now
                existing = self.get_event(calendar_id, href) or self._find_uid(calendar_id, uid)  # renamed
                if existing is None:
                    raise
                if existing.uid != draft.uid:
                    raise ConflictError(f"CalDAV: {href} already holds an event that is not ours", status=412)
                return existing
            except Refused as exc:
                if _UID_CONFLICT in exc.preconditions and attempt < _RENAMES:
                    # Nextcloud's trash bin still holds this UID: recreate under the next one
                    log.info("CalDAV refused UID %s (no-uid-conflict); recreating it as %sr%d", uid, key, attempt + 1)
                    continue
                raise
            location = response.headers.get("Location")
            if location:  # the server chose its own href
                href = _path(self._url(calendar_id, location))
            made = self.get_event(calendar_id, href)
            if made is None:  # rewritten without saying where: find it by UID
                made = self._find_uid(calendar_id, uid)
            if made is None:
                raise ProviderError(f"CalDAV accepted {href} but it cannot be read back")
            return made
        raise AssertionError("unreachable")  # pragma: no cover

    def _find_uid(self, calendar_id: str, uid: str) -> RemoteEvent | None:
        for item in self._report(calendar_id, _uid_query(uid)).parse_calendar_query():
            if item.calendar_data:
                events = self._parse.resource(_path(self._url(calendar_id, item.href)), item.etag or "",
                                              item.calendar_data)
                if events:
                    return events[0]
        return None

    def find_created(self, calendar_id: str, uid: str, idempotency_key: str) -> RemoteEvent | None:
        for attempt in range(_RENAMES + 1):
            found = self.get_event(calendar_id, _path(self._url(
                calendar_id, f"{idempotency_key}{f'r{attempt}' if attempt else ''}.ics")))
            if found is not None and found.uid == uid:
                return found
            if found is None and attempt == 0:
                found = self._find_uid(calendar_id, idempotency_key)  # an href the server rewrote
                if found is not None and found.uid == uid:
                    return found
        return None

    def get_event(self, calendar_id: str, remote_id: str) -> RemoteEvent | None:
        href, _, occurrence = remote_id.partition("#")
        got = self._get(self._url(calendar_id, href))
        if got is None:
            return None
        etag, data = got
        if not occurrence:
            events = self._parse.resource(_path(self._url(calendar_id, href)), etag, data)
            return events[0] if events and not events[0].cancelled else None
        moment, _ = self._parse.instant(_occurrence_moment(occurrence))
        # a moved occurrence may be anywhere: its exception component says where; otherwise the series' own slot
        cal = icalendar.Calendar.from_ical(data)
        for component in cal.walk("VEVENT"):
            if "RECURRENCE-ID" in component and _occurrence_key(component["RECURRENCE-ID"]) == occurrence:
                event = self._parse.event(component, href, etag, occurrence=True)
                return None if event.cancelled else event
        for event in self._parse.resource(href, etag, data, moment - timedelta(days=1), moment + timedelta(days=1)):
            if event.remote_id == remote_id and not event.cancelled:
                return event
        return None

    def get_events(self, calendar_id: str, remote_ids: list[str]) -> list[RemoteEvent | None | Exception]:
        return [self.get_event(calendar_id, remote_id) for remote_id in remote_ids]

    def update_event(self, calendar_id: str, remote_id: str, draft: EventDraft, etag: str | None) -> RemoteEvent:
        if "#" in remote_id:
            raise ProviderError(f"CalDAV: {remote_id} is an occurrence of a series, never an event of ours")
        url = self._url(calendar_id, remote_id)
        got = self._get(url)
        if got is None:
            raise NotFound(f"CalDAV: {remote_id} is gone", status=404)
        base = icalendar.Calendar.from_ical(got[1])
        uid = str(next(c for c in base.walk("VEVENT") if "RECURRENCE-ID" not in c).get("UID"))
        body = draft_calendar(draft, uid, base).to_ical().decode("utf-8")
        response = self._request(url, "PUT", body, {**_ICAL, **({"If-Match": etag} if etag else {})})
        stored_as_sent = response.headers.get("ETag")  # RFC 4791 §5.3.4: only when stored without a change
        if stored_as_sent:
            return self._parse.resource(_path(url), str(stored_as_sent), body)[0]
        written = self.get_event(calendar_id, remote_id)
        if written is None:
            raise NotFound(f"CalDAV: {remote_id} vanished as it was written", status=404)
        return written

    def delete_event(self, calendar_id: str, remote_id: str, etag: str | None) -> None:
        href = _path(self._url(calendar_id, remote_id.partition("#")[0]))
        try:
            self._request(self._url(calendar_id, href), "DELETE", "", {"If-Match": etag} if etag else {})
        except NotFound:
            pass
        self._recall(calendar_id).gone.add(href)
        self._keep(calendar_id)

    def list_events(self, calendar_id: str, start: datetime, end: datetime) -> list[RemoteEvent]:
        events = self._window(calendar_id, start, end)
        # occurrences listed here (reconciliation) may be cached by the engine: a later sync that drops one says so
        remembered = self._recall(calendar_id)
        for href, ids in _series_of(events).items():
            for _, series in remembered.snapshots:
                series.setdefault(href, set()).update(ids)
        self._keep(calendar_id)
        return [e for e in events if not e.cancelled]

    def _window(self, calendar_id: str, start: datetime, end: datetime) -> list[RemoteEvent]:
        out: list[RemoteEvent] = []
        for item in self._report(calendar_id, _time_range_query(start, end)).parse_calendar_query():
            if item.calendar_data:
                href = _path(self._url(calendar_id, item.href))
                out.extend(self._parse.resource(href, item.etag or "", item.calendar_data, start, end))
        return out

    def list_changes(self, calendar_id: str, cursor: str | None, start: datetime, end: datetime) -> ChangeBatch:
        if cursor is None:
            return self._full(calendar_id, cursor, start, end)
        if cursor.startswith("ctag:"):
            # a server without sync-collection: an unchanged ctag is nothing changed, else a full read
            if self._collection_state(calendar_id) == cursor:
                return ChangeBatch(cursor=cursor)
            return self._full(calendar_id, cursor, start, end)
        if not cursor.startswith("sync:"):
            raise CursorExpired("CalDAV: a cursor of another kind; a full read is needed")
        remembered = self._recall(calendar_id)
        series = remembered.series_at(cursor)
        if series is None:  # which occurrences were reported as of this cursor is not known: read them all
            log.info("CalDAV: no memory of the series as of the cursor; doing a full read")
            return self._full(calendar_id, cursor, start, end)
        try:
            response = self._report(calendar_id, _sync_query(cursor[len("sync:"):]), sync=True)
        except Refused as exc:
            if exc.status not in (403, 405, 501) or (exc.preconditions and _NO_REPORT not in exc.preconditions):
                raise
            # a server that names a sync token but refuses sync-collection: its ctag from now on
            log.info("CalDAV refused sync-collection (%s); comparing the ctag instead", exc.status)
            remembered.refused = True
            return self._full(calendar_id, cursor, start, end)
        result = response.parse_sync_collection()
        if result.sync_token is None:
            raise CursorExpired("CalDAV: the server answered the sync token without a new one")
        events: list[RemoteEvent] = []
        deleted: list[str] = []
        missing: list[str] = []
        for href in result.deleted:
            path = _path(self._url(calendar_id, href))
            deleted.extend([path, *sorted(series.pop(path, ()))])
            remembered.gone.add(path)
        for item in result.changed:
            if not item.calendar_data:
                missing.append(item.href)  # servers that leave calendar-data out of a sync report
                continue
            events.extend(self._changed(calendar_id, item.href, item.etag or "", item.calendar_data, start, end,
                                        series, deleted))
        if missing:
            for item in self._report(calendar_id, _multiget_query(missing)).parse_calendar_query():
                if item.calendar_data:
                    events.extend(self._changed(calendar_id, item.href, item.etag or "", item.calendar_data, start,
                                                end, series, deleted))
        new = f"sync:{result.sync_token}"
        remembered.settle(cursor, new, series)
        self._keep(calendar_id)
        return ChangeBatch(events=events, deleted_ids=deleted, cursor=new)

    def _changed(self, calendar_id, href, etag, data, start, end, series: Series, deleted: list[str]
                 ) -> list[RemoteEvent]:
        path = _path(self._url(calendar_id, href))
        before = series.pop(path, set())
        events = self._parse.resource(path, etag, data, start, end)
        series.update(_series_of(events))
        deleted.extend(sorted(before - {e.remote_id for e in events}))
        return events

    def _collection_state(self, calendar_id: str) -> str | None:
        """``sync:<token>``, else ``ctag:<ctag>`` (a server without sync-collection), else None."""
        response = self._request(self._url(calendar_id), "PROPFIND", _COLLECTION_PROPS, {**_XML, "Depth": "0"})
        token = ctag = None
        if response.tree is not None:
            token = response.tree.findtext(f".//{dav.SyncToken.tag}")
            ctag = response.tree.findtext(".//{http://calendarserver.org/ns/}getctag")
        if token and not self._recall(calendar_id).refused:
            return f"sync:{token}"
        return f"ctag:{ctag}" if ctag else None

    def _full(self, calendar_id: str, given: str | None, start: datetime, end: datetime) -> ChangeBatch:
        state = self._collection_state(calendar_id)  # before the listing: a change meanwhile is read again later
        events = self._window(calendar_id, start, end)
        # with neither a sync token nor a ctag, every cycle is a full read; the cursor says so
        cursor = state or "ctag:"
        self._recall(calendar_id).settle(given, cursor, _series_of(events))
        self._keep(calendar_id)
        return ChangeBatch(events=events, cursor=cursor, full=True)


def _occurrence_moment(text: str) -> datetime | date:
    if "T" not in text:
        return datetime.strptime(text, "%Y%m%d").date()
    if text.endswith("Z"):
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return datetime.strptime(text, "%Y%m%dT%H%M%S")


def dav_client(settings: CalDavSettings, password: str, url: str | None = None) -> DAVClient:
    """A ``caldav`` client for the account: Basic/Digest negotiated by the library, Retry-After turned into our
    ``RateLimited`` rather than slept on (the engine owns waiting)."""
    return DAVClient(url or settings.url, username=settings.username, password=password,
                     timeout=settings.timeout_seconds, rate_limit_handle=False, enable_rfc6764=False)


def caldav_provider(settings: CalDavSettings, secrets: SecretStore, *, all_day_zone: str = "UTC",
                    memory: ProviderMemory | None = None) -> CalDavCalendarProvider:
    """The provider for the profile, with the app password from the keyring and its memory in ``memory`` (the
    store's)."""
    password = secrets.get(PASSWORD_KEY)
    if not password or not settings.username or not settings.calendar_url:
        raise UserError(NOT_CONNECTED)
    return CalDavCalendarProvider(settings, dav_client(settings, password, settings.calendar_url),
                                  all_day_zone=all_day_zone, memory=memory)
