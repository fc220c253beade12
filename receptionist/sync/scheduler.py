"""Runs the sync engine in the background on APScheduler, as the one sync leader among the desks.

One worker thread (a single-thread executor, ``max_instances=1``, coalescing) runs cycles every
``sync.interval_seconds``; ``wake()`` pulls the next run forward (after an approval, a Retry press), a backlog
brings the next cycle straight back, and a failed write's backoff deadline pulls it forward too. A job asked to
run now while it runs goes again as soon as it is over: APScheduler itself would skip that run ("maximum number of
running instances reached") and leave the job to its next turn, an interval away. A second job
reconciles every ``sync.reconcile_interval_minutes``; others join with ``every`` (the health alerts each minute,
the daily sample audit, the on-call rota), all on the same thread and only on the leader. A job may also run at once
when this desk becomes the leader (the on-call rota: read before anyone asks), and Settings may change a job's
interval (``reschedule``) or have it run now (``run_soon``) while the desk runs.

Leadership is a lease row in the database: only its holder writes to calendars, so several desks on one
PostgreSQL never push the same change twice. The lease is renewed before each cycle *and* before each write
while a long cycle runs (``may_write``), so a cycle that outlasts the lease never overlaps another desk's. A lease
left by a crashed process of this same machine is taken over at once instead of waiting for it to expire.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from receptionist import events
from receptionist.errors import UserError
from receptionist.sync.engine import CycleReport, SyncEngine

log = logging.getLogger(__name__)

LEASE = "sync-leader"
JOB = "sync-cycle"
RECONCILE_JOB = "reconcile"


def holder_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def dead_local_holder(holder: str | None) -> bool:
    """Whether ``holder`` (host:pid:token) is a process of this machine that no longer runs."""
    if not holder:
        return False
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    return False


class LeaderLease:
    """This desk's claim to be the sync leader. ``renew()`` is cheap to call often: it only touches the database
    once a third of the lease has passed."""

    def __init__(self, engine: SyncEngine, ttl: timedelta, holder: str | None = None):
        self.store = engine.store
        self.clock = engine.clock
        self.ttl = ttl
        self.holder = holder or holder_identity()
        self.held = False
        self._renewed_at: datetime | None = None
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        with self._lock:
            now = self.clock()
            current = self.store.leases.holder(LEASE, now)
            take_over = current if dead_local_holder(current) else None
            if take_over:
                log.info("taking over the sync lease of %s (that process is gone)", take_over)
            self.held = self.store.leases.acquire(LEASE, self.holder, self.ttl, now, take_over=take_over)
            self._renewed_at = now if self.held else None
            return self.held

    def renew(self) -> bool:
        """Before a write: still the leader? Renews the lease when a third of it has passed."""
        if not self.held:
            return False
        now = self.clock()
        if self._renewed_at is not None and now - self._renewed_at < self.ttl / 3:
            return True
        return self.acquire()

    def release(self) -> None:
        with self._lock:
            if self.held:
                self.store.leases.release(LEASE, self.holder)
            self.held = False


class SyncScheduler:
    """Attributes:
        lease: this desk's ``LeaderLease``.
        last_report: the last cycle's report.
    """

    def __init__(self, engine: SyncEngine, interval: float, reconcile_minutes: float | None = None, *,
                 before_cycle: Callable[[], None] = lambda: None):
        self.engine = engine
        self.before_cycle = before_cycle  # picks up a sign-in stored by another path (app.CalendarSignIn.pick_up)
        self.interval = interval
        self.lease = LeaderLease(engine, timedelta(seconds=max(60.0, interval * 3)))
        self.last_report: CycleReport | None = None
        # the leader's other jobs (``every``): id -> (minutes, work, run when this desk becomes the leader)
        self._jobs: dict[str, tuple[float, Callable[[], object], bool]] = {}
        self._leading = False  # as the last ``_lead`` found: a change to True runs the ``on_lead`` jobs
        self._running: set[str] = set()  # jobs running now (``_begun``, ``_ended``)
        self._again: set[str] = set()  # jobs asked to run now since their last run began (``_soon``)
        self._runs_lock = threading.Lock()
        if reconcile_minutes:
            self.every(RECONCILE_JOB, reconcile_minutes, engine.reconcile)
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=timezone.utc,
        )
        self._scheduler.add_listener(self._over, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    @property
    def holder(self) -> str:
        return self.lease.holder

    @property
    def is_leader(self) -> bool:
        return self.lease.held

    def start(self) -> None:
        self._scheduler.add_job(self._tick, "interval", seconds=self.interval, id=JOB,
                                next_run_time=datetime.now(timezone.utc))
        for job_id, (minutes, work, on_lead) in self._jobs.items():
            # an ``on_lead`` job's first run comes with the lease (``_lead``); the others' a minute after the start
            first = minutes if on_lead else min(minutes, 1)
            self._scheduler.add_job(self._as_leader, "interval", args=(job_id, work), minutes=minutes, id=job_id,
                                    next_run_time=datetime.now(timezone.utc) + timedelta(minutes=first))
        self._scheduler.start()

    def every(self, job_id: str, minutes: float, work: Callable[[], object], *, on_lead: bool = False) -> None:
        """Run ``work`` every ``minutes`` on the sync thread, only while this desk is the leader (the health
        alerts, the daily sample audit). ``on_lead``: also at once whenever this desk becomes the leader, before
        its first cycle (the on-call rota, so the agent's answer never waits a minute for it). Before ``start``."""
        self._jobs[job_id] = (minutes, work, on_lead)

    def reschedule(self, job_id: str, minutes: float) -> None:
        """The leader's job ``job_id`` every ``minutes`` from now on (Settings saved a new interval)."""
        _, work, on_lead = self._jobs[job_id]
        self._jobs[job_id] = (minutes, work, on_lead)
        if self._scheduler.running:
            self._scheduler.reschedule_job(job_id, trigger="interval", minutes=minutes)

    def run_soon(self, job_id: str) -> None:
        """Run the leader's job ``job_id`` now, on the sync thread, rather than at its next turn (a setting it
        reads changed); its interval counts from then. Nothing while the scheduler is not running."""
        self._soon(job_id)

    def _soon(self, job_id: str) -> None:
        """Job ``job_id`` runs now or, while it runs, again as soon as that run is over (``_over``)."""
        job = self._scheduler.get_job(job_id) if self._scheduler.running else None
        if job is None:
            return
        with self._runs_lock:
            self._again.add(job_id)
            running = job_id in self._running
        if not running:
            job.modify(next_run_time=datetime.now(timezone.utc))

    def _begun(self, job_id: str) -> None:
        """A run of ``job_id`` begins: what it was asked for until now, it does."""
        with self._runs_lock:
            self._running.add(job_id)
            self._again.discard(job_id)

    def _ended(self, job_id: str) -> bool:
        """A run of ``job_id`` ended: whether it was asked to run again meanwhile."""
        with self._runs_lock:
            self._running.discard(job_id)
            return job_id in self._again

    def _over(self, event: JobExecutionEvent) -> None:
        """A run is over and the executor no longer counts it: a run asked for meanwhile goes now."""
        if self._ended(event.job_id):
            self._soon(event.job_id)

    def _as_leader(self, job_id: str, work: Callable[[], object]) -> None:
        self._begun(job_id)
        if not self._lead(running=job_id):
            return
        self._run(job_id, work)

    @staticmethod
    def _run(job_id: str, work: Callable[[], object]) -> None:
        try:
            work()
        except Exception:  # a bug; keep the thread alive and visible in the log
            log.exception("%s failed", job_id)

    def _on_lead(self, running: str | None) -> None:
        """This desk just became the leader: its ``on_lead`` jobs run now (``running``, the job that found out,
        runs anyway) and their next turn is an interval from now, or at once if one was asked for meanwhile."""
        for job_id, (minutes, work, on_lead) in list(self._jobs.items()):
            if not on_lead or job_id == running:
                continue
            self._begun(job_id)
            self._run(job_id, work)
            job = self._scheduler.get_job(job_id) if self._scheduler.running else None
            if job is not None:
                job.modify(next_run_time=datetime.now(timezone.utc) + timedelta(minutes=minutes))
            if self._ended(job_id):  # asked to run while it ran (a setting changed): now, not an interval on
                self._soon(job_id)

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self.lease.release()

    def wake(self, at: datetime | None = None) -> None:
        """Run a cycle now (again as soon as a running one is over), or at ``at`` if that is sooner than the next
        planned one."""
        if at is None:
            self._soon(JOB)
            return
        job = self._scheduler.get_job(JOB) if self._scheduler.running else None
        if job is not None and (job.next_run_time is None or at < job.next_run_time):
            job.modify(next_run_time=at)

    def _lead(self, running: str | None = None) -> bool:
        was = self.lease.held
        try:
            leader = self.lease.acquire()
        except Exception:
            log.exception("could not take the sync lease")
            return False
        if leader != was:
            log.info("this desk %s the sync leader", "is now" if leader else "is no longer")
        if not leader:
            self.engine.bus.publish(events.HEALTH_CHANGED)
        became, self._leading = leader and not self._leading, leader
        if became:
            self._on_lead(running)
        return leader

    def _tick(self) -> None:
        self._begun(JOB)
        if not self._lead():
            return
        try:
            self.before_cycle()
            self.last_report = report = self.engine.run_cycle(may_write=self.lease.renew)
        except Exception:  # a bug; keep the thread alive and visible in the log
            log.exception("sync cycle failed")
            return
        if not report.lease_lost and self.engine.owed_now():
            self.wake()  # a backlog, or work that arrived during the cycle: go again once this run is over
            return
        retry_at = self.engine.store.links.next_retry_at(self.engine.profile.sync.max_attempts)
        if retry_at is not None:
            self.wake(max(retry_at, datetime.now(timezone.utc) + timedelta(seconds=1)))

    def run_once(self) -> CycleReport:
        """One cycle as the leader (``receptionist sync --once``); refused while another desk leads."""
        if not self.lease.acquire():
            raise UserError("another desk is the sync leader right now; its sync thread is doing this work")
        try:
            self.before_cycle()
            return self.engine.run_cycle(may_write=self.lease.renew)
        finally:
            self.lease.release()
