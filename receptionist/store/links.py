"""Calendar links: the sync state of every appointment on every calendar."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from receptionist.domain.models import (
    AppointmentRecord,
    AppointmentStatus,
    LinkRecord,
    SyncState,
)
from receptionist.domain.ports import RemoteEvent
from receptionist.errors import UserError
from receptionist.store import tables as t
from receptionist.store.appointments import (
    appointment_for_change,
    load_appointment,
    repush,
)
from receptionist.store.audit import audit_in
from receptionist.store.base import (
    REPUSH_STATES,
    Room,
    appointment_overlaps,
    commit_or_stale,
)
from receptionist.store.outbox import queue_in
from receptionist.store.records import appointment_record, link_record
from receptionist.store.remote_cache import upsert_events

_WHAT_THE_CALENDAR_HOLDS = ("remote_id", "etag", "content_hash")  # facts of a write, whatever it was planned from


class LinkStore(Room):
    """One row per (appointment, calendar): the sync status of each booking on each calendar."""

    def to_plan(self, calendar: str, changed_remote_ids: Iterable[str] = (),
                      window: tuple[datetime, datetime] | None = None,
                      limit: int | None = None, resting: tuple[datetime, int] | None = None
                      ) -> list[tuple[LinkRecord, AppointmentRecord]]:
        """The links of ``calendar`` the sync plan must look at, with their appointments: every link that is not
        Synced, every link whose remote copy just changed, and every Synced link of an appointment inside the
        pulled ``window`` whose event is missing from the remote cache. A quiet cycle returns nothing, so it
        costs nothing, however many appointments the desk keeps.

        ``resting`` = (now, max attempts) leaves out the Failed links the plan would leave alone anyway (waiting
        for their backoff, or given up until Retry), unless their remote copy changed: years of given-up links
        are not loaded every cycle."""
        L, A, E = t.CalendarLink, t.Appointment, t.ExternalEvent
        owed = L.state != SyncState.SYNCED.value
        if resting is not None:
            now, max_attempts = resting
            owed = and_(owed, ~and_(L.state == SyncState.FAILED.value, or_(
                L.attempts >= max_attempts, and_(L.next_attempt_at.is_not(None), L.next_attempt_at > now))))
        clauses = [owed]
        changed = list(changed_remote_ids)
        if len(changed) > 2000 and window is not None:  # a full listing: every link in the window, not a huge IN
            clauses.append(and_(L.remote_id.is_not(None), appointment_overlaps(*window)))
        elif changed:
            clauses.append(L.remote_id.in_(changed))
            # our event seen before its link learnt the remote id (a create whose answer was lost)
            clauses.append(and_(L.remote_id.is_(None), L.appointment_id.in_(
                select(E.uid).where(E.calendar == calendar, E.remote_id.in_(changed), E.uid.is_not(None)))))
        if window is not None:
            missing = ~select(E.remote_id).where(E.calendar == calendar, E.remote_id == L.remote_id).exists()
            clauses.append(and_(L.remote_id.is_not(None), appointment_overlaps(*window), missing))
        q = (select(L.appointment_id).join(A, A.id == L.appointment_id)
             .where(L.calendar == calendar, or_(*clauses))
             .order_by(L.next_attempt_at.is_(None).desc(), L.next_attempt_at, L.id))
        if limit is not None:
            q = q.limit(limit)
        with self.session() as s:
            ids = list(s.scalars(q))
            if not ids:
                return []
            rows = {r.id: r for r in s.scalars(select(A).options(selectinload(A.links)).where(A.id.in_(ids)))}
            out = []
            for appointment_id in ids:
                appt = appointment_record(rows[appointment_id])
                link = next(link for link in appt.links if link.calendar == calendar)
                out.append((link, appt))
            return out

    def count_linked_in_window(self, calendar: str, start: datetime, end: datetime) -> int:
        """How many of our live appointments in [start, end) have an event on ``calendar`` (the guard's base)."""
        L, A = t.CalendarLink, t.Appointment
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(L).join(A, A.id == L.appointment_id).where(
                L.calendar == calendar, L.remote_id.is_not(None), A.status == AppointmentStatus.CONFIRMED.value,
                appointment_overlaps(start, end))) or 0

    def owed_now(self, now: datetime, calendars: Iterable[str]) -> bool:
        """Is any link of ``calendars`` Pending with nothing to wait for?"""
        L = t.CalendarLink
        with self.session() as s:
            return s.scalar(select(L.id).where(L.calendar.in_(list(calendars)), L.state == SyncState.PENDING.value, or_(
                L.next_attempt_at.is_(None), L.next_attempt_at <= now)).limit(1)) is not None

    def next_retry_at(self, max_attempts: int) -> datetime | None:
        with self.session() as s:
            return s.scalar(select(func.min(t.CalendarLink.next_attempt_at)).where(
                t.CalendarLink.state.in_([SyncState.FAILED.value, SyncState.PENDING.value]),
                t.CalendarLink.attempts < max_attempts))

    def get(self, link_id: int) -> LinkRecord | None:
        with self.session() as s:
            row = s.get(t.CalendarLink, link_id)
            return link_record(row) if row else None

    def save(self, link_id: int, now: datetime, *, expect_updated: datetime | None = None,
                  planned_version: int | None = None, cache: tuple[str, RemoteEvent, str] | None = None,
                  **changes) -> LinkRecord | None:
        """Change a link row. With ``expect_updated`` (when the sync thread read it) the change is only made if
        nobody touched the row since — a person's Retry or Keep ours pressed meanwhile wins; None is returned.
        ``planned_version`` is the appointment's version the sync thread planned from: if a desk changed the
        appointment since (a reschedule while we wrote the old time), what the write left on the calendar is
        recorded (remote id, etag, content hash) but not its verdict — the link stays as that change left it
        (Pending), so the new version is pushed next instead of the old one being called Synced.
        ``cache`` = (calendar, event, uid): our write as read back goes into the remote cache (``cache_event``) in
        the same transaction, so a pushed link costs one commit, not two."""
        allowed = {"state", "remote_id", "etag", "content_hash", "last_error", "attempts", "next_attempt_at",
                   "synced_at", "detail"}
        unknown = set(changes) - allowed
        if unknown:
            raise TypeError(f"unknown link fields {unknown}")
        if isinstance(changes.get("state"), SyncState):
            changes["state"] = changes["state"].value
        with self.session() as s:
            if cache is not None:
                calendar, event, uid = cache
                upsert_events(s, calendar, [event], now, {event.remote_id: uid})
            row = s.get(t.CalendarLink, link_id)
            if row is None:
                s.commit()
                return None  # the appointment was deleted meanwhile
            if expect_updated is not None and row.updated_at != expect_updated:
                s.commit()
                return None
            if planned_version is not None and row.appointment.version != planned_version:
                changes = {k: v for k, v in changes.items() if k in _WHAT_THE_CALENDAR_HOLDS}
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = now
            s.commit()
            return link_record(row)

    def retry(self, now: datetime, link_ids: Iterable[int] | None = None, actor: str = "staff") -> int:
        """Put failed links back to pending now (a person pressed Retry / Retry all failed). A Drift or Conflict
        is not retried: it waits for Keep ours / Take theirs."""
        q = update(t.CalendarLink).values(state=SyncState.PENDING.value, attempts=0, next_attempt_at=None,
                                          last_error=None, updated_at=now)
        if link_ids is None:
            q = q.where(t.CalendarLink.state == SyncState.FAILED.value)
        else:
            ids = list(link_ids)
            q = q.where(t.CalendarLink.id.in_(ids),
                        t.CalendarLink.state.in_([SyncState.FAILED.value, SyncState.RECONNECT.value]))
        with self.session() as s:
            count = s.execute(q).rowcount
            audit_in(s, now, actor, "sync.retry", "link", "all" if link_ids is None else ",".join(map(str, ids)),
                        {"count": count})
            s.commit()
            return count

    def counts(self, states: Iterable[SyncState] | None = None) -> dict[str, dict[str, int]]:
        """{calendar: {state: count}}. With ``states`` (the window's attention counts) only those are counted,
        by index; without (``status``), every link."""
        L = t.CalendarLink
        q = select(L.calendar, L.state, func.count()).group_by(L.calendar, L.state)
        if states is not None:
            q = q.where(L.state.in_([SyncState(x).value for x in states]))
        with self.session() as s:
            out: dict[str, dict[str, int]] = {}
            for cal, state, n in s.execute(q):
                out.setdefault(cal, {})[state] = n
            return out

    def ensure(self, calendars: Iterable[str], now: datetime) -> int:
        """Give every live appointment a link row for each enabled calendar (a calendar enabled after bookings
        were made owes them too). Returns how many rows were added."""
        added = 0
        with self.session() as s:
            for cal in calendars:
                has = select(t.CalendarLink.id).where(t.CalendarLink.appointment_id == t.Appointment.id,
                                                      t.CalendarLink.calendar == cal).exists()
                ids = list(s.scalars(select(t.Appointment.id).where(
                    t.Appointment.status == AppointmentStatus.CONFIRMED.value, ~has)))
                for appointment_id in ids:
                    s.add(t.CalendarLink(appointment_id=appointment_id, calendar=cal, state=SyncState.PENDING.value,
                                         attempts=0, generation=0, updated_at=now))
                added += len(ids)
            s.commit()
        return added

    def keep_ours(self, link_id: int, remote_etag: str | None, remote_hash: str | None, actor: str,
                  now: datetime) -> LinkRecord:
        """Keep ours on a Drift/Conflict: the calendar gets our version again. Deleted there → created anew;
        changed there → overwritten, with If-Match on the copy the person saw (a newer change is a new Conflict)."""
        with self.session() as s:
            row = s.get(t.CalendarLink, link_id)
            if row is None:
                raise UserError(f"sync link {link_id} does not exist")
            deleted = bool((row.detail or {}).get("deleted")) or remote_hash is None
            if deleted:
                row.remote_id = row.etag = row.content_hash = None
                row.generation = (row.generation or 0) + 1
            else:
                row.etag, row.content_hash = remote_etag, remote_hash
            row.state, row.attempts, row.next_attempt_at, row.last_error, row.detail = (
                SyncState.PENDING.value, 0, None, None, None)
            row.updated_at = now
            audit_in(s, now, actor, "sync.keep_ours", "link", str(link_id),
                        {"calendar": row.calendar, "appointment": row.appointment_id, "recreate": deleted})
            s.commit()
            return link_record(row)

    def take_theirs(self, link_id: int, changes: dict | None, remote_etag: str | None, remote_hash: str | None,
                    actor: str, now: datetime, outbox: Iterable[tuple[str, dict]] = ()) -> AppointmentRecord:
        """Take theirs on a Drift/Conflict: our appointment follows the calendar. ``changes`` None means the event
        was deleted there: the appointment is cancelled (and deleted from the other calendars). Otherwise the
        appointment takes ``changes`` and this link counts the calendar's copy as confirmed; the other calendars
        are owed the new version."""
        with self.session() as s:
            link = s.get(t.CalendarLink, link_id)
            if link is None:
                raise UserError(f"sync link {link_id} does not exist")
            row = appointment_for_change(s, link.appointment_id, link.appointment.version)
            label = link.calendar.split(":")[0].capitalize()
            if changes is None:
                row.status = AppointmentStatus.CANCELLED.value
                row.cancel_reason = f"deleted on {label}; the deletion was accepted by {actor}"
                link.remote_id = link.etag = link.content_hash = None
            else:
                for key, value in changes.items():
                    setattr(row, {"start": "start_at", "end": "end_at"}.get(key, key), value)
                link.etag, link.content_hash = remote_etag, remote_hash
                if row.status == AppointmentStatus.CANCELLED.value:
                    # "cancelled here, edited there": the calendar's version is a live booking. Left cancelled,
                    # this link was Synced over a live event that nothing would ever delete.
                    row.status, row.cancel_reason = AppointmentStatus.CONFIRMED.value, None
                    for other in row.links:  # events we deleted for the cancellation are made anew, new ids
                        if other is not link and other.remote_id is None:
                            other.generation = (other.generation or 0) + 1
            row.updated_at = now
            repush(row, now)
            link.state, link.detail, link.last_error, link.attempts = SyncState.SYNCED.value, None, None, 0
            link.synced_at = link.updated_at = now
            queue_in(s, outbox, row.id, now)
            audit_in(s, now, actor, "sync.take_theirs", "link", str(link_id),
                        {"calendar": link.calendar, "appointment": row.id, "cancelled": changes is None,
                         "changes": {k: (v.isoformat() if isinstance(v, datetime) else v)
                                     for k, v in (changes or {}).items()}})
            commit_or_stale(s)
            appointment_id = row.id
        return self._appointment(appointment_id)

    def deleted_remotely(self, calendar: str) -> list[LinkRecord]:
        """The links of ``calendar`` in Drift because their event is gone (for the mass-deletion alert)."""
        with self.session() as s:
            rows = s.scalars(select(t.CalendarLink).where(t.CalendarLink.calendar == calendar,
                                                          t.CalendarLink.state == SyncState.DRIFT.value))
            return [link for link in map(link_record, rows) if link.deleted_remotely]

    def synced_sample(self, calendar: str, start: datetime, end: datetime, n: int,
                      seed: int) -> list[tuple[LinkRecord, AppointmentRecord]]:
        """Up to ``n`` Synced links of appointments in [start, end), picked by ``seed``, with their appointments
        (read in one query: reconciliation reads their events back)."""
        L, A = t.CalendarLink, t.Appointment
        with self.session() as s:
            ids = list(s.scalars(select(L.id).join(A, A.id == L.appointment_id).where(
                L.calendar == calendar, L.state == SyncState.SYNCED.value, L.remote_id.is_not(None),
                appointment_overlaps(start, end))))
            picked = random.Random(seed).sample(ids, min(n, len(ids)))
            if not picked:
                return []
            rows = s.scalars(select(A).options(selectinload(A.links)).join(L, L.appointment_id == A.id)
                             .where(L.id.in_(picked)))
            out = []
            for row in rows:
                appt = appointment_record(row)
                out += [(link, appt) for link in appt.links if link.id in picked]
            return out

    def resolve_mass_deletion(self, calendar: str, recreate: bool, actor: str, now: datetime) -> int:
        """A person's answer to the mass-deletion alert: re-create every vanished event, or accept the deletions
        (cancel those appointments, and delete them from the other calendars). Releases the hold."""
        count = 0
        with self.session() as s:
            links = [link for link in s.scalars(select(t.CalendarLink).options(selectinload(t.CalendarLink.appointment))
                                                .where(t.CalendarLink.calendar == calendar,
                                                       t.CalendarLink.state == SyncState.DRIFT.value))
                     if (link.detail or {}).get("deleted")]
            label = calendar.split(":")[0].capitalize()
            for link in links:
                count += 1
                if recreate:
                    link.remote_id = link.etag = link.content_hash = None
                    link.generation = (link.generation or 0) + 1
                    link.state = SyncState.PENDING.value
                else:
                    appt = link.appointment
                    if appt.status != AppointmentStatus.CANCELLED.value:
                        appt.status = AppointmentStatus.CANCELLED.value
                        appt.cancel_reason = f"deleted on {label}; the deletion was accepted by {actor}"
                        appt.updated_at = now
                        for other in appt.links:
                            if other is not link and other.state in REPUSH_STATES:
                                other.state, other.attempts, other.next_attempt_at = SyncState.PENDING.value, 0, None
                                other.updated_at = now
                    link.remote_id = link.etag = link.content_hash = None
                    link.state, link.synced_at = SyncState.SYNCED.value, now
                link.detail, link.last_error, link.attempts, link.next_attempt_at = None, None, 0, None
                link.updated_at = now
            health = s.get(t.CalendarHealth, calendar)
            if health is not None:
                health.held_missing, health.gate, health.pause_reason, health.updated_at = 0, "open", None, now
            audit_in(s, now, actor, "sync.mass_deletion." + ("recreate" if recreate else "accept"), "calendar",
                        calendar, {"count": count})
            s.commit()
        return count

    def _appointment(self, appointment_id: str) -> AppointmentRecord | None:
        with self.session() as s:
            return load_appointment(s, appointment_id)
