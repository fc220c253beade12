"""Shared fixtures. Qt runs offscreen; secrets go to an in-memory keyring; data to a temporary folder."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "receptionist.providers.secrets.MemoryKeyring"

from datetime import datetime, timezone  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from receptionist.config import Profile  # noqa: E402
from receptionist.store.db import make_engine, upgrade  # noqa: E402
from receptionist.store import Store  # noqa: E402
from tests.helpers.fakes import FakeClock  # noqa: E402

# No property test has a time limit: a slow example, or slow data generation, on a loaded machine is not a failure
# (speed is measured under bench/, never asserted); hypothesis' default 200 ms deadline made such runs flaky.
settings.register_profile("receptionist", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          print_blob=True)
settings.load_profile("receptionist")


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    """Every test gets its own data, log and config folders (never the machine's), and a user profile with the
    embedded defaults, as if setup had run; a test of the first start removes it (``no_profile``)."""
    monkeypatch.setenv("RECEPTIONIST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RECEPTIONIST_LOG_DIR", str(tmp_path / "log"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "site-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("RECEPTIONIST_DB", raising=False)
    monkeypatch.delenv("RECEPTIONIST_PROFILE", raising=False)
    from receptionist.paths import user_profile_path

    user_profile_path().parent.mkdir(parents=True, exist_ok=True)
    user_profile_path().write_text(Profile().to_toml(), encoding="utf-8")


@pytest.fixture
def no_profile():
    """A machine where no profile exists anywhere (a first start)."""
    from receptionist.paths import user_profile_path

    user_profile_path().unlink()


@pytest.fixture
def clock() -> FakeClock:
    # Monday 11/23/2026 09:00 in Chicago (15:00 UTC)
    return FakeClock(datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc))


@pytest.fixture
def profile() -> Profile:
    return Profile()


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def store(db_url) -> Store:
    engine = make_engine(db_url)
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL cluster for the whole run (skipped where PostgreSQL is not installed)."""
    from tests.helpers.postgres import postgres_server

    with postgres_server() as (url, reason):
        if url is None:
            pytest.skip(reason)
        yield url


@pytest.fixture
def pg_url(pg_server):
    """A fresh database on it per test."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield pg_server.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def google_sandbox():
    """The Google Calendar v3 + OAuth stand-in on loopback."""
    from receptionist_sandbox.google import GoogleSandbox

    sandbox = GoogleSandbox().start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def google_api(google_sandbox):
    """A requests.Session authorised as the demo owner, with ``base`` = the primary calendar's events URL."""
    import requests

    token = requests.post(google_sandbox.token_uri, data={
        "grant_type": "refresh_token", "refresh_token": google_sandbox.issue_refresh_token(),
        "client_id": google_sandbox.client_id, "client_secret": google_sandbox.client_secret},
        timeout=5).json()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    session.base = google_sandbox.api_endpoint + "calendars/primary/events"
    yield session
    session.close()


@pytest.fixture(scope="session")
def radicale_server():
    """One real CalDAV server (Radicale) for the whole run; each test makes its own calendar on it."""
    from receptionist_sandbox.caldav import RadicaleServer

    with RadicaleServer() as server:
        yield server
