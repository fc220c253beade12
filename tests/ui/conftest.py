"""A desk for UI tests: SQLite store, two FakeCalendar targets, a FakeClock, the real service, engine and ingestor.

``App.build`` needs real providers, so ``Desk`` assembles the pieces directly; the window is built from
``desk.desk`` and ``desk.bus``, as ``run_gui`` builds it from the App's.
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
from receptionist.services import Desk
from receptionist.services.context import location_rules
from tests.helpers.desk import make_desk
from receptionist.store import Store
from receptionist.sync.engine import CalendarTarget, SyncEngine
from tests.helpers.fakes import FakeCalendar, FakeClock
from tests.helpers.payloads import payload

CALENDARS = {"google:primary": "Google Calendar", "outlook:default": "Outlook"}


@dataclass
class TestDesk:
    profile: Profile
    store: Store
    bus: events.EventBus
    desk: Desk
    sync_engine: SyncEngine
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
        thread = threading.Thread(target=self.sync_engine.run_cycle, name="test-sync", daemon=True)
        thread.start()
        return thread


@pytest.fixture
def desk(store, profile, clock) -> TestDesk:
    bus = events.EventBus()
    google, outlook = FakeCalendar(kind="google"), FakeCalendar(kind="outlook")
    targets = [CalendarTarget("google:primary", google, "primary", "Google Calendar"),
               CalendarTarget("outlook:default", outlook, "", "Outlook")]
    engine = SyncEngine(store, profile, targets, calendars=CALENDARS, bus=bus, clock=clock, rng=random.Random(1))
    ingestor = Intake(store, location_rules(profile), bus, lambda key: None, clock=clock)
    receiver = SimpleNamespace(url="http://127.0.0.1:8765/webhooks/v1/calls", rejections={})  # never listens
    capabilities = make_desk(store, profile, bus, CALENDARS, clock=clock, engine=engine, is_leader=lambda: True,
                             intake=ingestor, webhook=receiver)
    ingestor.start()
    yield TestDesk(profile, store, bus, capabilities, engine, ingestor, clock, google, outlook)
    ingestor.stop()

