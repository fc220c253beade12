"""The remote cache: every calendar event the pulls read."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from receptionist.domain.models import (
    ExternalEventRecord,
)
from receptionist.domain.ports import ChangeBatch, RemoteEvent
from receptionist.store import tables as t
from receptionist.store.base import LONG_EVENT, Room, chunks, event_overlaps
from receptionist.store.records import external_record


@functools.cache
def _upsert_statement(dialect: str):
    """The upsert, built once per dialect (building its ``excluded`` alias copies every column: ~1 ms, which
    was most of caching one event after a write)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = t.ExternalEvent.__table__
    stmt = insert(table)
    cols = {c: stmt.excluded[c] for c in ("etag", "title", "description", "location", "start_at", "end_at",
                                          "long_span", "busy", "all_day", "updated_at")}
    # Graph delta answers carry no extended properties: keep a uid we already knew.
    cols["uid"] = func.coalesce(stmt.excluded.uid, table.c.uid)
    return stmt.on_conflict_do_update(index_elements=["calendar", "remote_id"], set_=cols)


def upsert_events(s: Session, calendar: str, events: list[RemoteEvent], now: datetime,
                   uids: dict[str, str]) -> None:
    """Bulk upsert: one ``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL) executed over every row
    (the driver's executemany), so the statement is compiled once and cached, whatever the number of rows."""
    if not events:
        return
    rows = {e.remote_id: {"calendar": calendar, "remote_id": e.remote_id, "etag": e.etag, "title": e.title,
                          "description": e.description or "", "location": e.location or "",
                          "start_at": e.start, "end_at": e.end, "long_span": e.end - e.start > LONG_EVENT,
                          "busy": e.busy, "all_day": e.all_day,
                          "uid": e.uid or uids.get(e.remote_id), "updated_at": now} for e in events}
    # Core, on the session's connection and transaction: the ORM's bulk path would re-check every row.
    s.connection().execute(_upsert_statement(s.bind.dialect.name), list(rows.values()))


def drop_events(s: Session, calendar: str, remote_ids: Iterable[str]) -> None:
    """The calendar's cached events with these remote ids are gone from the cache."""
    for chunk in chunks(sorted(remote_ids), 500):
        s.execute(delete(t.ExternalEvent).where(t.ExternalEvent.calendar == calendar,
                                                t.ExternalEvent.remote_id.in_(chunk)))


def our_uids(s: Session, calendar: str, remote_ids: list[str]) -> dict[str, str]:
    """Recognise our own events by the link rows (Graph delta answers carry no extended properties)."""
    out: dict[str, str] = {}
    for i in range(0, len(remote_ids), 500):
        out.update(s.execute(select(t.CalendarLink.remote_id, t.CalendarLink.appointment_id).where(
            t.CalendarLink.calendar == calendar, t.CalendarLink.remote_id.in_(remote_ids[i:i + 500]))).all())
    return out


class RemoteCache(Room):
    """Every event the pulls read, per calendar, with the cursor of the next incremental read: busy time, the merged view, and the sync plan's remote copy."""

    def cursor(self, calendar: str) -> tuple[str | None, datetime | None, datetime | None]:
        with self.session() as s:
            row = s.get(t.SyncCursor, calendar)
            return (row.cursor, row.window_start, row.window_end) if row else (None, None, None)

    def apply_changes(self, calendar: str, pages: Iterable[ChangeBatch], window: tuple[datetime, datetime],
                      now: datetime) -> set[str]:
        """Fold one read (``ChangeBatch`` pages, as ``change_pages`` yields them) into the cache, then move the
        cursor. Returns the remote ids that changed or went away (what the plan must look at).

        Each page is written in a short transaction of its own as it comes, so the writing goes on while the
        provider fetches the next page, and no desk waits on the database for the length of a listing. The last
        transaction moves the cursor and, after a full listing, drops what the listing no longer holds. A read
        that fails between pages leaves what it wrote (true of the calendar when read) and the cursor where it
        was: the next read starts again from it."""
        changed: set[str] = set()
        listed: set[str] = set()
        before: set[str] | None = None
        cursor, full = None, False
        for page in pages:
            full = page.full
            with self.session() as s:
                if full and before is None:
                    before = set(s.scalars(select(t.ExternalEvent.remote_id).where(
                        t.ExternalEvent.calendar == calendar)))
                gone = set(page.deleted_ids) | {e.remote_id for e in page.events if e.cancelled}
                drop_events(s, calendar, gone)
                live = [e for e in page.events if not e.cancelled]
                upsert_events(s, calendar, live, now,
                              our_uids(s, calendar, [e.remote_id for e in live if e.uid is None]))
                s.commit()
            listed = (listed - gone) | {e.remote_id for e in live}
            changed |= gone | {e.remote_id for e in live}
            cursor = page.cursor or cursor
        with self.session() as s:
            if full:
                vanished = (before or set()) - listed
                drop_events(s, calendar, vanished)
                changed |= vanished
            cur = s.get(t.SyncCursor, calendar) or t.SyncCursor(calendar=calendar)
            cur.cursor, cur.updated_at = cursor, now
            if full:
                cur.window_start, cur.window_end = window
            s.merge(cur)
            s.commit()
        return changed

    def replace_window(self, calendar: str, events: list[RemoteEvent], start: datetime, end: datetime,
                              now: datetime) -> tuple[set[str], set[str]]:
        """A full read of [start, end) (reconciliation): the cache of that window becomes exactly ``events``.
        Returns (the remote ids that were cached and are no longer listed, the listed ids the cache did not hold
        with that etag — what the incremental reads missed); an event cached with the etag listed is not written
        again."""
        with self.session() as s:
            E = t.ExternalEvent
            before = dict(s.execute(select(E.remote_id, E.etag).where(E.calendar == calendar,
                                                                      event_overlaps(start, end))).all())
            live = [e for e in events if not e.cancelled]
            vanished = before.keys() - {e.remote_id for e in live}
            drop_events(s, calendar, vanished)
            changed = [e for e in live if before.get(e.remote_id) != e.etag or not e.etag]
            upsert_events(s, calendar, changed, now,
                                our_uids(s, calendar, [e.remote_id for e in changed if e.uid is None]))
            s.commit()
            return set(vanished), {e.remote_id for e in changed}

    def put(self, calendar: str, event: RemoteEvent, uid: str, now: datetime) -> None:
        """Our own write, as read back: cached at once, so the next pull's copy is compared with it and the event
        never shows as somebody else's busy time."""
        self.put_all(calendar, [event], {event.remote_id: uid}, now)

    def put_all(self, calendar: str, events: list[RemoteEvent], uids: dict[str, str], now: datetime) -> None:
        """Events of ours read back (``uids``: remote id → appointment id), cached in one transaction."""
        if not events:
            return
        with self.session() as s:
            upsert_events(s, calendar, events, now, uids)
            s.commit()

    def drop(self, calendar: str, remote_id: str) -> None:
        with self.session() as s:
            drop_events(s, calendar, [remote_id])
            s.commit()

    def by_remote_id(self, calendar: str, remote_ids: Iterable[str]) -> dict[str, ExternalEventRecord]:
        """The cached copies of these remote ids, by remote id."""
        return self._cached(calendar, t.ExternalEvent.remote_id, remote_ids)

    def by_uid(self, calendar: str, uids: Iterable[str]) -> dict[str, ExternalEventRecord]:
        """Cached events of ``calendar`` carrying one of our ``uids`` (a create whose answer was lost, found by the
        pull before the link learnt its remote id), by uid."""
        return self._cached(calendar, t.ExternalEvent.uid, uids)

    def _cached(self, calendar: str, column, values: Iterable[str]) -> dict[str, ExternalEventRecord]:
        wanted = [v for v in values if v]
        out: dict[str, ExternalEventRecord] = {}
        with self.session() as s:
            for chunk in chunks(wanted, 500):
                for r in s.scalars(select(t.ExternalEvent).where(t.ExternalEvent.calendar == calendar,
                                                                 column.in_(chunk))):
                    out[getattr(r, column.key)] = external_record(r)
        return out

    def events_between(self, start: datetime, end: datetime) -> list[ExternalEventRecord]:
        q = (select(t.ExternalEvent).where(event_overlaps(start, end))
             .order_by(t.ExternalEvent.start_at))
        with self.session() as s:
            return [external_record(r) for r in s.scalars(q)]

    def ours_without_link(self, calendar: str, start: datetime, end: datetime) -> list[ExternalEventRecord]:
        """Events carrying one of our uids that no link row points at (a duplicate, or a booking deleted here but
        not there) — reconciliation reports them."""
        E, L = t.ExternalEvent, t.CalendarLink
        linked = select(L.id).where(L.calendar == calendar, L.remote_id == E.remote_id).exists()
        with self.session() as s:
            return [external_record(r) for r in s.scalars(select(E).where(
                E.calendar == calendar, E.uid.is_not(None), event_overlaps(start, end), ~linked))]
