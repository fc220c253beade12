"""`receptionist service` as a real process: it takes signed calls on its port and its sync thread pushes an
appointment approved at another desk (another process on the same SQLite database) to both calendars."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from receptionist.domain.models import SyncState
from receptionist.providers.secrets import KeyringSecretStore
from tests.helpers.desk import make_desk
from receptionist.events import EventBus
from receptionist.store.db import make_engine
from receptionist.store import Store
from tests.helpers.file_keyring import FileKeyring
from tests.helpers.payloads import payload, signed
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_service_ingests_and_syncs(stack, tmp_path, monkeypatch):
    monkeypatch.setenv("RECEPTIONIST_TEST_KEYRING", str(tmp_path / "keyring.json"))
    port = free_port()
    data = stack.profile(ingest_port=port).model_dump()
    data["sync"]["interval_seconds"] = 0.5
    from receptionist.config import Profile

    profile = Profile.from_dict(data)
    profile_path = tmp_path / "desk.toml"
    profile_path.write_text(profile.to_toml())
    secrets = KeyringSecretStore(namespace=profile.location.name, backend=FileKeyring())
    webhook_secret = stack.provision(profile, secrets)
    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "tests.helpers.file_keyring.FileKeyring",
           "RECEPTIONIST_TEST_KEYRING": str(tmp_path / "keyring.json")}
    proc = subprocess.Popen([sys.executable, "-m", "receptionist.cli", "service", "--profile", str(profile_path),
                             "--db", db_url], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        url = f"http://127.0.0.1:{port}/webhooks/v1/calls"
        wait_for(lambda: _up(url.replace("/webhooks/v1/calls", "/healthz")))
        raw, headers = signed(payload(call_id="svc-1", requested_start=_next_weekday_10am()), webhook_secret)
        assert requests.post(url, data=raw, headers=headers, timeout=5).status_code == 202

        engine = make_engine(db_url)
        other_desk = Store(engine)
        call = wait_for(lambda: next(iter(other_desk.calls.recent()), None))
        desk = make_desk(other_desk, profile, EventBus(),
                              {"google:primary": "Google Calendar", "outlook:default": "Outlook"})
        appt = desk.bookings.approve(call.proposal.id, call.proposal.version, actor="desk-2")

        def synced():
            links = other_desk.appointments.get(appt.id).links
            return all(link.state is SyncState.SYNCED for link in links)

        wait_for(synced)  # the service's sync thread (not this process) did the writes
        assert any(e["id"] == appt.id for e in stack.google.events("owner@demo.example", "primary"))
        engine.dispose()
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=20)[0]
    assert proc.returncode == 0, output[-3000:]
    assert "service stopping (SIGTERM)" in output and "on the way out:" in output and "service stopped" in output
    # secrets never reach the log (nor the database)
    kept = [secrets.get(k) for k in ("google.refresh_token", "google.client_secret", "twilio.auth_token",
                                     "ingest.webhook_secret")]
    assert all(kept) and not [s for s in kept if s in output]
    raw_db = (tmp_path / "shared.db").read_bytes() + (tmp_path / "shared.db-wal").read_bytes() if (
        tmp_path / "shared.db-wal").exists() else (tmp_path / "shared.db").read_bytes()
    assert not [s for s in kept if s.encode() in raw_db]


def _up(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def _next_weekday_10am() -> str:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    day = datetime.now(ZoneInfo("America/Chicago")).date() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return f"{day.isoformat()}T10:00:00"
