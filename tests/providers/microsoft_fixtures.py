"""Fixtures for the Microsoft identity / Graph tests: the TLS stand-in, settings pointed at it, a signed-in
secret store, and a scripted "browser" for the interactive sign-in.

The fixtures are registered for the whole folder by ``tests/providers/conftest.py``; test modules import only
the helpers (``T0``, ``make_draft``, ``ScriptedBrowser``, ``stored_secret_names``) from here.
"""

from __future__ import annotations

import html.parser
from datetime import datetime, timedelta, timezone

import pytest
import requests

from receptionist.config import OutlookSettings
from receptionist.domain.ports import EventDraft
from receptionist.providers.microsoft_auth import connect_outlook
from receptionist.providers.outlook_calendar import OutlookCalendarProvider, outlook_provider
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.microsoft import MicrosoftSandbox

# Monday 11/23/2026 09:00 in Chicago (15:00 UTC), the same instant the shared clock fixture uses
T0 = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


class MutableClock:
    def __init__(self, now: datetime):
        self.current = now

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def ms_clock() -> MutableClock:
    return MutableClock(datetime.now(timezone.utc))


@pytest.fixture
def microsoft_sandbox(ms_clock):
    # interval 0: msal polls the device code again at once (the stand-in approves on the second poll)
    sandbox = MicrosoftSandbox(device_code_interval=0, now=ms_clock).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def outlook_settings(microsoft_sandbox) -> OutlookSettings:
    return OutlookSettings(
        enabled=True,
        graph_endpoint=microsoft_sandbox.graph_endpoint,
        authority=microsoft_sandbox.authority,
        client_id=microsoft_sandbox.client_id,
        ca_bundle=str(microsoft_sandbox.cert_path),
        timeout_seconds=2.0,
    )


@pytest.fixture
def outlook_secrets():
    return memory_secret_store("outlook-tests")


@pytest.fixture
def connected_secrets(outlook_settings, outlook_secrets):
    """A secret store holding a device-code sign-in to the stand-in's default user."""
    connect_outlook(outlook_settings, outlook_secrets, device_code=True, on_prompt=lambda message: None, timeout=10)
    return outlook_secrets


@pytest.fixture
def outlook(outlook_settings, connected_secrets) -> OutlookCalendarProvider:
    return outlook_provider(outlook_settings, connected_secrets)


def stored_secret_names(store) -> set[str]:
    """Secret names held by a ``memory_secret_store`` (its backend is a MemoryKeyring); the parts of a long value
    (``name#generation.i``) count as their secret."""
    return {name.split("#")[0] for (_service, name) in store._backend._data}  # noqa: SLF001 - test introspection


def make_draft(uid: str = "0" * 31 + "1", *, start: datetime = T0, minutes: int = 30, **fields) -> EventDraft:
    values = dict(title="Cleaning - Pat Doe", description="Booked by phone.\nPrefers mornings.",
                  location="Room 2", time_zone="America/Chicago")
    values.update(fields)
    return EventDraft(uid=uid, start=start, end=start + timedelta(minutes=minutes), **values)


class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


class ScriptedBrowser:
    """Stands in for the person's browser: opens the authorize URL on the stand-in (trusting its certificate),
    then submits the auto-posting form to the loopback redirect, as the page's script would."""

    def __init__(self, cert_path, *, tamper=None):
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = str(cert_path)
        self.tamper = tamper  # optional callable(fields) -> fields
        self.visited: list[str] = []
        self.redirect_status: int | None = None

    def __call__(self, url: str) -> bool:
        self.visited.append(url)
        page = self.session.get(url, allow_redirects=False, timeout=5)
        page.raise_for_status()
        form = _FormParser()
        form.feed(page.text)
        fields = self.tamper(dict(form.fields)) if self.tamper else form.fields
        answer = self.session.post(form.action, data=fields, timeout=5)
        self.redirect_status = answer.status_code
        return True
