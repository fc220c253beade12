"""Signing a CalDAV account in: the server from what a person types, the calendar from the server's list, the app
password to the OS keyring only.

A person types ``icloud.com``-like bare domains or a full URL. A bare domain (no path) is looked up in DNS first
(RFC 6764 §3: the ``_caldavs._tcp`` SRV records, tried by priority then weight, each with the context path of the
``_caldavs._tcp`` TXT record's ``path=``, else the target's ``/.well-known/caldav``; a target of ``.`` says there is
no CalDAV service there), then through the domain's own ``/.well-known/caldav`` (RFC 6764 §5; the ``caldav`` library
follows the redirect and asks for the current user's principal), then at its root. DNS is asked through dnspython
(already installed as a dependency of ``caldav``); a lookup that fails or times out just leaves the SRV candidates
out. iCloud answers on ``caldav.icloud.com`` with a principal on a per-user host
(``pNN-caldav.icloud.com``): the calendar URL kept in the profile is the absolute one the server listed, so every
later request goes to that host.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlparse

import dns.exception
import dns.resolver
from caldav.lib.http_sync import requests as http

from receptionist.config import CalDavSettings
from receptionist.domain.ports import CalendarInfo, SecretStore
from receptionist.errors import AuthError, ProviderError, UserError
from receptionist.providers.caldav_calendar import PASSWORD_KEY, CalDavCalendarProvider, dav_client


@dataclass(frozen=True)
class CalDavAccount:
    """What a sign-in found: the server URL that answered, and the calendars the account can see."""

    url: str
    calendars: list[CalendarInfo]


SRV_SERVICE = "_caldavs._tcp"  # RFC 6764 §3: CalDAV over TLS
DNS_SECONDS = 3.0


def srv_urls(domain: str, resolver: Any = None, timeout: float = DNS_SECONDS) -> list[str]:
    """The CalDAV URLs a domain's ``_caldavs._tcp`` SRV and TXT records name (RFC 6764 §3, §4), best first; none
    when it has none, says the service is not offered (target ``.``), or DNS does not answer. ``resolver`` is a
    ``dns.resolver.Resolver`` (or anything with its ``resolve``); the system's by default."""
    resolver = resolver or dns.resolver.get_default_resolver()
    name = f"{SRV_SERVICE}.{domain.rstrip('.')}."
    try:
        records = list(resolver.resolve(name, "SRV", lifetime=timeout))
    except dns.exception.DNSException:
        return []
    if any(r.target.to_text() == "." for r in records):
        return []  # RFC 2782: the service is decidedly not available at this domain
    path = "/.well-known/caldav"
    try:
        for txt in resolver.resolve(name, "TXT", lifetime=timeout):
            for part in txt.strings:
                key, _, value = part.decode("utf-8", "replace").partition("=")
                if key.strip().lower() == "path" and value.startswith("/"):
                    path = value
    except dns.exception.DNSException:
        pass  # no TXT record: the target's well-known address
    urls = []
    for r in sorted(records, key=lambda r: (r.priority, -r.weight)):
        host = r.target.to_text().rstrip(".")
        urls.append(f"https://{host}{'' if r.port == 443 else f':{r.port}'}{path}")
    return list(dict.fromkeys(urls))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def candidate_urls(typed: str, resolver: Any = None) -> list[str]:
    """Where to look for the server: a bare domain through its SRV records (``srv_urls``), then its
    ``/.well-known/caldav``, then its root; a URL with a path is taken as it is."""
    text = typed.strip()
    if not text:
        raise UserError("give the CalDAV server's address (--url), e.g. caldav.fastmail.com or "
                        "https://cloud.example.com/remote.php/dav")
    if "://" not in text:
        text = "https://" + text
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UserError(f"{typed!r} is not a server address (expected a domain or an http(s) URL)")
    root = f"{parsed.scheme}://{parsed.netloc}/"
    if parsed.path in ("", "/"):
        found = srv_urls(parsed.hostname, resolver) if parsed.port is None and not _is_address(parsed.hostname) \
            else []
        return list(dict.fromkeys([*found, root + ".well-known/caldav", root]))
    return [text]


def well_known_target(url: str, timeout: float) -> str | None:
    """Where ``/.well-known/caldav`` redirects (RFC 6764 §5), or None when it does not."""
    try:
        response = http.request("PROPFIND", url, allow_redirects=False, timeout=timeout,
                                headers={"Depth": "0"})
    except http.exceptions.RequestException:
        return None
    location = response.headers.get("Location")
    if response.status_code in (301, 302, 303, 307, 308) and location:
        return urljoin(url, location)
    return None


def discover(settings: CalDavSettings, typed_url: str, username: str, password: str,
             resolver: Any = None) -> CalDavAccount:
    """Sign in at the first candidate URL that answers with a principal; its calendars."""
    if not username:
        raise UserError("give the CalDAV user name (--username): for iCloud your Apple ID, for Fastmail your "
                        "e-mail address")
    if not password:
        raise UserError("the app-specific password is empty (iCloud and Fastmail make one in the account's "
                        "security settings)")
    problems = []
    candidates = candidate_urls(typed_url, resolver)
    for url in candidates:
        if url.endswith("/.well-known/caldav"):
            url = well_known_target(url, settings.timeout_seconds)
            if url is None:
                continue
        settings = settings.model_copy(update={"url": url, "username": username})
        provider = CalDavCalendarProvider(settings, dav_client(settings, password))
        try:
            calendars = provider.list_calendars()
        except AuthError as exc:
            raise UserError(f"{url} refused the user name or app password") from exc
        except ProviderError as exc:  # not CalDAV there, or not reachable
            problems.append(f"{url}: {exc}")
            continue
        finally:
            provider.close()
        if not calendars and url != candidates[-1]:
            problems.append(f"{url}: no calendars")
            continue
        return CalDavAccount(url=url, calendars=calendars)
    raise UserError("no CalDAV server answered: " + "; ".join(problems))


def pick_calendar(calendars: list[CalendarInfo], wanted: str | None) -> CalendarInfo:
    """The calendar named (by name or URL), or the only one; else an error that lists them."""
    names = ", ".join(repr(c.name) for c in calendars) or "none"
    if not calendars:
        raise UserError("the account has no calendars: make one in the calendar app first")
    if wanted:
        for cal in calendars:
            if wanted.casefold() in (cal.name.casefold(), cal.id.casefold()):
                return cal
        raise UserError(f"no calendar {wanted!r} on this account; its calendars are: {names}")
    if len(calendars) == 1:
        return calendars[0]
    raise UserError(f"the account has {len(calendars)} calendars; say which one to use (--calendar NAME, or "
                    f"calendar_name in Settings): {names}")


def connect_caldav(settings: CalDavSettings, secrets: SecretStore, *, url: str, username: str, password: str,
                   calendar: str | None = None) -> tuple[CalDavSettings, CalendarInfo]:
    """Sign in, pick the calendar, keep the password in the keyring; the profile section to save."""
    account = discover(settings, url, username, password)
    chosen = pick_calendar(account.calendars, calendar)
    secrets.set(PASSWORD_KEY, password)
    return settings.model_copy(update={"enabled": True, "url": account.url, "username": username,
                                       "calendar_url": chosen.id, "calendar_name": chosen.name}), chosen
