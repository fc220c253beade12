"""The sync decision table: from (ours, the status row, the remote copy) to one action per link.

Pure: no I/O, no clock of its own. The engine gathers the three inputs for every (appointment, calendar) link,
asks ``plan_link`` what to do, applies each action on its own, and saves the outcome (after vdirsyncer's
``sync/__init__.py``: a status row per item and side, a decision per item, each applied in isolation).

The three inputs:

* **want** — the event we mean the calendar to hold (``EventContent`` of the appointment's draft), or ``None``
  when the appointment is cancelled (the event must not exist).
* **status** (``LinkStatus``) — what we last wrote and confirmed: remote id, etag and ``have`` (the content hash
  of the event as read back after our last good write). ``have`` is what makes the table work: comparing the remote
  copy with ``have`` says whether *they* changed it; comparing ``want`` with ``have`` says whether *we* did.
* **remote** (``Remote``) — the copy the last pull cached: ``SEEN`` with its etag and content, ``GONE`` (the
  cache covers the appointment's time and the event is not there) or ``UNKNOWN`` (not read: outside the pulled
  window, or no pull yet).

The table (first matching row wins; "ours changed" = want ≠ have, "theirs changed" = remote ≠ have):

| calendar / link                      | remote  | ours changed | theirs changed | action                          |
|--------------------------------------|---------|--------------|----------------|---------------------------------|
| link in Conflict/Drift               | SEEN    | remote = want|                | SYNCED (resolved on the calendar)|
| link in Conflict/Drift               | other   |              |                | nothing: a person decides       |
| link Failed, backoff running / gave up| any    |              |                | nothing                         |
| cancelled (want = None), not Synced  | no id   |              |                | CHECK (find what a create made) |
| cancelled (want = None)              | GONE    |              |                | SYNCED (nothing to delete)      |
| cancelled                            | SEEN    |              | yes            | CONFLICT (they edited what we'd delete) |
| cancelled                            | SEEN/UNKNOWN |         | no             | DELETE (If-Match)               |
| no remote id yet                     | any     |              |                | CREATE (idempotent by uid)      |
| has remote id                        | GONE    |              |                | CHECK (read it: moved or deleted?) |
| has remote id                        | SEEN    |              | remote = want  | SYNCED (adopt etag; a lost answer that landed) |
| has remote id                        | SEEN    | no           | yes            | DRIFT (field-by-field)          |
| has remote id                        | SEEN    | yes          | yes            | CONFLICT (both changed)         |
| has remote id                        | SEEN    | yes          | no             | UPDATE (If-Match)               |
| has remote id                        | SEEN    | no           | no             | SYNCED if not already, else nothing |
| has remote id                        | UNKNOWN | yes / owed   |                | UPDATE (If-Match; 412 is checked by reading) |
| has remote id                        | UNKNOWN | no           |                | nothing                         |

A closed calendar gate then turns every action that needs a request (create, update, delete, check) into WAIT:
sign-in missing or refused → WAIT reconnect (badge Reconnect); paused by Retry-After, no network or the
mass-deletion guard → WAIT (no attempt counted). Marks need no request, so a drift is shown even then.

"Owed" means the link is not Synced or ours changed. A CHECK reads the event itself (one GET) and plans again with
the answer as ``SEEN`` or definitely ``GONE``; for a cancelled appointment with no event id it asks the calendar for
the event a create of ours may have made without its answer reaching us, and deletes it if there is one. A definite
GONE with a remote id is DRIFT "deleted on the calendar" — never silently re-created (Keep ours does that) nor
cancelled (Take theirs does that).
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from receptionist.domain.models import ExternalEventRecord, SyncState
from receptionist.domain.ports import EventDraft, RemoteEvent

WAITING_STATES = {SyncState.CONFLICT, SyncState.DRIFT}  # a person decides


# --- content: the fields we own on a remote event, normalised so the two sides compare -----------------------------


def norm_text(text: str) -> str:
    """Line endings, trailing spaces and surrounding blank lines differ between calendars; the words do not."""
    return "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").strip().split("\n"))


@dataclass(frozen=True)
class EventContent:
    """Our fields of an event, as compared between the two sides (instants, not strings)."""

    title: str
    start: datetime
    end: datetime
    description: str
    location: str

    @classmethod
    def of(cls, event: EventDraft | RemoteEvent) -> "EventContent":
        return cls(title=(event.title or "").strip(), start=event.start, end=event.end,
                   description=norm_text(event.description), location=(event.location or "").strip())

    def digest(self) -> str:
        doc = {"title": self.title, "start": self.start.timestamp(), "end": self.end.timestamp(),
               "description": self.description, "location": self.location}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    def diff(self, theirs: "EventContent") -> dict[str, tuple[str, str]]:
        """{field: (ours, theirs)} for each field that differs, as text a person can read."""
        out = {}
        for name in ("title", "start", "end", "description", "location"):
            a, b = getattr(self, name), getattr(theirs, name)
            if a != b:
                out[name] = (a.isoformat(), b.isoformat()) if isinstance(a, datetime) else (a, b)
        return out


def content_hash(event: EventDraft | RemoteEvent) -> str:
    return EventContent.of(event).digest()


def remote_event_of(copy: ExternalEventRecord) -> RemoteEvent:
    """A cached copy as the calendar's event (the plan's *remote*, a discrepancy's *theirs*)."""
    return RemoteEvent(remote_id=copy.remote_id, etag=copy.etag or "", title=copy.title, start=copy.start,
                       end=copy.end, description=copy.description, location=copy.location, uid=copy.uid,
                       busy=copy.busy, all_day=copy.all_day)


# --- inputs ------------------------------------------------------------------------------------------------------


class Presence(str, enum.Enum):
    SEEN = "seen"
    GONE = "gone"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Remote:
    presence: Presence
    etag: str | None = None
    content: EventContent | None = None

    @classmethod
    def seen(cls, event: RemoteEvent) -> "Remote":
        return cls(Presence.SEEN, event.etag, EventContent.of(event))


UNKNOWN = Remote(Presence.UNKNOWN)
GONE = Remote(Presence.GONE)


@dataclass(frozen=True)
class LinkStatus:
    state: SyncState
    remote_id: str | None
    etag: str | None
    have: str | None  # content hash confirmed on the remote after our last good write
    attempts: int = 0
    next_attempt_at: datetime | None = None


class CalendarGate(str, enum.Enum):
    """Whether the calendar takes writes right now (a per-calendar state, not per link)."""

    OPEN = "open"
    RECONNECT = "reconnect"  # sign-in missing or refused (invalid_grant): a person reconnects
    PAUSED = "paused"  # Retry-After running, offline, or held by the mass-deletion guard


# --- output ------------------------------------------------------------------------------------------------------


class Op(str, enum.Enum):
    NOTHING = "nothing"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    CHECK = "check"  # read the event itself before deciding (the cache says it is gone)
    MARK_SYNCED = "mark_synced"
    MARK_DRIFT = "mark_drift"
    MARK_CONFLICT = "mark_conflict"
    WAIT_RECONNECT = "wait_reconnect"
    WAIT = "wait"


@dataclass(frozen=True)
class Action:
    op: Op
    reason: str = ""
    diff: dict[str, tuple[str, str]] = field(default_factory=dict)
    deleted: bool = False  # MARK_DRIFT: the event is gone from the calendar
    etag: str | None = None  # MARK_SYNCED: adopt the remote etag

    @property
    def writes(self) -> bool:
        return self.op in (Op.CREATE, Op.UPDATE, Op.DELETE)


def plan_link(want: EventContent | None, status: LinkStatus, remote: Remote, gate: CalendarGate,
              now: datetime, max_attempts: int, calendar_label: str = "the calendar") -> Action:
    """One row of the table above for one link. ``want`` is None for a cancelled appointment.

    The comparison is made first; a closed gate then only stops actions that need a request (create, update,
    delete, check), so a drift seen in the cache is shown even while the calendar is paused or signed out."""
    action = _compare(want, status, remote, now, max_attempts, calendar_label)
    if action.writes or action.op is Op.CHECK:
        if gate is CalendarGate.RECONNECT:
            return Action(Op.WAIT_RECONNECT, f"waiting for sign-in to {calendar_label}")
        if gate is CalendarGate.PAUSED:
            return Action(Op.WAIT)
    return action


def _compare(want: EventContent | None, status: LinkStatus, remote: Remote, now: datetime, max_attempts: int,
             calendar_label: str) -> Action:
    want_hash = want.digest() if want is not None else None
    ours_changed = want_hash != status.have if want is not None else status.remote_id is not None
    owed = status.state is not SyncState.SYNCED or ours_changed
    seen = remote.presence is Presence.SEEN
    remote_hash = remote.content.digest() if seen and remote.content is not None else None

    if status.state in WAITING_STATES:  # a person decides; it only clears itself when both sides agree again
        if seen and want is not None and remote_hash == want_hash:
            return Action(Op.MARK_SYNCED, "the calendar matches our appointment again", etag=remote.etag)
        if want is None and (status.remote_id is None or remote.presence is Presence.GONE):
            return Action(Op.MARK_SYNCED, "cancelled here and deleted there")
        return Action(Op.NOTHING)
    if status.state is SyncState.FAILED and (
            status.attempts >= max_attempts or (status.next_attempt_at is not None and status.next_attempt_at > now)):
        return Action(Op.NOTHING)

    if want is None:  # cancelled: the event must not exist
        if status.remote_id is None:  # a create may have landed unanswered (a lost answer, a crash): look for it
            return Action(Op.CHECK, "a create may have landed") if owed else Action(Op.NOTHING)
        if remote.presence is Presence.GONE:
            return Action(Op.MARK_SYNCED, "nothing to delete") if owed else Action(Op.NOTHING)
        if seen and remote_hash != status.have:
            return Action(Op.MARK_CONFLICT, f"cancelled here, but edited on {calendar_label} since our last write",
                          diff={"event": ("cancelled here", "edited there")})
        return Action(Op.DELETE)

    if status.remote_id is None:
        return Action(Op.CREATE)
    if remote.presence is Presence.GONE:
        return Action(Op.CHECK)
    if seen:
        assert remote.content is not None
        theirs_changed = remote_hash != status.have
        if remote_hash == want_hash:
            if status.state is SyncState.SYNCED and remote.etag == status.etag:
                return Action(Op.NOTHING)
            return Action(Op.MARK_SYNCED, etag=remote.etag)
        if theirs_changed and not ours_changed:
            return Action(Op.MARK_DRIFT, f"changed on {calendar_label}", diff=want.diff(remote.content))
        if theirs_changed:
            return Action(Op.MARK_CONFLICT, f"changed here and on {calendar_label}", diff=want.diff(remote.content))
        return Action(Op.UPDATE)
    return Action(Op.UPDATE) if owed else Action(Op.NOTHING)


def classify_after_precondition_failed(want: EventContent | None, have: str | None,
                                       current: RemoteEvent | None) -> Op:
    """A 412 (or 409) on our write: read the event, then decide — never call it a conflict before checking.

    * the event now holds what we meant to write → our earlier write landed and its answer was lost: MARK_SYNCED;
    * it is gone → for a delete that is done (MARK_SYNCED); for an update it is a deletion on the calendar
      (MARK_DRIFT);
    * its content is still what we last confirmed (only the etag moved: a reminder or attendee change) →
      UPDATE again with the fresh etag;
    * otherwise someone changed it: MARK_CONFLICT.
    """
    if current is None:
        return Op.MARK_SYNCED if want is None else Op.MARK_DRIFT
    theirs = content_hash(current)
    if want is not None and theirs == want.digest():
        return Op.MARK_SYNCED
    if theirs == have:
        return Op.DELETE if want is None else Op.UPDATE
    return Op.MARK_CONFLICT


# --- the mass-deletion guard -------------------------------------------------------------------------------------

MASS_DELETION_MIN = 5  # fewer missing events than this are handled one by one (Drift each)
MASS_DELETION_SHARE = 0.5


def is_mass_deletion(ours_in_window: int, missing: int) -> bool:
    """Many of our events vanished from one calendar at once (a calendar emptied, a wrong account connected):
    stop writing to it until a person decides, rather than re-creating or cancelling dozens of bookings."""
    return missing >= MASS_DELETION_MIN and missing >= MASS_DELETION_SHARE * ours_in_window
