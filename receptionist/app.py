"""Composition root: profile + database + secrets → store, providers, services, workers. No globals elsewhere."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.ports import Dialer, Messenger, ProviderMemory, SecretStore
from receptionist.errors import UserError
from receptionist.ingest.intake import Intake
from receptionist.ingest.platforms import platform_adapters
from receptionist.ingest.receiver import WebhookReceiver
from receptionist.ingest.signing import SECRET_KEY
from receptionist.ingest.sms_replies import STATUS_PATH, SmsReplies
from receptionist.services import Desk, DeskContext
from receptionist.services.context import location_rules
from receptionist.store import Store
from receptionist.store.changes import ChangeWatcher
from receptionist.store.db import make_engine, upgrade
from receptionist.sync.engine import CalendarTarget, SyncEngine
from receptionist.sync.reminders import reminder_planner
from receptionist.sync.scheduler import SyncScheduler

if TYPE_CHECKING:
    from receptionist.ingest.polling import PollingScheduler
    from receptionist.services.settings import Applied

log = logging.getLogger(__name__)

TWILIO_TOKEN = "twilio.auth_token"  # the keyring key (providers.twilio_messaging.SECRET_KEY), read for the validator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def enabled_calendars(profile: Profile) -> dict[str, str]:
    """Every calendar the profile enables, connected or not, by link key → label. Links are owed to each."""
    out = {}
    if profile.google.enabled:
        out[f"google:{profile.google.calendar_id}"] = "Google Calendar"
    if profile.outlook.enabled:
        out[f"outlook:{profile.outlook.calendar_id or 'default'}"] = "Outlook"
    if profile.caldav.enabled:
        out[caldav_key(profile)] = "CalDAV"
    return out


def caldav_key(profile: Profile) -> str:
    """The CalDAV calendar's link key: ``caldav:`` and the calendar's name as the server lists it."""
    return f"caldav:{profile.caldav.calendar_name or 'calendar'}"


def calendar_targets(profile: Profile, secrets: SecretStore, memory: ProviderMemory | None = None
                     ) -> tuple[list[CalendarTarget], dict[str, str]]:
    """Connected calendars, and for each enabled-but-unusable one the reason (shown in the health view); ``memory``
    is where a provider keeps what it must remember across restarts (the store's)."""
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
    if profile.caldav.enabled:
        key = caldav_key(profile)
        try:
            from receptionist.providers.caldav_calendar import caldav_provider

            targets.append(CalendarTarget(key, caldav_provider(profile.caldav, secrets,
                                                               all_day_zone=profile.location.time_zone,
                                                               memory=memory),
                                          profile.caldav.calendar_url, "CalDAV"))
        except UserError as exc:
            problems[key] = str(exc)
    return targets, problems


def messenger_for(profile: Profile, secrets: SecretStore) -> Messenger | None:
    if not profile.twilio.enabled:
        return None
    from receptionist.providers.twilio_messaging import twilio_messenger

    base = profile.ingest.public_base_url.rstrip("/")  # where Twilio can reach this desk, when it can
    return twilio_messenger(profile.twilio, secrets, status_callback=base + STATUS_PATH if base else None)


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
class OutsideWorld:
    """The outside world a desk talks to, built from the profile and the keyring (``outside_world``), or fakes
    handed in by a test (``App.assemble``)."""

    targets: list[CalendarTarget]  # connected calendars
    problems: dict[str, str]  # why an enabled integration is unusable (calendar keys, "twilio", "webhook")
    messenger: Messenger | None = None
    dialer: Dialer | None = None  # Twilio Voice (the same client as the messenger): the owner's Call back
    secret_for: Callable[[str], str | None] = lambda key: None  # signing secrets of the AI platforms
    confirmers: dict = field(default_factory=dict)  # read-back of deliveries the signature does not cover
    polling_for: Callable[[Intake], "PollingScheduler | None"] = lambda intake: None  # sources feeding the intake
    messenger_for: Callable[[Profile], Messenger | None] = lambda profile: None  # Twilio, rebuilt by Settings


def outside_world(profile: Profile, secrets: SecretStore, clock: Callable[[], datetime] = utcnow,
                  memory: ProviderMemory | None = None) -> OutsideWorld:
    """The real adapters: calendars, Twilio, the platforms' secrets and read-backs, polling sources."""
    targets, problems = calendar_targets(profile, secrets, memory)
    try:
        messenger = messenger_for(profile, secrets)
    except UserError as exc:  # SMS off until fixed; bookings and calendars carry on
        messenger, problems["twilio"] = None, str(exc)

    def secret_for(key: str) -> str | None:
        try:
            return secrets.get(key)
        except UserError:  # no usable keyring: refuse calls (503) rather than crash
            problems["webhook"] = ("Calls are refused: the OS keyring is not available, so the AI platform's secret "
                                   "cannot be read. Unlock the keyring (or install one), then restart the console.")
            return None

    return OutsideWorld(targets, problems, messenger, messenger, secret_for, confirmers_for(profile, secrets),
                        lambda intake: polling_scheduler(profile, secrets, intake, clock),
                        lambda new: messenger_for(new, secrets))


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
class CalendarSignIn:
    """Signs one enabled calendar in (the browser opens through ``open_url``) and puts it back in service at once:
    the sync engine gets the new connection, the calendar's gate reopens and its links waiting for sign-in are
    pushed at the next cycle, which is woken. The window's Reconnect… (``CalendarHealth.reconnect``).

    A sign-in stored by any other path (``receptionist connect``, ``receptionist secret set
    google.refresh_token``, another desk's window) is picked up by ``pick_up``, which the sync thread runs before
    each cycle: a calendar waiting for sign-in whose stored sign-in changed is put back in service the same way."""

    profile: Profile
    secrets: SecretStore
    store: Store
    bus: events.EventBus
    sync_engine: SyncEngine
    problems: dict[str, str]
    wake_sync: Callable[[], None]
    _known: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)

    def __call__(self, key: str, open_url: Callable[[str], None], *, device_code: bool = False,
                 on_code: Callable[[str, str], None] | None = None, stop: threading.Event | None = None) -> str:
        """``device_code``: Outlook's sign-in with a code typed on any device (``on_code(address, code)`` shows
        them); ``stop``: set by Cancel, the flow ends at once."""
        kind = key.split(":", 1)[0]
        if key not in self.sync_engine.calendars:
            raise UserError(f"no calendar {key!r} is enabled in the profile")
        if kind == "google":
            from receptionist.providers.google_oauth import connect_google

            if device_code:
                raise UserError("Google offers no sign-in code for calendars: open the address in a browser on "
                                "this computer")
            said = connect_google(self.profile.google, self.secrets, open_url=open_url, stop=stop)
        elif kind == "caldav":  # an app password, not a browser: `receptionist connect caldav` put it in the keyring
            said = "CalDAV sign-in read again from the keyring"
        else:
            from receptionist.providers.microsoft_auth import connect_outlook

            account = connect_outlook(self.profile.outlook, self.secrets, open_url=open_url, device_code=device_code,
                                      on_code=on_code, stop=stop)
            said = f"Outlook connected as {account}"
        self._adopt(key)
        return said

    def _adopt(self, key: str) -> None:
        """Put ``key`` back in service with the sign-in the keyring holds now; UserError if it is not usable."""
        self._known[key] = self._stored(key)
        targets, problems = calendar_targets(self.profile, self.secrets, self.store.provider_memory)
        target = next((t for t in targets if t.key == key), None)
        if target is None:
            raise UserError(problems.get(key) or f"{key} is still not usable after signing in")
        self.sync_engine.targets[key] = target
        self.problems.pop(key, None)
        self.store.health.reopen(key, self.sync_engine.clock())
        log.info("%s: signed in; back in service", key)
        self.bus.publish(events.HEALTH_CHANGED)
        self.bus.publish(events.LINK_CHANGED)
        self.wake_sync()

    def _stored(self, key: str) -> str | None:
        """A fingerprint of the sign-in the keyring holds for ``key`` (never the secret itself)."""
        import hashlib

        if key.startswith("google:"):
            from receptionist.providers.google_calendar import CLIENT_SECRET_KEY, REFRESH_TOKEN_KEY

            names = (REFRESH_TOKEN_KEY, CLIENT_SECRET_KEY)
        else:
            from receptionist.providers.microsoft_auth import CACHE_KEY

            names = (CACHE_KEY,)
        try:
            values = [self.secrets.get(name) or "" for name in names]
        except UserError:  # no keyring: nothing new can have been stored
            return None
        return hashlib.sha256("\0".join(values).encode()).hexdigest() if any(values) else None

    def pick_up(self) -> None:
        """Before a sync cycle: each calendar waiting for sign-in (not connected, or its sign-in refused) whose
        stored sign-in changed since this desk last used it (or that this process has not tried yet) is put back
        in service at once."""
        health = self.store.health.all()
        for key in self.sync_engine.calendars:
            row = health.get(key)
            waiting = key not in self.sync_engine.targets or (row is not None and row.gate == "reconnect")
            if not waiting:  # in service: the keyring is not read (every tick, on every desk)
                continue
            stored = self._stored(key)
            known = self._known.get(key)  # nothing known yet (this process just started): try what is stored
            if stored is None or stored == known:
                self._known[key] = stored
                continue
            try:
                self._adopt(key)
            except UserError as exc:
                log.warning("%s: a new sign-in was stored, but it cannot be used: %s", key, exc)


#: the parts of the profile the running desk re-reads on Save, and what the others wait for (said per part)
_AT_RESTART = {
    "polling": "Fetching calls from the platform starts or stops when the console starts again.",
    "sync_timing": "How often calendars are synced changes when the console starts again.",
}
_POLL_PARTS = ("vapi", "retell", "elevenlabs", "synthflow")
ON_CALL_JOB = "on-call-refresh"  # the leader reads the on-call calendar (``OnCallDesk.refresh``)
_ON_CALL_OPTIONS = {"on_call_calendar", "on_call_refresh_minutes"}  # taken live by ``LiveSettings._on_call``


@dataclass
class LiveSettings:
    """A saved profile taken into the running desk (``desk.settings.apply``): the receiver rebinds when its address
    changed, the sync engine re-reads which calendars it writes to (and the desk owes links to the new set), the
    replay windows and sync limits are re-read; the time zone, hours, services and country reach every capability,
    the intake and the reminders at once (``DeskContext.adopt``); Twilio is rebuilt (``messenger_for``: texts and
    Call back's dialer) and text replies are taken or refused; everything else is said to wait for the next start."""

    profile: Profile
    secrets: SecretStore
    bus: events.EventBus
    sync_engine: SyncEngine
    intake: Intake
    receiver: WebhookReceiver | None
    calendars: dict[str, str]  # the desk context's own (read-only there), changed in place
    problems: dict[str, str]
    sign_in: "CalendarSignIn"
    wake_sync: Callable[[], None]
    context: DeskContext
    messenger_for: Callable[[Profile], Messenger | None]  # raises UserError when Twilio is on but unusable
    replies_for: Callable[[Profile], SmsReplies | None]
    jobs: SyncScheduler | None = None  # the leader's jobs: the on-call refresh's interval, a read now
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, new: Profile) -> "Applied":
        from receptionist.services.settings import Applied

        with self.lock:
            old, self.profile = self.profile, new
            live: list[str] = []
            later: list[str] = []
            changed = {part for part, values in new.model_dump().items() if values != old.model_dump()[part]}
            if changed & {"location", "availability", "reminders", "twilio", "people", "events", "health"}:
                live.append(self._rules(old, new, changed))
            if old.availability.model_dump(include=_ON_CALL_OPTIONS) != \
                    new.availability.model_dump(include=_ON_CALL_OPTIONS):
                live.append(self._on_call(old, new))
            if "ingest" in changed:
                self.intake.adapters = platform_adapters(new)
                live.append(self._rebind(old, new))
            if changed & set(_POLL_PARTS):
                self.intake.adapters = platform_adapters(new)
                if any(getattr(old, p).model_dump(include={"poll", "interval_seconds", "page_size", "api_base"})
                       != getattr(new, p).model_dump(include={"poll", "interval_seconds", "page_size", "api_base"})
                       for p in _POLL_PARTS if p != "synthflow"):
                    later.append(_AT_RESTART["polling"])
            if changed & {"google", "outlook", "caldav"}:
                live.append(self._calendars(old, new))
            if "sync" in changed:
                self.sync_engine.profile = new  # sync windows and attempts are read per cycle
                if (old.sync.interval_seconds, old.sync.reconcile_interval_minutes) != \
                        (new.sync.interval_seconds, new.sync.reconcile_interval_minutes):
                    later.append(_AT_RESTART["sync_timing"])
        self.bus.publish(events.HEALTH_CHANGED)
        return Applied(tuple(s for s in live if s), tuple(later))

    def _rules(self, old: Profile, new: Profile, changed: set[str]) -> str:
        """The location's rules (zone, hours, closures, services, country, length), the people and the texts, into
        every part that reads them: the desk's capabilities, the intake, the reminders, the text replies."""
        self.context.adopt(new)
        self.intake.rules = self.context.rules
        self.sync_engine.profile, self.sync_engine.template = new, self.context.template
        said = []
        if "twilio" in changed:
            close = getattr(self.sync_engine.messenger, "close", None)
            try:
                messenger = self.messenger_for(new)
                self.problems.pop("twilio", None)
            except UserError as exc:
                messenger, self.problems["twilio"] = None, str(exc)
            if close is not None:
                close()
            self.sync_engine.messenger = self.sync_engine.outbox.messenger = messenger
            # Call back rings through the same client (``outside_world``: one Twilio client texts and dials)
            dialer = messenger if callable(getattr(messenger, "connect_call", None)) else None
            self.context.adopt(new, sms_enabled=messenger is not None, dialer=dialer)
            said.append("Texts and Call back go through Twilio now." if messenger is not None else
                        f"Texts are not sent: {self.problems['twilio']}" if "twilio" in self.problems else
                        "Texts are off.")
        if self.receiver is not None:
            self.receiver.replies = self.replies_for(new)
        self.sync_engine.outbox.reminders = reminder_planner(self.sync_engine.store, new)
        if old.location.time_zone != new.location.time_zone:
            said.append(f"Times are now in {new.location.time_zone.replace('_', ' ')}.")
        if (old.location.model_dump(exclude={"name", "id", "time_zone"}) !=
                new.location.model_dump(exclude={"name", "id", "time_zone"}) or
                old.availability.model_dump(exclude=_ON_CALL_OPTIONS) !=
                new.availability.model_dump(exclude=_ON_CALL_OPTIONS)):
            said.append("The new hours and services are in use.")
        if "events" in changed:
            said.append("Events written to the calendars from now on use the new wording.")
        if "reminders" in changed:
            said.append("Reminders follow the new settings." if new.reminders.enabled else "Reminders are off.")
        if "health" in changed:
            said.append("The health checks and alerts follow the new settings.")
        return " ".join(said)

    def _on_call(self, old: Profile, new: Profile) -> str:
        """The on-call calendar or how often it is read, after ``_rules`` gave the desk the new profile: the
        leader's job takes the new interval, and a new calendar is read now (until then its answer would be "not
        read yet"); every refresh reads the calendar named by the current profile."""
        was, now = old.availability, new.availability
        if self.jobs is None:
            return ""
        if was.on_call_refresh_minutes != now.on_call_refresh_minutes:
            self.jobs.reschedule(ON_CALL_JOB, now.on_call_refresh_minutes)
        if not now.on_call_calendar:
            return "Who is on call comes from the roster under Availability again." if was.on_call_calendar else ""
        every = f"every {now.on_call_refresh_minutes} minute{'s' if now.on_call_refresh_minutes != 1 else ''}"
        if was.on_call_calendar == now.on_call_calendar:
            return f"The on-call calendar is read {every} now."
        if not self.jobs.is_leader:
            return f"The sync leader desk reads the on-call calendar {now.on_call_calendar} {every}."
        self.jobs.run_soon(ON_CALL_JOB)
        return f"The on-call calendar {now.on_call_calendar} is read now, then {every}."

    def _rebind(self, old: Profile, new: Profile) -> str:
        receiver = self.receiver
        if receiver is None:
            return ""
        bound = ("host", "port", "threads", "connection_limit", "channel_timeout_seconds")
        was = old.ingest.model_dump(include=set(bound))
        receiver.settings = new.ingest  # body limit and public address: read per request
        if was == new.ingest.model_dump(include=set(bound)):
            return ""
        listening = receiver.listening
        # back to the very port it had (a port of 0 was a free one picked at start)
        old_port = int(receiver.base_url.rsplit(":", 1)[1]) if listening else old.ingest.port
        receiver.stop()
        try:
            receiver.start()
        except UserError:
            receiver.settings = old.ingest.model_copy(update={"port": old_port})
            if listening:
                receiver.start()
            self.profile = self.profile.model_copy(update={"ingest": old.ingest})
            return (f"Port {new.ingest.port} is taken by another program: calls still arrive on port {old_port}. "
                    "Choose another port.")
        if self.problems.get("webhook", "").startswith("Calls cannot arrive: port"):
            self.problems.pop("webhook")
        return f"Calls now arrive on port {new.ingest.port}." if new.ingest.port else \
            f"Calls now arrive at {receiver.base_url}."

    def _calendars(self, old: Profile, new: Profile) -> str:
        targets, problems = calendar_targets(new, self.secrets, self.sync_engine.store.provider_memory)
        wanted = enabled_calendars(new)
        before = dict(self.calendars)
        for key in set(before) | set(wanted):
            self.problems.pop(key, None)
        self.problems.update(problems)
        # New dicts for the engine (its thread iterates them); the context's mapping is changed in place.
        self.sync_engine.targets = {t.key: t for t in targets}
        self.sync_engine.calendars = dict(wanted)
        self.calendars.clear()
        self.calendars.update(wanted)
        self.sign_in.profile = new
        self.wake_sync()
        added = [label for key, label in wanted.items() if key not in before]
        dropped = [label for key, label in before.items() if key not in wanted]
        said = [f"{label} is now synced{' once it is connected' if k in problems else ''}."
                for k, label in wanted.items() if label in added]
        said += [f"{label} is no longer synced." for label in dropped]
        return " ".join(said) or "The calendar settings are in use now."


@dataclass
class App:
    """Everything one desk runs. ``start()`` starts the webhook receiver, the ingest worker, the polling sources and
    the sync thread. ``build`` makes the real adapters; ``assemble`` puts any adapters together (tests)."""

    profile: Profile
    store: Store
    secrets: SecretStore
    bus: events.EventBus
    desk: Desk
    sync_engine: SyncEngine
    scheduler: SyncScheduler
    ingestor: Intake  # the durable intake: the door and the inbox worker
    receiver: WebhookReceiver | None
    sign_in: CalendarSignIn
    problems: dict[str, str] = field(default_factory=dict)
    polling: "PollingScheduler | None" = None
    watcher: ChangeWatcher | None = None  # writes made by another desk or a command (store/changes.py)
    _starting: threading.Thread | None = field(default=None, init=False, repr=False)

    @classmethod
    def build(cls, profile: Profile, db_url: str, secrets: SecretStore, *, with_receiver: bool = True,
              clock: Callable[[], datetime] = utcnow) -> "App":
        engine = make_engine(db_url)
        upgrade(engine)
        store = Store(engine)
        return cls.assemble(profile, store, secrets, outside_world(profile, secrets, clock, store.provider_memory),
                            with_receiver=with_receiver, clock=clock)

    @classmethod
    def assemble(cls, profile: Profile, store: Store, secrets: SecretStore, world: OutsideWorld, *,
                 with_receiver: bool = True, clock: Callable[[], datetime] = utcnow,
                 rng=None) -> "App":
        """A desk from its parts: the store and the outside world (real, or fakes in a test)."""
        bus = events.EventBus()
        problems = world.problems
        calendars = enabled_calendars(profile)
        for target in world.targets:  # a test may hand in calendars the profile does not enable
            calendars.setdefault(target.key, target.label)
        sync_engine = SyncEngine(store, profile, world.targets, calendars=calendars, problems=problems,
                                 messenger=world.messenger, bus=bus, clock=clock, rng=rng)
        sign_in = CalendarSignIn(profile, secrets, store, bus, sync_engine, problems, lambda: scheduler.wake())
        scheduler = SyncScheduler(sync_engine, profile.sync.interval_seconds, profile.sync.reconcile_interval_minutes,
                                  before_cycle=sign_in.pick_up)
        ing = profile.ingest
        # each platform's replay window is a profile option (<platform>.replay_window_seconds)
        intake = Intake(store, location_rules(profile), bus, world.secret_for,
                        adapters=platform_adapters(profile), clock=clock,
                        queue_size=ing.queue_size, batch_size=ing.batch_size, max_body_bytes=ing.max_body_bytes,
                        confirmers=world.confirmers, calendar_labels=calendars,
                        store_wait_seconds=ing.store_wait_seconds)
        def replies_for(current: Profile) -> SmsReplies | None:
            """Callers' replies to reminders (STOP/START, C, R) and Twilio's status callbacks: taken through the
            inbox and done on its worker (made anew by a Settings save; the inbox's handlers follow it)."""
            replies = SmsReplies(store, intake.rules, bus, lambda: world.secret_for(TWILIO_TOKEN), clock, intake,
                                 {p.phone: p.name for p in current.people.members if p.role == "owner" and p.phone})
            return replies if current.twilio.enabled else None

        receiver = WebhookReceiver(profile.ingest, intake, replies_for(profile)) if with_receiver else None
        if receiver is not None and not world.secret_for(SECRET_KEY):
            problems.setdefault("webhook", "Calls are refused: no signing secret is set for the AI platform. "
                                           "Enter it under File → Settings.")
        sign_in = CalendarSignIn(profile, secrets, store, bus, sync_engine, problems, scheduler.wake)
        context = DeskContext.of(store, profile, bus, calendars, clock, problems=problems, wake_sync=scheduler.wake,
                                 sms_enabled=world.messenger is not None, secrets=secrets,
                                 busy_now=sync_engine.busy_now, dialer=world.dialer)
        live = LiveSettings(profile, secrets, bus, sync_engine, intake, receiver, calendars, problems, sign_in,
                            scheduler.wake, context, world.messenger_for, replies_for, jobs=scheduler)
        desk = Desk(context, engine=sync_engine, intake=intake, webhook=receiver, sign_in=sign_in,
                    is_leader=lambda: scheduler.is_leader, reconfigure=live)
        if receiver is not None:
            receiver.answer_tools_with(desk.availability)
        scheduler.every("health-alerts", 1, desk.watch.evaluate)  # issue 20: alerts, on the leader
        scheduler.every("sample-audit", 24 * 60, desk.watch.sample_audit)  # issue 20: the daily read-back
        # issue 16: the on-call rota, read at once when this desk becomes the leader
        scheduler.every(ON_CALL_JOB, profile.availability.on_call_refresh_minutes, desk.on_call.refresh, on_lead=True)
        app = cls(profile, store, secrets, bus, desk, sync_engine, scheduler, intake, receiver, sign_in, problems,
                  world.polling_for(intake))
        app.watcher = ChangeWatcher(store.engine, app.changed_elsewhere)
        return app

    def changed_elsewhere(self, certain: bool = True) -> None:
        """Another desk or a command wrote (the watcher's thread): the sync leader runs a cycle now (links owed
        by an appointment approved there are pushed within seconds, not at the next tick), and every view of
        this desk reads what it shows again. News that may have been this desk's own writes (``certain`` False,
        SQLite) wakes the leader only for work found (``SyncEngine.changed_elsewhere``)."""
        if self.scheduler.is_leader and self.sync_engine.changed_elsewhere(certain):
            self.scheduler.wake()
        self.bus.publish(events.CHANGED_ELSEWHERE)

    def start(self, *, sync: bool = True, busy_port_fatal: bool = True) -> "App":
        self.ingestor.start()
        if self.receiver is not None:
            try:
                self.receiver.start()
            except UserError as exc:  # the port is taken (another console?)
                if busy_port_fatal:
                    raise
                self.problems["webhook"] = (
                    f"Calls cannot arrive: port {self.profile.ingest.port} is taken by another program (another "
                    "Receptionist Console?). Close it, or choose another port under File → Settings.")
                log.warning("%s", exc)
        if sync:
            self.scheduler.start()
        if self.polling is not None:
            self.polling.start()
        if self.watcher is not None:
            self.watcher.start()
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

    def stop(self, *, drain_seconds: float = 0.0) -> None:
        """Stop every worker. ``drain_seconds`` (the service's clean stop): the door closes first, then the
        deliveries it accepted are mapped into calls for up to that long, and what is left is logged."""
        if self._starting is not None:
            self._starting.join()
        if self.polling is not None:
            self.polling.stop()
        if self.watcher is not None:
            self.watcher.stop()
        if self.receiver is not None:
            self.receiver.stop()
        mapped, left = self.ingestor.stop(drain_seconds)
        if drain_seconds > 0:
            log.info("on the way out: %d accepted delivery(ies) mapped into calls; %d left pending%s", mapped, left,
                     " (mapped at the next start, by this or another desk)" if left else "")
        self.scheduler.stop()
        for target in self.sync_engine.targets.values():  # the connections a provider keeps open (CalDAV's)
            close = getattr(target.provider, "close", None)
            if close is not None:
                close()
        close = getattr(self.sync_engine.messenger, "close", None)
        if close is not None:  # Twilio's kept-alive connections
            close()
        self.store.engine.dispose()
