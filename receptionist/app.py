"""Composition root: profile + database + secrets → store, providers, services, workers. No globals elsewhere."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from datetime import datetime, timezone

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.ports import Messenger, SecretStore
from receptionist.errors import UserError
from receptionist.ingest.intake import Intake
from receptionist.ingest.receiver import WebhookReceiver
from receptionist.ingest.signing import SECRET_KEY
from receptionist.services import ConsoleService, location_rules
from receptionist.store.db import make_engine, upgrade
from receptionist.store import Store
from receptionist.sync.engine import CalendarTarget, SyncEngine
from receptionist.sync.scheduler import SyncScheduler

if TYPE_CHECKING:
    from receptionist.ingest.polling import PollingScheduler

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def enabled_calendars(profile: Profile) -> dict[str, str]:
    """Every calendar the profile enables, connected or not, by link key → label. Links are owed to each."""
    out = {}
    if profile.google.enabled:
        out[f"google:{profile.google.calendar_id}"] = "Google Calendar"
    if profile.outlook.enabled:
        out[f"outlook:{profile.outlook.calendar_id or 'default'}"] = "Outlook"
    return out


def calendar_targets(profile: Profile, secrets: SecretStore) -> tuple[list[CalendarTarget], dict[str, str]]:
    """Connected calendars, and for each enabled-but-unusable one the reason (shown in the health view)."""
    targets: list[CalendarTarget] = []
    problems: dict[str, str] = {}
    if profile.google.enabled:
        key = f"google:{profile.google.calendar_id}"
        try:
            from receptionist.providers.google_calendar import google_provider

            targets.append(CalendarTarget(key, google_provider(profile.google, secrets), profile.google.calendar_id,
                                          "Google Calendar"))
        except UserError as exc:
            problems[key] = str(exc)
    if profile.outlook.enabled:
        key = f"outlook:{profile.outlook.calendar_id or 'default'}"
        try:
            from receptionist.providers.outlook_calendar import outlook_provider

            targets.append(CalendarTarget(key, outlook_provider(profile.outlook, secrets,
                                                                all_day_zone=profile.location.time_zone),
                                          profile.outlook.calendar_id, "Outlook"))
        except UserError as exc:
            problems[key] = str(exc)
    return targets, problems


def messenger_for(profile: Profile, secrets: SecretStore) -> Messenger | None:
    if not profile.twilio.enabled:
        return None
    from receptionist.providers.twilio_messaging import twilio_messenger

    return twilio_messenger(profile.twilio, secrets)


def confirmers_for(profile: Profile, secrets: SecretStore) -> dict:
    """Read-back of deliveries whose signature does not cover the body (Synthflow)."""
    from receptionist.ingest.polling import synthflow_read_back

    return {"synthflow": synthflow_read_back(profile.synthflow, lambda: _secret(secrets, "synthflow.api_key"))}


def polling_scheduler(profile: Profile, secrets: SecretStore, intake: Intake, clock) -> "PollingScheduler | None":
    """The polling sources the profile switches on (``vapi.poll`` ...), on one background scheduler."""
    from receptionist.ingest.polling import PollingScheduler, sources_for

    sources = sources_for(profile, lambda key: _secret(secrets, key), intake, clock)
    return PollingScheduler(sources) if sources else None


def _secret(secrets: SecretStore, key: str) -> str | None:
    try:
        return secrets.get(key)
    except UserError:
        return None


@dataclass
class Adapters:
    """The outside world a desk talks to, built from the profile and the keyring (``build_adapters``), or fakes
    handed in by a test (``App.assemble``)."""

    targets: list[CalendarTarget]  # connected calendars
    problems: dict[str, str]  # why an enabled integration is unusable (calendar keys, "twilio", "webhook")
    messenger: Messenger | None = None
    secret_for: Callable[[str], str | None] = lambda key: None  # signing secrets of the AI platforms
    confirmers: dict = field(default_factory=dict)  # read-back of deliveries the signature does not cover
    polling_for: Callable[[Intake], "PollingScheduler | None"] = lambda intake: None  # sources feeding the intake


def build_adapters(profile: Profile, secrets: SecretStore, clock: Callable[[], datetime] = utcnow) -> Adapters:
    """The real adapters: calendars, Twilio, the platforms' secrets and read-backs, polling sources."""
    targets, problems = calendar_targets(profile, secrets)
    try:
        messenger = messenger_for(profile, secrets)
    except UserError as exc:  # SMS off until fixed; bookings and calendars carry on
        messenger, problems["twilio"] = None, str(exc)

    def secret_for(key: str) -> str | None:
        try:
            return secrets.get(key)
        except UserError as exc:  # no usable keyring: refuse calls (503) rather than crash
            problems["webhook"] = str(exc)
            return None

    return Adapters(targets, problems, messenger, secret_for, confirmers_for(profile, secrets),
                    lambda intake: polling_scheduler(profile, secrets, intake, clock))


def settle_heap() -> None:
    """Once the desk runs: collect, then move everything made so far into the collector's permanent generation
    (``gc.freeze``).

    A full collection scans every tracked object while holding the interpreter lock, whichever thread sets it off,
    and every other thread waits: the door, the mapper, and the window. With the start-up heap in every scan
    (~135,000 objects: modules, mappers, compiled queries, the window's Qt wrappers, the calendar clients'
    discovery documents) one took ~30 ms under intake load and 100-160 ms during a sync cycle on a desk's ten
    years (``bench/panel_latency.py --stages``, ``bench/gui_freeze.py``). What start-up made lives as long as the
    desk, so nothing is lost by never scanning it again."""
    gc.collect()
    gc.freeze()


@dataclass
class App:
    """Everything one desk runs. ``start()`` starts the webhook receiver, the ingest worker, the polling sources and
    the sync thread. ``build`` makes the real adapters; ``assemble`` puts any adapters together (tests)."""

    profile: Profile
    store: Store
    secrets: SecretStore
    bus: events.EventBus
    service: ConsoleService
    engine: SyncEngine
    scheduler: SyncScheduler
    ingestor: Intake  # the durable intake: the door and the inbox worker
    receiver: WebhookReceiver | None
    problems: dict[str, str] = field(default_factory=dict)
    polling: "PollingScheduler | None" = None
    _starting: threading.Thread | None = field(default=None, init=False, repr=False)

    @classmethod
    def build(cls, profile: Profile, db_url: str, secrets: SecretStore, *, with_receiver: bool = True,
              clock: Callable[[], datetime] = utcnow) -> "App":
        engine = make_engine(db_url)
        upgrade(engine)
        return cls.assemble(profile, Store(engine), secrets, build_adapters(profile, secrets, clock),
                            with_receiver=with_receiver, clock=clock)

    @classmethod
    def assemble(cls, profile: Profile, store: Store, secrets: SecretStore, adapters: Adapters, *,
                 with_receiver: bool = True, clock: Callable[[], datetime] = utcnow,
                 rng=None) -> "App":
        """A desk from its parts: the store and the adapters (real, or fakes in a test)."""
        bus = events.EventBus()
        problems = adapters.problems
        calendars = enabled_calendars(profile)
        for target in adapters.targets:  # a test may hand in calendars the profile does not enable
            calendars.setdefault(target.key, target.label)
        sync = SyncEngine(store, profile, adapters.targets, calendars=calendars, problems=problems,
                          messenger=adapters.messenger, bus=bus, clock=clock, rng=rng)
        scheduler = SyncScheduler(sync, profile.sync.interval_seconds, profile.sync.reconcile_interval_minutes)
        ing = profile.ingest
        from receptionist.ingest.platforms import build_adapters as platform_adapters

        # each platform's replay window is a profile option (<platform>.replay_window_seconds)
        intake = Intake(store, location_rules(profile), bus, adapters.secret_for,
                        adapters=platform_adapters(profile), clock=clock,
                        queue_size=ing.queue_size, batch_size=ing.batch_size, max_body_bytes=ing.max_body_bytes,
                        confirmers=adapters.confirmers, calendar_labels=calendars,
                        store_wait_seconds=ing.store_wait_seconds)
        receiver = WebhookReceiver(profile.ingest, intake) if with_receiver else None
        service = ConsoleService(store, profile, bus, calendars, clock=clock, wake_sync=scheduler.wake,
                                 sms_enabled=adapters.messenger is not None, engine=sync, problems=problems,
                                 is_leader=lambda: scheduler.is_leader, intake=intake, webhook=receiver,
                                 secrets=secrets)
        if receiver is not None and not adapters.secret_for(SECRET_KEY):
            problems.setdefault("webhook", "calls are refused until a signing secret is set: "
                                           "receptionist secret set ingest.webhook_secret")
        app = cls(profile, store, secrets, bus, service, sync, scheduler, intake, receiver, problems,
                  adapters.polling_for(intake))
        service.reconnector = app.reconnect
        return app

    def reconnect(self, key: str, open_url: Callable[[str], None]) -> str:
        """Run the sign-in flow of one enabled calendar (the browser opens through ``open_url``), then put it back
        in service: its links waiting for sign-in are pushed at the next cycle. Returns a sentence for the person."""
        kind = key.split(":", 1)[0]
        if key not in self.service.calendars:
            raise UserError(f"no calendar {key!r} is enabled in the profile")
        if kind == "google":
            from receptionist.providers.google_oauth import connect_google

            said = connect_google(self.profile.google, self.secrets, open_url=open_url)
        else:
            from receptionist.providers.microsoft_auth import connect_outlook

            said = f"Outlook connected as {connect_outlook(self.profile.outlook, self.secrets, open_url=open_url)}"
        targets, problems = calendar_targets(self.profile, self.secrets)
        target = next((t for t in targets if t.key == key), None)
        if target is None:
            raise UserError(problems.get(key) or f"{key} is still not usable after signing in")
        self.engine.targets[key] = target
        self.problems.pop(key, None)
        self.store.health.reopen(key, self.engine.clock())
        self.bus.publish(events.HEALTH_CHANGED)
        self.bus.publish(events.LINK_CHANGED)
        self.scheduler.wake()
        return said

    def start(self, *, sync: bool = True, busy_port_fatal: bool = True) -> "App":
        self.ingestor.start()
        if self.receiver is not None:
            try:
                self.receiver.start()
            except UserError as exc:  # the port is taken (another console?)
                if busy_port_fatal:
                    raise
                self.problems["webhook"] = str(exc)
        if sync:
            self.scheduler.start()
        if self.polling is not None:
            self.polling.start()
        settle_heap()
        self.bus.publish(events.HEALTH_CHANGED)  # the webhook pill: listening now (or why not)
        return self

    def start_in_background(self) -> threading.Thread:
        """``start`` on a thread of its own, for the window: it is shown first and the desk's workers (the
        receiver's server, the scheduler, their imports) come up while it paints. A port already taken is not
        fatal there: the webhook pill says so and the rest runs. ``stop`` waits for it."""
        self._starting = threading.Thread(target=lambda: self.start(busy_port_fatal=False), name="start",
                                          daemon=True)
        self._starting.start()
        return self._starting

    def stop(self) -> None:
        if self._starting is not None:
            self._starting.join()
        if self.polling is not None:
            self.polling.stop()
        if self.receiver is not None:
            self.receiver.stop()
        self.ingestor.stop()
        self.scheduler.stop()
        self.store.engine.dispose()
