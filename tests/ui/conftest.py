"""A desk for UI tests: SQLite store, two FakeCalendar targets, a FakeClock, the real service, sync engine and intake.

``App.assemble`` builds a desk from any adapters (``App.build`` hands it the real ones; tests/ingest/test_app_intake.py
hands it fakes). ``Desk`` wires the same pieces by hand instead, leaving out what a UI test drives itself or must not
start: no ``SyncScheduler`` (the test runs ``engine.run_cycle``, or ``sync_in_background``), no webhook receiver (a
stand-in that never listens: calls come through the intake's door and worker with ``submit_call``), the default
platform adapters with no signing secrets, no messenger (SMS off), no polling, and this desk always the leader. The
window is built from ``desk.service`` and ``desk.bus``, as ``run_gui`` builds it from the App's.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from receptionist import events
from receptionist.config import Profile
from receptionist.ingest.intake import Intake
from receptionist.ingest.platforms import Delivery
from receptionist.services import ConsoleService, location_rules
from receptionist.store.repo import Store
from receptionist.sync.engine import CalendarTarget, SyncEngine
from tests.helpers.fakes import FakeCalendar, FakeClock
from tests.helpers.payloads import payload

CALENDARS = {"google:primary": "Google Calendar", "outlook:default": "Outlook"}


@dataclass
class Desk:
    profile: Profile
    store: Store
    bus: events.EventBus
    service: ConsoleService
    engine: SyncEngine
    ingestor: Intake
    clock: FakeClock
    google: FakeCalendar
    outlook: FakeCalendar

    def submit_call(self, **overrides) -> str:
        """Deliver a call the way the webhook receiver does (stored on the ingest thread, then announced)."""
        body = payload(**overrides)
        self.ingestor.receive(Delivery("generic", json.dumps(body).encode(), {}, "file://test", self.clock()),
                              trusted=True)
        return body["call_id"]

    def sync_in_background(self) -> threading.Thread:
        """One sync cycle on a worker thread, as the scheduler runs it."""
        thread = threading.Thread(target=self.engine.run_cycle, name="test-sync", daemon=True)
        thread.start()
        return thread


@pytest.fixture
def desk(store, profile, clock) -> Desk:
    bus = events.EventBus()
    google, outlook = FakeCalendar(kind="google"), FakeCalendar(kind="outlook")
    targets = [CalendarTarget("google:primary", google, "primary", "Google Calendar"),
               CalendarTarget("outlook:default", outlook, "", "Outlook")]
    engine = SyncEngine(store, profile, targets, calendars=CALENDARS, bus=bus, clock=clock, rng=random.Random(1))
    ingestor = Intake(store, location_rules(profile), bus, lambda key: None, clock=clock)
    receiver = SimpleNamespace(url="http://127.0.0.1:8765/webhooks/v1/calls", rejections={})  # never listens
    service = ConsoleService(store, profile, bus, CALENDARS, clock=clock, engine=engine, is_leader=lambda: True,
                             intake=ingestor, webhook=receiver)
    ingestor.start()
    yield Desk(profile, store, bus, service, engine, ingestor, clock, google, outlook)
    ingestor.stop()

