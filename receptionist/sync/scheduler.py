"""Runs the sync engine in the background on APScheduler, as the one sync leader among the desks.

One worker thread (a single-thread executor, ``max_instances=1``, coalescing) runs cycles every
``sync.interval_seconds``; ``wake()`` pulls the next run forward (after an approval, a Retry press) and a failed
write's backoff deadline pulls it forward too.  Before each cycle the desk renews a lease row in the database;
only the holder writes to calendars, so several desks on one PostgreSQL never push the same change twice.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from receptionist import events
from receptionist.sync.engine import CycleReport, SyncEngine

log = logging.getLogger(__name__)

LEASE = "sync-leader"
JOB = "sync-cycle"


class SyncScheduler:
    """Attributes:
        holder: this desk's lease identity (host:pid:random).
        is_leader: whether the last cycle held the lease.
        last_report: the last cycle's report.
    """

    def __init__(self, engine: SyncEngine, interval: float):
        self.engine = engine
        self.interval = interval
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.is_leader = False
        self.last_report: CycleReport | None = None
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=timezone.utc,
        )

    def start(self) -> None:
        self._scheduler.add_job(self._tick, "interval", seconds=self.interval, id=JOB,
                                next_run_time=datetime.now(timezone.utc))
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        if self.is_leader:
            self.engine.store.release_lease(LEASE, self.holder)

    def wake(self, at: datetime | None = None) -> None:
        """Run a cycle now (or at ``at`` if that is sooner than the next planned one)."""
        if not self._scheduler.running:
            return
        job = self._scheduler.get_job(JOB)
        when = at or datetime.now(timezone.utc)
        if job is not None and (job.next_run_time is None or when < job.next_run_time):
            job.modify(next_run_time=when)

    def _tick(self) -> None:
        now = self.engine.clock()
        ttl = timedelta(seconds=max(60.0, self.interval * 3))
        try:
            leader = self.engine.store.acquire_lease(LEASE, self.holder, ttl, now)
        except Exception:
            log.exception("could not take the sync lease")
            return
        if leader != self.is_leader:
            log.info("this desk %s the sync leader", "is now" if leader else "is no longer")
        self.is_leader = leader
        if not leader:
            self.engine.bus.publish(events.HEALTH_CHANGED)
            return
        try:
            self.last_report = self.engine.run_cycle()
        except Exception:  # a bug; keep the thread alive and visible in the log
            log.exception("sync cycle failed")
            return
        retry_at = self.engine.store.next_retry_at(self.engine.profile.sync.max_attempts)
        if retry_at is not None:
            self.wake(max(retry_at, datetime.now(timezone.utc) + timedelta(seconds=1)))
