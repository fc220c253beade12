"""A desk for UI tests: SQLite store, two FakeCalendar targets, a FakeClock, the real capabilities, sync engine and
intake.

``App.assemble`` builds a desk from any outside world (``App.build`` hands it the real one;
tests/ingest/test_app_intake.py hands it fakes). ``TestDesk`` wires the same pieces by hand instead, leaving out what a
UI test drives itself or must not start: no ``SyncScheduler`` (the test runs ``sync_engine.run_cycle``, or
``sync_in_background``), no webhook receiver (a stand-in that never listens: calls come through the intake's door and
worker with ``submit_call``), the default platform adapters with no signing secrets, no messenger (SMS off unless the
test is marked ``sms``), no polling, a sign-in a test scripts (``reconnector``), and this desk always the leader. The
window is built from ``desk.desk`` and ``desk.bus``, as ``run_gui`` builds it from the App's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
import random
import threading
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from receptionist import events
from receptionist.config import Profile
from receptionist.ingest.intake import Intake
from receptionist.ingest.platforms import Delivery
from receptionist.errors import UserError
from receptionist.services import Desk, DeskContext
from receptionist.services.context import location_rules
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
    problems: dict[str, str]  # what the desk's problems view reads (App.problems)
    reconnector: Callable[..., str] | None = None  # the sign-in flow a test scripts (key, open_url, **how)

    def sign_in(self, key: str, open_url: Callable[[str], None], **how) -> str:
        if self.reconnector is None:
            raise UserError("signing in is not available in this test")
        return self.reconnector(key, open_url, **how)

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


@pytest.fixture(autouse=True)
def no_modal_boxes(monkeypatch) -> None:
    """A message box nobody expected fails the test with its text: offscreen, its modal loop would wait for a
    click for ever (a test that expects one patches it itself)."""
    from PySide6.QtWidgets import QMessageBox

    def unexpected(*args, **_kwargs):
        texts = [a for a in args if isinstance(a, str)] or ([args[0].text()] if args else [])
        raise AssertionError(f"an unexpected modal message box: {' — '.join(texts)}")

    for name in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(unexpected))
    monkeypatch.setattr(QMessageBox, "exec", unexpected)


@pytest.fixture(autouse=True)
def sounds(monkeypatch) -> list[str]:
    """The tray's sound is off in tests: each beep (and taskbar alert) is written down here instead."""
    from receptionist.ui.shell import DeskTray

    heard: list[str] = []
    monkeypatch.setattr(DeskTray, "beep", staticmethod(lambda: heard.append("beep")))
    monkeypatch.setattr(DeskTray, "flash", staticmethod(lambda _window, *_ms: heard.append("flash")))
    return heard


@pytest.fixture
def desk(request, store, profile, clock) -> TestDesk:
    bus = events.EventBus()
    google, outlook = FakeCalendar(kind="google"), FakeCalendar(kind="outlook")
    targets = [CalendarTarget("google:primary", google, "primary", "Google Calendar"),
               CalendarTarget("outlook:default", outlook, "", "Outlook")]
    engine = SyncEngine(store, profile, targets, calendars=CALENDARS, bus=bus, clock=clock, rng=random.Random(1))
    ingestor = Intake(store, location_rules(profile), bus, lambda key: None, clock=clock)
    receiver = SimpleNamespace(url="http://127.0.0.1:8765/webhooks/v1/calls", rejections={})  # never listens
    problems: dict[str, str] = {}
    context = DeskContext.of(store, profile, bus, CALENDARS, clock, problems=problems,
                             sms_enabled=request.node.get_closest_marker("sms") is not None)
    test_desk = TestDesk(profile, store, bus, None, engine, ingestor, clock, google, outlook, problems)
    test_desk.desk = Desk(context, engine=engine, intake=ingestor, webhook=receiver, sign_in=test_desk.sign_in,
                          is_leader=lambda: True)
    ingestor.start()
    yield test_desk
    ingestor.stop()

