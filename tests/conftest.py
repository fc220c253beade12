"""Shared fixtures. Qt runs offscreen; secrets go to an in-memory keyring; data to a temporary folder."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "receptionist.providers.secrets.MemoryKeyring"

from datetime import datetime, timezone  # noqa: E402

import pytest  # noqa: E402

from receptionist.config import Profile  # noqa: E402
from receptionist.store.db import make_engine, upgrade  # noqa: E402
from receptionist.store.repo import Store  # noqa: E402
from tests.helpers.fakes import FakeClock  # noqa: E402


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RECEPTIONIST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("RECEPTIONIST_DB", raising=False)


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
