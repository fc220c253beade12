"""The sync engine: for each calendar, pull → plan → apply each action in isolation → save; then the outbox.

* **Pull** reads the calendar's changes (incremental cursor) into the remote cache, which keeps each event's etag
  and our fields.
* **Plan** asks ``domain.sync_plan.plan_link`` what to do with every link that may need something (not Synced,
  its remote copy changed, or its event vanished from a window the cache covers).
* **Apply** runs each action inside its own error boundary: a provider error or a bug fails that link with a
  sentence and the rest go on. Every write's outcome is what the calendar answered it holds (the insert's or
  patch's response body: one request per write) and is compared with what we sent (a 200 that landed wrong is a
  failure); a 412
  is a conflict only after reading the event shows it is not our own earlier write.
* Per calendar, not per link: a Retry-After pauses every request to that calendar until then, a refused sign-in
  turns it to *Reconnect needed* (not retried with backoff), no network waits without counting attempts, and the
  mass-deletion guard holds every write when many of our events vanish at once. The state lives in the
  ``calendar_health`` table, so every desk and ``receptionist status`` see it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.bookings import EventTemplate, event_draft
from receptionist.domain.formatting import format_datetime
from receptionist.domain.models import (
    AppointmentRecord,
    AppointmentStatus,
    BusyBlock,
    CalendarHealthRecord,
    LinkRecord,
    SyncState,
)
from receptionist.domain.ports import EventDraft, Messenger, RemoteEvent, change_pages
from receptionist.domain.sync_plan import (
    GONE,
    remote_event_of,
    UNKNOWN,
    Action,
    CalendarGate,
    EventContent,
    LinkStatus,
    Op,
    Remote,
    classify_after_precondition_failed,
    content_hash,
    is_mass_deletion,
    plan_link,
)
from receptionist.errors import (
    plain,
    AuthError,
    ConflictError,
    CursorExpired,
    Dropped,
    NotFound,
    ProviderError,
    RateLimited,
    Unreachable,
    Unsupported,
    UserError,
)
from receptionist.store import Store
from receptionist.sync.backoff import next_attempt
from receptionist.sync.outbox import OutboxSender
from receptionist.sync.reminders import quiet_hours, reminder_planner
from receptionist.sync.targets import CalendarTarget, CycleReport

log = logging.getLogger(__name__)

OFFLINE_RETRY = timedelta(seconds=30)  # no network: look again this soon, without counting an attempt
RECONNECT_PROBE = timedelta(minutes=5)  # a refused sign-in: try one pull this often (a reconnect elsewhere)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def event_template(profile: Profile) -> EventTemplate:
    ev, loc = profile.events, profile.location
    return EventTemplate(title=ev.title_template, description=ev.description_template, private=ev.private,
                         private_title=ev.private_title, location_name=loc.name, time_zone=loc.time_zone)


class _Paused(Exception):
    """The calendar stopped taking requests during this cycle (Retry-After, sign-in, network)."""


def create_key(appointment_id: str, generation: int) -> str:
    """A create's idempotency key: the appointment id, plus ``g<n>`` once re-created after a deletion (base32hex,
    so Google takes it as the event id; Graph refuses a transactionId it has seen before)."""
    return f"{appointment_id}g{generation}" if generation else appointment_id


class SyncEngine:
    """One desk's sync work. ``calendars`` maps every *enabled* calendar key to its label; ``targets`` are the
    connected ones. An enabled calendar that is not connected owes its links all the same (they wait for sign-in)."""

    def __init__(self, store: Store, profile: Profile, targets: list[CalendarTarget], *,
                 calendars: dict[str, str] | None = None, problems: dict[str, str] | None = None,
                 messenger: Messenger | None = None, bus: events.EventBus | None = None,
                 clock: Callable[[], datetime] = utcnow, rng: random.Random | None = None):
        self.store = store
        self.profile = profile
        self.targets = {t.key: t for t in targets}
        self.calendars = dict(calendars) if calendars is not None else {t.key: t.label for t in targets}
        self.problems = problems if problems is not None else {}
        self.messenger = messenger
        self.bus = bus or events.EventBus()
        self.clock = clock
        self.rng = rng or random.Random()
        self.may_write: Callable[[], bool] = lambda: True
        self.template = event_template(profile)
        self.outbox = OutboxSender(store, messenger, self.bus, clock, self.rng, reminder_planner(store, profile),
                                   quiet_hours(profile))
        self._lock = threading.Lock()  # one cycle at a time per process
        self._links_ensured = False
        self._planned: dict[int, int] = {}  # link id → the appointment version its action was planned from

    # --- the cycle ------------------------------------------------------------------------------------------------

    def run_cycle(self, may_write: Callable[[], bool] | None = None) -> CycleReport:
        """One cycle over every enabled calendar, then the outbox. ``may_write`` is asked before each write (the
        scheduler's lease renewal: a desk that lost the leadership mid-cycle stops writing)."""
        with self._lock:
            self.may_write = may_write or (lambda: True)
            self._planned.clear()
            report = CycleReport()
            if not self._links_ensured:
                self.store.links.ensure(self.calendars, self.clock())
                self._links_ensured = True
            self._begin_cycle()
            for key in self.calendars:
                try:
                    self.sync_calendar(key, report)
                except Exception as exc:  # a bug in one calendar's path must not stop the others
                    log.exception("sync of %s failed", key)
                    report.pull_errors[key] = plain(exc)
            self.outbox.send_due(report)
            # A Drift left from an earlier cycle, or a Failed link waiting out its backoff, plans NOTHING and so
            # counts nowhere above: without this the cycle reads "ok" (and `sync --once` exits 0) while it waits.
            counts = self.store.links.counts()
            report.unsettled = sum(n for key in self.calendars for state, n in counts.get(key, {}).items()
                                   if state != SyncState.SYNCED.value)
            self.bus.publish(events.HEALTH_CHANGED)
            return report

    def _begin_cycle(self) -> None:
        """Tell each provider a cycle begins: what it caches per cycle (the Outlook sign-in read from the keyring)
        is read again once, not at every request."""
        for target in self.targets.values():
            begin = getattr(target.provider, "begin_cycle", None)
            if begin is not None:
                begin()

    def changed_elsewhere(self, certain: bool = True) -> bool:
        """Another desk or a command wrote to the database (``store.changes``). Returns whether a cycle should run
        now. Every live appointment gets its link on each enabled calendar again, since one approved elsewhere may
        have come without (a profile that enables fewer calendars, a script): at the next cycle when the news is
        ``certain``; else (SQLite, "changed while we wrote too": perhaps our own cycle's writes alone) here, and
        a cycle is asked only if that added links or one is Pending, so a cycle's own writes never start the next.
        """
        if certain:
            self._links_ensured = False
            return True
        if not self._lock.acquire(blocking=False):
            self._links_ensured = False  # a cycle runs: it goes round once more when it ends (owed_now)
            return False
        try:
            added = self.store.links.ensure(self.calendars, self.clock())
            self._links_ensured = True
        finally:
            self._lock.release()
        return added > 0 or self.owed_now()

    def owed_now(self) -> bool:
        """Work a cycle could do right now: links to give to appointments made elsewhere, or a Pending link on a
        calendar whose gate is open."""
        if not self._links_ensured:
            return True
        now = self.clock()
        health = self.store.health.all()
        open_keys = [k for k in self.targets
                     if self.write_gate(k, health.get(k) or CalendarHealthRecord(k, "open"), now) is CalendarGate.OPEN]
        return bool(open_keys) and self.store.links.owed_now(now, open_keys)

    def busy_now(self, start: datetime, end: datetime, wait_seconds: float = 5.0,
                 titled: bool = False) -> tuple[list[BusyBlock], list[str]]:
        """Every connected calendar's busy time over [start, end), read from the calendars now for the re-check just
        before a booking is written: (busy blocks, the calendars that could not be read and why). Waits at most
        ``wait_seconds`` for a running cycle (the clients are not shared between threads).

        A calendar with a free/busy query (``busy_times``: Google ``freebusy.query``, Graph ``getSchedule``)
        answers with one request, in the location's zone, as untitled blocks that include our own events; where
        that query is refused (``Unsupported``) or missing (CalDAV), or with ``titled`` (to name what was found),
        the window's events are read instead (Google ``events.list`` / Graph ``calendarView``, recurring events
        expanded), titled and without ours."""
        if not self._lock.acquire(timeout=wait_seconds):
            return [], [f"{self.label(k)} (a sync cycle is running)" for k in self.targets]
        try:
            busy: list[BusyBlock] = []
            unread: list[str] = []
            for key, target in self.targets.items():
                try:
                    busy += self._busy_of(key, target, start, end, titled)
                except ProviderError as exc:
                    unread.append(f"{target.label} ({plain(exc)})")
            return busy, unread
        finally:
            self._lock.release()

    def read_calendar(self, kind: str, calendar_id: str, start: datetime, end: datetime) -> list[RemoteEvent]:
        """Another calendar of the connected ``kind`` account (the shared on-call calendar) over [start, end),
        recurring events expanded, read between cycles (the clients are not shared between threads). A ``kind``
        not connected is a ``UserError`` naming why."""
        target = next((t for t in self.targets.values() if t.provider.kind == kind), None)
        if target is None:
            why = next((p for k, p in self.problems.items() if k.startswith(kind + ":")), "it is not connected")
            raise UserError(f"the {kind} account cannot be read: {why}")
        with self._lock:
            self._begin_cycle()
            return target.provider.list_events(calendar_id, start, end)

    def _busy_of(self, key: str, target, start: datetime, end: datetime,  # noqa: ANN001
                 titled: bool) -> list[BusyBlock]:
        query = None if titled else getattr(target.provider, "busy_times", None)
        if query is not None:
            try:
                return [BusyBlock(a, b, key) for a, b in query(target.calendar_id, start, end,
                                                               self.profile.location.time_zone)
                        if a < end and start < b]
            except Unsupported as exc:
                log.info("%s: free/busy query refused (%s); reading the events instead", key, exc)
        found = target.provider.list_events(target.calendar_id, start, end)
        return [BusyBlock(e.start, e.end, key, e.title) for e in found
                if e.busy and not e.cancelled and e.uid is None and e.start < end and start < e.end]

    def draft_for(self, appt: AppointmentRecord) -> EventDraft:
        return event_draft(appt, self.template)

    def label(self, key: str) -> str:
        return self.calendars.get(key) or key

    # --- calendar health and gates --------------------------------------------------------------------------------

    def health_of(self, key: str) -> CalendarHealthRecord:
        return self.store.health.of(key)

    def write_gate(self, key: str, health: CalendarHealthRecord, now: datetime) -> CalendarGate:
        if key not in self.targets or health.gate == "reconnect":
            return CalendarGate.RECONNECT
        if health.held_missing or (health.paused_until is not None and health.paused_until > now):
            return CalendarGate.PAUSED
        return CalendarGate.OPEN

    def _pause(self, key: str, exc: ProviderError, now: datetime) -> datetime:
        """Stop every request to this calendar until the service says (or a short while with no network)."""
        label = self.label(key)
        if isinstance(exc, Unreachable):
            until, gate, reason = now + OFFLINE_RETRY, "offline", f"waiting for network: {exc}"
        else:
            until = now + timedelta(seconds=exc.retry_after or 30)
            gate = "throttled"
            reason = (f"{label} asked us to wait until {format_datetime(until, self.profile.location.zone)} "
                      f"({exc})")
        self.store.health.save(key, now, gate=gate, paused_until=until, pause_reason=reason,
                                        last_error=reason, last_error_at=now)
        return until

    def _needs_reconnect(self, key: str, exc: ProviderError, now: datetime) -> str:
        log.info("%s: sign-in refused: %s", key, exc)
        reason = (f"{self.label(key)} refused the stored sign-in: sign in again (Reconnect… in the window, or "
                  f"`receptionist connect {key.split(':', 1)[0]}`)")
        self.store.health.save(key, now, gate="reconnect", paused_until=now + RECONNECT_PROBE,
                                        pause_reason=reason, last_error=reason, last_error_at=now)
        return reason

    @staticmethod
    def _pauses(exc: ProviderError) -> bool:
        return isinstance(exc, (RateLimited, Unreachable)) or (exc.status == 503 and exc.retry_after is not None)

    # --- one calendar ---------------------------------------------------------------------------------------------

    def sync_calendar(self, key: str, report: CycleReport) -> None:
        now = self.clock()
        health = self.health_of(key)
        target = self.targets.get(key)
        if target is None:
            report.pull_errors[key] = self.problems.get(key) or f"{self.label(key)} is not connected"
        changed: set[str] = set()
        pull_due = target is not None and (health.paused_until is None or health.paused_until <= now)
        if pull_due:
            changed = self.pull_calendar(target, report)
            health = self.health_of(key)
        _, w_start, w_end = self.store.cache.cursor(key)
        window = (w_start, w_end) if w_start is not None and w_end is not None else None
        candidates = self.store.links.to_plan(key, changed, window,
                                              resting=(self.clock(), self.profile.sync.max_attempts))
        if not candidates:
            return
        candidates = self._adopt_orphans(key, candidates)
        remotes = self._remotes(key, candidates, window)
        held = self._guard_mass_deletion(key, candidates, remotes, window, now)
        if held:
            health = self.health_of(key)
            candidates = [(link, appt) for link, appt in candidates if link.id not in held]
        self._apply_all(target, key, candidates, remotes, health, report)
        if health.held_missing and not self.store.links.deleted_remotely(key):
            # every vanished event came back (the calendar was restored): the hold has nothing left to protect
            self.store.health.save(key, self.clock(), held_missing=0, pause_reason=None)

    def _adopt_orphans(self, key: str, candidates):
        """A cancelled appointment whose link never learnt its remote id (the create landed, its answer was lost or
        the process died before saving it) would be marked Synced with "nothing to delete" while its event stays on
        the calendar. If the pull cached an event with our uid, the link takes it: what we would have written
        last is its ``have``, so an untouched event is deleted and an edited one is a Conflict for a person."""
        orphans = self.store.cache.by_uid(key, [appt.id for link, appt in candidates
                                                 if link.remote_id is None
                                                 and appt.status is AppointmentStatus.CANCELLED])
        if not orphans:
            return candidates
        out = []
        for link, appt in candidates:
            copy = orphans.get(appt.id) if link.remote_id is None else None
            if copy is not None and appt.status is AppointmentStatus.CANCELLED:
                link = self._save(link, key, remote_id=copy.remote_id, etag=copy.etag,
                                  content_hash=content_hash(self.draft_for(appt))) or link
            out.append((link, appt))
        return out

    def _remotes(self, key: str, candidates, window) -> dict[int, Remote]:
        """Each candidate's remote copy from the cache: SEEN, GONE (the cache covers its time and it is not
        there) or UNKNOWN."""
        cached = self.store.cache.by_remote_id(key, [link.remote_id for link, _ in candidates if link.remote_id])

        def remote_of(link: LinkRecord, appt: AppointmentRecord) -> Remote:
            if link.remote_id is None:
                return UNKNOWN
            copy = cached.get(link.remote_id)
            if copy is not None:
                return Remote.seen(remote_event_of(copy))
            if window is not None and appt.end > window[0] and appt.start < window[1]:
                return GONE
            return UNKNOWN

        return {link.id: remote_of(link, appt) for link, appt in candidates}

    def _apply_all(self, target: CalendarTarget | None, key: str, candidates, remotes: dict[int, Remote],
                   health: CalendarHealthRecord, report: CycleReport) -> None:
        for link, appt in candidates:
            if report.lease_lost:
                return
            gate = self.write_gate(key, health, self.clock())
            try:
                self.apply_link(target, key, link, appt, remotes[link.id], gate, report)
            except _Paused:
                health = self.health_of(key)
            except Exception as exc:  # the error boundary: this link fails with a sentence, the rest go on
                log.exception("sync of link %s (%s) failed", link.id, key)
                self._fail(link, key, exc, report)

    def pull_calendar(self, target: CalendarTarget, report: CycleReport) -> set[str]:
        """Read the calendar's changes into the remote cache. Returns the remote ids that changed."""
        key, now = target.key, self.clock()
        window = self.window()
        cursor, w_start, _ = self.store.cache.cursor(key)
        if cursor is not None and w_start is not None and w_start < window[0] - timedelta(days=1):
            cursor = None  # the window moved on: start a fresh listing so it covers the days ahead
        try:
            try:
                changed = self._read_into_cache(target, cursor, window, now)
            except CursorExpired:
                log.info("%s: sync cursor expired, doing a full read", key)
                changed = self._read_into_cache(target, None, window, now)
        except ProviderError as exc:
            report.pull_errors[key] = plain(exc)
            if isinstance(exc, AuthError):
                self._needs_reconnect(key, exc, now)
            elif self._pauses(exc):
                self._pause(key, exc, now)
            else:
                self.store.health.save(key, now, last_error=plain(exc), last_error_at=now)
            return set()
        report.pulled[key] = len(changed)
        health = self.health_of(key)
        updates: dict = {"last_pull_at": now}
        if health.gate in ("reconnect", "offline", "throttled"):  # it answered: open again
            updates.update(gate="open", paused_until=None, pause_reason=None)
        self.store.health.save(key, now, **updates)
        if changed:
            self.bus.publish(events.CALENDAR_REFRESHED, calendar=key, changes=len(changed))
        return changed

    def _read_into_cache(self, target: CalendarTarget, cursor: str | None, window: tuple[datetime, datetime],
                         now: datetime) -> set[str]:
        """The calendar's changes since ``cursor`` into the remote cache, each page cached while the provider
        fetches the next (``change_pages``). Returns the remote ids that changed."""
        pages = change_pages(target.provider, target.calendar_id, cursor, *window)
        return self.store.cache.apply_changes(target.key, pages, window, now)

    def window(self) -> tuple[datetime, datetime]:
        now = self.clock()
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return (day - timedelta(days=self.profile.sync.window_days_back),
                day + timedelta(days=self.profile.sync.window_days_ahead + 1))

    def _guard_mass_deletion(self, key, candidates, remotes, window, now) -> set[int]:
        """Many of our events gone at once: mark them Drift (deleted) without touching the calendar and hold every
        write to it until a person answers the alert (re-create all / accept the deletions). Returns the ids of the
        links it marked (the caller must not plan them again from their stale Synced records)."""
        gone = [(link, appt) for link, appt in candidates
                if remotes[link.id] is GONE and link.state is SyncState.SYNCED
                and appt.status is AppointmentStatus.CONFIRMED]
        if window is None or not gone:
            return set()
        held = self.store.links.count_linked_in_window(key, *window)
        if not is_mass_deletion(held, len(gone)):
            return set()
        label = self.label(key)
        reason = (f"{len(gone)} of our {held} events vanished from {label} at once; writes to it are held: "
                  "re-create them all, or accept the deletions (cancel those appointments)")
        log.warning("%s: %s", key, reason)
        for link, _ in gone:
            self._save(link, key, state=SyncState.DRIFT, last_error=f"deleted on {label} (one of {len(gone)})",
                       detail={"deleted": True, "diff": {}})
        self.store.health.save(key, now, held_missing=len(gone), pause_reason=reason,
                                        last_error=reason, last_error_at=now)
        self.bus.publish(events.HEALTH_CHANGED)
        return {link.id for link, _ in gone}

    # --- one link -------------------------------------------------------------------------------------------------

    def plan(self, key: str, link: LinkRecord, appt: AppointmentRecord, remote: Remote,
             gate: CalendarGate) -> tuple[Action, EventDraft | None]:
        draft = None if appt.status is AppointmentStatus.CANCELLED else self.draft_for(appt)
        if draft is not None and link.generation:
            draft = replace(draft, create_key=create_key(appt.id, link.generation))
        want = EventContent.of(draft) if draft is not None else None
        status = LinkStatus(link.state, link.remote_id, link.etag, link.content_hash, link.attempts,
                            link.next_attempt_at)
        return plan_link(want, status, remote, gate, self.clock(), self.profile.sync.max_attempts,
                         self.label(key)), draft

    def apply_link(self, target: CalendarTarget | None, key: str, link: LinkRecord, appt: AppointmentRecord,
                   remote: Remote, gate: CalendarGate, report: CycleReport) -> None:
        self._planned[link.id] = appt.version
        action, draft = self.plan(key, link, appt, remote, gate)
        op = action.op
        label = self.label(key)
        if op is Op.NOTHING:
            return
        if op is Op.WAIT:
            report.waiting += 1
            health = self.health_of(key)
            reason = health.pause_reason or f"waiting for {label}"
            if link.last_error != reason:
                self._save(link, key, last_error=reason)
            return
        if op is Op.WAIT_RECONNECT:
            report.waiting += 1
            reason = self.problems.get(key) or self.health_of(key).pause_reason or action.reason
            if link.state is not SyncState.RECONNECT or link.last_error != reason:
                self._save(link, key, state=SyncState.RECONNECT, last_error=reason)
            return
        if op is Op.MARK_SYNCED:
            want = content_hash(draft) if draft is not None else None
            self._synced(link, key, remote_id=link.remote_id if draft is not None else None,
                         etag=action.etag if draft is not None else None, have=want)
            report.pushed += 1
            return
        if op in (Op.MARK_DRIFT, Op.MARK_CONFLICT):
            self._needs_person(link, key, op, action.reason, action.diff, action.deleted, remote.etag, report)
            return
        assert target is not None  # the gate is RECONNECT without a target, and that never writes
        if op.value in ("create", "update", "delete") and not self.may_write():
            report.lease_lost = True
            log.warning("lost the sync lease mid-cycle; another desk carries on")
            return
        try:
            if op is Op.CHECK:
                self._check(target, link, appt, gate, report)
            elif op is Op.DELETE:
                self._delete(target, link, draft, report)
            else:
                assert draft is not None
                self._write(target, link, draft, op, report)
        except ProviderError as exc:
            self._provider_failure(target, link, exc, report)

    def _check(self, target: CalendarTarget, link: LinkRecord, appt: AppointmentRecord, gate: CalendarGate,
               report: CycleReport) -> None:
        """The cache says our event is gone: read it. Moved out of the window → compare; gone → Drift (deleted).
        A cancelled appointment with no event id: find the event a create may have made unanswered, and plan
        again with it (deleted, unless a person edited it since what we sent)."""
        if link.remote_id is None:
            found = target.provider.find_created(target.calendar_id, appt.id, create_key(appt.id, link.generation))
            if found is None:
                self._synced(link, target.key, remote_id=None, etag=None, have=None)
                return
            self.store.cache.put(target.key, found, appt.id, self.clock())
            fresh = self._save(link, target.key, remote_id=found.remote_id, etag=found.etag,
                               content_hash=link.content_hash or content_hash(found))  # what we sent, if known
            if fresh is not None:
                self.apply_link(target, target.key, fresh, appt, Remote.seen(found), gate, report)
            return
        current = target.provider.get_event(target.calendar_id, link.remote_id)
        if current is None:
            if appt.status is AppointmentStatus.CANCELLED:
                self._synced(link, target.key, remote_id=None, etag=None, have=None)
                return
            self._needs_person(link, target.key, Op.MARK_DRIFT, f"deleted on {target.label}", {}, True, None, report)
            return
        self.store.cache.put(target.key, current, appt.id, self.clock())
        self.apply_link(target, target.key, link, appt, Remote.seen(current), gate, report)

    def _write(self, target: CalendarTarget, link: LinkRecord, draft: EventDraft, op: Op,
               report: CycleReport, retried: bool = False) -> None:
        provider, cal = target.provider, target.calendar_id
        want = EventContent.of(draft)
        creating = op is Op.CREATE or link.remote_id is None
        # A link with no event yet holds, in content_hash, what its last create sent, saved before sending: if the
        # outcome never came back (a lost answer, an answer that differed, the desk killed), the retry may return that
        # event, changed since by a person.
        sent = link.content_hash if creating else None
        try:
            if creating:
                if sent != want.digest():
                    link = self._save(link, target.key, content_hash=want.digest()) or link
                back = provider.create_event(cal, draft)
            else:
                back = provider.update_event(cal, link.remote_id, draft, link.etag)
        except ConflictError:
            # 412 on If-Match (or 409 on a create): read it before calling it a conflict — a lost answer whose
            # write landed is ours, not a conflict.
            if link.remote_id is None:
                # a 409 on a create: there is no event of ours to read yet, so nothing says it was deleted (the
                # old path called it Drift "deleted on …"); a failure, retried — creates are idempotent by uid
                raise
            current = provider.get_event(cal, link.remote_id)
            verdict = classify_after_precondition_failed(want, link.content_hash, current)
            if verdict is Op.MARK_SYNCED:
                assert current is not None
                self.store.cache.put(target.key, current, draft.uid, self.clock())
                self._synced(link, target.key, remote_id=current.remote_id, etag=current.etag, have=want.digest())
                report.pushed += 1
            elif verdict is Op.UPDATE and current is not None and not retried:
                fresh = self._save(link, target.key, etag=current.etag) or link
                self._write(target, fresh, draft, Op.UPDATE, report, retried=True)
            elif verdict is Op.MARK_DRIFT:
                self._needs_person(link, target.key, Op.MARK_DRIFT, f"deleted on {target.label}", {}, True, None,
                                   report)
            else:
                assert current is not None
                self.store.cache.put(target.key, current, draft.uid, self.clock())
                self._needs_person(link, target.key, Op.MARK_CONFLICT, f"changed on {target.label} as we wrote",
                                   want.diff(EventContent.of(current)), False, current.etag, report)
            return
        except NotFound:
            self._needs_person(link, target.key, Op.MARK_DRIFT, f"deleted on {target.label}", {}, True, None, report)
            return
        landed = EventContent.of(back)
        diff = want.diff(landed)
        cache = (target.key, back, draft.uid)  # cached with the link's new state, in one transaction
        if diff and sent is not None and not retried:
            # The retried create found the event the first one made. What it sent is our "have": planning again
            # tells our change (an update) from a person's edit since (Drift or Conflict, never overwritten).
            fresh = self._save(link, target.key, cache=cache, remote_id=back.remote_id, etag=back.etag,
                               content_hash=sent)
            appt = self.store.appointments.get(link.appointment_id) if fresh is not None else None
            if fresh is not None and appt is not None:
                self.apply_link(target, target.key, fresh, appt, Remote.seen(back), CalendarGate.OPEN, report)
            return
        if diff:
            # What the calendar holds now came from our write: it is our "have", so the retry is an update.
            changes = "; ".join(f"{name} is {theirs!r}, expected {ours!r}" for name, (ours, theirs) in diff.items())
            self._save(link, target.key, cache=cache, remote_id=back.remote_id, etag=back.etag,
                       content_hash=landed.digest())
            raise ProviderError(f"written, but {target.label} holds something else: {changes}")
        self._synced(link, target.key, remote_id=back.remote_id, etag=back.etag, have=landed.digest(), cache=cache)
        report.pushed += 1

    def _delete(self, target: CalendarTarget, link: LinkRecord, draft: EventDraft | None,
                report: CycleReport, retried: bool = False) -> None:
        provider, cal = target.provider, target.calendar_id
        assert link.remote_id is not None
        try:
            provider.delete_event(cal, link.remote_id, link.etag)
        except ConflictError:
            current = provider.get_event(cal, link.remote_id)
            verdict = classify_after_precondition_failed(None, link.content_hash, current)
            if verdict is Op.DELETE and current is not None and not retried:
                fresh = self._save(link, target.key, etag=current.etag) or link
                self._delete(target, fresh, draft, report, retried=True)
                return
            if verdict is not Op.MARK_SYNCED:
                assert current is not None
                self.store.cache.put(target.key, current, link.appointment_id, self.clock())
                self._needs_person(link, target.key, Op.MARK_CONFLICT,
                                   f"cancelled here, but edited on {target.label} since our last write",
                                   {"event": ("cancelled here", "edited there")}, False, current.etag, report)
                return
        self.store.cache.drop(target.key, link.remote_id)
        self._synced(link, target.key, remote_id=None, etag=None, have=None)
        report.pushed += 1

    # --- outcomes -------------------------------------------------------------------------------------------------

    def _save(self, link: LinkRecord, key: str, **changes) -> LinkRecord | None:
        # the appointment version this link was planned from: a change made at another desk meanwhile wins
        saved = self.store.links.save(link.id, self.clock(), planned_version=self._planned.get(link.id), **changes)
        if saved is not None:
            self.bus.publish(events.LINK_CHANGED, link_id=saved.id, appointment_id=saved.appointment_id,
                             calendar=saved.calendar, state=saved.state.value)
        return saved

    def _synced(self, link: LinkRecord, key: str, *, remote_id: str | None, etag: str | None,
                have: str | None, cache: tuple[str, RemoteEvent, str] | None = None) -> None:
        now = self.clock()
        self._save(link, key, cache=cache, state=SyncState.SYNCED, remote_id=remote_id, etag=etag,
                   content_hash=have, last_error=None, attempts=0, next_attempt_at=None, synced_at=now, detail=None)
        self.store.reliability.record_write(key, link.appointment_id, now, ok=True)  # the error budget

    def _needs_person(self, link: LinkRecord, key: str, op: Op, reason: str, diff: dict, deleted: bool,
                      seen_etag: str | None, report: CycleReport) -> None:
        state = SyncState.DRIFT if op is Op.MARK_DRIFT else SyncState.CONFLICT
        text = reason
        if diff:
            text += ": " + "; ".join(f"{name} {ours} → {theirs}" if name in ("start", "end") else f"{name} differs"
                                     for name, (ours, theirs) in diff.items())
        self._save(link, key, state=state, last_error=text, attempts=0, next_attempt_at=None,
                   detail={"diff": {k: list(v) for k, v in diff.items()}, "deleted": deleted, "seen_etag": seen_etag})
        report.needs_person += 1
        log.info("%s link %s → %s: %s", key, link.id, state.value, text)

    def _provider_failure(self, target: CalendarTarget, link: LinkRecord, exc: ProviderError,
                          report: CycleReport) -> None:
        now = self.clock()
        key = target.key
        if isinstance(exc, AuthError):
            reason = self._needs_reconnect(key, exc, now)
            self._save(link, key, state=SyncState.RECONNECT, last_error=reason)
            report.waiting += 1
            raise _Paused()
        if isinstance(exc, Unreachable):
            until = self._pause(key, exc, now)
            self._save(link, key, last_error=f"waiting for network ({exc})", next_attempt_at=until)
            report.waiting += 1
            raise _Paused()
        paused_until = self._pause(key, exc, now) if self._pauses(exc) else None
        self._fail(link, key, exc, report, floor=paused_until)
        if paused_until is not None:
            raise _Paused()

    def _fail(self, link: LinkRecord, key: str, exc: BaseException, report: CycleReport,
              floor: datetime | None = None) -> None:
        now = self.clock()
        attempts = link.attempts + 1
        retry_after = exc.retry_after if isinstance(exc, ProviderError) else None
        retry_at = next_attempt(now, attempts, retry_after, self.rng)
        if floor is not None and retry_at < floor:
            retry_at = floor
        text = plain(exc)
        # the adapters' sentences name their service already ("Outlook: …", "Google Calendar answered 503 …")
        message = text if text.startswith(self.label(key)) else f"{self.label(key)}: {text}"
        if attempts >= self.profile.sync.max_attempts:
            message += f" — gave up after {attempts} attempts; press Retry"
        else:
            message += f" — retrying at {format_datetime(retry_at, self.profile.location.zone)}"
            if isinstance(exc, Dropped):
                message += "; a write that landed is found then, not made twice"
        self._save(link, key, state=SyncState.FAILED, last_error=message, attempts=attempts, next_attempt_at=retry_at)
        self.store.health.save(key, now, last_error=message, last_error_at=now)
        report.failed += 1
        self.store.reliability.record_write(key, link.appointment_id, now, ok=False)

    # --- reconciliation ----------------------------------------------------------------------------------------------

    def reconcile(self, seed: int | None = None) -> dict[str, dict]:
        """Compare every calendar with our appointments over the next ``sync.reconcile_days_ahead`` days by a full
        read (not the incremental cursor, which a service can lose or skew), re-read a sample of Synced events
        (``reread``; while the window is listed, where the calendar reads them in one request), and record what
        was found on each calendar's health row."""
        results: dict[str, dict] = {}
        with self._lock:
            self._begin_cycle()
            for key, target in self.targets.items():
                try:
                    results[key] = self._reconcile_calendar(target, seed)
                except ProviderError as exc:
                    results[key] = {"error": plain(exc)}
                except Exception as exc:
                    log.exception("reconciliation of %s failed", key)
                    results[key] = {"error": plain(exc)}
                now = self.clock()
                self.store.health.save(key, now, reconciled_at=now, reconcile_report=results[key])
        self.bus.publish(events.HEALTH_CHANGED)
        return results

    def reread(self, target: CalendarTarget, sample: list[tuple[LinkRecord, AppointmentRecord]],
               report: CycleReport, answers: list | None = None) -> tuple[int, ProviderError | None]:
        """Read each Synced link's event back (``get_events``: one request for them all where the calendar can;
        ``answers``: already read) and plan it against what the calendar holds (deleted or different becomes
        Drift, as reconciliation finds it); returns how many differed, and the first read that failed on its own
        (its event is left as it is, the others are planned)."""
        key, mismatched, failure = target.key, 0, None
        if answers is None:
            answers = target.provider.get_events(target.calendar_id, [link.remote_id for link, _ in sample])
        read = [(current, appt.id) for (_, appt), current in zip(sample, answers) if isinstance(current, RemoteEvent)]
        self.store.cache.put_all(key, [event for event, _ in read], {e.remote_id: a for e, a in read}, self.clock())
        for (link, appt), current in zip(sample, answers):
            if isinstance(current, ProviderError):
                log.info("re-reading %s on %s failed: %s", link.remote_id, key, current)
                failure = failure or current
                continue
            before = report.needs_person
            if current is None:
                self._needs_person(link, key, Op.MARK_DRIFT, f"deleted on {target.label}", {}, True, None, report)
            else:
                self.apply_link(target, key, link, appt, Remote.seen(current), CalendarGate.OPEN, report)
            mismatched += report.needs_person - before
        return mismatched, failure

    def _pick_and_read(self, target: CalendarTarget, start: datetime, end: datetime, size: int,
                       seed: int) -> tuple[list[tuple[LinkRecord, AppointmentRecord]], list]:
        sample = self.store.links.synced_sample(target.key, start, end, size, seed)
        return sample, target.provider.get_events(target.calendar_id, [link.remote_id for link, _ in sample])

    def audit_sample(self, size: int, seed: int | None = None) -> dict[str, tuple[int, int, str | None]]:
        """The daily sample audit: up to ``size`` Synced events of each connected calendar over the sync window,
        picked at random, read back (``reread``): (checked, differed, why it could not be read)."""
        out: dict[str, tuple[int, int, str | None]] = {}
        with self._lock:
            self._begin_cycle()
            start, end = self.window()
            for key, target in self.targets.items():
                sample = self.store.links.synced_sample(key, start, end, size,
                                                        seed if seed is not None else self.rng.randrange(1 << 30))
                try:
                    mismatched, failure = self.reread(target, sample, CycleReport())
                    out[key] = (len(sample), mismatched, plain(failure) if failure else None)
                except ProviderError as exc:
                    out[key] = (len(sample), 0, plain(exc))
        self.bus.publish(events.HEALTH_CHANGED)
        return out

    def _reconcile_calendar(self, target: CalendarTarget, seed: int | None) -> dict:
        key, now = target.key, self.clock()
        started = time.monotonic()
        health = self.health_of(key)
        if self.write_gate(key, health, now) is not CalendarGate.OPEN and not health.held_missing:
            return {"at": now.isoformat(), "skipped": health.pause_reason or "calendar paused"}
        start, end = now, now + timedelta(days=self.profile.sync.reconcile_days_ahead)
        size, seed = self.profile.sync.reconcile_sample, seed if seed is not None else self.rng.randrange(1 << 30)
        # A calendar that reads the sample in one request picks it and reads it on a worker thread while the window
        # is listed and planned; one that reads it one by one (CalDAV: one session) picks and reads it after that.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sample-read") as pool:
            early = pool.submit(self._pick_and_read, target, start, end, size, seed) \
                if target.provider.reads_together else None
            listed = target.provider.list_events(target.calendar_id, start, end)
            vanished, changed = self.store.cache.replace_window(key, listed, start, end, now)
            report = CycleReport()
            # An event listed with the etag the cache holds was planned when the cache took that copy (a pull, or
            # our own write's answer): only what the incremental reads missed, what vanished, and the links owed
            # are planned.
            candidates = self.store.links.to_plan(key, changed | vanished, (start, end))
            remotes = self._remotes(key, candidates, (start, end))
            held = self._guard_mass_deletion(key, candidates, remotes, (start, end), now)
            self._apply_all(target, key, [c for c in candidates if c[0].id not in held], remotes,
                            self.health_of(key), report)
            if early is None:
                sample, answers = self.store.links.synced_sample(key, start, end, size, seed), None
            else:  # a link the listing planned was just compared with a newer copy than the sample's: left out
                planned = {link.id for link, _ in candidates}
                kept = [(pair, answer) for pair, answer in zip(*early.result()) if pair[0].id not in planned]
                sample, answers = [pair for pair, _ in kept], [answer for _, answer in kept]
        mismatched, failure = self.reread(target, sample, report, answers)
        if failure is not None:
            raise failure  # as a failed read of the sample always ended the calendar's reconciliation
        orphans = self.store.cache.ours_without_link(key, start, end)
        return {
            "at": now.isoformat(), "days": self.profile.sync.reconcile_days_ahead, "events_read": len(listed),
            "vanished": len(vanished), "needs_person": report.needs_person, "repaired": report.pushed,
            "failed": report.failed, "sample_checked": len(sample), "sample_mismatched": mismatched,
            "orphans": [{"remote_id": o.remote_id, "title": o.title, "start": o.start.isoformat()} for o in orphans],
            "seconds": round(time.monotonic() - started, 3),
        }
