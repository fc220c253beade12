"""Crash test: `receptionist service` (a real process, real client libraries, the sandbox stand-ins) is SIGKILLed at
random moments, 20 times, while it pushes appointments approved at another desk (this test process, on the same
SQLite database) and the desk reschedules and cancels some of them. Restarted each time; when it is left to finish,
every calendar holds exactly the live appointments at their times, once each, every link is Synced, and no SMS
went out twice."""

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from receptionist.config import Profile
from receptionist.domain.models import AppointmentStatus, SyncState
from receptionist.events import EventBus
from receptionist.providers.secrets import KeyringSecretStore
from receptionist.services.context import location_rules
from tests.helpers.desk import make_desk
from receptionist.store.db import make_engine, upgrade
from receptionist.store import Store
from receptionist_sandbox.stack import GOOGLE_ACCOUNT
from tests.e2e.conftest import AT_ANY_HOUR
from tests.e2e.test_service_process import _up, free_port
from tests.helpers.calls import store_payload
from tests.helpers.file_keyring import FileKeyring
from tests.helpers.payloads import payload
from tests.helpers.rows import outbox_items

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
APPOINTMENTS = 200
KILLS = 20
ZONE = ZoneInfo("America/Chicago")
CALENDARS = {"google:primary": "Google Calendar", "outlook:default": "Outlook"}


def slots(n: int) -> list[datetime]:
    """n distinct weekday slots (9:00–16:30 local, every 45 minutes) from tomorrow on."""
    out, day = [], datetime.now(ZONE).date() + timedelta(days=1)
    while len(out) < n:
        if day.weekday() < 5:
            out += [datetime(day.year, day.month, day.day, 9, 0, tzinfo=ZONE) + timedelta(minutes=45 * i)
                    for i in range(10)]
        day += timedelta(days=1)
    return out[:n]


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def graph_uid(event: dict) -> str | None:
    for prop in event.get("singleValueExtendedProperties") or ():
        if prop.get("id", "").lower().endswith("name receptionist.uid"):
            return prop.get("value")
    return event.get("transactionId")


def graph_start(event: dict) -> datetime:
    text = event["start"]["dateTime"]
    moment = datetime.fromisoformat(text[:26].rstrip("Z"))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


class Service:
    def __init__(self, tmp_path: Path, stack, profile_data: dict, db_url: str, env: dict):
        self.tmp_path, self.stack, self.data, self.db_url, self.env = tmp_path, stack, profile_data, db_url, env
        self.proc: subprocess.Popen | None = None
        self.log = tmp_path / "service.log"

    def start(self, wait: bool = True) -> None:
        port = free_port()
        self.data["ingest"]["port"] = port
        path = self.tmp_path / "desk.toml"
        path.write_text(Profile.from_dict(self.data).to_toml())
        with self.log.open("a") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "receptionist.cli", "service", "--profile", str(path),
                                          "--db", self.db_url], cwd=ROOT, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT)
        self.started = time.monotonic()
        deadline = time.monotonic() + 15
        while wait and not _up(f"http://127.0.0.1:{port}/healthz"):
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the service did not come up"
            time.sleep(0.05)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=20)


@pytest.mark.timeout(240)
def test_sigkill_at_random_moments_and_restart(stack, tmp_path, monkeypatch):
    rng = random.Random(int(os.environ.get("CRASH_SEED", "5")))
    monkeypatch.setenv("RECEPTIONIST_TEST_KEYRING", str(tmp_path / "keyring.json"))
    data = stack.profile(AT_ANY_HOUR, ingest_port=free_port()).model_dump()
    data["sync"]["interval_seconds"] = 0.2
    profile = Profile.from_dict(data)
    secrets = KeyringSecretStore(namespace=profile.location.name, backend=FileKeyring())
    stack.provision(profile, secrets)
    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    store = Store(engine)
    desk = make_desk(store, profile, EventBus(), CALENDARS, sms_enabled=True)  # another desk: no sync here
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "tests.helpers.file_keyring.FileKeyring",
           "RECEPTIONIST_TEST_KEYRING": str(tmp_path / "keyring.json")}
    service = Service(tmp_path, stack, data, db_url, env)
    texts_before = len(stack.twilio.messages)

    times = slots(APPOINTMENTS + 60)
    free = times[APPOINTMENTS:]  # reschedule targets
    now = datetime.now(timezone.utc)

    def approve(i: int):
        body = payload(requested_start=times[i].replace(tzinfo=None).isoformat(), duration_minutes=30,
                       caller={"name": f"Caller {i}", "callback_number": f"(312) 555-{1000 + i:04d}",
                             "account_id": f"ACC-{i}"})
        call = store_payload(store, body, location_rules(profile), now)
        return desk.bookings.approve(call.proposal.id, call.proposal.version, actor="desk-2")

    appointments = [approve(i) for i in range(APPOINTMENTS)]
    cancelled: set[str] = set()
    changes = 0
    try:
        for _ in range(KILLS):
            # killed at a random moment of its life: a third while starting up, the rest while it works (mid-cycle,
            # mid-write, mid-SMS)
            during_start = rng.random() < 0.35
            service.start(wait=not during_start)
            lifetime = rng.uniform(0.3, 2.5) if during_start else time.monotonic() - service.started + rng.uniform(
                0.05, 1.5)
            # the other desk goes on working while this one syncs
            for _ in range(3):
                appt = rng.choice(appointments)
                if appt.id in cancelled:
                    continue
                if rng.random() < 0.4:
                    desk.appointments.cancel(appt.id, "caller cancelled", notify=True, actor="desk-2")
                    cancelled.add(appt.id)
                    changes += 1
                elif free:
                    desk.appointments.reschedule(appt.id, free.pop().astimezone(timezone.utc), notify=True, actor="desk-2")
                    changes += 1
            time.sleep(max(0.0, service.started + lifetime - time.monotonic()))
            service.kill()

        service.start()
        deadline = time.monotonic() + 40

        def settled() -> bool:
            links = [link for a in store.appointments.between(include_cancelled=True) for link in a.links]
            return all(link.state is SyncState.SYNCED for link in links) and \
                all(m["done_at"] is not None for m in outbox_items(store, limit=2000))

        while not settled():
            assert time.monotonic() < deadline, _stuck(store)
            time.sleep(0.2)
        assert service.stop() == 0
    finally:
        if service.proc is not None and service.proc.poll() is None:
            service.proc.kill()
        engine.dispose()

    records = {a.id: a for a in store.appointments.between(include_cancelled=True)}
    live = {i: a for i, a in records.items() if a.status is AppointmentStatus.CONFIRMED}
    assert {i for i, a in records.items() if a.status is AppointmentStatus.CANCELLED} == cancelled

    google = [e for e in stack.google.events(GOOGLE_ACCOUNT, "primary") if e["id"] in records]
    assert sorted(Counter(e["id"] for e in google).values(), reverse=True)[:1] in ([1], [])  # none duplicated
    assert {e["id"]: parse_instant(e["start"]["dateTime"]) for e in google} == {i: a.start for i, a in live.items()}

    outlook = [e for e in stack.microsoft.events() if graph_uid(e) in records]
    assert sorted(Counter(graph_uid(e) for e in outlook).values(), reverse=True)[:1] in ([1], [])
    assert {graph_uid(e): graph_start(e) for e in outlook} == {i: a.start for i, a in live.items()}

    texts = [(m["to"], m["body"]) for m in stack.twilio.messages[texts_before:]]
    assert [t for t, n in Counter(texts).items() if n > 1] == []  # no SMS sent twice
    assert len(texts) == len(outbox_items(store, limit=2000)) == APPOINTMENTS + changes


def _stuck(store) -> str:
    links = [link for a in store.appointments.between(include_cancelled=True) for link in a.links
             if link.state is not SyncState.SYNCED]
    waiting = [m for m in outbox_items(store, limit=2000) if m["done_at"] is None]
    return f"not settled: {len(links)} links, e.g. {links[:3]}; {len(waiting)} SMS, e.g. {waiting[:2]}"
