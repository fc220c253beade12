"""Fixtures for provider tests: a Google sandbox on loopback and settings/providers pointed at it."""

from __future__ import annotations

import pytest

from receptionist.config import GoogleSettings
from receptionist.providers.google_calendar import GoogleCalendarProvider
from receptionist_sandbox.google import DEFAULT_ACCOUNT
from tests.providers.microsoft_fixtures import (  # noqa: F401 - fixtures for the Microsoft tests
    connected_secrets,
    microsoft_sandbox,
    ms_clock,
    outlook,
    outlook_secrets,
    outlook_settings,
)


@pytest.fixture
def google_settings(google_sandbox) -> GoogleSettings:
    return GoogleSettings(
        enabled=True,
        api_endpoint=google_sandbox.api_endpoint,
        token_uri=google_sandbox.token_uri,
        auth_uri=google_sandbox.auth_uri,
        client_id=google_sandbox.client_id,
        timeout_seconds=2.0,
    )


@pytest.fixture
def make_google_provider(google_sandbox, google_settings):
    """``make_google_provider(refresh_token=None, **settings_overrides) -> GoogleCalendarProvider``."""

    def make(refresh_token: str | None = None, *, page_size: int = 250, **overrides) -> GoogleCalendarProvider:
        settings = google_settings.model_copy(update=overrides) if overrides else google_settings
        return GoogleCalendarProvider(
            settings,
            refresh_token=refresh_token or google_sandbox.issue_refresh_token(DEFAULT_ACCOUNT),
            client_secret=google_sandbox.client_secret,
            page_size=page_size,
        )

    return make
