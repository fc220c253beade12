"""Small HTTP facts shared by the adapters, and the requests session they use on office networks."""

from __future__ import annotations

import email.utils
import errno
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlparse

import httplib2
import requests
import truststore
from requests.adapters import HTTPAdapter
from requests.sessions import merge_setting

from receptionist.errors import Dropped, ProviderError, Unreachable


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


# ------------------------------------------------------------------------------------------- office networks
# The requests sessions of the Microsoft (msal + Graph) and Twilio adapters, and the Google client's httplib2
# transport (``OfficeHttp``), are built here, so every one of them goes through an office network the same way:
# - proxies: the system's settings (``trust_env``): ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` on every OS, and
#   on Windows/macOS also the proxy set in the OS (registry / System Settings, read by ``urllib.request``); never
#   for a loopback address (the sandbox), whatever the environment says;
# - trust: the OS certificate store through ``truststore`` (Windows CryptoAPI, macOS Security framework,
#   OpenSSL's system paths on Linux), so a company root CA that IT installed (a TLS-inspecting proxy) is trusted
#   as the browser trusts it; or, when the profile names one, that CA bundle file instead.  ``REQUESTS_CA_BUNDLE``
#   and ``CURL_CA_BUNDLE`` are ignored: the profile is the one place that overrides trust.
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def is_loopback(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return host in _LOOPBACK_HOSTS or host.startswith("127.")


def os_trust_context() -> ssl.SSLContext:
    """A client TLS context that verifies against the operating system's certificate store."""
    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class _TrustAdapter(HTTPAdapter):
    """Connections verified with a given ``SSLContext`` when the request says ``verify=True``; a CA bundle path
    (``verify="file.pem"``) keeps requests' own handling (that file only)."""

    def __init__(self, ssl_context: ssl.SSLContext, **kwargs):
        self.ssl_context = ssl_context
        super().__init__(**kwargs)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):  # type: ignore[override]
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if verify is True:
            pool_kwargs["ssl_context"] = self.ssl_context
        return host_params, pool_kwargs


class OfficeSession(requests.Session):
    """A ``requests.Session`` for office networks: system proxies, OS trust store or the profile's CA bundle,
    and a default timeout (msal passes none)."""

    def __init__(self, *, ca_bundle: str = "", timeout: float | None = None, pool_maxsize: int = 10):
        super().__init__()
        self.trust_env = True  # proxies from the system; the CA overrides of the environment are dropped below
        self.default_timeout = timeout
        self.ca_bundle = ca_bundle
        self.verify = ca_bundle or True
        self.ssl_context: ssl.SSLContext | None = None if ca_bundle else os_trust_context()
        if self.ssl_context is not None:
            self.mount("https://", _TrustAdapter(self.ssl_context, pool_maxsize=pool_maxsize))
        else:
            self.mount("https://", HTTPAdapter(pool_maxsize=pool_maxsize))

    def request(self, method, url, **kwargs):  # type: ignore[override]
        if self.default_timeout is not None:
            kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, **kwargs)

    def merge_environment_settings(self, url, proxies, stream, verify, cert):  # type: ignore[override]
        own = dict(proxies or {})  # callers (twilio) pass a dict of their own; requests would write into it
        merged = super().merge_environment_settings(url, own, stream, verify, cert)
        # Trust is ours: what the caller asked for, else the session's (OS store or the profile's bundle), never
        # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE.
        merged["verify"] = self.verify if verify is None else verify
        if is_loopback(url):
            merged["proxies"] = merge_setting(dict(proxies or {}), self.proxies)
        return merged

    def describe(self) -> str:
        """One line for ``doctor`` and logs: where trust and proxies come from."""
        trust = f"CA bundle {self.ca_bundle}" if self.ca_bundle else "the OS certificate store"
        return f"trusts {trust}; proxies from the system settings"


def office_session(*, ca_bundle: str = "", timeout: float | None = None, pool_maxsize: int = 10) -> OfficeSession:
    """The session the Microsoft and Twilio adapters use (see the notes above ``OfficeSession``)."""
    return OfficeSession(ca_bundle=ca_bundle, timeout=timeout, pool_maxsize=pool_maxsize)


class OfficeHttp(httplib2.Http):
    """The Google client's transport (googleapiclient and google-auth talk httplib2): HTTPS verified against the
    OS certificate store through ``truststore``, as the office sessions above are, instead of httplib2's own
    bundled CA list; proxies from the environment (``HTTPS_PROXY``, ``NO_PROXY``), as httplib2 reads them."""

    def __init__(self, *, timeout: float | None = None):
        super().__init__(timeout=timeout)
        context = os_trust_context()

        class Connection(httplib2.HTTPSConnectionWithTimeout):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self._context = context  # what connect() wraps the socket with

        self._https = Connection

    def request(self, uri, method="GET", body=None, headers=None, redirections=httplib2.DEFAULT_MAX_REDIRECTS,
                connection_type=None):  # type: ignore[override]
        if connection_type is None and uri[:6].lower() == "https:":
            connection_type = self._https
        return super().request(uri, method, body, headers, redirections, connection_type)


# ------------------------------------------------------------------------------------------- connection failures
# "Cannot connect" (no network, the name does not resolve, refused, no route, connect timeout) waits for the
# network without counting attempts; "dropped mid-answer" (the server closed one connection) is retried soon, and
# the retry checks whether the write landed (creates are idempotent, updates carry If-Match). The words are
# sentences for the person; the exception itself goes to the log.
_CANNOT_CONNECT_TYPES = {"NewConnectionError", "NameResolutionError", "ConnectTimeoutError", "ServerNotFoundError",
                         "ProxyError"}
_NO_ROUTE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, getattr(errno, "EHOSTDOWN", -1),
             errno.EADDRNOTAVAIL}


def _chain(exc: BaseException):
    """``exc`` and every exception it wraps (cause, context, args, urllib3's ``reason``)."""
    seen: set[int] = set()
    stack: list = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack += [item.__cause__, item.__context__, getattr(item, "reason", None), *getattr(item, "args", ())]


def why_not_connected(exc: BaseException) -> str | None:
    """Why a connection could not be made (a phrase), or None when one was made and then dropped."""
    chain = list(_chain(exc))
    for item in chain:  # the most specific cause first, wherever it sits in the chain
        if isinstance(item, socket.gaierror) or type(item).__name__ in ("NameResolutionError", "ServerNotFoundError"):
            return "its address could not be looked up (no network, or DNS is not answering)"
        if isinstance(item, ConnectionRefusedError):
            return "it refused the connection"
        if isinstance(item, OSError) and item.errno in _NO_ROUTE:
            return "there is no network route to it"
        if isinstance(item, ssl.SSLCertVerificationError):
            return "its certificate is not trusted by this computer (a proxy with its own certificate?)"
    if any(type(item).__name__ in _CANNOT_CONNECT_TYPES for item in chain):
        return "no connection could be made"
    return None


def connection_error(service: str, exc: BaseException, log: logging.Logger) -> ProviderError:
    """The ``ProviderError`` for a request to ``service`` that got no answer: ``Unreachable`` when no connection
    could be made, ``Dropped`` when the server closed it before answering. The detail goes to ``log``."""
    log.info("%s: no answer: %r", service, exc)
    why = why_not_connected(exc)
    if why is not None:
        return Unreachable(f"{service} cannot be reached: {why}")
    return Dropped(f"{service} closed the connection before answering")


def read_ahead(fetch: Callable[[Any], dict], first: Any, next_of: Callable[[dict], Any]) -> Iterator[dict]:
    """The pages of a listing, ``fetch(first)`` then ``fetch(next_of(page))`` until it is None, each page asked for
    (on one worker thread) while the caller reads the one before: a service takes a while to render a page of
    1,000 events, and reading one (parsing, caching) no longer waits for the next. A failure is raised where its
    page would have been read."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as pool:
        pending: Future | None = pool.submit(fetch, first)
        while pending is not None:
            page = pending.result()
            following = next_of(page)
            pending = pool.submit(fetch, following) if following is not None else None
            yield page
