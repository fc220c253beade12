"""Interfaces the adapters implement, and the plain data that crosses them.

The domain and the sync engine speak only these types; a provider adapter (Google, Microsoft Graph, Twilio, the
in-memory fakes in the tests) converts them to and from its wire format.  All datetimes here are timezone-aware
and in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class CalendarInfo:
    """One calendar an account can see."""

    id: str
    name: str
    primary: bool = False
    time_zone: str | None = None


@dataclass(frozen=True)
class EventDraft:
    """What we want an event to look like on a remote calendar.

    ``uid`` is our appointment id (32 lowercase hex digits).  Adapters make a create idempotent by
    ``idempotency_key`` — the uid, plus ``g<generation>`` once re-created after a deletion (Google: the
    client-supplied event id, base32hex; Graph: ``transactionId``) — and store the uid on the event (Google
    private extended property / Graph single-value extended property ``receptionist.uid``) so the event can be
    recognised as ours.
    """

    uid: str
    title: str
    start: datetime
    end: datetime
    description: str = ""
    location: str = ""
    time_zone: str = "UTC"  # the location's IANA zone, for how the event is shown in the calendar app
    create_key: str = ""  # a create's idempotency key (Google event id, Graph transactionId) once re-created

    @property
    def idempotency_key(self) -> str:
        return self.create_key or self.uid


@dataclass(frozen=True)
class RemoteEvent:
    """An event as a remote calendar holds it (normalised: UTC instants, plain-text description)."""

    remote_id: str
    etag: str
    title: str
    start: datetime
    end: datetime
    description: str = ""
    location: str = ""
    uid: str | None = None  # our appointment id if we wrote it
    busy: bool = True  # Google transparency != transparent; Graph showAs not in (free, workingElsewhere)
    all_day: bool = False
    cancelled: bool = False
    updated: datetime | None = None


@dataclass(frozen=True)
class ChangeBatch:
    """Result of one incremental read.

    ``events`` are created or changed events (cancelled ones have ``cancelled=True``); ``deleted_ids`` are remote
    ids reported removed without a body (Graph ``@removed``); ``cursor`` is the opaque token for the next call
    (Google ``nextSyncToken``, Graph ``@odata.deltaLink``); ``full`` is True when this batch is a complete listing
    of the window (first read, or after a ``CursorExpired``), so anything cached and not in it is gone.
    """

    events: list[RemoteEvent] = field(default_factory=list)
    deleted_ids: list[str] = field(default_factory=list)
    cursor: str | None = None
    full: bool = False


@runtime_checkable
class CalendarProvider(Protocol):
    """A remote calendar account (Google Calendar, Microsoft 365).

    Every method raises a ``receptionist.errors.ProviderError`` subclass on failure: ``RateLimited`` (429, with
    ``retry_after``), ``TransientError`` (5xx, timeout, connection), ``AuthError`` (401 after one refresh),
    ``NotFound``, ``ConflictError`` (412 on If-Match), ``CursorExpired`` (410 on a sync cursor).
    """

    kind: str  # "google" | "outlook" | "caldav"
    #: ``get_events`` reads several in one request, on a connection of its own that may be used while another
    #: call runs (the engine reads the reconciliation sample while it lists the window); False: one by one.
    reads_together: bool

    def list_calendars(self) -> list[CalendarInfo]: ...

    def create_event(self, calendar_id: str, draft: EventDraft) -> RemoteEvent:
        """Create idempotently: a retry with the same ``draft.idempotency_key`` returns the event the first request
        made, as the calendar holds it now (a person may have changed it since: the engine compares), never a
        second one. If that event has been deleted since, ``NotFound``: it is not made again. What is returned is
        the event as the calendar says it holds it (the answer's body; a read only where the protocol answers
        none): the engine compares it with the draft and sends no read of its own."""

    def get_event(self, calendar_id: str, remote_id: str) -> RemoteEvent | None:
        """The event, or None if it does not exist / was deleted (a cancelled Google event counts as deleted)."""

    def get_events(self, calendar_id: str, remote_ids: list[str]) -> list[RemoteEvent | None | Exception]:
        """Several events read back, in the order asked, each as ``get_event`` answers it. A calendar that reads
        several in one request (Graph's JSON batching) puts a read that failed on its own in its place as the
        ``ProviderError`` it met (a 429 with its own ``retry_after``), the others standing; one that reads them one
        by one raises the first failure, as ``get_event`` does."""

    def find_created(self, calendar_id: str, uid: str, idempotency_key: str) -> RemoteEvent | None:
        """The event of ours a create with this key made, if it exists: for a create whose answer never came back
        (a lost answer, a crash) when there is nothing to retry it for (the appointment was cancelled)."""

    def update_event(self, calendar_id: str, remote_id: str, draft: EventDraft, etag: str | None) -> RemoteEvent:
        """Replace our fields; with ``etag`` send ``If-Match`` and raise ``ConflictError`` on 412. Returns the
        event as the calendar says it holds it after the write (as ``create_event``)."""

    def delete_event(self, calendar_id: str, remote_id: str, etag: str | None) -> None:
        """Delete; a missing event is not an error. With ``etag`` send ``If-Match``."""

    def list_events(self, calendar_id: str, start: datetime, end: datetime) -> list[RemoteEvent]:
        """All events overlapping [start, end), recurring events expanded, following every page."""

    def list_changes(self, calendar_id: str, cursor: str | None, start: datetime, end: datetime) -> ChangeBatch:
        """Incremental read. ``cursor=None`` means a full read of [start, end) that returns a first cursor.

        A provider whose listing comes in pages may also offer ``read_changes`` (same arguments): the same read as
        an iterator of one ``ChangeBatch`` per page, in the service's order (within a page a remote id is either
        an event or deleted, as its last mention there left it), every one with the batch's ``full`` and only the
        last with the ``cursor``; ``list_changes`` is then ``collect_changes`` of it. The engine reads
        pages through ``change_pages``, so it caches each while the next is fetched."""


def change_pages(provider: CalendarProvider, calendar_id: str, cursor: str | None, start: datetime,
                 end: datetime) -> Iterator[ChangeBatch]:
    """``provider.read_changes`` where it has it, else its ``list_changes`` as the one page."""
    read_changes = getattr(provider, "read_changes", None)
    if read_changes is not None:
        return read_changes(calendar_id, cursor, start, end)
    return iter([provider.list_changes(calendar_id, cursor, start, end)])


def page_of_changes(mentions: Iterable[RemoteEvent | str], cursor: str | None, full: bool) -> ChangeBatch:
    """A page as ``read_changes`` yields it, from what the service said in its order (an event listed, or the id
    of one removed): each remote id once, as its last mention left it."""
    events: dict[str, RemoteEvent] = {}
    deleted: dict[str, None] = {}
    for mention in mentions:
        if isinstance(mention, str):
            events.pop(mention, None)
            deleted[mention] = None
        else:
            deleted.pop(mention.remote_id, None)
            events[mention.remote_id] = mention
    return ChangeBatch(events=list(events.values()), deleted_ids=list(deleted), cursor=cursor, full=full)


def collect_changes(pages: Iterable[ChangeBatch]) -> ChangeBatch:
    """The pages of one read as a single batch: each remote id once, as its last mention left it (an event
    listed, then reported removed on a later page, is removed; removed, then listed again, is listed)."""
    pages = list(pages)
    mentions = [m for page in pages for m in (*page.deleted_ids, *page.events)]
    last = pages[-1] if pages else ChangeBatch()
    return page_of_changes(mentions, next((p.cursor for p in reversed(pages) if p.cursor), None), last.full)


@dataclass(frozen=True)
class SentMessage:
    sid: str
    status: str
    to: str
    body: str


class Messenger(Protocol):
    """Outbound SMS (Twilio)."""

    def send_sms(self, to: str, body: str) -> SentMessage: ...

    def find_sent(self, to: str, body: str, since: datetime) -> SentMessage | None:
        """A message already sent to ``to`` with ``body`` since ``since`` (to check before sending again)."""


@dataclass(frozen=True)
class PlacedCall:
    """A phone call the desk asked the provider to place (Twilio's Call resource)."""

    sid: str
    status: str
    to: str


class Dialer(Protocol):
    """Outbound calls (Twilio Programmable Voice): the owner's callback."""

    def connect_call(self, owner: str, caller: str) -> PlacedCall:
        """Ring ``owner`` first; once answered, dial ``caller`` with the business number as caller id."""


class ProviderMemory(Protocol):
    """What a provider must remember across restarts beyond the engine's cursor (CalDAV), as text per scope."""

    def recall(self, scope: str) -> str | None: ...

    def keep(self, scope: str, value: str) -> None: ...


class SecretStore(Protocol):
    """Where secrets live (the OS keyring). Keys are short names like ``google.refresh_token``."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...

