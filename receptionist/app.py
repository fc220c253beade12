"""Composition root: profile + database + secrets → store, providers, services, workers. No globals elsewhere."""

from __future__ import annotations

import logging
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
from receptionist.store.repo import Store
from receptionist.sync.engine import CalendarTarget, Health, SyncEngine
from receptionist.sync.scheduler import SyncScheduler

if TYPE_CHECKING:
    from receptionist.ingest.polling import PollingScheduler

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


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

            targets.append(CalendarTarget(key, outlook_provider(profile.outlook, secrets),
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
class App:
    """Everything one desk runs. ``start()`` starts the webhook receiver, the ingest worker and the sync thread."""

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
    closers: list[Callable[[], None]] = field(default_factory=list)

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
        sync = SyncEngine(store, profile, targets, messenger=messenger, bus=bus, clock=clock)
        for key, reason in problems.items():
            sync.health[key] = Health(ok=False, last_error=reason, last_error_at=clock())
        scheduler = SyncScheduler(sync, profile.sync.interval_seconds)
        def secret_for(key: str) -> str | None:
            try:
                return secrets.get(key)
            except UserError as exc:  # no usable keyring: refuse calls (503) rather than crash
                problems["webhook"] = str(exc)
                return None

        ing = profile.ingest
        from receptionist.ingest.platforms import build_adapters

        # our own payload's window is a profile option; each platform keeps the window its own SDK uses
        adapters = build_adapters({"generic": ing.replay_window_seconds})
        ingestor = Intake(store, location_rules(profile), bus, secret_for, adapters=adapters, clock=clock,
                          queue_size=ing.queue_size,
                          batch_size=ing.batch_size, max_body_bytes=ing.max_body_bytes,
                          confirmers=confirmers_for(profile, secrets))
        service = ConsoleService(store, profile, bus, [t.key for t in targets], clock=clock,
                                 wake_sync=scheduler.wake, sms_enabled=messenger is not None, intake=ingestor)
        receiver = WebhookReceiver(profile.ingest, ingestor) if with_receiver else None
        if receiver is not None and not secret_for(SECRET_KEY):
            problems.setdefault("webhook", "calls are refused until a signing secret is set: "
                                           "receptionist secret set ingest.webhook_secret")
        polling = polling_scheduler(profile, secrets, ingestor, clock)
        app = cls(profile, store, secrets, bus, service, sync, scheduler, ingestor, receiver, problems)
        app.polling = polling
        return app

    def start(self, *, sync: bool = True) -> "App":
        self.ingestor.start()
        if self.receiver is not None:
            self.receiver.start()
        if sync:
            self.scheduler.start()
        if self.polling is not None:
            self.polling.start()
        return self

    def stop(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception:
                log.exception("error while stopping")
        if self.polling is not None:
            self.polling.stop()
        if self.receiver is not None:
            self.receiver.stop()
        self.ingestor.stop()
        self.scheduler.stop()
        self.store.engine.dispose()
