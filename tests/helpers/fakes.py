"""Hand-written fakes (over mocks): a clock, an in-memory calendar with switchable faults, a messenger."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from receptionist.domain.ports import CalendarInfo, ChangeBatch, EventDraft, RemoteEvent, SentMessage
from receptionist.errors import ConflictError, CursorExpired, NotFound, ProviderError


class FakeClock:
    def __init__(self, start: datetime):
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    now = __call__

    def advance(self, **kwargs) -> None:
        with self._lock:
            self._now += timedelta(**kwargs)


@dataclass
class FakeCalendar:
    """An in-memory CalendarProvider. ``fail_next`` holds exceptions raised by the next event calls (create, get,
    update, delete), in order; ``fail_reads`` the same for list/changes; ``lose_answers`` exceptions raised by the
    next writes after they took effect (an answer lost on the way back); ``mangle`` rewrites what a write stores
    (a server that answers 200 but stores something else).

    What people do on the calendar (``add_external``, ``add_series``, ``human_edit``, ``human_delete``, ``empty``)
    is recorded as a change, so ``list_changes`` reports it; ``expire_cursors`` makes every cursor handed out so
    far raise ``CursorExpired``.  A recurring series is kept as its occurrences, one event each, so every read
    sees it expanded as the real providers return it."""

    kind: str = "fake"
    reads_together: bool = False  # True: the engine reads the sample on a worker thread while it lists
    events: dict[str, RemoteEvent] = field(default_factory=dict)
    fail_next: list[Exception] = field(default_factory=list)
    fail_reads: list[Exception] = field(default_factory=list)
    lose_answers: list[Exception] = field(default_factory=list)
    mangle: object = None
    calls: list[str] = field(default_factory=list)
    _etags: itertools.count = field(default_factory=lambda: itertools.count(1))
    _changes: list[str] = field(default_factory=list)
    _epoch: int = 0

    def _maybe_fail(self, op: str) -> None:
        self.calls.append(op)
        queue = self.fail_reads if op in ("list", "changes") else self.fail_next
        if queue:
            raise queue.pop(0)

    def _lost(self) -> None:
        if self.lose_answers:
            raise self.lose_answers.pop(0)

    def _store(self, remote_id: str, draft: EventDraft) -> RemoteEvent:
        event = RemoteEvent(remote_id=remote_id, etag=f'"{next(self._etags)}"', title=draft.title,
                            start=draft.start.astimezone(timezone.utc), end=draft.end.astimezone(timezone.utc),
                            description=draft.description, location=draft.location, uid=draft.uid)
        if self.mangle:
            event = self.mangle(event)
        self.events[remote_id] = event
        self._changes.append(remote_id)
        return event

    def list_calendars(self) -> list[CalendarInfo]:
        return [CalendarInfo("primary", "Fake", primary=True)]

    def create_event(self, calendar_id: str, draft: EventDraft) -> RemoteEvent:
        self._maybe_fail("create")
        remote_id = f"ev-{draft.idempotency_key}"
        if remote_id in self.events:  # a replayed create: the event it made, as it is now
            event = self.events[remote_id]
            if event.cancelled:  # deleted since; a re-create comes with a new generation's key
                raise NotFound("the event this create made was deleted", status=410)
        else:
            event = self._store(remote_id, draft)
        self._lost()
        return event

    def get_event(self, calendar_id: str, remote_id: str) -> RemoteEvent | None:
        self._maybe_fail("get")
        event = self.events.get(remote_id)
        return None if event is None or event.cancelled else event

    def get_events(self, calendar_id: str, remote_ids: list[str]) -> list[RemoteEvent | None]:
        return [self.get_event(calendar_id, remote_id) for remote_id in remote_ids]

    def find_created(self, calendar_id: str, uid: str, idempotency_key: str) -> RemoteEvent | None:
        self._maybe_fail("get")
        event = self.events.get(f"ev-{idempotency_key}")
        return None if event is None or event.cancelled or event.uid != uid else event

    def update_event(self, calendar_id, remote_id, draft, etag):
        self._maybe_fail("update")
        current = self.events.get(remote_id)
        if current is None or current.cancelled:
            raise NotFound("gone", status=404)
        if etag is not None and etag != current.etag:
            raise ConflictError("etag mismatch", status=412)
        event = self._store(remote_id, draft)
        self._lost()
        return event

    def delete_event(self, calendar_id, remote_id, etag):
        self._maybe_fail("delete")
        current = self.events.get(remote_id)
        if current is None:
            return
        if etag is not None and etag != current.etag:
            raise ConflictError("etag mismatch", status=412)
        self.events[remote_id] = replace(current, cancelled=True, etag=f'"{next(self._etags)}"')
        self._changes.append(remote_id)
        self._lost()

    def list_events(self, calendar_id, start, end):
        self._maybe_fail("list")
        return self._in_window(start, end)

    def _in_window(self, start, end):
        return [e for e in self.events.values() if not e.cancelled and e.start < end and start < e.end]

    def list_changes(self, calendar_id, cursor, start, end):
        self._maybe_fail("changes")
        next_cursor = f"{self._epoch}:{len(self._changes)}"
        if cursor is None:
            return ChangeBatch(events=self._in_window(start, end), cursor=next_cursor, full=True)
        epoch, _, position = cursor.partition(":")
        if epoch != str(self._epoch) or not position.isdigit() or int(position) > len(self._changes):
            raise CursorExpired("cursor expired", status=410)
        changed = dict.fromkeys(self._changes[int(position):])  # each event once, in order of its first change
        return ChangeBatch(events=[self.events[r] for r in changed], cursor=next_cursor)

    def add_external(self, remote_id: str, title: str, start: datetime, end: datetime, busy: bool = True):
        self.events[remote_id] = RemoteEvent(remote_id, '"x"', title, start, end, busy=busy)
        self._changes.append(remote_id)

    def add_series(self, series_id: str, title: str, start: datetime, end: datetime, count: int,
                   time_zone: str = "UTC", busy: bool = True) -> list[RemoteEvent]:
        """A weekly series of ``count`` occurrences that keep ``start``'s wall-clock time in ``time_zone`` (across
        DST changes), stored as one event per occurrence; returns them in order."""
        zone = ZoneInfo(time_zone)
        local_start, duration = start.astimezone(zone), end - start
        out = []
        for week in range(count):
            wall = (local_start.replace(tzinfo=None) + timedelta(weeks=week)).replace(tzinfo=zone)
            first = wall.astimezone(timezone.utc)
            remote_id = f"{series_id}_{first:%Y%m%dT%H%M%SZ}"
            self.events[remote_id] = RemoteEvent(remote_id, f'"{next(self._etags)}"', title, first,
                                                 first + duration, busy=busy)
            self._changes.append(remote_id)
            out.append(self.events[remote_id])
        return out

    def human_edit(self, remote_id: str, **fields) -> RemoteEvent:
        """A person changes an event on the calendar (``RemoteEvent`` fields): new etag, recorded as a change."""
        for key in ("start", "end"):
            if key in fields:
                fields[key] = fields[key].astimezone(timezone.utc)
        event = replace(self.events[remote_id], **fields, etag=f'"{next(self._etags)}"')
        self.events[remote_id] = event
        self._changes.append(remote_id)
        return event

    def human_delete(self, remote_id: str) -> None:
        """A person deletes an event on the calendar: it reads as cancelled, recorded as a change."""
        self.events[remote_id] = replace(self.events[remote_id], cancelled=True, etag=f'"{next(self._etags)}"')
        self._changes.append(remote_id)

    def empty(self) -> None:
        """A person empties the calendar: every event is deleted."""
        for remote_id, event in list(self.events.items()):
            if not event.cancelled:
                self.human_delete(remote_id)

    def live(self, uid: str | None = None) -> list[RemoteEvent]:
        """The events that exist (not deleted), optionally only ours for ``uid``."""
        return [e for e in self.events.values() if not e.cancelled and (uid is None or e.uid == uid)]

    def expire_cursors(self) -> None:
        """Every cursor handed out so far raises ``CursorExpired`` (as a 410 on a stale sync token)."""
        self._epoch += 1


@dataclass
class FakeMessenger:
    """``fail_next``: exceptions raised before sending; ``blank_sid_next``: that many sends go out but are answered
    without a message id."""

    sent: list[SentMessage] = field(default_factory=list)
    fail_next: list[Exception] = field(default_factory=list)
    blank_sid_next: int = 0
    lookups: int = 0

    def send_sms(self, to: str, body: str) -> SentMessage:
        if self.fail_next:
            raise self.fail_next.pop(0)
        message = SentMessage(sid=f"SM{len(self.sent):032d}", status="queued", to=to, body=body)
        self.sent.append(message)
        if self.blank_sid_next:
            self.blank_sid_next -= 1
            return replace(message, sid="")
        return message

    def find_sent(self, to: str, body: str, since: datetime) -> SentMessage | None:
        self.lookups += 1
        return next((m for m in self.sent if m.to == to and m.body == body), None)


__all__ = ["FakeCalendar", "FakeClock", "FakeMessenger", "ProviderError"]
