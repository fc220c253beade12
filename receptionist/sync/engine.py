"""The sync engine: push owed writes to each calendar, pull each calendar's changes, send owed messages.

Each item is applied on its own, so one failure never stops the others. Every write is read back and compared
(write-back validation): a write that "succeeded" but lands wrong is a failure, retried with backoff like any
other. Creates are idempotent (the appointment id is the remote uid), updates and deletes carry If-Match.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.bookings import differences, event_draft, fingerprint
from receptionist.domain.formatting import format_datetime
from receptionist.domain.models import AppointmentRecord, AppointmentStatus, LinkRecord, SyncState
from receptionist.domain.ports import CalendarProvider, Messenger
from receptionist.errors import (
    AuthError,
    ConflictError,
    CursorExpired,
    NotFound,
    ProviderError,
    RateLimited,
)
from receptionist.store.repo import Store
from receptionist.sync.backoff import next_attempt

log = logging.getLogger(__name__)


@dataclass
class CalendarTarget:
    """A connected calendar: ``key`` is what link rows name it (``google:primary``)."""

    key: str
    provider: CalendarProvider
    calendar_id: str
    label: str


@dataclass
class Health:
    """How an integration is doing, for the health view."""

    ok: bool | None = None  # None = not tried yet
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    latency_ms: float | None = None


@dataclass
class CycleReport:
    pushed: int = 0
    failed: int = 0
    pulled: dict[str, int] = field(default_factory=dict)
    pull_errors: dict[str, str] = field(default_factory=dict)
    messages_sent: int = 0
    message_errors: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.pull_errors and not self.message_errors


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class SyncEngine:
    def __init__(self, store: Store, profile: Profile, targets: list[CalendarTarget], *,
                 messenger: Messenger | None = None, bus: events.EventBus | None = None,
                 clock: Callable[[], datetime] = utcnow, rng: random.Random | None = None):
        self.store = store
        self.profile = profile
        self.targets = {t.key: t for t in targets}
        self.messenger = messenger
        self.bus = bus or events.EventBus()
        self.clock = clock
        self.rng = rng or random.Random()
        self.health: dict[str, Health] = {t.key: Health() for t in targets}
        if messenger is not None:
            self.health["twilio"] = Health()
        self._lock = threading.Lock()  # one cycle at a time per process

    # --- push -----------------------------------------------------------------------------------------------------

    def push_due(self) -> tuple[int, int]:
        """Write every owed link once. Returns (synced, failed)."""
        synced = failed = 0
        for link in self.store.links_due(self.clock(), self.profile.sync.max_attempts):
            state = self.push_link(link)
            if state is SyncState.SYNCED:
                synced += 1
            else:
                failed += 1
        return synced, failed

    def draft_for(self, appt: AppointmentRecord):
        loc = self.profile.location
        return event_draft(
            uid=appt.id, service=appt.service, caller_name=appt.caller_name, callback_number=appt.callback_number,
            start=appt.start, end=appt.end, notes=appt.notes, account_id=appt.account_id, call_id=appt.call_id,
            location_name=loc.name, time_zone=loc.time_zone,
        )

    def push_link(self, link: LinkRecord) -> SyncState:
        target = self.targets.get(link.calendar)
        now = self.clock()
        if target is None:
            self._save(link, now, state=SyncState.FAILED, last_error=f"calendar {link.calendar} is not connected",
                       attempts=self.profile.sync.max_attempts)
            return SyncState.FAILED
        appt = self.store.get_appointment(link.appointment_id)
        assert appt is not None  # links cascade with their appointment
        provider, cal = target.provider, target.calendar_id
        started = time.monotonic()
        try:
            if appt.status is AppointmentStatus.CANCELLED:
                if link.remote_id:
                    provider.delete_event(cal, link.remote_id, link.etag)
                self._ok(target, started)
                self._save(link, now, state=SyncState.SYNCED, last_error=None, attempts=0, next_attempt_at=None,
                           synced_at=now)
                return SyncState.SYNCED
            draft = self.draft_for(appt)
            if link.remote_id is None:
                written = provider.create_event(cal, draft)
            else:
                written = provider.update_event(cal, link.remote_id, draft, link.etag)
            back = provider.get_event(cal, written.remote_id)
            self._ok(target, started)
            if back is None:
                raise ProviderError("the event was not there when read back right after the write")
            diffs = differences(draft, back)
            if diffs:
                raise _WriteBackMismatch("written, but read back different: " + "; ".join(diffs), written.remote_id,
                                         back.etag)
            self._save(link, now, state=SyncState.SYNCED, remote_id=back.remote_id, etag=back.etag,
                       content_hash=fingerprint(draft), last_error=None, attempts=0, next_attempt_at=None,
                       synced_at=now)
            return SyncState.SYNCED
        except ConflictError as exc:
            self._err(target, exc)
            self._save(link, now, state=SyncState.CONFLICT,
                       last_error=f"changed on {target.label} since our last write ({exc})")
            return SyncState.CONFLICT
        except NotFound as exc:
            self._err(target, exc)
            self._save(link, now, state=SyncState.DRIFT, last_error=f"the event was deleted on {target.label}")
            return SyncState.DRIFT
        except ProviderError as exc:
            self._err(target, exc)
            attempts = link.attempts + 1
            if isinstance(exc, _WriteBackMismatch):
                message, extra = str(exc), {"remote_id": exc.remote_id, "etag": exc.etag}
            elif isinstance(exc, AuthError):
                message, extra = f"sign-in to {target.label} expired: reconnect it ({exc})", {}
            elif isinstance(exc, RateLimited):
                message, extra = f"{target.label} is rate-limiting us ({exc})", {}
            else:
                message, extra = f"{target.label}: {exc}", {}
            retry_at = next_attempt(now, attempts, exc.retry_after, self.rng)
            if attempts >= self.profile.sync.max_attempts:
                message += f" — gave up after {attempts} attempts; press Retry"
            else:
                message += f" — retrying at {format_datetime(retry_at, self.profile.location.zone)}"
            self._save(link, now, state=SyncState.FAILED, last_error=message, attempts=attempts,
                       next_attempt_at=retry_at, **extra)
            return SyncState.FAILED

    def _save(self, link: LinkRecord, now: datetime, **changes) -> None:
        saved = self.store.save_link(link.id, now, **changes)
        self.bus.publish(events.LINK_CHANGED, link_id=saved.id, appointment_id=saved.appointment_id,
                         calendar=saved.calendar, state=saved.state.value)

    # --- pull -----------------------------------------------------------------------------------------------------

    def window(self) -> tuple[datetime, datetime]:
        now = self.clock()
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return (day - timedelta(days=self.profile.sync.window_days_back),
                day + timedelta(days=self.profile.sync.window_days_ahead + 1))

    def pull(self, report: CycleReport | None = None) -> CycleReport:
        """Read each calendar's changes (incremental when a cursor is held) into the busy-time cache."""
        report = report or CycleReport()
        window = self.window()
        for key, target in self.targets.items():
            started = time.monotonic()
            cursor, w_start, _ = self.store.get_cursor(key)
            if cursor is not None and w_start is not None and w_start < window[0] - timedelta(days=1):
                cursor = None  # the window moved on: start a fresh listing so it covers the days ahead
            try:
                try:
                    batch = target.provider.list_changes(target.calendar_id, cursor, *window)
                except CursorExpired:
                    log.info("%s: sync cursor expired, doing a full read", key)
                    batch = target.provider.list_changes(target.calendar_id, None, *window)
                self.store.apply_remote_changes(key, batch.events, batch.deleted_ids, batch.full, batch.cursor,
                                                window, self.clock())
                report.pulled[key] = len(batch.events) + len(batch.deleted_ids)
                self._ok(target, started)
            except ProviderError as exc:
                report.pull_errors[key] = str(exc)
                self._err(target, exc)
        self.bus.publish(events.CALENDAR_REFRESHED, changes=dict(report.pulled))
        return report

    # --- outbox (SMS confirmations) ------------------------------------------------------------------------------

    def send_outbox(self, report: CycleReport) -> None:
        now = self.clock()
        for message_id, topic, payload, attempts in self.store.outbox_due(now):
            if topic != "sms.confirmation":
                self.store.outbox_failed(message_id, f"unknown outbox topic {topic!r}", None, now)
                continue
            if self.messenger is None:
                self.store.outbox_failed(message_id, "SMS is not configured (twilio.enabled = false)", None, now)
                continue
            try:
                sent = self.messenger.send_sms(payload["to"], payload["body"])
            except ProviderError as exc:
                report.message_errors += 1
                self._record_health("twilio", False, str(exc))
                retry = next_attempt(now, attempts + 1, exc.retry_after, self.rng) if exc.retryable and attempts < 5 else None
                self.store.outbox_failed(message_id, str(exc), retry, now)
                continue
            report.messages_sent += 1
            self._record_health("twilio", True)
            self.store.outbox_done(message_id, now)
            self.store.audit(now, "sync", "sms.sent", "appointment", payload.get("appointment_id", ""),
                             {"sid": sent.sid, "to": sent.to})
            self.bus.publish(events.MESSAGE_SENT, appointment_id=payload.get("appointment_id"), sid=sent.sid)

    # --- a whole cycle --------------------------------------------------------------------------------------------

    def run_cycle(self) -> CycleReport:
        with self._lock:
            report = CycleReport()
            report.pushed, report.failed = self.push_due()
            self.pull(report)
            self.send_outbox(report)
            self.bus.publish(events.HEALTH_CHANGED)
            return report

    # --- health ---------------------------------------------------------------------------------------------------

    def _ok(self, target: CalendarTarget, started: float) -> None:
        h = self.health[target.key]
        h.ok, h.last_success, h.latency_ms = True, self.clock(), (time.monotonic() - started) * 1000

    def _err(self, target: CalendarTarget, exc: Exception) -> None:
        self._record_health(target.key, False, str(exc))

    def _record_health(self, key: str, ok: bool, error: str | None = None) -> None:
        h = self.health.setdefault(key, Health())
        h.ok = ok
        if ok:
            h.last_success = self.clock()
        else:
            h.last_error, h.last_error_at = error, self.clock()


class _WriteBackMismatch(ProviderError):
    retryable = True

    def __init__(self, message: str, remote_id: str, etag: str):
        super().__init__(message)
        self.remote_id, self.etag = remote_id, etag
