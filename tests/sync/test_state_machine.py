"""A hypothesis state machine (after vdirsyncer's ``tests/unit/sync/test_sync.py`` ``SyncMachine``): the real engine
and store (SQLite in a temporary folder) against two flaky, hostile in-memory calendars, driven through the console
service as the desk would.

Rules: approve, reschedule, edit, cancel; faults (429 with Retry-After, 5xx, timeouts, no network, lost answers,
refused sign-in); people moving, retitling, deleting our events and emptying a calendar; calendars disconnected and
reconnected; a crash between the remote write and saving the link; the clock; sync cycles; reconciliation; Keep
ours / Take theirs / the mass-deletion answer.

Invariants after every step: no event of ours deleted unless its appointment is cancelled (a cancel, or a person
accepting a deletion); no change a person made on a calendar overwritten before a person decided; no duplicate
events; every link not Synced says why. After every *quiet* cycle (no fault queued, every calendar connected and
open): every Synced link matches its calendar exactly. At the end, a quiet run (faults off, time moved past every
backoff, Keep ours on everything that needs a person) converges: all Synced, the calendars hold exactly our live
appointments.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import uuid
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.models import AppointmentStatus, SyncState
from receptionist.domain.sync_plan import EventContent
from receptionist.errors import AuthError, RateLimited, TransientError, Unreachable, UserError
from receptionist.services.context import location_rules
from tests.helpers.desk import make_desk
from receptionist.store import calls as repo_module
from receptionist.store.db import make_engine, upgrade
from receptionist.store import Store
from receptionist.sync.engine import CalendarTarget, SyncEngine
from tests.helpers.calls import store_payload
from tests.helpers.fakes import FakeCalendar, FakeClock, FakeMessenger
from tests.helpers.payloads import payload

G, O = "google:primary", "outlook:default"
LABELS = {G: "Google Calendar", O: "Outlook"}
ZONE = ZoneInfo("America/Chicago")
START = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)  # Monday 09:00 in Chicago
SLOTS = [datetime.combine(START.astimezone(ZONE).date() + timedelta(days=d), time(h), ZONE)
         for d in range(1, 15) for h in range(9, 17)
         if (START.astimezone(ZONE).date() + timedelta(days=d)).weekday() < 5]

_TEMPLATE: Path | None = None
RAM = "/dev/shm" if Path("/dev/shm").is_dir() else None  # SQLite commits without waiting on a disk


def fresh_database(folder: Path) -> str:
    """A migrated SQLite file, copied from one migrated once (migrating per example would dominate the run)."""
    global _TEMPLATE
    if _TEMPLATE is None:
        path = Path(tempfile.mkdtemp(prefix="syncmachine-", dir=RAM)) / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        _TEMPLATE = path
    target = folder / "desk.db"
    shutil.copy(_TEMPLATE, target)
    return f"sqlite:///{target}"


class WatchedCalendar(FakeCalendar):
    """A FakeCalendar that records what the engine must never do: delete an event of a live appointment, or write
    over a change a person made (content that differs from our last write) before a person decided."""

    def __init__(self, kind: str, key: str, machine: "SyncMachine"):
        super().__init__(kind=kind)
        self.key = key
        self.machine = machine
        self.touched: set[str] = set()  # remote ids a person changed, not yet decided on
        self.written: dict[str, EventContent] = {}  # what our last write stored

    def _store(self, remote_id, draft):
        event = super()._store(remote_id, draft)
        self.written[remote_id] = EventContent.of(event)
        return event

    def _theirs(self, remote_id, etag) -> bool:
        """Would this write (its If-Match matching) go over a person's change?"""
        current = self.events.get(remote_id)
        return (current is not None and not current.cancelled and remote_id in self.touched and not self.fail_next
                and etag == current.etag and EventContent.of(current) != self.written.get(remote_id))

    def update_event(self, calendar_id, remote_id, draft, etag):
        if self._theirs(remote_id, etag):
            self.machine.violations.append(f"{self.key}: overwrote a person's change to {remote_id}")
        return super().update_event(calendar_id, remote_id, draft, etag)

    def delete_event(self, calendar_id, remote_id, etag):
        current = self.events.get(remote_id)
        if current is not None and not current.cancelled and not self.fail_next:
            appt = self.machine.store.appointments.get(current.uid) if current.uid else None
            if appt is None or appt.status is not AppointmentStatus.CANCELLED:
                self.machine.violations.append(f"{self.key}: deleted {remote_id} of a live appointment")
            if self._theirs(remote_id, etag):
                self.machine.violations.append(f"{self.key}: deleted a person's change to {remote_id}")
        return super().delete_event(calendar_id, remote_id, etag)

    def human_edit(self, remote_id, **fields):
        self.touched.add(remote_id)
        return super().human_edit(remote_id, **fields)

    def human_delete(self, remote_id):
        self.touched.add(remote_id)
        super().human_delete(remote_id)


FAULTS = ["429", "503", "timeout", "offline", "lost", "auth", "bug"]


def fault(kind: str) -> Exception:
    return {
        "429": lambda: RateLimited("rate limit exceeded", status=429, retry_after=60),
        "503": lambda: TransientError("backend error", status=503),
        "timeout": lambda: TransientError("the read operation timed out"),
        "offline": lambda: Unreachable("network is unreachable"),
        "lost": lambda: TransientError("connection reset by peer"),
        "auth": lambda: AuthError("invalid_grant: Token has been expired or revoked.", status=400),
        "bug": lambda: KeyError("dateTime"),
    }[kind]()


class SyncMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="syncmachine-", dir=RAM))
        self.db = make_engine(fresh_database(self.folder))
        self.store = Store(self.db)
        self.profile = Profile()
        self.clock = FakeClock(START)
        self.violations: list[str] = []
        self.cals = {G: WatchedCalendar("google", G, self), O: WatchedCalendar("outlook", O, self)}
        self.targets = {k: CalendarTarget(k, c, "primary", LABELS[k]) for k, c in self.cals.items()}
        self.engine = SyncEngine(self.store, self.profile, list(self.targets.values()), calendars=LABELS,
                                 messenger=FakeMessenger(), bus=events.EventBus(), clock=self.clock,
                                 rng=random.Random(0))
        self.desk = make_desk(self.store, self.profile, events.EventBus(), LABELS, clock=self.clock,
                                   engine=self.engine, sms_enabled=True)
        self.crash_armed = False
        real_save = self.store.links.save

        def save_link(link_id, now, **changes):
            if self.crash_armed and changes.get("state") is SyncState.SYNCED:
                self.crash_armed = False  # the process died after the write, before the link was saved
                raise RuntimeError("simulated crash between the write and saving the link")
            return real_save(link_id, now, **changes)

        self.store.links.save = save_link
        # appointment ids in order, so a run replays exactly (hypothesis needs the same draws for the same choices)
        counter = iter(range(1, 1 << 30))
        self._uuid = repo_module.uuid
        repo_module.uuid = SimpleNamespace(uuid4=lambda: uuid.UUID(int=next(counter)))

    def teardown(self):
        try:
            self.converge()
        finally:
            repo_module.uuid = self._uuid
            self.db.dispose()
            shutil.rmtree(self.folder, ignore_errors=True)

    # --- helpers --------------------------------------------------------------------------------------------------

    def appointments(self, live_only=False):
        return [a for a in self.store.appointments.between(include_cancelled=True)
                if not live_only or a.status is not AppointmentStatus.CANCELLED]

    def links(self):
        return [link for a in self.appointments() for link in a.links]

    def want(self, appt) -> EventContent | None:
        return None if appt.status is AppointmentStatus.CANCELLED else EventContent.of(self.engine.draft_for(appt))

    def quiet(self) -> bool:
        now = self.clock()
        health = self.store.health.all()
        for key, cal in self.cals.items():
            if cal.fail_next or cal.fail_reads or cal.lose_answers or key not in self.engine.targets:
                return False
            h = health.get(key)
            if h is not None and (h.gate == "reconnect" or h.held_missing
                                  or (h.paused_until is not None and h.paused_until > now)):
                return False
        return not self.crash_armed

    def check_synced_links_match(self):
        """No Synced link hides a difference between its calendar and what we would write."""
        for appt in self.appointments():
            want = self.want(appt)
            for link in appt.links:
                if link.state is not SyncState.SYNCED:
                    continue
                cal = self.cals[link.calendar]
                live = cal.live(appt.id)
                if want is None:
                    assert live == [], f"{link.calendar}: cancelled {appt.id} still on the calendar, link Synced"
                    continue
                assert len(live) == 1, f"{link.calendar}: {len(live)} events for {appt.id}, link Synced"
                assert live[0].remote_id == link.remote_id
                assert EventContent.of(live[0]) == want, (
                    f"{link.calendar}: Synced link of {appt.id} hides a difference: "
                    f"{want.diff(EventContent.of(live[0]))}")

    def our_event(self, data, key):
        cal = self.cals[key]
        ours = sorted(e.remote_id for e in cal.live() if e.uid)
        return data.draw(st.sampled_from(ours)) if ours else None

    # --- our side -------------------------------------------------------------------------------------------------

    @rule(slot=st.integers(0, len(SLOTS) - 1))
    def approve(self, slot):
        start = SLOTS[slot].replace(tzinfo=None).isoformat()
        call = store_payload(self.store, payload(requested_start=start, duration_minutes=45),
                             location_rules(self.profile), self.clock())
        self.desk.bookings.approve(call.proposal.id, call.proposal.version, actor="amy")

    @precondition(lambda self: self.appointments(live_only=True))
    @rule(data=st.data(), slot=st.integers(0, len(SLOTS) - 1))
    def reschedule(self, data, slot):
        appt = data.draw(st.sampled_from(self.appointments(live_only=True)))
        try:
            self.desk.appointments.reschedule(appt.id, SLOTS[slot].astimezone(timezone.utc), notify=data.draw(st.booleans()))
        except UserError:
            pass  # e.g. the same time: nothing to do

    @precondition(lambda self: self.appointments(live_only=True))
    @rule(data=st.data(), notes=st.sampled_from(["Sensitive teeth", "Bring X-rays", ""]),
          service=st.sampled_from([None, "Whitening", "Teeth cleaning"]))
    def edit(self, data, notes, service):
        appt = data.draw(st.sampled_from(self.appointments(live_only=True)))
        self.desk.appointments.edit(appt.id, notes=notes, service=service)

    @precondition(lambda self: self.appointments(live_only=True))
    @rule(data=st.data())
    def cancel(self, data):
        appt = data.draw(st.sampled_from(self.appointments(live_only=True)))
        self.desk.appointments.cancel(appt.id, "caller cancelled", notify=data.draw(st.booleans()))

    # --- the calendars misbehave ------------------------------------------------------------------------------------

    @rule(key=st.sampled_from([G, O]), kind=st.sampled_from(FAULTS), on=st.sampled_from(["write", "read"]))
    def inject_fault(self, key, kind, on):
        cal = self.cals[key]
        if kind == "lost":
            cal.lose_answers.append(fault(kind))
        elif on == "read" and kind != "bug":
            cal.fail_reads.append(fault(kind))
        else:
            cal.fail_next.append(fault(kind))

    @rule()
    def crash_between_write_and_save(self):
        self.crash_armed = True

    @rule(key=st.sampled_from([G, O]))
    def disconnect(self, key):
        self.engine.targets.pop(key, None)

    @rule(key=st.sampled_from([G, O]))
    def reconnect(self, key):
        self.engine.targets[key] = self.targets[key]
        self.store.health.reopen(key, self.clock())

    # --- people at the calendars ------------------------------------------------------------------------------------

    @rule(data=st.data(), key=st.sampled_from([G, O]), hours=st.integers(-2, 3).filter(bool))
    def person_moves(self, data, key, hours):
        rid = self.our_event(data, key)
        if rid:
            e = self.cals[key].events[rid]
            self.cals[key].human_edit(rid, start=e.start + timedelta(hours=hours), end=e.end + timedelta(hours=hours))

    @rule(data=st.data(), key=st.sampled_from([G, O]))
    def person_retitles(self, data, key):
        rid = self.our_event(data, key)
        if rid:
            self.cals[key].human_edit(rid, title=self.cals[key].events[rid].title + " (call first)")

    @rule(data=st.data(), key=st.sampled_from([G, O]))
    def person_deletes(self, data, key):
        rid = self.our_event(data, key)
        if rid:
            self.cals[key].human_delete(rid)

    @precondition(lambda self: len(self.appointments(live_only=True)) >= 5)
    @rule(key=st.sampled_from([G, O]))
    def person_empties_the_calendar(self, key):
        cal = self.cals[key]
        for e in cal.live():
            if e.uid:
                cal.human_delete(e.remote_id)

    # --- time and sync ----------------------------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([1, 30, 61, 301, 1800]))
    def time_passes(self, seconds):
        self.clock.advance(seconds=seconds)

    @rule()
    def sync(self):
        quiet = self.quiet()
        report = self.engine.run_cycle()
        if quiet:
            self.check_synced_links_match()
        if report.ok:
            assert all(link.state is SyncState.SYNCED for link in self.links())

    @rule(seed=st.integers(0, 1000))
    def reconcile(self, seed):
        self.engine.reconcile(seed=seed)

    # --- a person decides -------------------------------------------------------------------------------------------

    def decided(self, link):
        if link.remote_id:
            self.cals[link.calendar].touched.discard(link.remote_id)

    @precondition(lambda self: any(link.state.needs_person for link in self.links()))
    @rule(data=st.data(), keep=st.booleans())
    def person_decides(self, data, keep):
        link = data.draw(st.sampled_from(sorted((x for x in self.links() if x.state.needs_person),
                                                key=lambda x: x.id)))
        try:
            if keep:
                self.desk.sync.keep_ours(link.id, actor="amy")
            else:
                self.desk.sync.take_theirs(link.id, actor="amy")
        except UserError:
            return  # e.g. the appointment was changed meanwhile (StaleEdit)
        self.decided(link)

    @precondition(lambda self: any(h.held_missing for h in self.store.health.all().values()))
    @rule(data=st.data(), recreate=st.booleans())
    def answer_mass_deletion(self, data, recreate):
        key = data.draw(st.sampled_from(sorted(k for k, h in self.store.health.all().items()
                                               if h.held_missing)))
        for link in self.links():
            if link.calendar == key and link.deleted_remotely:
                self.decided(link)
        self.desk.sync.resolve_mass_deletion(key, recreate=recreate, actor="amy")

    # --- invariants -------------------------------------------------------------------------------------------------

    @invariant()
    def nothing_forbidden_happened(self):
        assert self.violations == []

    @invariant()
    def no_duplicates(self):
        for key, cal in self.cals.items():
            uids = [e.uid for e in cal.live() if e.uid]
            assert len(uids) == len(set(uids)), f"{key} holds a duplicate of one of our events"

    @invariant()
    def every_link_that_is_not_synced_says_why(self):
        for appt in self.appointments():
            assert {link.calendar for link in appt.links} >= ({G, O} if appt.status is AppointmentStatus.CONFIRMED
                                                               else set())
            for link in appt.links:
                if link.state in (SyncState.FAILED, SyncState.RECONNECT, SyncState.CONFLICT, SyncState.DRIFT):
                    assert link.last_error, f"{link.calendar} link of {appt.id} is {link.state.value} with no reason"
                    assert "object at 0x" not in link.last_error
                if link.state is SyncState.SYNCED and appt.status is AppointmentStatus.CONFIRMED:
                    assert link.remote_id is not None

    # --- the end: a quiet run converges -----------------------------------------------------------------------------

    def converge(self):
        for cal in self.cals.values():
            cal.fail_next.clear()
            cal.fail_reads.clear()
            cal.lose_answers.clear()
        self.crash_armed = False
        for key in self.cals:
            self.reconnect(key)
        for _ in range(12):
            for key, h in self.store.health.all().items():
                if h.held_missing:
                    self.desk.sync.resolve_mass_deletion(key, recreate=True, actor="amy")
            for link in self.links():
                if link.state.needs_person:
                    self.desk.sync.keep_ours(link.id, actor="amy")
                    self.decided(link)
            self.store.links.retry(self.clock())  # links that gave up
            self.clock.advance(hours=1)
            report = self.engine.run_cycle()
            if report.ok:
                break
        assert report.ok, report
        assert self.violations == []
        self.check_synced_links_match()
        assert all(link.state is SyncState.SYNCED for link in self.links())
        for key, cal in self.cals.items():
            want = {a.id: self.want(a) for a in self.appointments(live_only=True)}
            have = {e.uid: EventContent.of(e) for e in cal.live() if e.uid}
            assert have == want, f"{key} does not hold exactly our live appointments"


# SYNCMACHINE_EXAMPLES / SYNCMACHINE_STEPS for a longer hunt; SYNCMACHINE_SHRINK=1 to shrink a failure (slow)
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + (
    [Phase.shrink] if os.environ.get("SYNCMACHINE_SHRINK") else [])
TestSyncMachine = SyncMachine.TestCase
TestSyncMachine.settings = settings(
    max_examples=int(os.environ.get("SYNCMACHINE_EXAMPLES", "20")),
    stateful_step_count=int(os.environ.get("SYNCMACHINE_STEPS", "30")), phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
