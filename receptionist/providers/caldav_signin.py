"""Signing a CalDAV account in: the server from what a person types, the calendar from the server's list, the app
password to the OS keyring only.

A person types ``icloud.com``-like bare domains or a full URL. A bare domain (no path) is looked up through
``/.well-known/caldav`` (RFC 6764 §5; the ``caldav`` library follows the redirect and asks for the current user's
principal), then at its root. iCloud answers on ``caldav.icloud.com`` with a principal on a per-user host
(``pNN-caldav.icloud.com``): the calendar URL kept in the profile is the absolute one the server listed, so every
later request goes to that host.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

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


def candidate_urls(typed: str) -> list[str]:
    """Where to look for the server: a bare domain through ``/.well-known/caldav`` first, then its root."""
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
        return [root + ".well-known/caldav", root]
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


def discover(settings: CalDavSettings, typed_url: str, username: str, password: str) -> CalDavAccount:
    """Sign in at the first candidate URL that answers with a principal; its calendars."""
    if not username:
        raise UserError("give the CalDAV user name (--username): for iCloud your Apple ID, for Fastmail your "
                        "e-mail address")
    if not password:
        raise UserError("the app-specific password is empty (iCloud and Fastmail make one in the account's "
                        "security settings)")
    problems = []
    for url in candidate_urls(typed_url):
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
        if not calendars and url != candidate_urls(typed_url)[-1]:
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
