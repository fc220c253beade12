"""Connect a Google account: the installed-app OAuth flow (loopback redirect + PKCE S256).

Written on plain HTTP rather than ``google_auth_oauthlib`` because of two things seen in google-auth-oauthlib 1.5 /
oauthlib 4.0:

* ``InstalledAppFlow.run_local_server`` can only open a browser through ``webbrowser`` and starts serving the
  redirect only *after* the browser call returns, so a caller that follows the redirect itself (a test, a kiosk
  helper) deadlocks.  The loopback receiver here runs in its own thread before ``open_url`` is called.
* oauthlib refuses any ``http://`` authorization *or* token endpoint (``InsecureTransportError``) unless
  ``OAUTHLIB_INSECURE_TRANSPORT`` is set process-wide; the sandbox is plain HTTP on loopback.  One code path for
  Google and the sandbox beats a global switch, so ``Flow`` is not used at all.

The flow is RFC 8252 (loopback IP redirect ``http://127.0.0.1:PORT/``) + RFC 7636 (S256) + RFC 6749 §4.1: the same
requests Google documents for installed apps.  The refresh token goes only to the SecretStore
(``google.refresh_token``).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets as _secrets
import threading
import webbrowser
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests

from receptionist.config import GoogleSettings
from receptionist.domain.ports import SecretStore
from receptionist.errors import ProviderError, UserError
from receptionist.providers.http import connection_error, office_session
from receptionist.providers.waiting import cancelled, wait_for
from receptionist.providers.google_calendar import (
    CLIENT_SECRET_KEY,
    REFRESH_TOKEN_KEY,
    SCOPES,
    GoogleCalendarProvider,
)

log = logging.getLogger(__name__)

_SUCCESS_PAGE = (
    "<!doctype html><meta charset=utf-8><title>Receptionist Console</title>"
    "<p>Google Calendar is connected. You can close this window and return to Receptionist Console.</p>"
)
_FAILURE_PAGE = (
    "<!doctype html><meta charset=utf-8><title>Receptionist Console</title>"
    "<p>Google sign-in did not complete ({reason}). Return to Receptionist Console and try again.</p>"
)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        log.debug("oauth redirect: " + format, *args)


class _RedirectReceiver:
    """A one-shot loopback HTTP server that captures the authorization response's query parameters."""

    def __init__(self, port: int):
        self.params: dict[str, str] | None = None
        self._done = threading.Event()
        self._server: WSGIServer = make_server("127.0.0.1", port, self._app, handler_class=_QuietHandler)
        self._server.timeout = 0.1
        self._thread = threading.Thread(target=self._serve, name="google-oauth-redirect", daemon=True)
        self._stop = False

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/"

    def _app(self, environ, start_response):
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if "code" not in query and "error" not in query:  # favicon and the like
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        ok = "code" in query
        page = _SUCCESS_PAGE if ok else _FAILURE_PAGE.format(reason=query.get("error", "unknown"))
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        if self.params is None:
            self.params = query
            self._done.set()
        return [page.encode("utf-8")]

    def _serve(self) -> None:
        while not self._stop and not self._done.is_set():
            self._server.handle_request()

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout: float, stop: threading.Event | None = None) -> dict[str, str] | None:
        wait_for(self._done, timeout, stop)
        return self.params

    def close(self) -> None:
        self._stop = True
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self._server.server_close()


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) per RFC 7636."""
    verifier = _secrets.token_urlsafe(64)  # 86 unreserved characters (43-128 allowed)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode().rstrip("=")
    return verifier, challenge


def authorization_url(settings: GoogleSettings, *, redirect_uri: str, state: str, code_challenge: str,
                      login_hint: str | None = None) -> str:
    params = {
        "response_type": "code",
        "client_id": settings.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(SCOPES),
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
    }
    if login_hint:
        params["login_hint"] = login_hint
    sep = "&" if "?" in settings.auth_uri else "?"
    return f"{settings.auth_uri}{sep}{urlencode(params)}"


def connect_google(settings: GoogleSettings, secrets: SecretStore, *,
                   open_url: Callable[[str], object] = webbrowser.open, port: int = 0, timeout: float = 300,
                   login_hint: str | None = None, stop: threading.Event | None = None) -> str:
    """Run the consent flow in the user's browser; store the refresh token; return a one-line description.

    Raises ``UserError`` when the profile/keyring is incomplete, the user refuses, or nobody answers in ``timeout``
    seconds or ``stop`` is set (Cancel in the window: noticed within a tenth of a second); ``ProviderError`` when the
    token endpoint fails.
    """
    if not settings.client_id:
        raise UserError("google.client_id is empty in the location profile")
    client_secret = secrets.get(CLIENT_SECRET_KEY)
    if not client_secret:
        raise UserError(
            f"the Google OAuth client secret is not in the keyring (key {CLIENT_SECRET_KEY!r}); store it first")

    receiver = _RedirectReceiver(port)
    verifier, challenge = pkce_pair()
    state = _secrets.token_urlsafe(24)
    url = authorization_url(settings, redirect_uri=receiver.redirect_uri, state=state, code_challenge=challenge,
                            login_hint=login_hint)
    try:
        receiver.start()
        log.info("opening Google consent page")
        open_url(url)
        params = receiver.wait(timeout, stop)
    finally:
        receiver.close()
    if params is None and cancelled(stop):
        raise UserError("Google sign-in was cancelled")

    if params is None:
        raise UserError(f"Google sign-in was not completed within {int(timeout)} seconds")
    if params.get("state") != state:
        raise UserError("Google sign-in answered for a different request (state mismatch); try again")
    if "error" in params:
        raise UserError(f"Google sign-in was refused: {params['error']}")

    try:
        with office_session() as session:  # the OS certificate store and system proxies, as the calendar client
            response = session.post(
                settings.token_uri,
                data={
                    "grant_type": "authorization_code",
                    "code": params["code"],
                    "redirect_uri": receiver.redirect_uri,
                    "client_id": settings.client_id,
                    "client_secret": client_secret,
                    "code_verifier": verifier,
                },
                headers={"Accept": "application/json"},
                timeout=settings.timeout_seconds,
            )
    except requests.RequestException as exc:
        raise connection_error("Google's sign-in service", exc, log) from exc
    try:
        token = response.json()
    except ValueError:
        token = {}
    if response.status_code != 200:
        detail = token.get("error_description") or token.get("error") or response.reason
        raise ProviderError(f"Google refused the sign-in code: {detail}", status=response.status_code)
    refresh_token = token.get("refresh_token")
    if not refresh_token:
        raise ProviderError("Google returned no refresh token (was offline access granted?)")
    secrets.set(REFRESH_TOKEN_KEY, refresh_token)

    description = "Google Calendar connected"
    try:
        provider = GoogleCalendarProvider(settings, refresh_token=refresh_token, client_secret=client_secret)
        primary = next((c for c in provider.list_calendars() if c.primary), None)
        if primary is not None:
            description += f" as {primary.id} ({primary.time_zone})"
    except ProviderError as exc:  # connected anyway; the health view will show what is wrong
        log.warning("connected, but listing calendars failed: %s", exc)
    return description
