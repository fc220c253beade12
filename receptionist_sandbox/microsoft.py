"""Wire-level stand-in for the Microsoft identity platform (v2.0) and Microsoft Graph v1.0 calendars.

One Werkzeug WSGI app, served over TLS with a self-signed certificate (msal refuses ``http://`` authorities), that
answers what ``msal`` and a plain ``requests`` Graph client send:

Identity (``{url}/{tenant}``, the *authority*):
    ``GET  /{tenant}/v2.0/.well-known/openid-configuration``  (every endpoint in it is https on the stand-in)
    ``POST /{tenant}/oauth2/v2.0/devicecode``                  device code flow start
    ``GET  /{tenant}/oauth2/v2.0/authorize``                   auth code flow: auto-approves; ``form_post`` or query
    ``POST /{tenant}/oauth2/v2.0/token``                       device_code, authorization_code (PKCE), refresh_token
    ``GET/POST /devicelogin``                                  a page where a person types a device code
Graph (``{url}/v1.0``):
    ``/me``, ``/me/calendars[/{id}]``, ``/me/calendar``, events under ``/me/events``, ``/me/calendar/events`` and
    ``/me/calendars/{id}/events`` (list/create/get/patch/delete), ``calendarView`` and ``calendarView/delta`` under
    ``/me``, ``/me/calendar`` and ``/me/calendars/{id}``;
    ``POST /v1.0/$batch``: JSON batching, up to 20 requests each answered as on its own (fault rules included),
    the responses in another order than asked (``receptionist_sandbox.graph_batch``).

Wire details reproduced from the real services (see the report / tests for sources):
    * token responses echo ``scope`` and carry ``id_token`` (unsigned JWT: msal 1.39 decodes, never verifies it),
      ``client_info`` (base64url JSON ``uid``/``utid``), ``refresh_token``, ``expires_in``/``ext_expires_in``;
      the auth code flow's ``nonce`` is echoed in the id_token (msal checks it); PKCE S256 is verified.
    * AAD errors: ``{"error", "error_description": "AADSTSnnnn: ...", "error_codes": [n], "timestamp", ...}``.
    * Graph errors: ``{"error": {"code", "message", "innerError": {...}}}``; 401 ``InvalidAuthenticationToken``
      with ``WWW-Authenticate``; 404 ``ErrorItemNotFound``; 412 ``ErrorIrresolvableConflict`` on a stale
      ``If-Match``; 410 ``SyncStateNotFound`` for a dead delta token; 400 ``ErrorDuplicateTransactionId`` when a
      ``transactionId`` was already used for an event that is gone or lives in another calendar (a retry into the
      same calendar answers 201 with the event created the first time).
    * times in UTC with seven fractional digits (``2026-11-23T15:00:00.0000000``) unless
      ``Prefer: outlook.timezone="..."``; bodies as HTML unless ``Prefer: outlook.body-content-type="text"``;
      calendarView pages of 10 by default (``$top`` / ``Prefer: odata.maxpagesize``) linked by ``@odata.nextLink``;
      delta rounds end in ``@odata.deltaLink`` (``$deltatoken``), pages in between use ``$skiptoken``; deleted
      events come back as ``{"id", "@removed": {"reason": "deleted"}}``; delta items carry no extended properties.

    * recurring series (Graph "event" and "patternedRecurrence" resources, calendarView/delta docs): an event
      created with ``recurrence`` is a ``seriesMaster`` (listed by ``/events``, never by ``calendarView``);
      ``calendarView`` and its delta expand it into ``occurrence`` items with ``seriesMasterId``,
      ``occurrenceId`` and ``originalStart``, keeping the wall-clock time in the series' zone
      (``range.recurrenceTimeZone``, else ``start.timeZone``) across DST (``receptionist_sandbox.recurrence``).
      An occurrence read, patched or deleted by its id: a patch makes it an ``exception`` (same id), a delete
      takes it out of the series; delta reports it ``@removed``, and a deleted series reports every occurrence
      of the window ``@removed``.  ``showAs`` and ``isAllDay`` (midnight to midnight, floating) are kept as given.

    * ``POST /me/calendar/getSchedule`` (calendar: getSchedule; scheduleInformation / scheduleItem resources):
      ``schedules`` (SMTP addresses of the stand-in's mailboxes; up to 100), ``startTime``/``endTime`` as
      dateTimeTimeZone (the window at most 62 days), ``availabilityViewInterval`` (5–1440 minutes, 30 by
      default).  Each answer is the mailbox's *default* calendar only: ``scheduleItems`` (one per event or
      occurrence, not cancelled, with ``status`` from its ``showAs``, ``subject``, ``location``, ``isPrivate``,
      ``start``/``end`` in the ``Prefer: outlook.timezone`` zone, UTC without it) and ``availabilityView`` (one
      digit per interval: 0 free or working elsewhere, 1 tentative, 2 busy, 3 out of office); an address that is
      not a mailbox here answers ``error: {message, responseCode: "ErrorMailRecipientNotFound"}`` in its place.
      Read permission (Calendars.Read/ReadBasic) is enough.

Not modelled: attendees and meeting responses, attachments, /users/{id} paths, the ``instances`` endpoint.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import itertools
import json
import logging
import random
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Callable
from urllib.parse import urlencode, urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from receptionist_sandbox import graph_batch, recurrence as rrules
from receptionist_sandbox.faults import Fault, FaultInjector, after_request, before_request
from receptionist_sandbox.server import StandIn
from receptionist.serving import ServedApp

log = logging.getLogger(__name__)

UTC = timezone.utc
DEFAULT_USER = "frontdesk@demo.example"
GRAPH_RESOURCE = "https://graph.microsoft.com/"
RESERVED_SCOPES = {"openid", "profile", "offline_access", "email"}
KNOWN_GRAPH_SCOPES = {
    "calendars.read", "calendars.readwrite", "calendars.readbasic", "user.read", "mailboxsettings.read",
}
WRITE_SCOPE = "calendars.readwrite"

# Windows time zone names Exchange uses <-> IANA (the ones a US front desk meets, plus a few).
WINDOWS_TO_IANA = {
    "UTC": "UTC",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "US Mountain Standard Time": "America/Phoenix",
    "Pacific Standard Time": "America/Los_Angeles",
    "Alaskan Standard Time": "America/Anchorage",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Atlantic Standard Time": "America/Halifax",
    "GMT Standard Time": "Europe/London",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
}


def zone_for(name: str) -> ZoneInfo:
    """A ``ZoneInfo`` for a Windows or IANA zone name; ``ValueError`` when Exchange would refuse it."""
    if not name:
        raise ValueError("empty time zone")
    iana = WINDOWS_TO_IANA.get(name, name)
    if iana.upper() in ("UTC", "ETC/UTC", "Z"):
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(name) from exc


def graph_datetime(instant: datetime, zone: ZoneInfo) -> str:
    """``2026-11-23T15:00:00.0000000`` (wall time in ``zone``, seven fractional digits, no offset)."""
    local = instant.astimezone(zone)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f".{local.microsecond:06d}0"


def graph_timestamp(instant: datetime) -> str:
    """``createdDateTime`` style: UTC, seven fractional digits, ``Z``."""
    return graph_datetime(instant, ZoneInfo("UTC")) + "Z"


_FRACTION = re.compile(r"\.(\d+)")


def parse_iso(text: str) -> datetime:
    """ISO 8601 with any number of fractional digits and an optional offset/``Z``."""
    text = text.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    return datetime.fromisoformat(text)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_json(obj: dict) -> str:
    return _b64url(json.dumps(obj, separators=(",", ":")).encode())


def _unb64url_json(text: str) -> dict:
    pad = "=" * (-len(text) % 4)
    return json.loads(base64.urlsafe_b64decode(text + pad))


def _unsigned_jwt(claims: dict) -> str:
    return _b64url_json({"typ": "JWT", "alg": "none"}) + "." + _b64url_json(claims) + "."


def _new_event_id() -> str:
    # Graph REST ids are long URL-safe base64 strings starting AAMk...
    return "AAMkAD" + _b64url(secrets.token_bytes(30)) + "AAA="


def _new_change_key() -> str:
    return base64.b64encode(secrets.token_bytes(12)).decode("ascii")


def text_to_html(text: str) -> str:
    body = "<br>\r\n".join(html.escape(line) for line in text.split("\n"))
    return (
        '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n'
        f"<body>\r\n<div>{body}</div>\r\n</body>\r\n</html>\r\n"
    )


_TAG = re.compile(r"<[^>]+>")


def html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<head.*?</head>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>\s*", "\n", markup)
    markup = re.sub(r"(?i)</(div|p)>\s*", "\n", markup)
    text = html.unescape(_TAG.sub("", markup))
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    return "\n".join(lines).strip("\n")


# --------------------------------------------------------------------------------------------------------------
# state


@dataclass
class _Event:
    id: str
    calendar_id: str
    subject: str
    start: datetime  # aware UTC
    end: datetime
    start_tz: str  # originalStartTimeZone (as given)
    end_tz: str
    body_type: str  # "text" | "html"
    body: str
    location: str
    show_as: str
    is_all_day: bool
    is_cancelled: bool
    categories: list[str]
    sensitivity: str
    importance: str
    transaction_id: str | None
    ext_props: dict[str, tuple[str, str]]  # casefolded id -> (id as written, value)
    created: datetime
    modified: datetime
    change_key: str
    ical_uid: str
    seq: int  # change sequence (for delta)
    kind: str = "singleInstance"  # Graph "type": singleInstance | seriesMaster | occurrence | exception
    recurrence: dict | None = None  # patternedRecurrence of a seriesMaster
    series_master_id: str | None = None  # of an occurrence or exception
    original_start: datetime | None = None  # of an occurrence or exception (UTC)
    removed_occurrences: set = field(default_factory=set)  # of a seriesMaster: original starts (UTC) deleted

    @property
    def etag(self) -> str:
        return f'W/"{self.change_key}"'


@dataclass
class _Calendar:
    id: str
    name: str
    is_default: bool
    change_key: str = field(default_factory=_new_change_key)
    color: str = "auto"


@dataclass
class _Mailbox:
    email: str
    display_name: str
    oid: str
    time_zone: str  # Windows name, as Exchange keeps it
    calendars: dict[str, _Calendar] = field(default_factory=dict)
    events: dict[str, _Event] = field(default_factory=dict)
    tombstones: dict[str, tuple[str, int]] = field(default_factory=dict)  # event id -> (calendar id, seq)
    deleted_series: dict[str, "_Event"] = field(default_factory=dict)  # master id -> the master, for delta
    transactions: dict[str, tuple[str, str]] = field(default_factory=dict)  # tid -> (event id, calendar id)

    @property
    def default_calendar(self) -> _Calendar:
        return next(c for c in self.calendars.values() if c.is_default)


@dataclass
class _AccessToken:
    user: str
    scopes: list[str]
    expires_at: datetime


@dataclass
class _RefreshToken:
    user: str
    scopes: list[str]
    client_id: str


@dataclass
class _AuthCode:
    user: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    expires_at: float
    redeemed: bool = False


@dataclass
class _DeviceCode:
    user_code: str
    client_id: str
    scopes: list[str]
    expires_at: float
    polls: int = 0
    approved_for: str | None = None
    redeemed: bool = False


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class AadError(Exception):
    def __init__(self, error: str, code: int, description: str, status: int = 400):
        super().__init__(description)
        self.error, self.code, self.description, self.status = error, code, description, status


_GRAPH_FAULT_CODES = {
    400: ("ErrorInvalidRequest", "The request is invalid."),
    401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
    403: ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
    404: ("ErrorItemNotFound", "The specified object was not found in the store."),
    409: ("ErrorIrresolvableConflict", "The send or update operation could not be performed because the change "
          "key passed in the request does not match the current change key for the item."),
    412: ("ErrorIrresolvableConflict", "The send or update operation could not be performed because the change "
          "key passed in the request does not match the current change key for the item."),
    429: ("ApplicationThrottled", "Application is over its MailboxConcurrency limit."),
    500: ("ErrorInternalServerError", "An internal server error occurred. The operation failed."),
    502: ("BadGateway", "The server received an invalid response from an upstream server."),
    503: ("ServiceNotAvailable", "The service is temporarily unavailable. Please retry later."),
    504: ("GatewayTimeout", "The gateway did not receive a timely response from the upstream server."),
}

_EXT_EXPAND = re.compile(r"singleValueExtendedProperties(?:\(\s*\$filter\s*=\s*id\s+eq\s+'([^']*)'\s*\))?", re.I)
_EXT_FILTER = re.compile(
    r"singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*\1/id\s+eq\s+'([^']*)'\s+and\s+\1/value\s+eq\s+'([^']*)'\s*\)",
    re.I,
)
_PREFER_TZ = re.compile(r'outlook\.timezone\s*=\s*"([^"]*)"', re.I)
_PREFER_BODY = re.compile(r'outlook\.body-content-type\s*=\s*"?(text|html)"?', re.I)
_PREFER_PAGE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.I)


class MicrosoftSandbox(StandIn):
    """Microsoft identity platform + Graph calendar stand-in (see module docstring).

    ``approve_device_codes``: when True a device code is approved on its second poll (the first answers
    ``authorization_pending``), as if the person had typed it at ``/devicelogin``; otherwise someone must
    (``approve_device_code(user_code)`` or the page).  ``device_code_interval`` is the polling interval handed
    to the client (AAD says 5; tests use 0 so msal polls again at once).
    """

    stand_in_name = "microsoft-sandbox"
    stand_in_tls = True  # msal refuses an http:// authority

    def __init__(
        self,
        *,
        client_id: str = "sandbox-outlook-client",
        tenant: str = "sandbox-tenant",
        token_lifetime: int = 3600,
        now: Callable[[], datetime] | None = None,
        approve_device_codes: bool = True,
        device_code_interval: int = 5,
        default_user: str = DEFAULT_USER,
        mailbox_time_zone: str = "Central Standard Time",
    ):
        self.client_id = client_id
        self.tenant = tenant
        self.tenant_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{tenant}.sandbox.invalid"))
        self.token_lifetime = token_lifetime
        self._now = now or (lambda: datetime.now(UTC))
        self.approve_device_codes = approve_device_codes
        self.device_code_interval = device_code_interval
        self.default_user = default_user
        self.faults = FaultInjector()
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self._last_seq = 0
        self._delta_generation = 1
        self._mailboxes: dict[str, _Mailbox] = {}
        self._access: dict[str, _AccessToken] = {}
        self._refresh: dict[str, _RefreshToken] = {}
        self._codes: dict[str, _AuthCode] = {}
        self._device: dict[str, _DeviceCode] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) log, for tests and the demo
        self._served: ServedApp | None = None
        self.add_user(default_user, display_name="Front Desk", time_zone=mailbox_time_zone)
        self._batch_rng = random.Random(0)  # the order $batch answers in (never the order asked)
        self._url_map = Map(self._rules(), strict_slashes=False, redirect_defaults=False)

    # ----------------------------------------------------------------------------------------- lifecycle
    @property
    def authority(self) -> str:
        return f"{self.url}/{self.tenant}"

    @property
    def graph_endpoint(self) -> str:
        return f"{self.url}/v1.0"

    def now(self) -> datetime:
        return self._now()

    # ------------------------------------------------------------------------------------ test/demo helpers
    def add_user(self, email: str, *, display_name: str | None = None,
                 time_zone: str = "Central Standard Time") -> None:
        with self._lock:
            if email.lower() in self._mailboxes:
                return
            zone_for(time_zone)
            box = _Mailbox(email=email, display_name=display_name or email.split("@")[0],
                           oid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailbox:{email.lower()}")), time_zone=time_zone)
            cal_id = _new_event_id().replace("AAMkAD", "AAMkAC", 1)
            box.calendars[cal_id] = _Calendar(id=cal_id, name="Calendar", is_default=True)
            self._mailboxes[email.lower()] = box

    def add_calendar(self, user: str | None, name: str) -> str:
        with self._lock:
            box = self._box(user)
            cal_id = _new_event_id().replace("AAMkAD", "AAMkAC", 1)
            box.calendars[cal_id] = _Calendar(id=cal_id, name=name, is_default=False)
            return cal_id

    def default_calendar_id(self, user: str | None = None) -> str:
        with self._lock:
            return self._box(user).default_calendar.id

    def seed_event(self, user: str | None, body: dict, calendar_id: str | None = None) -> dict:
        """Create an event as if someone made it in Outlook; returns it as Graph shows it (UTC, expanded)."""
        with self._lock:
            box = self._box(user)
            cal = box.calendars[calendar_id] if calendar_id else box.default_calendar
            event = self._create(box, cal, body)
            return self._render(box, event, ZoneInfo("UTC"), "UTC", "html", expand=None, all_ext=True)

    def occurrence_id(self, series_id: str, original_start: datetime) -> str:
        """The id calendarView gives the occurrence of series ``series_id`` that starts at ``original_start``."""
        return self._occurrence_id(series_id, original_start)

    def edit_event(self, user: str | None, event_id: str, changes: dict) -> dict:
        """Change an event as if someone edited it in Outlook (new changeKey/etag); an occurrence of a series
        becomes an exception."""
        with self._lock:
            box = self._box(user)
            event = self._edit(box, self._find(box, None, event_id), changes)
            return self._render(box, event, ZoneInfo("UTC"), "UTC", "html", expand=None, all_ext=True)

    def remove_event(self, user: str | None, event_id: str) -> None:
        """Delete an event as if someone deleted it in Outlook (an occurrence leaves its series)."""
        with self._lock:
            box = self._box(user)
            self._delete(box, self._find(box, None, event_id))

    def events(self, user: str | None = None, calendar_id: str | None = None) -> list[dict]:
        """Every live event of a calendar (default: the user's default one), rendered in UTC with all
        extended properties and ``transactionId``; sorted by start."""
        with self._lock:
            box = self._box(user)
            cal_id = calendar_id or box.default_calendar.id
            found = sorted((e for e in box.events.values() if e.calendar_id == cal_id), key=lambda e: e.start)
            return [self._render(box, e, ZoneInfo("UTC"), "UTC", "text", expand=None, all_ext=True) for e in found]

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is refused from now on (401), as after its lifetime ran out."""
        with self._lock:
            past = self.now() - timedelta(seconds=1)
            for token in self._access.values():
                token.expires_at = past

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token issued so far is refused (``invalid_grant``, AADSTS50173), as after a password
        reset or an admin revoking sessions.  Access tokens stay valid until they expire."""
        with self._lock:
            self._refresh.clear()

    def invalidate_delta_tokens(self) -> None:
        """Every ``$deltatoken``/``$skiptoken`` handed out so far answers 410 ``SyncStateNotFound``."""
        with self._lock:
            self._delta_generation += 1

    def approve_device_code(self, user_code: str, user: str | None = None) -> bool:
        with self._lock:
            for dc in self._device.values():
                if dc.user_code == user_code.strip().upper() and not dc.redeemed:
                    dc.approved_for = self._box(user).email
                    return True
            return False

    def issued_refresh_tokens(self) -> int:
        with self._lock:
            return len(self._refresh)

    # ------------------------------------------------------------------------------------------- WSGI
    def _dispatch(self, request: Request) -> Response:
        control = self.faults.handle_control(request)
        if control is not None:
            return control
        with self._lock:
            self.requests.append((request.method, request.path))
        return self._answer(request)

    def _answer(self, request: Request) -> Response:
        """One request answered (a request of a ``$batch`` comes here too, so fault rules apply to it alone)."""
        fault = self.faults.take(request.method, request.path)
        before_request(fault)
        drop = False
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop_after_store:
                drop = True
            elif fault.status >= 400:
                return self._fault_response(request, fault)
        try:
            endpoint, args = self._url_map.bind_to_environ(request.environ).match()
            response = getattr(self, endpoint)(request, **args)
        except GraphError as err:
            response = self._graph_error(err.status, err.code, err.message, err.headers)
        except AadError as err:
            response = self._aad_error(err)
        except NotFound:
            if request.path.startswith("/v1.0/"):
                response = self._graph_error(400, "BadRequest",
                                             f"Resource not found for the segment '{request.path.rsplit('/', 1)[-1]}'.")
            else:
                response = Response("Not found", status=404)
        except MethodNotAllowed:
            response = self._graph_error(405, "Request_BadRequest", "Specified HTTP method is not allowed for the "
                                         "request target.") if request.path.startswith("/v1.0/") else \
                Response("Method not allowed", status=405)
        except HTTPException as exc:  # pragma: no cover - werkzeug internals
            response = exc.get_response()
        except Exception:  # a bug in the stand-in: answer like the service would, keep the traceback in the log
            log.exception("microsoft sandbox failed on %s %s", request.method, request.path)
            response = self._graph_error(500, "ErrorInternalServerError", "An internal server error occurred.")
        after_request(fault)
        if drop:
            return Response(b"", status=503)
        return response

    def _fault_response(self, request: Request, fault: Fault) -> Response:
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(int(fault.retry_after) if float(fault.retry_after).is_integer()
                                         else fault.retry_after)
        if fault.body is not None:
            return Response(json.dumps(fault.body), status=fault.status, headers=headers,
                            content_type="application/json")
        if request.path.startswith("/v1.0"):
            code, message = _GRAPH_FAULT_CODES.get(fault.status, ("UnknownError", "An error occurred."))
            return self._graph_error(fault.status, code, message, headers)
        aad = {
            429: AadError("temporarily_unavailable", 50196, "The server temporarily throttled the request.", 429),
            400: AadError("invalid_request", 90014, "The request is malformed.", 400),
        }.get(fault.status, AadError("temporarily_unavailable", 50053 if fault.status < 500 else 90033,
                                     "A transient error has occurred. Please try again.", fault.status))
        response = self._aad_error(aad)
        response.headers.update(headers)
        return response

    def _rules(self) -> list[Rule]:
        r = []
        # identity
        r.append(Rule("/<tenant>/v2.0/.well-known/openid-configuration", endpoint="openid_configuration",
                      methods=["GET"]))
        r.append(Rule("/<tenant>/discovery/v2.0/keys", endpoint="jwks", methods=["GET"]))
        r.append(Rule("/<tenant>/oauth2/v2.0/devicecode", endpoint="devicecode", methods=["POST"]))
        r.append(Rule("/<tenant>/oauth2/v2.0/authorize", endpoint="authorize", methods=["GET", "POST"]))
        r.append(Rule("/<tenant>/oauth2/v2.0/token", endpoint="token", methods=["POST"]))
        r.append(Rule("/devicelogin", endpoint="devicelogin", methods=["GET", "POST"]))
        # graph
        r.append(Rule("/v1.0/me", endpoint="g_me", methods=["GET"]))
        r.append(Rule("/v1.0/me/calendars", endpoint="g_calendars", methods=["GET"]))
        r.append(Rule("/v1.0/me/calendar", endpoint="g_calendar", methods=["GET"]))
        r.append(Rule("/v1.0/me/calendars/<cal>", endpoint="g_calendar", methods=["GET"]))
        r.append(Rule("/v1.0/me/calendar/getSchedule", endpoint="g_get_schedule", methods=["POST"]))
        r.append(Rule("/v1.0/$batch", endpoint="g_batch", methods=["POST"]))
        for base, cal in (("/v1.0/me", None), ("/v1.0/me/calendar", "default"), ("/v1.0/me/calendars/<cal>", "")):
            defaults = {"cal": cal} if cal != "" else None
            r.append(Rule(f"{base}/events", endpoint="g_events", methods=["GET", "POST"], defaults=defaults))
            r.append(Rule(f"{base}/events/<event_id>", endpoint="g_event", methods=["GET", "PATCH", "DELETE"],
                          defaults=defaults))
            r.append(Rule(f"{base}/calendarView", endpoint="g_calendar_view", methods=["GET"], defaults=defaults))
            r.append(Rule(f"{base}/calendarView/delta", endpoint="g_delta", methods=["GET"], defaults=defaults))
        return r

    # ------------------------------------------------------------------------------------------- shared bits
    def _box(self, user: str | None) -> _Mailbox:
        return self._mailboxes[(user or self.default_user).lower()]

    def _json(self, payload: dict, status: int = 200, headers: dict | None = None) -> Response:
        response = Response(json.dumps(payload), status=status, content_type="application/json; charset=utf-8")
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response

    def _graph_error(self, status: int, code: str, message: str, headers: dict | None = None) -> Response:
        rid = str(uuid.uuid4())
        body = {"error": {"code": code, "message": message, "innerError": {
            "date": self.now().strftime("%Y-%m-%dT%H:%M:%S"), "request-id": rid, "client-request-id": rid}}}
        return self._json(body, status, {"request-id": rid, **(headers or {})})

    def _aad_error(self, err: AadError) -> Response:
        trace = str(uuid.uuid4())
        description = (f"AADSTS{err.code}: {err.description} Trace ID: {trace} Correlation ID: {uuid.uuid4()} "
                       f"Timestamp: {self.now().strftime('%Y-%m-%d %H:%M:%SZ')}")
        body = {"error": err.error, "error_description": description, "error_codes": [err.code],
                "timestamp": self.now().strftime("%Y-%m-%d %H:%M:%SZ"), "trace_id": trace,
                "correlation_id": str(uuid.uuid4()),
                "error_uri": f"{self.url}/error?code={err.code}"}
        return self._json(body, err.status, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    # ======================================================================================= identity
    def _check_tenant(self, tenant: str) -> None:
        if tenant.lower() not in {self.tenant.lower(), self.tenant_id, "common", "organizations"}:
            raise AadError("invalid_tenant", 90002, f"Tenant '{tenant}' not found. Check to make sure you have "
                           "the correct tenant ID and are signing into the correct cloud.")

    @property
    def _issuer(self) -> str:
        return f"{self.url}/{self.tenant_id}/v2.0"

    def openid_configuration(self, request: Request, tenant: str) -> Response:
        self._check_tenant(tenant)
        base = f"{self.url}/{tenant}"
        return self._json({
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": self._issuer,
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{self.url}/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce",
                                 "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "NA",
            "cloud_instance_name": "sandbox.invalid",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": urlparse(self.url).netloc,
            "rbac_url": "https://pas.windows.net",
        })

    def jwks(self, request: Request, tenant: str) -> Response:
        return self._json({"keys": []})

    def _check_client(self, client_id: str | None) -> None:
        if client_id != self.client_id:
            raise AadError("unauthorized_client", 700016, f"Application with identifier '{client_id}' was not "
                           f"found in the directory '{self.tenant}'. This can happen if the application has not "
                           "been installed by the administrator of the tenant.")

    def _parse_scopes(self, raw: str | None) -> list[str]:
        scopes = [s for s in (raw or "").split() if s]
        if not [s for s in scopes if s.lower() not in RESERVED_SCOPES]:
            scopes = ["User.Read", *scopes]
        for s in scopes:
            short = s[len(GRAPH_RESOURCE):] if s.lower().startswith(GRAPH_RESOURCE) else s
            if short.lower() not in RESERVED_SCOPES | KNOWN_GRAPH_SCOPES and short != ".default":
                raise AadError("invalid_scope", 70011, f"The provided request must include a 'scope' input "
                               f"parameter. The provided value for the input parameter 'scope' is not valid. "
                               f"The scope {s} is not valid.")
        return scopes

    def devicecode(self, request: Request, tenant: str) -> Response:
        self._check_tenant(tenant)
        form = request.form
        self._check_client(form.get("client_id"))
        scopes = self._parse_scopes(form.get("scope"))
        user_code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(9))
        device_code = "DAQABAAEAAAD" + _b64url(secrets.token_bytes(48))
        with self._lock:
            self._device[device_code] = _DeviceCode(user_code=user_code, client_id=form["client_id"], scopes=scopes,
                                                    expires_at=time.time() + 900)
        verification = f"{self.url}/devicelogin"
        return self._json({
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": verification,
            "expires_in": 900,
            "interval": self.device_code_interval,
            "message": f"To sign in, use a web browser to open the page {verification} and enter the code "
                       f"{user_code} to authenticate.",
        })

    def devicelogin(self, request: Request) -> Response:
        if request.method == "POST":
            ok = self.approve_device_code(request.form.get("otc", ""), request.form.get("user") or None)
            text = ("You have signed in to the Receptionist Console sandbox. You may now close this window."
                    if ok else "That code didn't work. Check the code and try again.")
            return Response(f"<html><body><p>{html.escape(text)}</p></body></html>", status=200 if ok else 400,
                            content_type="text/html; charset=utf-8")
        page = ("<html><head><title>Enter code</title></head><body><h1>Enter code</h1>"
                "<p>Enter the code displayed on your app or device.</p>"
                '<form method="post" action="/devicelogin"><input name="otc" autofocus>'
                '<button type="submit">Next</button></form></body></html>')
        return Response(page, content_type="text/html; charset=utf-8")

    @staticmethod
    def _is_loopback_redirect(uri: str) -> bool:
        parsed = urlparse(uri)
        return parsed.scheme == "http" and parsed.hostname in ("localhost", "127.0.0.1", "::1")

    def authorize(self, request: Request, tenant: str) -> Response:
        self._check_tenant(tenant)
        args = request.values
        client_id, redirect_uri = args.get("client_id"), args.get("redirect_uri", "")
        if client_id != self.client_id:
            return Response(f"AADSTS700016: Application with identifier '{html.escape(str(client_id))}' was not "
                            "found in the directory.", status=400, content_type="text/plain")
        if not self._is_loopback_redirect(redirect_uri):
            return Response("AADSTS50011: The redirect URI specified in the request does not match the redirect URIs "
                            f"configured for the application '{self.client_id}'.", status=400,
                            content_type="text/plain")
        state, mode = args.get("state"), args.get("response_mode", "query")
        params: dict[str, str] = {}
        try:
            if args.get("response_type") != "code":
                raise AadError("unsupported_response_type", 700054, "response_type 'code' is required.")
            scopes = self._parse_scopes(args.get("scope"))
            method = args.get("code_challenge_method")
            if args.get("code_challenge") and method not in ("S256", "plain", None):
                raise AadError("invalid_request", 50002, "Invalid code_challenge_method.")
            hint = args.get("login_hint")
            user = hint if hint and hint.lower() in self._mailboxes else self.default_user
            code = "0.A" + _b64url(secrets.token_bytes(64))
            with self._lock:
                self._codes[code] = _AuthCode(
                    user=self._box(user).email, client_id=client_id, redirect_uri=redirect_uri, scopes=scopes,
                    code_challenge=args.get("code_challenge"), code_challenge_method=method or "plain",
                    nonce=args.get("nonce"), expires_at=time.time() + 600)
            params["code"] = code
            if args.get("client_info") == "1":
                params["client_info"] = self._client_info(self._box(user))
            params["session_state"] = str(uuid.uuid4())
        except AadError as err:
            params = {"error": err.error, "error_description": f"AADSTS{err.code}: {err.description}"}
        if state is not None:
            params["state"] = state
        if mode == "form_post":
            inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}" />'
                             for k, v in params.items())
            page = (f'<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" '
                    f'action="{html.escape(redirect_uri)}">{inputs}<noscript><p>Script is disabled. Click Submit to '
                    'continue.</p><input type="submit" value="Submit" /></noscript></form><script language="javascript">'
                    "document.forms[0].submit();</script></body></html>")
            return Response(page, content_type="text/html; charset=utf-8")
        sep = "&" if "?" in redirect_uri else "?"
        return Response("", status=302, headers={"Location": redirect_uri + sep + urlencode(params)})

    def _client_info(self, box: _Mailbox) -> str:
        return _b64url_json({"uid": box.oid, "utid": self.tenant_id})

    def token(self, request: Request, tenant: str) -> Response:
        self._check_tenant(tenant)
        form = request.form
        self._check_client(form.get("client_id"))
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            user, scopes, nonce = self._grant_device_code(form)
        elif grant == "authorization_code":
            user, scopes, nonce = self._grant_auth_code(form)
        elif grant == "refresh_token":
            user, scopes, nonce = self._grant_refresh(form)
        else:
            raise AadError("unsupported_grant_type", 70003, f"The app requested an unsupported grant type "
                           f"'{grant}'.")
        return self._json(self._issue(user, scopes, form.get("client_id"), nonce,
                                      with_client_info=form.get("client_info") == "1"),
                          headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _grant_device_code(self, form) -> tuple[str, list[str], None]:
        with self._lock:
            dc = self._device.get(form.get("device_code", ""))
            if dc is None or dc.redeemed:
                raise AadError("bad_verification_code", 70000, "The provided value for the input parameter "
                               "'device_code' is not valid.")
            if time.time() > dc.expires_at:
                raise AadError("expired_token", 70020, "The provided value for the input parameter 'device_code' "
                               "is not valid. This device code has expired.")
            dc.polls += 1
            if dc.approved_for is None and self.approve_device_codes and dc.polls > 1:
                dc.approved_for = self._box(None).email
            if dc.approved_for is None:
                raise AadError("authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is "
                               "pending. Continue polling.")
            dc.redeemed = True
            return dc.approved_for, dc.scopes, None

    def _grant_auth_code(self, form) -> tuple[str, list[str], str | None]:
        with self._lock:
            code = self._codes.get(form.get("code", ""))
            if code is None or time.time() > code.expires_at:
                raise AadError("invalid_grant", 70008, "The provided authorization code or refresh token has "
                               "expired due to inactivity. Send a new interactive authorization request for this "
                               "user and resource.")
            if code.redeemed:
                raise AadError("invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please "
                               "retry with a new valid code or use an existing refresh token.")
            if form.get("redirect_uri") != code.redirect_uri:
                raise AadError("invalid_grant", 50011, "The redirect URI specified in the request does not match "
                               "the redirect URI used in the authorization request.")
            if code.code_challenge:
                verifier = form.get("code_verifier", "")
                if code.code_challenge_method == "S256":
                    computed = _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
                else:
                    computed = verifier
                if not verifier or computed != code.code_challenge:
                    raise AadError("invalid_grant", 501481, "The Code_Verifier does not match the code_challenge "
                                   "supplied in the authorization request.")
            code.redeemed = True
            scopes = self._parse_scopes(form.get("scope")) if form.get("scope") else code.scopes
            return code.user, scopes, code.nonce

    def _grant_refresh(self, form) -> tuple[str, list[str], None]:
        with self._lock:
            rt = self._refresh.get(form.get("refresh_token", ""))
            if rt is None:
                raise AadError("invalid_grant", 50173, "The provided grant has expired due to it being revoked, a "
                               "fresh auth token is needed. The user might have changed or reset their password.")
            scopes = self._parse_scopes(form.get("scope")) if form.get("scope") else rt.scopes
            return rt.user, scopes, None

    def _issue(self, user: str, scopes: list[str], client_id: str, nonce: str | None, *,
               with_client_info: bool) -> dict:
        box = self._box(user)
        now = self.now()
        granted = [s for s in scopes if s.lower() != "offline_access"]
        at_claims = {
            "aud": "00000003-0000-0000-c000-000000000000", "iss": f"https://sts.sandbox.invalid/{self.tenant_id}/",
            "iat": int(now.timestamp()), "nbf": int(now.timestamp()),
            "exp": int(now.timestamp()) + self.token_lifetime, "appid": client_id, "oid": box.oid,
            "scp": " ".join(s for s in granted if s.lower() not in RESERVED_SCOPES), "tid": self.tenant_id,
            "upn": box.email, "uti": _b64url(secrets.token_bytes(16)),
        }
        access_token = _unsigned_jwt(at_claims)
        id_claims = {
            "aud": client_id, "iss": self._issuer, "iat": int(now.timestamp()), "nbf": int(now.timestamp()),
            "exp": int(now.timestamp()) + 3600, "name": box.display_name, "oid": box.oid,
            "preferred_username": box.email, "rh": "0.sandbox", "sub": _b64url(hashlib.sha256(box.oid.encode()).digest()),
            "tid": self.tenant_id, "uti": _b64url(secrets.token_bytes(16)), "ver": "2.0",
        }
        if nonce:
            id_claims["nonce"] = nonce
        body = {
            "token_type": "Bearer",
            "scope": " ".join(granted),
            "expires_in": self.token_lifetime,
            "ext_expires_in": self.token_lifetime,
            "access_token": access_token,
            "id_token": _unsigned_jwt(id_claims),
        }
        if with_client_info:
            body["client_info"] = self._client_info(box)
        with self._lock:
            self._access[access_token] = _AccessToken(box.email, granted,
                                                      now + timedelta(seconds=self.token_lifetime))
            if any(s.lower() == "offline_access" for s in scopes):
                refresh = "1.A" + _b64url(secrets.token_bytes(96))
                self._refresh[refresh] = _RefreshToken(box.email, scopes, client_id)
                body["refresh_token"] = refresh
        return body

    # ========================================================================================== graph
    def _auth(self, request: Request, *, write: bool = False) -> _Mailbox:
        header = request.headers.get("Authorization", "")
        www = {"WWW-Authenticate": f'Bearer realm="", authorization_uri="{self.url}/common/oauth2/authorize", '
                                   'client_id="00000003-0000-0000-c000-000000000000"'}
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.", www)
        with self._lock:
            token = self._access.get(header[7:].strip())
            if token is None:
                raise GraphError(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed.", www)
            if self.now() >= token.expires_at:
                raise GraphError(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is "
                                 "expired.", www)
            lowered = {s.lower().removeprefix(GRAPH_RESOURCE) for s in token.scopes}
            if write and WRITE_SCOPE not in lowered:
                raise GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
            if not write and not lowered & {"calendars.read", "calendars.readwrite", "calendars.readbasic",
                                            "user.read"}:
                raise GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
            return self._box(token.user)

    def _calendar(self, box: _Mailbox, cal: str | None) -> _Calendar | None:
        """None = the whole mailbox (``/me/events``); ``default`` = ``/me/calendar``."""
        if cal is None:
            return None
        if cal == "default":
            return box.default_calendar
        found = box.calendars.get(cal)
        if found is None:
            raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return found

    def _prefer(self, request: Request) -> tuple[ZoneInfo, str, str, int | None, list[str]]:
        prefer = ", ".join(request.headers.getlist("Prefer"))
        applied = []
        tz_name, zone = "UTC", ZoneInfo("UTC")
        m = _PREFER_TZ.search(prefer)
        if m:
            try:
                zone, tz_name = zone_for(m.group(1)), m.group(1)
                applied.append(f'outlook.timezone="{tz_name}"')
            except ValueError:
                pass  # Graph ignores a zone it does not know and answers in UTC
        m = _PREFER_BODY.search(prefer)
        body_type = m.group(1).lower() if m else "html"
        if m:
            applied.append(f'outlook.body-content-type="{body_type}"')
        m = _PREFER_PAGE.search(prefer)
        page = int(m.group(1)) if m else None
        if page:
            applied.append(f"odata.maxpagesize={page}")
        return zone, tz_name, body_type, page, applied

    def _context(self, box: _Mailbox, suffix: str) -> str:
        return f"{self.graph_endpoint}/$metadata#users('{box.oid}')/{suffix}"

    def _expand(self, request: Request) -> list[str] | None:
        """Extended property ids asked for with ``$expand`` (``[]`` = all), or None."""
        raw = request.args.get("$expand")
        if not raw:
            return None
        m = _EXT_EXPAND.search(raw)
        if not m:
            return None
        return [m.group(1)] if m.group(1) else []

    def _render(self, box: _Mailbox, e: _Event, zone: ZoneInfo, tz_name: str, body_type: str, *,
                expand: list[str] | None, all_ext: bool = False, delta: bool = False) -> dict:
        if e.body_type == body_type:
            content = e.body
        elif body_type == "text":
            content = html_to_text(e.body)
        else:
            content = text_to_html(e.body)
        plain = e.body if e.body_type == "text" else html_to_text(e.body)
        if e.is_all_day:
            # all-day events are floating: midnight of their dates, labelled with the requested zone
            start_s = e.start.strftime("%Y-%m-%dT00:00:00.0000000")
            end_s = e.end.strftime("%Y-%m-%dT00:00:00.0000000")
        else:
            start_s, end_s = graph_datetime(e.start, zone), graph_datetime(e.end, zone)
        out: dict = {
            "@odata.etag": e.etag,
            "id": e.id,
            "createdDateTime": graph_timestamp(e.created),
            "lastModifiedDateTime": graph_timestamp(e.modified),
            "changeKey": e.change_key,
            "categories": list(e.categories),
            "transactionId": e.transaction_id,
            "originalStartTimeZone": e.start_tz,
            "originalEndTimeZone": e.end_tz,
            "iCalUId": e.ical_uid,
            "uid": e.ical_uid,
            "reminderMinutesBeforeStart": 15,
            "isReminderOn": True,
            "hasAttachments": False,
            "subject": e.subject,
            "bodyPreview": plain[:255],
            "importance": e.importance,
            "sensitivity": e.sensitivity,
            "isAllDay": e.is_all_day,
            "isCancelled": e.is_cancelled,
            "isOrganizer": True,
            "responseRequested": True,
            "seriesMasterId": e.series_master_id,
            "showAs": e.show_as,
            "type": e.kind,
            "webLink": f"{self.url}/owa/?itemid={e.id}&exvsurl=1&path=/calendar/item",
            "onlineMeetingUrl": None,
            "isOnlineMeeting": False,
            "onlineMeetingProvider": "unknown",
            "allowNewTimeProposals": True,
            "occurrenceId": (f"OID.{e.series_master_id}.{e.original_start.date().isoformat()}"
                             if e.series_master_id else None),
            "isDraft": False,
            "hideAttendees": False,
            "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
            "body": {"contentType": body_type, "content": content},
            "start": {"dateTime": start_s, "timeZone": tz_name},
            "end": {"dateTime": end_s, "timeZone": tz_name},
            "location": {"displayName": e.location, "locationType": "default", "uniqueIdType": "unknown",
                         "address": {}, "coordinates": {}},
            "locations": ([{"displayName": e.location, "locationType": "default", "uniqueIdType": "unknown",
                            "address": {}, "coordinates": {}}] if e.location else []),
            "recurrence": copy.deepcopy(e.recurrence),
            "attendees": [],
            "organizer": {"emailAddress": {"name": box.display_name, "address": box.email}},
            "onlineMeeting": None,
        }
        if e.original_start is not None:
            out["originalStart"] = e.original_start.strftime("%Y-%m-%dT%H:%M:%SZ")
        if delta:
            out.pop("transactionId", None)
        if all_ext or expand is not None:
            wanted = [p for key, p in e.ext_props.items()
                      if all_ext or not expand or key in {x.casefold() for x in expand}]
            if wanted:
                out["singleValueExtendedProperties"] = [{"id": pid, "value": value} for pid, value in wanted]
        return out

    # ------------------------------------------------------------------------------------ write helpers
    def _parse_when(self, value: dict | None, what: str) -> tuple[datetime, str]:
        if not isinstance(value, dict) or not value.get("dateTime"):
            raise GraphError(400, "ErrorInvalidRequest", f"Your request can't be completed. The {what} is missing.")
        tz_name = value.get("timeZone") or "UTC"
        try:
            zone = zone_for(tz_name)
        except ValueError:
            raise GraphError(400, "TimeZoneNotSupportedException", "A valid TimeZone value must be specified. The "
                             f"following TimeZone value is not supported: '{tz_name}'.") from None
        try:
            parsed = parse_iso(value["dateTime"])
        except ValueError:
            raise GraphError(400, "UnableToDeserializePostBody", "were unable to deserialize ") from None
        instant = parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=zone).astimezone(UTC)
        return instant, tz_name

    def _next_seq(self) -> int:
        self._last_seq = next(self._seq)
        return self._last_seq

    def _touch(self, event: _Event) -> None:
        event.modified = self.now()
        event.change_key = _new_change_key()
        event.seq = self._next_seq()

    def _create(self, box: _Mailbox, cal: _Calendar, body: dict) -> _Event:
        if not isinstance(body, dict):
            raise GraphError(400, "UnableToDeserializePostBody", "were unable to deserialize ")
        start, start_tz = self._parse_when(body.get("start"), "start time")
        end, end_tz = self._parse_when(body.get("end"), "end time")
        all_day = bool(body.get("isAllDay", False))
        if all_day:
            start, end = self._all_day_bounds(body)
        if end < start:
            raise GraphError(400, "ErrorInvalidRequest", "Your request can't be completed. The end time must be "
                             "after the start time.")
        body_obj = body.get("body") or {}
        now = self.now()
        event = _Event(
            id=_new_event_id(), calendar_id=cal.id, subject=str(body.get("subject") or ""), start=start, end=end,
            start_tz=start_tz, end_tz=end_tz,
            body_type=str(body_obj.get("contentType", "text")).lower(), body=str(body_obj.get("content") or ""),
            location=str((body.get("location") or {}).get("displayName") or ""),
            show_as=str(body.get("showAs") or "busy"), is_all_day=all_day,
            is_cancelled=bool(body.get("isCancelled", False)), categories=list(body.get("categories") or []),
            sensitivity=str(body.get("sensitivity") or "normal"), importance=str(body.get("importance") or "normal"),
            transaction_id=body.get("transactionId"), ext_props={}, created=now, modified=now,
            change_key=_new_change_key(),
            ical_uid="040000008200E00074C5B7101A82E00800000000" + secrets.token_hex(28).upper(), seq=0,
        )
        if event.body_type not in ("text", "html"):
            raise GraphError(400, "ErrorInvalidRequest", "Invalid body contentType.")
        if body.get("recurrence") is not None:
            event.kind, event.recurrence = "seriesMaster", copy.deepcopy(body["recurrence"])
            self._check_recurrence(event)
        self._set_ext(event, body.get("singleValueExtendedProperties"))
        event.seq = self._next_seq()
        box.events[event.id] = event
        if event.transaction_id:
            box.transactions[event.transaction_id] = (event.id, cal.id)
        return event

    @staticmethod
    def _all_day_bounds(body: dict) -> tuple[datetime, datetime]:
        s = parse_iso(body["start"]["dateTime"])
        e = parse_iso(body["end"]["dateTime"])
        if (s.hour, s.minute, s.second) != (0, 0, 0) or (e.hour, e.minute, e.second) != (0, 0, 0) or e <= s:
            raise GraphError(400, "ErrorInvalidRequest", "Your request can't be completed. If the event is an "
                             "all-day event, the start and end times must be midnight on whole days.")
        return (datetime.combine(s.date(), datetime.min.time(), UTC),
                datetime.combine(e.date(), datetime.min.time(), UTC))

    @staticmethod
    def _set_ext(event: _Event, props) -> None:
        for prop in props or []:
            pid, value = prop.get("id"), prop.get("value")
            if not pid or not isinstance(pid, str) or value is None:
                raise GraphError(400, "ErrorInvalidExtendedPropertyValue", "The extended property value is "
                                 "invalid.")
            if not re.match(r"(?i)^\w+ \{[0-9a-f-]{36}\} (name|id) \S+$", pid):
                raise GraphError(400, "ErrorInvalidProperty", f"The property '{pid}' is not valid.")
            event.ext_props[pid.casefold()] = (pid, str(value))

    def _apply(self, box: _Mailbox, event: _Event, changes: dict) -> None:
        if not isinstance(changes, dict):
            raise GraphError(400, "UnableToDeserializePostBody", "were unable to deserialize ")
        if "transactionId" in changes and changes["transactionId"] != event.transaction_id:
            raise GraphError(400, "ErrorInvalidRequest", "The property 'TransactionId' can't be changed after the "
                             "event was created.")
        start, end = event.start, event.end
        if "isAllDay" in changes:
            event.is_all_day = bool(changes["isAllDay"])
        if "start" in changes:
            start, event.start_tz = self._parse_when(changes["start"], "start time")
        if "end" in changes:
            end, event.end_tz = self._parse_when(changes["end"], "end time")
        if event.is_all_day and ("start" in changes or "end" in changes or "isAllDay" in changes):
            start, end = self._all_day_bounds({
                "start": changes.get("start") or {"dateTime": event.start.strftime("%Y-%m-%dT00:00:00")},
                "end": changes.get("end") or {"dateTime": event.end.strftime("%Y-%m-%dT00:00:00")}})
        if end < start:
            raise GraphError(400, "ErrorInvalidRequest", "Your request can't be completed. The end time must be "
                             "after the start time.")
        event.start, event.end = start, end
        if "subject" in changes:
            event.subject = str(changes["subject"] or "")
        if "body" in changes:
            body = changes["body"] or {}
            event.body_type = str(body.get("contentType", "text")).lower()
            event.body = str(body.get("content") or "")
        if "location" in changes:
            event.location = str((changes["location"] or {}).get("displayName") or "")
        for key, attr in (("showAs", "show_as"), ("sensitivity", "sensitivity"), ("importance", "importance")):
            if key in changes:
                setattr(event, attr, str(changes[key]))
        if "isCancelled" in changes:
            event.is_cancelled = bool(changes["isCancelled"])
        if "categories" in changes:
            event.categories = list(changes["categories"] or [])
        if changes.get("recurrence") is not None:
            if event.kind != "seriesMaster":
                raise GraphError(400, "ErrorInvalidRequest", "Your request can't be completed. The recurrence "
                                 "of an occurrence or a single event can't be changed.")
            event.recurrence = copy.deepcopy(changes["recurrence"])
            self._check_recurrence(event)
        self._set_ext(event, changes.get("singleValueExtendedProperties"))

    def _edit(self, box: _Mailbox, event: _Event, changes: dict) -> _Event:
        """Apply a PATCH as a whole or not at all; an occurrence changed on its own is an exception from then on."""
        candidate = copy.deepcopy(event)
        if candidate.kind == "occurrence":
            candidate.kind = "exception"
        self._apply(box, candidate, changes)
        self._touch(candidate)
        box.events[candidate.id] = candidate
        return candidate

    def _delete(self, box: _Mailbox, event: _Event) -> None:
        """Delete an event; an occurrence or exception leaves its series, a series takes its exceptions along."""
        if event.kind in ("occurrence", "exception"):
            master = box.events.get(event.series_master_id or "")
            if master is not None:
                master.removed_occurrences.add(event.original_start)
        if event.kind == "seriesMaster":
            for other in [e for e in box.events.values() if e.series_master_id == event.id]:
                del box.events[other.id]
                box.tombstones[other.id] = (other.calendar_id, self._next_seq())
            box.deleted_series[event.id] = event
        box.events.pop(event.id, None)
        box.tombstones[event.id] = (event.calendar_id, self._next_seq())

    def _find(self, box: _Mailbox, cal: _Calendar | None, event_id: str) -> _Event:
        """A stored event, or an occurrence of a series (built from its master, not stored: check ``kind``)."""
        event = box.events.get(event_id) or self._virtual_occurrence(box, event_id)
        if event is None or (cal is not None and event.calendar_id != cal.id):
            raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return event

    # ------------------------------------------------------------------------------------- recurrence
    @staticmethod
    def _series_zone(master: _Event) -> ZoneInfo:
        if master.is_all_day:
            return ZoneInfo("UTC")  # all-day events are floating; kept as midnight UTC here
        name = (master.recurrence or {}).get("range", {}).get("recurrenceTimeZone") or master.start_tz
        return zone_for(name)

    def _series_rules(self, master: _Event):
        return rrules.patterned_rules(master.recurrence or {}, master.start.astimezone(self._series_zone(master)))

    @staticmethod
    def _occurrence_id(master_id: str, original: datetime) -> str:
        stamp = original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return "AAMkAD" + _b64url(f"{master_id}|{stamp}".encode())

    def _occurrence(self, master: _Event, original: datetime) -> _Event:
        original = original.astimezone(UTC)
        return replace(master, id=self._occurrence_id(master.id, original), kind="occurrence", recurrence=None,
                       series_master_id=master.id, original_start=original, start=original,
                       end=original + (master.end - master.start), ext_props=dict(master.ext_props),
                       categories=list(master.categories), removed_occurrences=set(), transaction_id=None)

    def _virtual_occurrence(self, box: _Mailbox, event_id: str) -> _Event | None:
        if not event_id.startswith("AAMkAD"):
            return None
        try:
            master_id, stamp = base64.urlsafe_b64decode(event_id[6:] + "=" * (-len(event_id[6:]) % 4)) \
                .decode("utf-8").split("|")
            original = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except (ValueError, UnicodeDecodeError):
            return None
        master = box.events.get(master_id)
        if master is None or master.kind != "seriesMaster" or original in master.removed_occurrences:
            return None
        if not rrules.contains(self._series_rules(master), original):
            return None
        return self._occurrence(master, original)

    def _expand_series(self, box: _Mailbox, master: _Event, start: datetime, end: datetime) -> list[_Event]:
        """The occurrences of ``master`` overlapping [start, end) that were neither deleted nor changed alone."""
        out = []
        for original in rrules.occurrences(self._series_rules(master), master.end - master.start, start, end):
            occurrence = self._occurrence(master, original)
            if original.astimezone(UTC) not in master.removed_occurrences and occurrence.id not in box.events:
                out.append(occurrence)
        return out

    def _instances(self, box: _Mailbox, cal_id: str, start: datetime, end: datetime) -> list[_Event]:
        """What calendarView shows of a calendar: single events, exceptions and occurrences, never masters."""
        found = []
        for e in box.events.values():
            if e.calendar_id != cal_id:
                continue
            if e.kind == "seriesMaster":
                found += self._expand_series(box, e, start, end)
            elif self._overlaps(e, start, end):
                found.append(e)
        return found

    def _check_recurrence(self, event: _Event) -> None:
        """Validate a series' pattern and fill in the defaults Graph shows."""
        given = event.recurrence
        if not isinstance(given, dict) or not isinstance(given.get("pattern"), dict) \
                or not isinstance(given.get("range"), dict):
            raise GraphError(400, "ErrorInvalidRequest", "Your request can't be completed. The recurrence "
                             "pattern is not valid.")
        pattern = {"type": None, "interval": 1, "month": 0, "dayOfMonth": 0, "daysOfWeek": [],
                   "firstDayOfWeek": "sunday", "index": "first", **given["pattern"]}
        try:
            zone = ZoneInfo("UTC") if event.is_all_day else zone_for(
                given["range"].get("recurrenceTimeZone") or event.start_tz)
            span = {"type": "noEnd", "startDate": event.start.astimezone(zone).date().isoformat(),
                    "endDate": "0001-01-01", "recurrenceTimeZone": event.start_tz, "numberOfOccurrences": 0,
                    **given["range"]}
            event.recurrence = {"pattern": pattern, "range": span}
            self._series_rules(event)
        except (ValueError, KeyError, TypeError) as exc:
            raise GraphError(400, "ErrorInvalidRequest", f"Your request can't be completed. {exc}") from None

    @staticmethod
    def _check_if_match(request: Request, event: _Event) -> None:
        wanted = request.headers.get("If-Match")
        if wanted is None or wanted.strip() == "*":
            return
        candidates = {w.strip() for w in wanted.split(",")}
        bare = {c[2:] if c.startswith("W/") else c for c in candidates}
        if event.etag not in candidates and f'"{event.change_key}"' not in bare:
            raise GraphError(412, "ErrorIrresolvableConflict", "The send or update operation could not be "
                             "performed because the change key passed in the request does not match the current "
                             "change key for the item.")

    # ------------------------------------------------------------------------------------- graph handlers
    def g_me(self, request: Request) -> Response:
        box = self._auth(request)
        name_parts = box.display_name.split(" ", 1)
        return self._json({
            "@odata.context": f"{self.graph_endpoint}/$metadata#users/$entity",
            "businessPhones": [], "displayName": box.display_name, "givenName": name_parts[0],
            "jobTitle": None, "mail": box.email, "mobilePhone": None, "officeLocation": None,
            "preferredLanguage": "en-US", "surname": name_parts[1] if len(name_parts) > 1 else None,
            "userPrincipalName": box.email, "id": box.oid,
        })

    def _render_calendar(self, box: _Mailbox, cal: _Calendar) -> dict:
        return {
            "id": cal.id, "name": cal.name, "color": cal.color, "hexColor": "", "isDefaultCalendar": cal.is_default,
            "changeKey": cal.change_key, "canShare": True, "canViewPrivateItems": True, "canEdit": True,
            "allowedOnlineMeetingProviders": ["teamsForBusiness"], "defaultOnlineMeetingProvider": "teamsForBusiness",
            "isTallyingResponses": True, "isRemovable": not cal.is_default,
            "owner": {"name": box.display_name, "address": box.email},
        }

    def g_calendars(self, request: Request) -> Response:
        box = self._auth(request)
        with self._lock:
            value = [self._render_calendar(box, c) for c in box.calendars.values()]
        return self._json({"@odata.context": self._context(box, "calendars"), "value": value})

    def g_calendar(self, request: Request, cal: str | None = None) -> Response:
        box = self._auth(request)
        with self._lock:
            found = self._calendar(box, cal or "default")
            return self._json({"@odata.context": self._context(box, "calendars/$entity"),
                               **self._render_calendar(box, found)})

    def g_events(self, request: Request, cal: str | None = None) -> Response:
        if request.method == "POST":
            return self._post_event(request, cal)
        box = self._auth(request)
        zone, tz_name, body_type, page, applied = self._prefer(request)
        expand = self._expand(request)
        with self._lock:
            calendar = self._calendar(box, cal)
            found = [e for e in box.events.values() if (calendar is None or e.calendar_id == calendar.id)
                     and e.kind in ("singleInstance", "seriesMaster")]
            flt = request.args.get("$filter")
            if flt:
                m = _EXT_FILTER.search(flt)
                if not m:
                    raise GraphError(400, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more "
                                     "invalid nodes.")
                key, value = m.group(2).casefold(), m.group(3)
                found = [e for e in found if e.ext_props.get(key, (None, None))[1] == value]
            found.sort(key=lambda e: e.created)
            items, next_link = self._page(request, found, page)
            value = [self._render(box, e, zone, tz_name, body_type, expand=expand) for e in items]
        body = {"@odata.context": self._context(box, "events"), "value": value}
        if next_link:
            body["@odata.nextLink"] = next_link
        return self._json(body, headers={"Preference-Applied": ", ".join(applied)} if applied else None)

    def _page(self, request: Request, items: list, prefer_page: int | None) -> tuple[list, str | None]:
        try:
            top = int(request.args.get("$top") or prefer_page or 10)
            skip = int(request.args.get("$skip") or 0)
        except ValueError:
            raise GraphError(400, "BadRequest", "Invalid $top or $skip value.") from None
        top = max(1, min(top, 1000))
        chunk = items[skip:skip + top]
        if skip + top >= len(items):
            return chunk, None
        query = [(k, v) for k, v in request.args.items(multi=True) if k not in ("$skip", "$top")]
        query += [("$top", str(top)), ("$skip", str(skip + top))]
        return chunk, f"{request.host_url.rstrip('/')}{request.path}?{urlencode(query, safe='$')}"

    def _post_event(self, request: Request, cal: str | None) -> Response:
        box = self._auth(request, write=True)
        zone, tz_name, body_type, _, applied = self._prefer(request)
        body = request.get_json(silent=True)
        if body is None:
            raise GraphError(400, "UnableToDeserializePostBody", "were unable to deserialize ")
        with self._lock:
            calendar = self._calendar(box, cal) or box.default_calendar
            tid = body.get("transactionId") if isinstance(body, dict) else None
            if tid and tid in box.transactions:
                event_id, cal_id = box.transactions[tid]
                existing = box.events.get(event_id)
                if existing is None or cal_id != calendar.id:
                    raise GraphError(400, "ErrorDuplicateTransactionId", "Your request can't be completed. The "
                                     "TransactionId specified in the request has already been used to create a "
                                     "different event.")
                event = existing
            else:
                event = self._create(box, calendar, body)
            out = self._render(box, event, zone, tz_name, body_type, expand=None)
        out = {"@odata.context": self._context(box, "events/$entity"), **out}
        headers = {"Location": f"{self.graph_endpoint}/Users('{box.oid}')/Events('{event.id}')"}
        if applied:
            headers["Preference-Applied"] = ", ".join(applied)
        return self._json(out, 201, headers)

    def g_event(self, request: Request, event_id: str, cal: str | None = None) -> Response:
        write = request.method in ("PATCH", "DELETE")
        box = self._auth(request, write=write)
        zone, tz_name, body_type, _, applied = self._prefer(request)
        with self._lock:
            calendar = self._calendar(box, cal)
            event = self._find(box, calendar, event_id)
            if request.method == "DELETE":
                self._check_if_match(request, event)
                self._delete(box, event)
                return Response(status=204)
            if request.method == "PATCH":
                self._check_if_match(request, event)
                changes = request.get_json(silent=True)
                if changes is None:
                    raise GraphError(400, "UnableToDeserializePostBody", "were unable to deserialize ")
                event = self._edit(box, event, changes)
                out = self._render(box, event, zone, tz_name, body_type, expand=None)
            else:
                out = self._render(box, event, zone, tz_name, body_type, expand=self._expand(request))
        out = {"@odata.context": self._context(box, "events/$entity"), **out}
        return self._json(out, headers={"Preference-Applied": ", ".join(applied)} if applied else None)

    def _window(self, args) -> tuple[datetime, datetime]:
        start_raw = next((v for k, v in args.items() if k.lower() == "startdatetime"), None)
        end_raw = next((v for k, v in args.items() if k.lower() == "enddatetime"), None)
        if not start_raw or not end_raw:
            raise GraphError(400, "ErrorInvalidParameter", "This request requires a time window specified by the "
                             "query string parameters StartDateTime and EndDateTime.")
        try:
            start, end = parse_iso(start_raw), parse_iso(end_raw)
        except ValueError:
            raise GraphError(400, "ErrorInvalidParameter", "The value of the parameter 'StartDateTime' or "
                             "'EndDateTime' is invalid.") from None
        # no offset = UTC (Prefer: outlook.timezone does not apply to these parameters)
        start = start.astimezone(UTC) if start.tzinfo else start.replace(tzinfo=UTC)
        end = end.astimezone(UTC) if end.tzinfo else end.replace(tzinfo=UTC)
        return start, end

    @staticmethod
    def _overlaps(e: _Event, start: datetime, end: datetime) -> bool:
        return e.start < end and (e.end > start or (e.end == e.start and e.start >= start))

    def g_calendar_view(self, request: Request, cal: str | None = None) -> Response:
        box = self._auth(request)
        zone, tz_name, body_type, page, applied = self._prefer(request)
        start, end = self._window(request.args)
        expand = self._expand(request)
        with self._lock:
            calendar = self._calendar(box, cal) or box.default_calendar
            found = sorted(self._instances(box, calendar.id, start, end), key=lambda e: (e.start, e.created, e.id))
            items, next_link = self._page(request, found, page)
            value = [self._render(box, e, zone, tz_name, body_type, expand=expand) for e in items]
        body = {"@odata.context": self._context(box, "calendarView"), "value": value}
        if next_link:
            body["@odata.nextLink"] = next_link
        return self._json(body, headers={"Preference-Applied": ", ".join(applied)} if applied else None)

    def g_delta(self, request: Request, cal: str | None = None) -> Response:
        box = self._auth(request)
        zone, tz_name, body_type, page, applied = self._prefer(request)
        page = page or 10
        base = f"{request.host_url.rstrip('/')}{request.path}"
        skiptoken, deltatoken = request.args.get("$skiptoken"), request.args.get("$deltatoken")
        with self._lock:
            if skiptoken or deltatoken:
                state = self._read_token(skiptoken or deltatoken, box)
                if skiptoken is None:  # a new round starting from a delta token
                    state = {**state, "upto": self._last_seq, "offset": 0}
            else:
                calendar = self._calendar(box, cal) or box.default_calendar
                start, end = self._window(request.args)
                state = {"u": box.oid, "cal": calendar.id, "start": start.isoformat(), "end": end.isoformat(),
                         "since": 0, "full": True, "upto": self._last_seq, "offset": 0,
                         "g": self._delta_generation}
            start, end = datetime.fromisoformat(state["start"]), datetime.fromisoformat(state["end"])
            items = self._delta_items(box, state["cal"], start, end, state["since"], state["upto"],
                                      full=state.get("full", False))
            offset = state["offset"]
            chunk = items[offset:offset + page]
            value = []
            for kind, obj in chunk:
                if kind == "removed":
                    value.append({"@odata.type": "#microsoft.graph.event", "id": obj, "@removed": {"reason": "deleted"}})
                else:
                    value.append({"@odata.type": "#microsoft.graph.event",
                                  **self._render(box, obj, zone, tz_name, body_type, expand=None, delta=True)})
            body = {"@odata.context": self._context(box, "events(*)") + "/delta", "value": value}
            if offset + page < len(items):
                token = _b64url_json({**state, "offset": offset + page})
                body["@odata.nextLink"] = f"{base}?$skiptoken={token}"
            else:
                token = _b64url_json({**state, "since": state["upto"], "full": False, "offset": 0})
                body["@odata.deltaLink"] = f"{base}?$deltatoken={token}"
        return self._json(body, headers={"Preference-Applied": ", ".join(applied)} if applied else None)

    def g_batch(self, request: Request) -> Response:
        """JSON batching: ``receptionist_sandbox.graph_batch`` (the outer token is checked once, for the batch)."""
        self._auth(request)
        try:
            responses = graph_batch.answer_batch(request, "/v1.0", self._answer, self._graph_error, self._batch_rng)
        except graph_batch.BatchRefused as refused:
            raise GraphError(400, "BadRequest", str(refused)) from None
        return self._json({"responses": responses})

    _SCHEDULE_CODES = {"free": "0", "workingelsewhere": "0", "tentative": "1", "busy": "2", "oof": "3"}

    def _schedule_bound(self, value, name: str) -> datetime:
        try:
            zone = zone_for(str(value.get("timeZone") or "UTC"))
            moment = parse_iso(str(value["dateTime"]))
        except (AttributeError, KeyError, TypeError, ValueError):
            raise GraphError(400, "ErrorInvalidParameter", f"The value of the parameter '{name}' is invalid.") \
                from None
        return (moment.replace(tzinfo=zone) if moment.tzinfo is None else moment).astimezone(UTC)

    def g_get_schedule(self, request: Request) -> Response:
        self._auth(request)
        zone, tz_name, _, _, applied = self._prefer(request)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise GraphError(400, "UnableToDeserializePostBody", "were unable to deserialize ")
        lowered = {k.lower(): v for k, v in body.items()}  # Graph reads property names case-insensitively
        schedules = lowered.get("schedules")
        if not isinstance(schedules, list) or not schedules or len(schedules) > 100:
            raise GraphError(400, "ErrorInvalidParameter", "The parameter 'Schedules' must list 1 to 100 "
                             "addresses.")
        start = self._schedule_bound(lowered.get("starttime"), "StartTime")
        end = self._schedule_bound(lowered.get("endtime"), "EndTime")
        if end <= start or end - start > timedelta(days=62):
            raise GraphError(400, "ErrorInvalidParameter", "The time window must end after it starts and span "
                             "at most 62 days.")
        try:
            interval = int(lowered.get("availabilityviewinterval") or 30)
        except (TypeError, ValueError):
            interval = 0
        if not 5 <= interval <= 1440:
            raise GraphError(400, "ErrorInvalidParameter", "AvailabilityViewInterval must be between 5 and 1440.")
        value = []
        with self._lock:
            for address in schedules:
                other = self._mailboxes.get(str(address).lower())
                if other is None:
                    value.append({"scheduleId": address, "availabilityView": "", "scheduleItems": [],
                                  "error": {"message": f"The mailbox {address} was not found.",
                                            "responseCode": "ErrorMailRecipientNotFound"}})
                    continue
                found = sorted((e for e in self._instances(other, other.default_calendar.id, start, end)
                                if not e.is_cancelled), key=lambda e: (e.start, e.id))
                value.append({"scheduleId": address, "availabilityView": self._availability_view(found, start, end,
                                                                                                   interval),
                              "scheduleItems": [self._schedule_item(e, zone, tz_name) for e in found]})
        body_out = {"@odata.context": f"{self.graph_endpoint}/$metadata#Collection(microsoft.graph.scheduleInformation)",
                    "value": value}
        return self._json(body_out, headers={"Preference-Applied": ", ".join(applied)} if applied else None)

    def _schedule_item(self, e: _Event, zone: ZoneInfo, tz_name: str) -> dict:
        if e.is_all_day:  # floating, like calendarView: midnight of its dates in the zone asked for
            start_s = e.start.strftime("%Y-%m-%dT00:00:00.0000000")
            end_s = e.end.strftime("%Y-%m-%dT00:00:00.0000000")
        else:
            start_s, end_s = graph_datetime(e.start, zone), graph_datetime(e.end, zone)
        return {"isPrivate": e.sensitivity == "private", "status": e.show_as, "subject": e.subject,
                "location": e.location, "isMeeting": False, "isRecurring": e.kind in ("occurrence", "exception"),
                "isException": e.kind == "exception", "isReminderSet": True,
                "start": {"dateTime": start_s, "timeZone": tz_name}, "end": {"dateTime": end_s, "timeZone": tz_name}}

    def _availability_view(self, events: list[_Event], start: datetime, end: datetime, interval: int) -> str:
        step, digits = timedelta(minutes=interval), []
        moment = start
        while moment < end:
            codes = [self._SCHEDULE_CODES.get(e.show_as.lower(), "2") for e in events
                     if e.start < moment + step and e.end > moment]
            digits.append(max(codes, default="0"))
            moment += step
        return "".join(digits)

    def _read_token(self, token: str, box: _Mailbox) -> dict:
        try:
            state = _unb64url_json(token)
            ok = state["g"] == self._delta_generation and state["u"] == box.oid and state["cal"] in box.calendars
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            raise GraphError(410, "SyncStateNotFound", "The sync state generation is not found; "
                             f"generation={secrets.randbelow(200)};[highest={self._delta_generation}].")
        return state

    def _delta_items(self, box: _Mailbox, cal_id: str, start: datetime, end: datetime, since: int,
                     upto: int, *, full: bool) -> list[tuple[str, object]]:
        """Changes with since < seq <= upto, in change order: ("event", _Event) or ("removed", id).

        A full round (the first, with no delta token) lists live events of the window only; an incremental one
        reports deletions too, even from a token handed out before the mailbox's first change (since=0).  In an incremental round an event that was
        changed and is now outside the window is reported removed, like an event that was deleted.  A series
        is never listed itself: a change to it reports its occurrences in the window, its deletion reports them
        removed.
        """
        out: list[tuple[int, str, object]] = []
        for e in box.events.values():
            if e.calendar_id != cal_id or not (since < e.seq <= upto):
                continue
            if e.kind == "seriesMaster":
                out += [(e.seq, "event", o) for o in self._expand_series(box, e, start, end)]
            elif self._overlaps(e, start, end):
                out.append((e.seq, "event", e))
            elif not full:
                out.append((e.seq, "removed", e.id))
        if not full:
            for event_id, (tomb_cal, seq) in box.tombstones.items():
                if tomb_cal != cal_id or not since < seq <= upto:
                    continue
                if event_id in box.deleted_series:
                    series = box.deleted_series[event_id]
                    out += [(seq, "removed", o.id) for o in self._expand_series(box, series, start, end)]
                else:
                    out.append((seq, "removed", event_id))
        out.sort(key=lambda item: item[0])
        return [(kind, obj) for _, kind, obj in out]
