"""Google Calendar v3 + Google OAuth 2.0 stand-in, speaking the real wire protocol on loopback.

The product's Google adapter (``receptionist.providers.google_calendar``) drives this through the real client
libraries (google-api-python-client, google-auth, httplib2): point ``GoogleSettings.api_endpoint`` at
``sandbox.api_endpoint`` and ``token_uri`` / ``auth_uri`` at ``sandbox.token_uri`` / ``sandbox.auth_uri``.

What it mirrors of the real service (and what the tests rely on):

* Errors in Calendar v3's JSON shape (``{"error": {"errors": [{domain, reason, message}], "code", "message"}}``);
  OAuth errors in RFC 6749 shape (``{"error": "invalid_grant", "error_description": ...}``).
* Every API call needs ``Authorization: Bearer``; missing/unknown/expired tokens answer 401 with
  ``WWW-Authenticate: Bearer realm="https://accounts.google.com/", error="invalid_token"`` (parseable by httplib2).
* Events: client-supplied ids (base32hex, 5-1024 chars; a reused id, even of a deleted event, is 409
  ``duplicate``), ETags that change on every write, ``If-Match`` → 412 ``conditionNotMet``, ``sequence``,
  ``created``/``updated``, ``iCalUID``, ``htmlLink``, ``organizer``/``creator``, ``extendedProperties``,
  ``transparency``.  Delete only marks an event ``cancelled``: a later GET still answers 200 with
  ``status: "cancelled"``; deleting it again answers 410 ``deleted`` ("Resource has been deleted").
* Times come back in the calendar's time zone with an offset (``14:00Z`` → ``08:00-06:00`` in Chicago) plus the
  ``timeZone`` the client sent; all-day events use ``date``.
* events.list: ``maxResults``/``pageToken`` paging, ``timeMin``/``timeMax`` (overlap), ``singleEvents``,
  ``orderBy=startTime`` (needs ``singleEvents``), ``showDeleted``, ``privateExtendedProperty``, ``syncToken``.
  The last page carries ``nextSyncToken``; a sync-token read returns everything changed since, deleted events
  included (deleted events only guaranteed to carry ``id``/``status``, as Google documents); an unknown or
  invalidated token answers 410 ``fullSyncRequired``.
* OAuth: ``GET /o/oauth2/auth`` auto-approves and 302-redirects to the loopback ``redirect_uri`` with
  ``code`` and ``state`` (PKCE S256 challenge stored); ``POST /token`` for ``authorization_code`` (verifier and
  redirect_uri checked) and ``refresh_token`` grants (client id/secret checked).
* freebusy.query (``POST /freeBusy``, after the Calendar v3 discovery document): ``timeMin``/``timeMax``
  (RFC 3339 with an offset; a missing or empty range is 400), ``timeZone`` (the zone the answer's times are
  written in, with their offset; UTC ``...Z`` by default; an unknown zone is 400), ``items`` (at most 50).  Per
  calendar: ``busy`` periods of the events that are not cancelled nor ``transparent`` (series expanded),
  overlapping ones merged and clipped to the range; a calendar the account cannot see answers
  ``errors: [{"domain": "global", "reason": "notFound"}]`` instead.
* Fault injection (``.faults``, and ``/_sandbox/faults`` over HTTP) is consulted before routing.
* Batches (``POST /batch/calendar/v3``, multipart/mixed, up to 50 calls, each answered as on its own, fault rules
  included): ``receptionist_sandbox.google_batch``.

* Recurring events (after Calendar v3's "Recurring events" guide and events.list reference; the
  events.instances method is not served): a series is
  one event with ``recurrence`` (``RRULE``/``EXRULE``/``RDATE``/``EXDATE`` lines) and ``start.timeZone``
  (required for a timed series); its occurrences keep their wall-clock time in that zone across DST changes
  (``receptionist_sandbox.recurrence``).  ``singleEvents=true`` expands the series into instances (id
  ``<seriesId>_<YYYYMMDDTHHMMSSZ>``, or ``_<YYYYMMDD>`` for an all-day series, ``recurringEventId``,
  ``originalStartTime``, no ``recurrence``); without it the series event itself is listed.  An instance can be
  read, patched, replaced or deleted by its id: the change is stored as an *exception* (a moved or retitled
  instance is listed in place of the occurrence, also without ``singleEvents``; a deleted one becomes a cancelled
  instance carrying only ``id``, ``status``, ``recurringEventId`` and ``originalStartTime``, the fields Google
  guarantees).  A sync-token read reports a changed series as all its instances (``singleEvents=true``) and a
  changed instance alone.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from receptionist_sandbox import google_batch, recurrence
from receptionist_sandbox.faults import Fault, FaultInjector, after_request, apply_delay, before_request
from receptionist_sandbox.server import StandIn
from receptionist.serving import ServedApp

DEFAULT_ACCOUNT = "owner@demo.example"
DEFAULT_TIME_ZONE = "America/Chicago"
DEFAULT_SCOPE = "https://www.googleapis.com/auth/calendar"
API_PREFIX = "/calendar/v3"
_REALM = "https://accounts.google.com/"
_ID_RE = re.compile(r"^[a-v0-9]{5,1024}$")
_BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
_MAX_PAGE = 2500

_STATUS_TEXT = {
    400: ("badRequest", "Bad Request"),
    401: ("authError", "Invalid Credentials"),
    403: ("forbidden", "Forbidden"),
    404: ("notFound", "Not Found"),
    409: ("duplicate", "The requested identifier already exists."),
    410: ("deleted", "Resource has been deleted"),
    412: ("conditionNotMet", "Precondition Failed"),
    429: ("rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("backendError", "Backend Error"),
    502: ("backendError", "Bad Gateway"),
    503: ("backendError", "The service is currently unavailable."),
    504: ("backendError", "Deadline exceeded"),
}
_GRPC_STATUS = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    409: "ALREADY_EXISTS", 410: "NOT_FOUND", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _rfc3339_utc(moment: datetime) -> str:
    """``2024-05-01T12:34:56.789Z`` (Google's format for ``created``/``updated``)."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _format_in_zone(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    text = local.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _random_id(length: int = 26) -> str:
    return "".join(secrets.choice(_BASE32HEX) for _ in range(length))


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _unb64(text: str) -> dict | None:
    try:
        padded = text + "=" * (-len(text) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, dict) else None


class ApiError(Exception):
    """An error answered in Calendar v3's JSON error shape."""

    def __init__(self, status: int, reason: str | None = None, message: str | None = None, *,
                 domain: str = "global", location: str | None = None, location_type: str | None = None,
                 headers: dict[str, str] | None = None):
        default_reason, default_message = _STATUS_TEXT.get(status, ("error", "Error"))
        self.status = status
        self.reason = reason or default_reason
        self.message = message or default_message
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.headers = headers or {}
        super().__init__(f"{status} {self.reason}: {self.message}")

    def body(self) -> dict:
        item: dict[str, Any] = {"domain": self.domain, "reason": self.reason, "message": self.message}
        if self.location:
            item["locationType"] = self.location_type or "parameter"
            item["location"] = self.location
        error: dict[str, Any] = {"errors": [item], "code": self.status, "message": self.message}
        if self.status in _GRPC_STATUS:
            error["status"] = _GRPC_STATUS[self.status]
        return {"error": error}


class OAuthError(Exception):
    """An error from the token endpoint (RFC 6749 §5.2 shape)."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(f"{error}: {description}")
        self.status, self.error, self.description = status, error, description


def _json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data, indent=1), status=status, headers=headers or {},
                    content_type="application/json; charset=UTF-8")


def _error_response(exc: ApiError) -> Response:
    return _json_response(exc.body(), exc.status, exc.headers)


# ----------------------------------------------------------------------------------------------------------------
# state


@dataclass
class _Calendar:
    id: str
    summary: str
    time_zone: str
    primary: bool = False
    events: dict[str, dict] = field(default_factory=dict)  # id -> stored event (internal fields start with "_")
    seq: int = 0  # change counter: every event write takes the next value
    epoch: int = 0  # bumped by invalidate_sync_tokens()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass
class _Account:
    email: str
    calendars: dict[str, _Calendar] = field(default_factory=dict)


@dataclass
class _Grant:
    account: str
    client_id: str
    scope: str
    revoked: bool = False


@dataclass
class _AccessToken:
    account: str
    expires_at: datetime
    scope: str


@dataclass
class _AuthCode:
    account: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: datetime
    used: bool = False


class GoogleSandbox(StandIn):
    """A WSGI app standing in for Google Calendar v3 and Google's OAuth 2.0 endpoints (see module docstring)."""

    stand_in_name = "google-sandbox"

    def __init__(self, *, client_id: str = "sandbox-google-client", client_secret: str = "sandbox-google-secret",
                 token_lifetime: int = 3600, now: Callable[[], datetime] | None = None,
                 default_time_zone: str = DEFAULT_TIME_ZONE):
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.default_time_zone = default_time_zone
        self._now = now or _utcnow
        self.faults = FaultInjector()
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request seen, for assertions
        self._lock = threading.RLock()
        self._accounts: dict[str, _Account] = {}
        self._grants: dict[str, _Grant] = {}
        self._access: dict[str, _AccessToken] = {}
        self._codes: dict[str, _AuthCode] = {}
        self._etag_counter = itertools.count(int(time.time() * 1000) * 1000)
        self._served: ServedApp | None = None
        self._map = Map([
            Rule(f"{API_PREFIX}/users/me/calendarList", endpoint="calendar_list", methods=["GET"]),
            Rule(f"{API_PREFIX}/users/me/calendarList/<calendar_id>", endpoint="calendar_list_entry",
                 methods=["GET"]),
            Rule(f"{API_PREFIX}/calendars/<calendar_id>", endpoint="calendar_get", methods=["GET"]),
            Rule(f"{API_PREFIX}/calendars/<calendar_id>/events", endpoint="events_list", methods=["GET"]),
            Rule(f"{API_PREFIX}/calendars/<calendar_id>/events", endpoint="events_insert", methods=["POST"]),
            Rule(f"{API_PREFIX}/calendars/<calendar_id>/events/<event_id>", endpoint="events_get",
                 methods=["GET"]),
            Rule(f"{API_PREFIX}/calendars/<calendar_id>/events/<event_id>", endpoint="events_patch",
                 methods=["PATCH"]),
            Rule(f"{API_PREFIX}/calendars/<calendar_id>/events/<event_id>", endpoint="events_update",
                 methods=["PUT"]),
            Rule(f"{API_PREFIX}/calendars/<calendar_id>/events/<event_id>", endpoint="events_delete",
                 methods=["DELETE"]),
            Rule(f"{API_PREFIX}/freeBusy", endpoint="freebusy", methods=["POST"]),
            Rule("/token", endpoint="token", methods=["POST"]),
            Rule("/o/oauth2/auth", endpoint="authorize", methods=["GET"]),
            Rule("/revoke", endpoint="revoke", methods=["POST"]),
        ])

    # ------------------------------------------------------------------------------------------ lifecycle / URLs

    @property
    def api_endpoint(self) -> str:
        return self.url + API_PREFIX + "/"

    @property
    def token_uri(self) -> str:
        return self.url + "/token"

    @property
    def auth_uri(self) -> str:
        return self.url + "/o/oauth2/auth"

    # ------------------------------------------------------------------------------------------ test / demo API

    def _account(self, email: str) -> _Account:
        with self._lock:
            account = self._accounts.get(email)
            if account is None:
                account = _Account(email)
                account.calendars[email] = _Calendar(email, email, self.default_time_zone, primary=True)
                self._accounts[email] = account
            return account

    def _calendar(self, account: str, calendar_id: str) -> _Calendar:
        acct = self._account(account)
        key = account if calendar_id == "primary" else calendar_id
        cal = acct.calendars.get(key)
        if cal is None:
            raise ApiError(404)
        return cal

    def add_account(self, account: str, time_zone: str | None = None) -> None:
        """Make sure ``account`` exists; optionally set its primary calendar's zone."""
        with self._lock:
            acct = self._account(account)
            if time_zone:
                ZoneInfo(time_zone)
                acct.calendars[account].time_zone = time_zone

    def add_calendar(self, account: str, calendar_id: str, summary: str,
                     time_zone: str = DEFAULT_TIME_ZONE) -> None:
        ZoneInfo(time_zone)  # fail early on a bad zone
        with self._lock:
            acct = self._account(account)
            if calendar_id == "primary" or calendar_id == account:
                acct.calendars[account].summary = summary
                acct.calendars[account].time_zone = time_zone
            else:
                acct.calendars[calendar_id] = _Calendar(calendar_id, summary, time_zone)

    def issue_refresh_token(self, account: str = DEFAULT_ACCOUNT, scope: str = DEFAULT_SCOPE) -> str:
        """A pre-authorised grant (as if the owner had clicked through consent) for demo mode and tests."""
        with self._lock:
            self._account(account)
            token = "1//sbx-" + secrets.token_urlsafe(32)
            self._grants[token] = _Grant(account, self.client_id, scope)
            return token

    def revoke_refresh_token(self, token: str) -> None:
        """Revoke a grant (as the user would in their Google account settings) and its access tokens."""
        with self._lock:
            grant = self._grants.get(token)
            if grant is None:
                return
            grant.revoked = True
            for access_token in [k for k, v in self._access.items() if v.account == grant.account]:
                del self._access[access_token]

    def refresh_tokens(self, account: str | None = None) -> list[str]:
        """Refresh tokens issued (to ``account``), e.g. to check which one the connect flow stored."""
        with self._lock:
            return [t for t, g in self._grants.items() if account is None or g.account == account]

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is refused from now on (as if an hour had passed)."""
        with self._lock:
            self._access.clear()

    def invalidate_sync_tokens(self, account: str | None = None, calendar_id: str | None = None) -> None:
        """Every sync token handed out so far answers 410 fullSyncRequired."""
        with self._lock:
            for acct in self._accounts.values():
                if account and acct.email != account:
                    continue
                for cal in acct.calendars.values():
                    if calendar_id and cal.id != (acct.email if calendar_id == "primary" else calendar_id):
                        continue
                    cal.epoch += 1

    def seed_event(self, account: str, calendar_id: str, body: dict) -> dict:
        """Create an event as if made in Google's own UI (organizer = the account); returns the API view."""
        with self._lock:
            cal = self._calendar(account, calendar_id)
            stored = self._insert(account, cal, copy.deepcopy(body))
            return self._view(cal, stored)

    @staticmethod
    def instance_id(series_id: str, original_start: datetime) -> str:
        """The id of the instance of timed series ``series_id`` that starts at ``original_start``."""
        return f"{series_id}_{original_start.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"

    def edit_event(self, account: str, calendar_id: str, event_id: str, changes: dict) -> dict:
        """Change an event as a person would in Google's UI (patch semantics, new etag, reported to sync tokens);
        an instance id of a series makes that instance an exception.  Returns the API view."""
        with self._lock:
            cal = self._calendar(account, calendar_id)
            stored, virtual = self._event(cal, event_id)
            self._patch(cal, stored, copy.deepcopy(changes))
            if virtual:
                cal.events[event_id] = stored
            self._touch(cal, stored)
            return self._view(cal, stored)

    def remove_event(self, account: str, calendar_id: str, event_id: str) -> None:
        """Delete an event as a person would in Google's UI (it becomes ``cancelled``); an instance id of a series
        cancels that one occurrence."""
        with self._lock:
            cal = self._calendar(account, calendar_id)
            stored, virtual = self._event(cal, event_id)
            if virtual:
                cal.events[event_id] = stored
            self._cancel(cal, stored)

    def events(self, account: str, calendar_id: str, include_cancelled: bool = False) -> list[dict]:
        """The API view of every event of a calendar (for test assertions), sorted by start."""
        with self._lock:
            cal = self._calendar(account, calendar_id)
            items = [e for e in cal.events.values() if include_cancelled or e["status"] != "cancelled"]
            items.sort(key=lambda e: (e["_start"], e["id"]))
            return [self._view(cal, e) for e in items]

    # ------------------------------------------------------------------------------------------ WSGI

    def _dispatch(self, request: Request) -> Response:
        control = self.faults.handle_control(request)
        if control is not None:
            return control
        with self._lock:
            self.requests.append((request.method, request.path))
        return self._answer(request)

    def _answer(self, request: Request) -> Response:
        """One request answered (a call of a batch comes here too, so fault rules apply to it alone)."""
        fault = self.faults.take(request.method, request.path)
        before_request(fault)
        if fault is not None:
            apply_delay(fault)
            # A fault with a non-error status (e.g. ``Fault(status=200, delay=1)``) only slows the answer down.
            if not fault.drop_after_store and fault.status >= 400:
                return self._fault_response(request, fault)
        if request.path == "/batch/calendar/v3" and request.method == "POST":
            try:
                return google_batch.answer_batch(request, self._answer)
            except google_batch.BatchRefused as refused:
                return _error_response(ApiError(400, "badRequest", str(refused)))
        try:
            adapter = self._map.bind_to_environ(request.environ)
            endpoint, args = adapter.match()
            response = getattr(self, f"_ep_{endpoint}")(request, **args)
        except ApiError as exc:
            response = _error_response(exc)
        except OAuthError as exc:
            response = _json_response({"error": exc.error, "error_description": exc.description}, exc.status,
                                      {"Cache-Control": "no-store"})
        except MethodNotAllowed:
            response = _error_response(ApiError(405, "httpMethodNotAllowed", "Method Not Allowed"))
        except NotFound:
            response = _error_response(ApiError(404))
        except HTTPException as exc:  # pragma: no cover - werkzeug edge cases
            response = _error_response(ApiError(exc.code or 400))
        after_request(fault)
        if fault is not None and fault.drop_after_store and fault.status >= 400:
            return Response(b"", status=fault.status)  # stored, but the answer is lost
        return response

    def _fault_response(self, request: Request, fault: Fault) -> Response:
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            value = fault.retry_after
            headers["Retry-After"] = str(int(value)) if float(value).is_integer() else str(value)
        if fault.body is not None:
            return _json_response(fault.body, fault.status, headers)
        if request.path in ("/token", "/revoke"):
            error = {429: "rate_limit_exceeded", 400: "invalid_request", 401: "invalid_client"}.get(
                fault.status, "internal_failure" if fault.status >= 500 else "invalid_request")
            return _json_response({"error": error, "error_description": "Injected fault"}, fault.status, headers)
        exc = ApiError(fault.status, headers=headers)
        if fault.status == 403:
            exc = ApiError(403, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits", headers=headers)
        if fault.status == 401:
            headers["WWW-Authenticate"] = f'Bearer realm="{_REALM}", error="invalid_token"'
        return _error_response(exc)

    # ------------------------------------------------------------------------------------------ auth helpers

    def _authenticate(self, request: Request) -> str:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            raise ApiError(
                401, "required", "Login Required.", location="Authorization", location_type="header",
                headers={"WWW-Authenticate": f'Bearer realm="{_REALM}"'})
        token = header[7:].strip()
        with self._lock:
            info = self._access.get(token)
            if info is None or info.expires_at <= self._now():
                self._access.pop(token, None)
                raise ApiError(
                    401, "authError", "Invalid Credentials", location="Authorization", location_type="header",
                    headers={"WWW-Authenticate": f'Bearer realm="{_REALM}", error="invalid_token"'})
            return info.account

    def _issue_access_token(self, account: str, scope: str) -> dict:
        token = "ya29.sbx-" + secrets.token_urlsafe(32)
        self._access[token] = _AccessToken(account, self._now() + timedelta(seconds=self.token_lifetime), scope)
        return {"access_token": token, "expires_in": self.token_lifetime, "scope": scope, "token_type": "Bearer"}

    def _client_credentials(self, request: Request) -> tuple[str | None, str | None]:
        if request.authorization and request.authorization.type == "basic":
            return request.authorization.username, request.authorization.password
        return request.form.get("client_id"), request.form.get("client_secret")

    # ------------------------------------------------------------------------------------------ OAuth endpoints

    def _ep_authorize(self, request: Request) -> Response:
        args = request.args
        client_id = args.get("client_id")
        redirect_uri = args.get("redirect_uri", "")
        if client_id != self.client_id:
            return Response("Error 401: invalid_client\nThe OAuth client was not found.", status=401,
                            content_type="text/plain")
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            return Response("Error 400: redirect_uri_mismatch", status=400, content_type="text/plain")
        if args.get("response_type") != "code":
            return Response("Error 400: unsupported_response_type", status=400, content_type="text/plain")
        method = args.get("code_challenge_method")
        challenge = args.get("code_challenge")
        if challenge and method not in ("S256", "plain", None):
            return Response("Error 400: invalid_request (code_challenge_method)", status=400,
                            content_type="text/plain")
        account = args.get("login_hint") or DEFAULT_ACCOUNT
        scope = args.get("scope") or DEFAULT_SCOPE
        code = "4/sbx-" + secrets.token_urlsafe(24)
        with self._lock:
            self._account(account)
            self._codes[code] = _AuthCode(account, client_id, redirect_uri, scope, challenge,
                                          (method or "plain") if challenge else None,
                                          self._now() + timedelta(minutes=10))
        query = {"code": code, "scope": scope}
        if args.get("state") is not None:
            query = {"state": args["state"], **query}
        sep = "&" if parts.query else "?"
        return Response("", status=302, headers={"Location": f"{redirect_uri}{sep}{urlencode(query)}"})

    def _ep_token(self, request: Request) -> Response:
        client_id, client_secret = self._client_credentials(request)
        if client_id != self.client_id or client_secret != self.client_secret:
            raise OAuthError(401, "invalid_client", "Unauthorized")
        grant_type = request.form.get("grant_type")
        with self._lock:
            if grant_type == "refresh_token":
                grant = self._grants.get(request.form.get("refresh_token", ""))
                if grant is None or grant.revoked or grant.client_id != client_id:
                    raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
                return _json_response(self._issue_access_token(grant.account, grant.scope),
                                      headers={"Cache-Control": "no-store"})
            if grant_type == "authorization_code":
                code = self._codes.get(request.form.get("code", ""))
                if code is None or code.used or code.expires_at <= self._now() or code.client_id != client_id:
                    raise OAuthError(400, "invalid_grant", "Malformed auth code.")
                if request.form.get("redirect_uri") != code.redirect_uri:
                    raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
                if code.code_challenge:
                    verifier = request.form.get("code_verifier")
                    if not verifier:
                        raise OAuthError(400, "invalid_grant", "Missing code verifier.")
                    if code.code_challenge_method == "S256":
                        digest = hashlib.sha256(verifier.encode("ascii")).digest()
                        computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
                    else:
                        computed = verifier
                    if computed != code.code_challenge:
                        raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
                code.used = True
                refresh = "1//sbx-" + secrets.token_urlsafe(32)
                self._grants[refresh] = _Grant(code.account, client_id, code.scope)
                body = self._issue_access_token(code.account, code.scope)
                body["refresh_token"] = refresh
                body["refresh_token_expires_in"] = 604799
                return _json_response(body, headers={"Cache-Control": "no-store"})
        raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _ep_revoke(self, request: Request) -> Response:
        token = request.form.get("token") or request.args.get("token", "")
        with self._lock:
            if token in self._grants:
                self.revoke_refresh_token(token)
            elif token in self._access:
                del self._access[token]
            else:
                raise OAuthError(400, "invalid_token", "Token expired or revoked")
        return _json_response({})

    # ------------------------------------------------------------------------------------------ calendars

    def _calendar_entry(self, cal: _Calendar) -> dict:
        entry = {
            "kind": "calendar#calendarListEntry",
            "etag": f'"{abs(hash((cal.id, cal.summary, cal.time_zone))) % 10**16}"',
            "id": cal.id,
            "summary": cal.summary,
            "timeZone": cal.time_zone,
            "colorId": "1",
            "backgroundColor": "#9fe1e7",
            "foregroundColor": "#000000",
            "selected": True,
            "accessRole": "owner",
            "defaultReminders": [{"method": "popup", "minutes": 10}] if cal.primary else [],
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if cal.primary:
            entry["primary"] = True
        return entry

    def _ep_calendar_list(self, request: Request) -> Response:
        account = self._authenticate(request)
        with self._lock:
            cals = list(self._account(account).calendars.values())
            items = [self._calendar_entry(c) for c in cals]
        return _json_response({"kind": "calendar#calendarList", "etag": f'"{len(items)}"',
                               "nextSyncToken": _b64({"cl": len(items)}), "items": items})

    def _ep_calendar_list_entry(self, request: Request, calendar_id: str) -> Response:
        account = self._authenticate(request)
        with self._lock:
            return _json_response(self._calendar_entry(self._calendar(account, calendar_id)))

    def _ep_calendar_get(self, request: Request, calendar_id: str) -> Response:
        account = self._authenticate(request)
        with self._lock:
            cal = self._calendar(account, calendar_id)
            return _json_response({
                "kind": "calendar#calendar", "etag": self._calendar_entry(cal)["etag"], "id": cal.id,
                "summary": cal.summary, "timeZone": cal.time_zone,
                "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
            })

    # ------------------------------------------------------------------------------------------ event bodies

    def _new_etag(self) -> str:
        return f'"{next(self._etag_counter)}"'

    def _parse_when(self, body: dict, key: str, event_zone: str | None,
                    calendar_zone: str) -> tuple[dict, datetime, bool]:
        """Validate ``start``/``end``; return (stored EventDateTime, UTC instant, all_day)."""
        when = body.get(key)
        label = "start" if key == "start" else "end"
        if not isinstance(when, dict) or not (when.get("dateTime") or when.get("date")):
            raise ApiError(400, "required", f"Missing {label} time.")
        tz_name = when.get("timeZone") or event_zone
        if tz_name:
            try:
                ZoneInfo(tz_name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ApiError(400, "timeZoneInvalid", f"Invalid time zone definition for {label} time.",
                               domain="calendar") from None
        if when.get("dateTime") and when.get("date"):
            raise ApiError(400, "invalid", f"Invalid {label} time.")
        if when.get("date"):
            try:
                day = date.fromisoformat(str(when["date"]))
            except ValueError:
                raise ApiError(400, "invalid", f"Invalid {label} time.") from None
            stored = {"date": day.isoformat()}
            if when.get("timeZone"):
                stored["timeZone"] = when["timeZone"]
            instant = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz_name or calendar_zone))
            return stored, instant.astimezone(timezone.utc), True
        try:
            moment = datetime.fromisoformat(str(when["dateTime"]))
        except ValueError:
            raise ApiError(400, "invalid", f"Invalid {label} time.") from None
        if moment.tzinfo is None:
            if not tz_name:
                raise ApiError(400, "missingTimeZone", f"Missing time zone definition for {label} time.",
                               domain="calendar")
            moment = moment.replace(tzinfo=ZoneInfo(tz_name))
        stored = {"dateTime": moment.astimezone(timezone.utc)}
        if when.get("timeZone"):
            stored["timeZone"] = when["timeZone"]
        return stored, moment.astimezone(timezone.utc), False

    def _apply_body(self, stored: dict, body: dict, cal: _Calendar) -> None:
        """Validate and copy a full event body onto ``stored`` (insert and update semantics)."""
        if "status" in body and body["status"] not in ("confirmed", "tentative", "cancelled"):
            raise ApiError(400, "invalid", "Invalid value for: status")
        if "transparency" in body and body["transparency"] not in ("opaque", "transparent"):
            raise ApiError(400, "invalid", "Invalid value for: transparency")
        event_zone = body.get("timeZone")
        start, start_at, start_all_day = self._parse_when(body, "start", event_zone, cal.time_zone)
        end, end_at, end_all_day = self._parse_when(body, "end", event_zone, cal.time_zone)
        if start_all_day != end_all_day:
            raise ApiError(400, "invalid", "Start and end times must either both be date or both be dateTime.")
        if end_at < start_at:
            raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar")
        ext = body.get("extendedProperties") or {}
        for scope in ("private", "shared"):
            if scope in ext and not isinstance(ext[scope], dict):
                raise ApiError(400, "invalid", f"Invalid extendedProperties.{scope}")
        time_changed = stored.get("_start") not in (None, start_at) or stored.get("_end") not in (None, end_at)
        for key, value in body.items():
            if key in ("id", "etag", "kind", "created", "updated", "htmlLink", "iCalUID", "creator", "organizer",
                       "start", "end", "sequence") or key.startswith("_"):
                continue
            stored[key] = copy.deepcopy(value)
        stored["start"], stored["end"] = start, end
        stored["_start"], stored["_end"], stored["_all_day"] = start_at, end_at, start_all_day
        stored.pop("_tz", None)
        if stored.get("recurrence"):
            self._check_recurrence(stored, body, cal)
        if "sequence" in body and isinstance(body["sequence"], int):
            stored["sequence"] = max(stored.get("sequence", 0), body["sequence"])
        if time_changed:
            stored["sequence"] = stored.get("sequence", 0) + 1

    def _check_recurrence(self, stored: dict, body: dict, cal: _Calendar) -> None:
        """A series needs its zone (``start.timeZone``, for the wall-clock time of every occurrence) and rules
        that parse; an instance cannot carry rules of its own."""
        lines = stored["recurrence"]
        if stored.get("recurringEventId"):
            raise ApiError(400, "invalid", "Invalid recurrence rule.")
        zone = (body.get("start") or {}).get("timeZone") or body.get("timeZone")
        if not stored["_all_day"] and not zone:
            raise ApiError(400, "missingTimeZone", "Missing time zone definition for start time.",
                           domain="calendar")
        stored["_tz"] = zone or cal.time_zone
        if not isinstance(lines, list):
            raise ApiError(400, "invalid", "Invalid recurrence rule.")
        try:
            self._rules(cal, stored)
        except (ValueError, TypeError, KeyError, ZoneInfoNotFoundError):
            raise ApiError(400, "invalid", "Invalid recurrence rule.") from None

    def _cancel(self, cal: _Calendar, stored: dict) -> None:
        """Delete = mark cancelled; deleting a series cancels its exceptions too."""
        stored["status"] = "cancelled"
        self._touch(cal, stored)
        if stored.get("recurrence"):
            for other in cal.events.values():
                if other.get("recurringEventId") == stored["id"] and other["status"] != "cancelled":
                    other["status"] = "cancelled"
                    self._touch(cal, other)

    def _touch(self, cal: _Calendar, stored: dict) -> None:
        cal.seq += 1
        stored["_seq"] = cal.seq
        stored["etag"] = self._new_etag()
        stored["updated"] = _rfc3339_utc(self._now())

    def _insert(self, account: str, cal: _Calendar, body: dict) -> dict:
        event_id = body.get("id")
        if event_id is not None:
            if not isinstance(event_id, str) or not _ID_RE.match(event_id):
                raise ApiError(400, "invalid", "Invalid resource id value.")
            if event_id in cal.events:
                raise ApiError(409)
        else:
            event_id = _random_id()
        organizer = {"email": cal.id, "self": True}
        if not cal.primary:
            organizer["displayName"] = cal.summary
        stored: dict[str, Any] = {
            "kind": "calendar#event",
            "id": event_id,
            "status": "confirmed",
            "htmlLink": f"{self._served.url if self._served else 'http://sandbox.invalid'}/calendar/event?eid="
                        + base64.urlsafe_b64encode(f"{event_id} {cal.id}".encode()).decode().rstrip("="),
            "created": _rfc3339_utc(self._now()),
            "creator": {"email": account, "self": True},
            "organizer": organizer,
            "iCalUID": body.get("iCalUID") or f"{event_id}@google.com",
            "sequence": 0,
            "eventType": "default",
            "reminders": {"useDefault": True},
        }
        self._apply_body(stored, body, cal)
        stored["sequence"] = body.get("sequence", 0) if isinstance(body.get("sequence"), int) else 0
        self._touch(cal, stored)
        cal.events[event_id] = stored
        return stored

    def _view(self, cal: _Calendar, stored: dict, *, minimal_if_cancelled: bool = False,
              full: bool = False) -> dict:
        """The API view; a cancelled instance of a series (and, on a sync-token read, any cancelled event)
        carries only what Google guarantees for it, unless ``full``."""
        cancelled = stored["status"] == "cancelled" and not full
        if cancelled and (minimal_if_cancelled or stored.get("recurringEventId")):
            minimal = {"kind": "calendar#event", "etag": stored["etag"], "id": stored["id"], "status": "cancelled",
                       "updated": stored["updated"]}
            if stored.get("recurringEventId"):
                minimal["recurringEventId"] = stored["recurringEventId"]
                minimal["originalStartTime"] = self._when_view(cal, stored["originalStartTime"])
            return minimal
        view = {k: copy.deepcopy(v) for k, v in stored.items() if not k.startswith("_")}
        for key in ("start", "end", "originalStartTime"):
            if key in view:
                view[key] = self._when_view(cal, view[key])
        order = ["kind", "etag", "id", "status", "htmlLink", "created", "updated", "summary", "description",
                 "location", "creator", "organizer", "start", "end"]
        return {**{k: view[k] for k in order if k in view}, **{k: v for k, v in view.items() if k not in order}}

    @staticmethod
    def _when_view(cal: _Calendar, when: dict) -> dict:
        when = dict(when)
        if isinstance(when.get("dateTime"), datetime):
            when["dateTime"] = _format_in_zone(when["dateTime"], cal.zone)
        return when

    def _event(self, cal: _Calendar, event_id: str) -> tuple[dict, bool]:
        """(stored event, False), or for an instance of a series not changed on its own yet (a fresh copy built
        from the series, True): a write stores that copy as the instance's exception."""
        stored = cal.events.get(event_id)
        if stored is not None:
            return stored, False
        master_id, _, stamp = event_id.rpartition("_")
        master = cal.events.get(master_id)
        if master is not None and master.get("recurrence"):
            try:
                if master["_all_day"]:
                    day = datetime.strptime(stamp, "%Y%m%d").date()
                    original = datetime.combine(day, datetime.min.time(), self._series_zone(cal, master))
                else:
                    original = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
            except ValueError:
                raise ApiError(404) from None
            if recurrence.contains(self._rules(cal, master), original):
                return self._instance(cal, master, original), True
        raise ApiError(404)

    # ------------------------------------------------------------------------------------------ recurrence

    @staticmethod
    def _series_zone(cal: _Calendar, master: dict) -> ZoneInfo:
        return ZoneInfo(master.get("_tz") or cal.time_zone)

    def _rules(self, cal: _Calendar, master: dict):
        return recurrence.rfc5545_rules(master["recurrence"],
                                        master["_start"].astimezone(self._series_zone(cal, master)))

    @staticmethod
    def _instance_id(master: dict, original: datetime) -> str:
        if master["_all_day"]:
            return f"{master['id']}_{original.strftime('%Y%m%d')}"
        return f"{master['id']}_{original.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"

    def _instance(self, cal: _Calendar, master: dict, original: datetime) -> dict:
        """The occurrence of ``master`` that starts at ``original`` (aware, series zone), as stored events look."""
        zone = self._series_zone(cal, master)
        original = original.astimezone(zone)
        instance_id = self._instance_id(master, original)
        inst = {k: copy.deepcopy(v) for k, v in master.items() if k not in ("recurrence", "_tz")}
        inst["id"] = instance_id
        inst["recurringEventId"] = master["id"]
        digest = hashlib.sha256(f"{master['etag']}/{instance_id}".encode()).hexdigest()
        inst["etag"] = f'"{int(digest[:15], 16)}"'
        if master["_all_day"]:
            days = (master["_end"] - master["_start"]).days or 1
            end_day = original.date() + timedelta(days=days)
            extra = {"timeZone": master["start"]["timeZone"]} if master["start"].get("timeZone") else {}
            inst["start"] = {"date": original.date().isoformat(), **extra}
            inst["end"] = {"date": end_day.isoformat(), **extra}
            inst["originalStartTime"] = {"date": original.date().isoformat()}
            inst["_start"] = original.astimezone(timezone.utc)
            inst["_end"] = datetime.combine(end_day, datetime.min.time(), zone).astimezone(timezone.utc)
        else:
            start = original.astimezone(timezone.utc)
            end = start + (master["_end"] - master["_start"])
            inst["start"] = {**master["start"], "dateTime": start}
            inst["end"] = {**master["end"], "dateTime": end}
            inst["originalStartTime"] = {"dateTime": start, "timeZone": zone.key}
            inst["_start"], inst["_end"] = start, end
        return inst

    def _instances(self, cal: _Calendar, master: dict, time_min: datetime | None,
                   time_max: datetime | None) -> list[dict]:
        """The occurrences of ``master`` overlapping the window that were not changed on their own."""
        duration = master["_end"] - master["_start"]
        out = []
        for original in recurrence.occurrences(self._rules(cal, master), duration, time_min, time_max):
            if self._instance_id(master, original) not in cal.events:
                out.append(self._instance(cal, master, original))
        return out

    @staticmethod
    def _check_if_match(request: Request, stored: dict) -> None:
        wanted = request.headers.get("If-Match")
        if wanted is None or wanted.strip() == "*":
            return
        candidates = [w.strip() for w in wanted.split(",")]
        if stored["etag"] not in candidates and stored["etag"].strip('"') not in [c.strip('"') for c in candidates]:
            raise ApiError(412, "conditionNotMet", "Precondition Failed", location="If-Match",
                           location_type="header")

    def _json_body(self, request: Request) -> dict:
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            raise ApiError(400, "parseError", "Parse Error") from None
        if not isinstance(body, dict):
            raise ApiError(400, "required", "Required")
        return body

    def _event_response(self, cal: _Calendar, stored: dict) -> Response:
        return _json_response(self._view(cal, stored), headers={"ETag": stored["etag"]})

    # ------------------------------------------------------------------------------------------ event endpoints

    def _ep_events_insert(self, request: Request, calendar_id: str) -> Response:
        account = self._authenticate(request)
        body = self._json_body(request)
        with self._lock:
            cal = self._calendar(account, calendar_id)
            return self._event_response(cal, self._insert(account, cal, body))

    def _ep_events_get(self, request: Request, calendar_id: str, event_id: str) -> Response:
        account = self._authenticate(request)
        with self._lock:
            cal = self._calendar(account, calendar_id)
            stored, _ = self._event(cal, event_id)
            if request.headers.get("If-None-Match") == stored["etag"]:
                return Response(status=304, headers={"ETag": stored["etag"]})
            return self._event_response(cal, stored)

    def _ep_events_update(self, request: Request, calendar_id: str, event_id: str) -> Response:
        account = self._authenticate(request)
        body = self._json_body(request)
        with self._lock:
            cal = self._calendar(account, calendar_id)
            stored, virtual = self._event(cal, event_id)
            self._check_if_match(request, stored)
            candidate = {k: v for k, v in stored.items()
                         if k in ("kind", "id", "htmlLink", "created", "creator", "organizer", "iCalUID",
                                  "sequence", "eventType", "etag", "updated", "recurringEventId",
                                  "originalStartTime")
                         or k.startswith("_")}
            candidate["status"] = "confirmed"
            candidate["reminders"] = {"useDefault": True}
            self._apply_body(candidate, body, cal)
            stored.clear()
            stored.update(candidate)
            if virtual:
                cal.events[event_id] = stored
            self._touch(cal, stored)
            return self._event_response(cal, stored)

    def _patch(self, cal: _Calendar, stored: dict, body: dict) -> None:
        """Events.patch semantics: ``body`` merged onto ``stored`` (validated as a whole, then applied)."""
        merged = {k: copy.deepcopy(v) for k, v in stored.items() if not k.startswith("_")}
        view = self._view(cal, stored, full=True)
        merged["start"], merged["end"] = view["start"], view["end"]
        for key, value in body.items():
            if key in ("start", "end") and isinstance(value, dict):
                merged[key] = value  # a patched start/end replaces the whole EventDateTime
            elif key == "extendedProperties" and isinstance(value, dict):
                ext = merged.setdefault("extendedProperties", {})
                for scope, props in value.items():
                    if isinstance(props, dict) and isinstance(ext.get(scope), dict):
                        ext[scope] = {**ext[scope], **props}
                    else:
                        ext[scope] = props
            else:
                merged[key] = value
        candidate = dict(stored)
        self._apply_body(candidate, merged, cal)
        stored.clear()
        stored.update(candidate)

    def _ep_events_patch(self, request: Request, calendar_id: str, event_id: str) -> Response:
        account = self._authenticate(request)
        body = self._json_body(request)
        with self._lock:
            cal = self._calendar(account, calendar_id)
            stored, virtual = self._event(cal, event_id)
            self._check_if_match(request, stored)
            self._patch(cal, stored, body)
            if virtual:
                cal.events[event_id] = stored  # an instance changed on its own becomes an exception
            self._touch(cal, stored)
            return self._event_response(cal, stored)

    def _ep_events_delete(self, request: Request, calendar_id: str, event_id: str) -> Response:
        account = self._authenticate(request)
        with self._lock:
            cal = self._calendar(account, calendar_id)
            stored, virtual = self._event(cal, event_id)
            if stored["status"] == "cancelled":
                raise ApiError(410, "deleted", "Resource has been deleted")
            self._check_if_match(request, stored)
            if virtual:
                cal.events[event_id] = stored  # a cancelled exception of the series
            self._cancel(cal, stored)
        return Response(b"", status=204)

    def _ep_events_list(self, request: Request, calendar_id: str) -> Response:
        account = self._authenticate(request)
        args = request.args
        with self._lock:
            cal = self._calendar(account, calendar_id)
            try:
                max_results = min(int(args.get("maxResults", 250)), _MAX_PAGE)
            except ValueError:
                raise ApiError(400, "invalid", "Invalid value for: maxResults", location="maxResults") from None
            if max_results < 1:
                raise ApiError(400, "invalid", "Invalid value '0'. Values must be within the range: [1, 2500]",
                               location="maxResults")
            single = args.get("singleEvents", "false") == "true"
            show_deleted = args.get("showDeleted", "false") == "true"
            order_by = args.get("orderBy")
            if order_by not in (None, "startTime", "updated"):
                raise ApiError(400, "invalid", f"Invalid value for: {order_by}", location="orderBy")
            if order_by == "startTime" and not single:
                raise ApiError(400, "invalid", "The requested ordering is not available for the particular query.",
                               location="orderBy")
            sync_token = args.get("syncToken")
            page = None
            if args.get("pageToken"):
                page = _unb64(args["pageToken"])
                if page is None or page.get("cal") != cal.id:
                    raise ApiError(400, "invalid", "Invalid page token value.", location="pageToken")

            if sync_token:
                for forbidden in ("timeMin", "timeMax", "orderBy", "privateExtendedProperty",
                                  "sharedExtendedProperty", "q", "iCalUID", "updatedMin"):
                    if forbidden in args:
                        raise ApiError(400, "invalid", f"Parameter {forbidden} is not compatible with syncToken.",
                                       location=forbidden)
                token = _unb64(sync_token)
                if not token or token.get("cal") != cal.id or token.get("epoch") != cal.epoch \
                        or not isinstance(token.get("seq"), int) or token["seq"] > cal.seq:
                    raise ApiError(410, "fullSyncRequired",
                                   "Sync token is no longer valid, a full sync is required.", domain="calendar")
                since = token["seq"]
                items = []
                for e in cal.events.values():
                    if e["_seq"] <= since:
                        continue
                    if single and e.get("recurrence"):
                        items += self._instances(cal, e, None, None)
                    else:
                        items.append(e)
                items.sort(key=lambda e: (e["_seq"], e["_start"], e["id"]))
                minimal = True
            else:
                time_min = self._parse_bound(args, "timeMin")
                time_max = self._parse_bound(args, "timeMax")
                if time_min and time_max and time_max <= time_min:
                    raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar",
                                   location="timeMax")
                filters = self._extended_filters(args.getlist("privateExtendedProperty"), "privateExtendedProperty")
                shared = self._extended_filters(args.getlist("sharedExtendedProperty"), "sharedExtendedProperty")
                candidates = []
                for e in cal.events.values():
                    if e.get("recurrence") and single:
                        candidates += self._instances(cal, e, time_min, time_max)
                    elif e.get("recurrence"):
                        duration = e["_end"] - e["_start"]
                        if recurrence.occurrences(self._rules(cal, e), duration, time_min, time_max):
                            candidates.append(e)
                    elif not (time_min and e["_end"] <= time_min and not (e["_end"] == e["_start"] == time_min)) \
                            and not (time_max and e["_start"] >= time_max):
                        candidates.append(e)
                items = []
                for e in candidates:
                    if e["status"] == "cancelled" and not show_deleted:
                        continue
                    props = (e.get("extendedProperties") or {})
                    if any((props.get("private") or {}).get(k) != v for k, v in filters):
                        continue
                    if any((props.get("shared") or {}).get(k) != v for k, v in shared):
                        continue
                    items.append(e)
                if order_by == "updated":
                    items.sort(key=lambda e: (e["_seq"], e["id"]))
                else:
                    items.sort(key=lambda e: (e["_start"], e["_end"], e["id"]))
                minimal = False

            snapshot = page["snap"] if page else cal.seq
            offset = page["o"] if page else 0
            chunk = items[offset:offset + max_results]
            body: dict[str, Any] = {
                "kind": "calendar#events",
                "etag": f'"{snapshot}"',
                "summary": cal.summary,
                "description": "",
                "updated": _rfc3339_utc(self._now()),
                "timeZone": cal.time_zone,
                "accessRole": "owner",
                "defaultReminders": [{"method": "popup", "minutes": 10}] if cal.primary else [],
            }
            if offset + max_results < len(items):
                body["nextPageToken"] = _b64({"cal": cal.id, "o": offset + max_results, "snap": snapshot})
            else:
                body["nextSyncToken"] = _b64({"cal": cal.id, "seq": snapshot, "epoch": cal.epoch,
                                              "n": secrets.token_hex(4)})
            body["items"] = [self._view(cal, e, minimal_if_cancelled=minimal) for e in chunk]
            return _json_response(body)

    _MAX_FREEBUSY_CALENDARS = 50

    def _ep_freebusy(self, request: Request) -> Response:
        account = self._authenticate(request)
        body = self._json_body(request)
        bounds = {}
        for name in ("timeMin", "timeMax"):
            raw = body.get(name)
            try:
                moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else None
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                raise ApiError(400, "badRequest", f"Missing or invalid {name}.", location=name)
            bounds[name] = moment.astimezone(timezone.utc)
        time_min, time_max = bounds["timeMin"], bounds["timeMax"]
        if time_max <= time_min:
            raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar",
                           location="timeMax")
        zone_name = body.get("timeZone") or "UTC"
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ApiError(400, "invalid", f"Invalid time zone definition for {zone_name}.",
                           location="timeZone") from None
        items = body.get("items") or []
        if len(items) > self._MAX_FREEBUSY_CALENDARS:
            raise ApiError(400, "tooManyCalendarsRequested",
                           "The number of calendars requested is too large for a single query.")
        calendars: dict[str, dict] = {}
        with self._lock:
            for item in items:
                calendar_id = str((item or {}).get("id") or "")
                try:
                    cal = self._calendar(account, calendar_id)
                except ApiError:
                    calendars[calendar_id] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                    continue
                calendars[calendar_id] = {"busy": [
                    {"start": _format_in_zone(a, zone), "end": _format_in_zone(b, zone)}
                    for a, b in self._busy_periods(cal, time_min, time_max)]}
        return _json_response({"kind": "calendar#freeBusy", "timeMin": _format_in_zone(time_min, zone),
                               "timeMax": _format_in_zone(time_max, zone), "calendars": calendars})

    def _busy_periods(self, cal: _Calendar, time_min: datetime, time_max: datetime) -> list[tuple[datetime, datetime]]:
        """The opaque, live events over [time_min, time_max) as merged periods clipped to it."""
        found = []
        for e in cal.events.values():
            for item in (self._instances(cal, e, time_min, time_max) if e.get("recurrence") else [e]):
                if item["status"] == "cancelled" or item.get("transparency") == "transparent":
                    continue
                if item["_start"] < time_max and item["_end"] > time_min:
                    found.append((max(item["_start"], time_min), min(item["_end"], time_max)))
        merged: list[tuple[datetime, datetime]] = []
        for a, b in sorted(found):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return merged

    @staticmethod
    def _parse_bound(args, name: str) -> datetime | None:
        raw = args.get(name)
        if not raw:
            return None
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise ApiError(400, "badRequest", "Bad Request", location=name) from None
        if moment.tzinfo is None:
            raise ApiError(400, "badRequest", "Bad Request", location=name)
        return moment.astimezone(timezone.utc)

    @staticmethod
    def _extended_filters(values: list[str], name: str) -> list[tuple[str, str]]:
        out = []
        for value in values:
            if "=" not in value:
                raise ApiError(400, "invalid", f"Invalid {name} value.", location=name)
            key, _, wanted = value.partition("=")
            out.append((key, wanted))
        return out

