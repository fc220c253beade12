"""Composition root: profile + database + secrets → store, providers, services, workers. No globals elsewhere."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.ports import Messenger, SecretStore
from receptionist.errors import UserError
from receptionist.ingest.receiver import CallIngestor, WebhookReceiver
from receptionist.ingest.signing import SECRET_KEY
from receptionist.services import ConsoleService, location_rules
from receptionist.store.db import make_engine, upgrade
from receptionist.store.repo import Store
from receptionist.sync.engine import CalendarTarget, SyncEngine
from receptionist.sync.scheduler import SyncScheduler

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


@dataclass
class App:
    """Everything one desk runs. ``start()`` starts the webhook receiver, the ingest worker and the sync thread."""

    profile: Profile
    store: Store
    secrets: SecretStore
    bus: events.EventBus
    service: ConsoleService
    engine: SyncEngine
    scheduler: SyncScheduler
    ingestor: CallIngestor
    receiver: WebhookReceiver | None
    problems: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, profile: Profile, db_url: str, secrets: SecretStore, *, with_receiver: bool = True,
              clock: Callable[[], datetime] = utcnow) -> "App":
        engine = make_engine(db_url)
        upgrade(engine)
        store = Store(engine)
        bus = events.EventBus()
        targets, problems = calendar_targets(profile, secrets)
        try:
            messenger = messenger_for(profile, secrets)
        except UserError as exc:  # SMS off until fixed; bookings and calendars carry on
            messenger, problems["twilio"] = None, str(exc)
        calendars = enabled_calendars(profile)
        sync = SyncEngine(store, profile, targets, calendars=calendars, problems=problems, messenger=messenger,
                          bus=bus, clock=clock)
        scheduler = SyncScheduler(sync, profile.sync.interval_seconds, profile.sync.reconcile_interval_minutes)
        service = ConsoleService(store, profile, bus, calendars, clock=clock, wake_sync=scheduler.wake,
                                 sms_enabled=messenger is not None, engine=sync, problems=problems,
                                 is_leader=lambda: scheduler.is_leader)
        ingestor = CallIngestor(store, location_rules(profile), bus, clock)
        def webhook_secret() -> str | None:
            try:
                return secrets.get(SECRET_KEY)
            except UserError as exc:  # no usable keyring: refuse calls (503) rather than crash
                problems["webhook"] = str(exc)
                return None

        receiver = WebhookReceiver(profile.ingest, webhook_secret, ingestor) if with_receiver else None
        if receiver is not None and not webhook_secret():
            problems.setdefault("webhook", "calls are refused until a signing secret is set: "
                                           "receptionist secret set ingest.webhook_secret")
        app = cls(profile, store, secrets, bus, service, sync, scheduler, ingestor, receiver, problems)
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
        self.store.reopen_calendar(key, self.engine.clock())
        self.bus.publish(events.HEALTH_CHANGED)
        self.bus.publish(events.LINK_CHANGED)
        self.scheduler.wake()
        return said

    def start(self, *, sync: bool = True) -> "App":
        self.ingestor.start()
        if self.receiver is not None:
            self.receiver.start()
        if sync:
            self.scheduler.start()
        return self

    def stop(self) -> None:
        if self.receiver is not None:
            self.receiver.stop()
        self.ingestor.stop()
        self.scheduler.stop()
        self.store.engine.dispose()
