"""Microsoft sign-in for the Outlook calendar: msal public client, token cache kept only in the keyring.

``connect_outlook`` runs the interactive sign-in once (browser + loopback redirect with PKCE, or the device code
flow for machines without a browser) and stores msal's ``SerializableTokenCache`` under the secret
``outlook.token_cache`` -- nothing else is written anywhere.  ``outlook_token_source`` gives the Graph client an
object whose ``access_token()`` answers from that cache, refreshing silently with the refresh token; when there is
no account or the refresh is refused it raises ``AuthError`` telling the person to connect again.

msal notes (1.39): it refuses ``http://`` authorities, so a stand-in must speak TLS (``settings.ca_bundle`` names
its certificate); we pass our own ``requests.Session`` (``providers.http.office_session``: system proxies, never
for loopback; the OS trust store, or the profile's CA bundle, which ``REQUESTS_CA_BUNDLE`` cannot override);
instance discovery (a call to login.microsoftonline.com) is switched off for authorities that are not Microsoft's.  ``acquire_token_interactive`` opens the browser itself, so
the interactive flow here uses ``initiate_auth_code_flow``/``acquire_token_by_auth_code_flow`` with a small
loopback receiver of our own and an injectable ``open_url``.
"""

from __future__ import annotations

import html
import logging
import threading
import time
import webbrowser
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlparse

import msal
import requests

from receptionist.providers.http import connection_error, office_session
from receptionist.providers.waiting import cancelled, wait_for
from receptionist.config import OutlookSettings
from receptionist.domain.ports import SecretStore
from receptionist.errors import AuthError, TransientError, UserError

log = logging.getLogger(__name__)

SCOPES = ["Calendars.ReadWrite", "User.Read"]
CACHE_KEY = "outlook.token_cache"
EXPIRED_MESSAGE = "Outlook sign-in expired: run `receptionist connect outlook`"

# Hosts msal knows as Microsoft's; anything else (a sandbox, a proxy) gets instance_discovery=False.
MICROSOFT_AUTHORITY_HOSTS = {
    "login.microsoftonline.com", "login.microsoft.com", "login.windows.net", "sts.windows.net",
    "login.microsoftonline.us", "login.chinacloudapi.cn", "login.partner.microsoftonline.cn",
    "login.microsoftonline.de",
}
_MSAL_FAILURES = (requests.RequestException, msal.exceptions.MsalServiceError, ValueError)


def http_session(settings: OutlookSettings) -> requests.Session:
    """The Session every Microsoft call uses: system proxies, the OS trust store or the profile's CA bundle
    (``REQUESTS_CA_BUNDLE`` cannot override it), the profile's timeout."""
    return office_session(ca_bundle=settings.ca_bundle, timeout=settings.timeout_seconds)


def _authority_is_microsoft(authority: str) -> bool:
    return (urlparse(authority).hostname or "").lower() in MICROSOFT_AUTHORITY_HOSTS


def build_app(settings: OutlookSettings, cache: msal.TokenCache | None = None,
              session: requests.Session | None = None) -> msal.PublicClientApplication:
    """An msal public client for the profile. Network: msal reads the authority's OpenID configuration here."""
    if not settings.client_id:
        raise UserError("outlook.client_id is empty in the location profile: set the Azure app registration id")
    kwargs: dict = {}
    if not _authority_is_microsoft(settings.authority):
        kwargs["instance_discovery"] = False
    return msal.PublicClientApplication(
        settings.client_id,
        authority=settings.authority,
        token_cache=cache,
        http_client=session or http_session(settings),
        **kwargs,
    )


def load_cache(secrets: SecretStore) -> tuple[msal.SerializableTokenCache, str | None]:
    raw = secrets.get(CACHE_KEY)
    return _cache_from(raw), raw


def _cache_from(raw: str | None) -> msal.SerializableTokenCache:
    cache = msal.SerializableTokenCache()
    if raw:
        try:
            cache.deserialize(raw)
        except ValueError:
            log.warning("stored Outlook token cache is unreadable; a new sign-in is needed")
    return cache


def _words(exc: BaseException) -> str:
    """A failure to reach the sign-in service in words (the exception goes to the log)."""
    if isinstance(exc, requests.RequestException):
        return str(connection_error("it", exc, log)).removeprefix("it ")
    return "it answered something this program cannot use"


def is_connected(secrets: SecretStore) -> bool:
    """Whether a sign-in is stored (an account in the cached tokens). No network."""
    cache, _ = load_cache(secrets)
    return bool(list(cache.search(msal.TokenCache.CredentialType.ACCOUNT)))


# ------------------------------------------------------------------------------------------------- connect
def connect_outlook(
    settings: OutlookSettings,
    secrets: SecretStore,
    *,
    device_code: bool = False,
    on_prompt: Callable[[str], object] = print,
    open_url: Callable[[str], object] = webbrowser.open,
    timeout: float = 300,
    on_code: Callable[[str, str], object] | None = None,
    stop: threading.Event | None = None,
) -> str:
    """Sign in to Microsoft and store the token cache in ``secrets``; returns the signed-in account's name.

    ``device_code=False``: opens ``open_url(auth_uri)`` (the browser) and waits up to ``timeout`` seconds for the
    answer on a loopback redirect (``http://localhost:PORT``, PKCE, ``response_mode=form_post``).
    ``device_code=True``: shows msal's message ("open ... and enter the code ...") through ``on_prompt`` and polls
    until the person finishes or ``timeout`` passes; ``on_code(address, code)``, when given, is told the address and
    the code instead (the window shows them to copy).  Setting ``stop`` (Cancel in the window) ends either flow
    within a tenth of a second.  Raises ``UserError`` when the sign-in does not complete.
    """
    cache = msal.SerializableTokenCache()  # a fresh cache: connecting replaces any previous account
    try:
        app = build_app(settings, cache)
    except _MSAL_FAILURES as exc:
        log.info("Microsoft sign-in service at %s: %r", settings.authority, exc)
        raise UserError(f"Could not reach the Microsoft sign-in service at {settings.authority}: "
                        f"{_words(exc)}") from exc
    try:
        if device_code:
            result = _device_code_flow(app, on_prompt, timeout, on_code, stop)
        else:
            result = _interactive_flow(app, on_prompt, open_url, timeout, stop)
    except (requests.RequestException, msal.exceptions.MsalServiceError) as exc:
        log.info("Outlook sign-in: %r", exc)
        raise UserError(f"Outlook sign-in failed: could not use the Microsoft sign-in service: {_words(exc)}") from exc
    if "access_token" not in result:
        raise UserError(f"Outlook sign-in failed: {result.get('error_description') or result.get('error')}")
    secrets.set(CACHE_KEY, cache.serialize())
    claims = result.get("id_token_claims") or {}
    accounts = app.get_accounts()
    return claims.get("preferred_username") or (accounts[0]["username"] if accounts else "")


def _device_code_flow(app: msal.PublicClientApplication, on_prompt, timeout: float, on_code=None,
                      stop: threading.Event | None = None) -> dict:
    flow = app.initiate_device_flow(scopes=SCOPES)
    if "user_code" not in flow:
        return flow  # carries error / error_description
    if on_code is not None:
        on_code(flow["verification_uri"], flow["user_code"])
    else:
        on_prompt(flow["message"])
    deadline = min(flow["expires_at"], time.time() + timeout)
    interval = max(0.05, float(flow.get("interval") or 0))
    # We poll ourselves: msal's own loop never checks its exit condition when the server's interval is 0, and
    # with interval=1 plus an always-true exit condition each msal call is exactly one poll.
    flow["interval"] = 1
    while True:
        result = app.acquire_token_by_device_flow(flow, exit_condition=lambda _flow: True)
        error = result.get("error")
        if error not in ("authorization_pending", "slow_down"):
            return result
        if error == "slow_down":
            interval += 5
        if time.time() + interval > deadline:
            return {"error": "timeout", "error_description": f"no sign-in within {timeout:g} seconds"}
        if stop is None:
            time.sleep(interval)
        elif stop.wait(interval):  # Cancel in the window
            return _CANCELLED


_CANCELLED = {"error": "cancelled", "error_description": "the sign-in was cancelled"}


class _RedirectHandler(BaseHTTPRequestHandler):
    server: "_RedirectServer"

    def do_POST(self) -> None:  # response_mode=form_post: the IdP page posts the answer here
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8")).items()}
        if "code" in form or "error" in form:
            self._answer(200, "Signed in to Outlook. You can close this tab and return to Receptionist Console."
                         if "code" in form else f"Sign-in failed: {form.get('error_description') or form['error']}")
            self.server.deliver(form)
        else:
            self._answer(400, "This address only receives the Microsoft sign-in answer.")

    def do_GET(self) -> None:  # like msal: codes in URLs (history, logs) are refused, form_post only
        query = parse_qs(urlparse(self.path).query)
        if "code" in query:
            self._answer(400, "Sign-in answers are accepted by form post only.")
        else:
            self._answer(200, "Waiting for the Microsoft sign-in to finish...")

    def _answer(self, status: int, text: str) -> None:
        body = f"<html><body><p>{html.escape(text)}</p></body></html>".encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:  # noqa: A002 - stdlib signature
        log.debug("loopback redirect: " + format, *args)


class _RedirectServer(HTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RedirectHandler)
        self.answer: dict | None = None
        self.arrived = threading.Event()

    def deliver(self, answer: dict) -> None:
        if self.answer is None:
            self.answer = answer
            self.arrived.set()


def _interactive_flow(app: msal.PublicClientApplication, on_prompt, open_url, timeout: float,
                      stop: threading.Event | None = None) -> dict:
    server = _RedirectServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="outlook-signin-redirect", daemon=True)
    thread.start()
    try:
        redirect_uri = f"http://localhost:{server.server_address[1]}"
        flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=redirect_uri, response_mode="form_post",
                                           prompt="select_account")
        try:
            opened = open_url(flow["auth_uri"])
        except Exception:  # noqa: BLE001 - no usable browser: the person can still open the address by hand
            log.info("could not open a browser for the Outlook sign-in", exc_info=True)
            opened = False
        if opened is False:
            on_prompt(f"Open this address in a browser to sign in to Outlook: {flow['auth_uri']}")
        if not wait_for(server.arrived, timeout, stop):
            return _CANCELLED if cancelled(stop) else {"error": "timeout",
                                                       "error_description": f"no sign-in within {timeout:g} seconds"}
        try:
            return app.acquire_token_by_auth_code_flow(flow, server.answer or {})
        except ValueError as exc:  # state mismatch, nonce mismatch
            return {"error": "invalid_response", "error_description": str(exc)}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


# -------------------------------------------------------------------------------------------- token source
class OutlookTokenSource:
    """Access tokens for Graph from the stored msal cache (thread-safe; the cache is written back on change).

    ``access_token()`` answers from the cache or refreshes silently.  ``access_token(force_refresh=True)`` skips
    the cached access token (after Graph answered 401 to it).  Raises ``AuthError`` (connect again) when there is
    no account or the refresh token is refused, ``TransientError`` when the sign-in service cannot be reached or
    fails with a 5xx/429.

    Neither the keyring nor msal is asked on every request: the keyring copy of the cache is read again once per
    sync cycle (``new_cycle()``, or after ``KEYRING_RECHECK`` seconds without one, so a sign-in made in another
    process is picked up) and whenever a refresh is forced; an access token is reused until it has
    ``TOKEN_MARGIN`` seconds left (msal's own margin: it refreshes tokens closer to expiry).
    """

    KEYRING_RECHECK = 60.0
    TOKEN_MARGIN = 300.0

    def __init__(self, settings: OutlookSettings, secrets: SecretStore):
        self._settings = settings
        self._secrets = secrets
        self._lock = threading.Lock()
        self._app: msal.PublicClientApplication | None = None
        self._cache: msal.SerializableTokenCache | None = None
        self._raw: str | None = None
        self._read_at: float | None = None  # time.monotonic() of the last keyring read; None = read at next use
        self._token: tuple[str, float] | None = None  # (access token, time.time() until which it is reused)
        self.session = http_session(settings)

    def new_cycle(self) -> None:
        """A sync cycle begins: the next request reads the stored sign-in from the keyring again."""
        with self._lock:
            self._read_at = None

    def _ensure(self, recheck: bool = False) -> msal.PublicClientApplication:
        stale = self._read_at is None or time.monotonic() - self._read_at > self.KEYRING_RECHECK
        if self._cache is None or recheck or stale:
            raw = self._secrets.get(CACHE_KEY)
            self._read_at = time.monotonic()
            if self._cache is None or raw != self._raw:  # first use, or someone connected again meanwhile
                self._cache, self._raw = _cache_from(raw), raw
                self._app, self._token = None, None
        if self._app is None:
            try:
                self._app = build_app(self._settings, self._cache, self.session)
            except requests.RequestException as exc:
                raise connection_error("Microsoft's sign-in service", exc, log) from exc
            except _MSAL_FAILURES as exc:
                log.info("Microsoft sign-in service: %r", exc)
                raise TransientError("Microsoft's sign-in service could not be used just now") from exc
        return self._app

    def _persist(self) -> None:
        if self._cache is not None and self._cache.has_state_changed:
            self._raw = self._cache.serialize()
            self._secrets.set(CACHE_KEY, self._raw)
            self._cache.has_state_changed = False

    def access_token(self, force_refresh: bool = False) -> str:
        with self._lock:
            app = self._ensure(recheck=force_refresh)
            if not force_refresh and self._token is not None and time.time() < self._token[1]:
                return self._token[0]
            self._token = None
            accounts = app.get_accounts()
            if not accounts:
                raise AuthError(EXPIRED_MESSAGE)
            try:
                result = app.acquire_token_silent_with_error(SCOPES, accounts[0], force_refresh=force_refresh)
            except requests.RequestException as exc:
                raise connection_error("Microsoft's sign-in service", exc, log) from exc
            except _MSAL_FAILURES as exc:
                log.info("Microsoft sign-in service: %r", exc)
                raise TransientError("Microsoft's sign-in service could not be used just now") from exc
            finally:
                self._persist()
            if result and "access_token" in result:
                lifetime = float(result.get("expires_in") or 0)
                if lifetime > self.TOKEN_MARGIN:
                    self._token = (result["access_token"], time.time() + lifetime - self.TOKEN_MARGIN)
                return result["access_token"]
        error = (result or {}).get("error")
        if error in ("temporarily_unavailable", "server_error"):
            log.info("Microsoft sign-in service busy: %s", result.get("error_description"))
            raise TransientError("Microsoft's sign-in service is busy; it is tried again soon")
        if error:
            log.info("Outlook token refresh refused: %s", error)
        raise AuthError(EXPIRED_MESSAGE, status=400 if error else None)


def outlook_token_source(settings: OutlookSettings, secrets: SecretStore) -> OutlookTokenSource:
    return OutlookTokenSource(settings, secrets)
