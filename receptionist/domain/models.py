"""Domain vocabulary: states and plain records shared by the store, the sync engine and the UI."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class ProposalStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CALLBACK = "callback"  # a person passed it to the callback desk (Needs a callback): no booking here


class AppointmentStatus(str, enum.Enum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Attendance(str, enum.Enum):
    """Whether the caller came, as a person at the desk marked it once the appointment's time came."""

    ATTENDED = "attended"
    NO_SHOW = "no-show"

    @property
    def label(self) -> str:
        return "Attended" if self is Attendance.ATTENDED else "No-show"


NOT_MARKED = "Not marked"
_ATTENDANCE_GLYPHS = {Attendance.ATTENDED: "✓", Attendance.NO_SHOW: "✗", None: "⚠"}


def attendance_mark(status: AppointmentStatus, start: datetime, attendance: Attendance | None,
                    now: datetime) -> str:
    """What the views show of whether the caller came, a glyph and words (never colour alone): "✓ Attended",
    "✗ No-show", or "⚠ Not marked" for a live appointment whose time has come that nobody marked (the desk is
    prompted to mark it; the conversion report counts it as ``not_marked``); "" for one still to come or cancelled."""
    if status is AppointmentStatus.CANCELLED or (attendance is None and start > now):
        return ""
    return f"{_ATTENDANCE_GLYPHS[attendance]} {attendance.label if attendance else NOT_MARKED}"


class SyncState(str, enum.Enum):
    """Per (appointment, calendar) sync state, shown as the badge."""

    PENDING = "pending"  # a write is owed to the calendar
    SYNCED = "synced"  # the calendar holds what we last wrote, read back and compared
    FAILED = "failed"  # the last attempt failed; retried with backoff until max attempts
    CONFLICT = "conflict"  # both sides changed: a person decides (Keep ours / Take theirs)
    DRIFT = "drift"  # someone moved, edited or deleted our event on the calendar: a person decides
    RECONNECT = "reconnect"  # owed, but the calendar is not signed in (never, or its sign-in was refused)

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def needs_person(self) -> bool:
        return self in (SyncState.CONFLICT, SyncState.DRIFT)

    @property
    def retryable(self) -> bool:
        """Retry puts it back to Pending; a Drift/Conflict waits for Keep ours / Take theirs instead."""
        return self in (SyncState.FAILED, SyncState.RECONNECT)


class Intent(str, enum.Enum):
    """Why the caller called, as classified from the platform's structured data, then the summary/transcript."""

    BOOK = "book"  # a new appointment
    RESCHEDULE = "reschedule"  # move an existing appointment
    CANCEL = "cancel"  # cancel an existing appointment
    QUESTION = "question"  # hours, prices, directions...: nothing to book
    CALLBACK = "callback"  # the caller wants a person to call back
    URGENT = "urgent"  # needs a person now (pain, emergency)

    @property
    def label(self) -> str:
        return {"book": "New booking", "reschedule": "Reschedule", "cancel": "Cancel", "question": "Question",
                "callback": "Callback request", "urgent": "Urgent"}[self.value]


class Severity(str, enum.Enum):
    ERROR = "error"  # must be fixed before the booking can be approved
    WARNING = "warning"  # shown; a person may approve anyway


@dataclass(frozen=True)
class FieldIssue:
    """A validation finding about one field of a captured call or proposal."""

    field: str
    severity: Severity
    message: str

    def to_dict(self) -> dict:
        return {"field": self.field, "severity": self.severity.value, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict) -> "FieldIssue":
        return cls(data["field"], Severity(data["severity"]), data["message"])


@dataclass(frozen=True, slots=True)  # slots: the booking rule reads thousands of them per search
class BusyBlock:
    """Time that is not free: an appointment of ours, a slot held for a caller, or an external calendar event."""

    start: datetime
    end: datetime
    source: str  # "appointment" | "hold" | calendar key such as "google:primary"
    title: str = ""
    service: str | None = None  # ours and holds: the service booked (the caps count them per service)
    resource: str | None = None  # ours and holds: the resource taken (busy for it alone); None: for every one


# --- plain records the store hands out (no ORM objects leave receptionist.store) ----------------------------------


class _LinkDetail:
    """What a Drift/Conflict link's ``detail`` says, for every record of a link that carries it."""

    detail: dict | None

    @property
    def diff(self) -> dict[str, tuple[str, str]]:
        return {k: tuple(v) for k, v in ((self.detail or {}).get("diff") or {}).items()}

    @property
    def deleted_remotely(self) -> bool:
        return bool((self.detail or {}).get("deleted"))


@dataclass(frozen=True)
class LinkRecord(_LinkDetail):
    """One (appointment, calendar) sync status row."""

    id: int
    appointment_id: str
    calendar: str  # "google:primary", "outlook:default"
    state: SyncState
    remote_id: str | None
    etag: str | None
    content_hash: str | None
    last_error: str | None
    attempts: int
    next_attempt_at: datetime | None
    synced_at: datetime | None
    detail: dict | None = None  # Drift/Conflict: {"diff": {field: [ours, theirs]}, "deleted": bool}
    generation: int = 0  # re-creations after a deletion (part of the create's idempotency key)


@dataclass(frozen=True)
class AppointmentRecord:
    id: str
    caller_name: str | None
    callback_number: str | None
    account_id: str | None
    service: str | None
    start: datetime
    end: datetime
    notes: str
    status: AppointmentStatus
    call_id: str | None
    version: int
    links: tuple[LinkRecord, ...] = ()
    title_override: str | None = None
    description_override: str | None = None
    cancel_reason: str | None = None
    caller_confirmed_at: datetime | None = None  # the caller replied C to the reminder
    attendance: Attendance | None = None  # None: not marked
    attendance_by: str | None = None  # who marked it
    resource: str | None = None  # the chair, room or person it takes ([[availability.resources]]); None: the location

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class LinkBadge(_LinkDetail):
    """What the views show of a link: its badge and sentence, and its id for Retry / Keep ours / Take theirs.
    The remote id, etag and content hash are the sync engine's and stay in the database."""

    id: int
    calendar: str
    state: SyncState
    last_error: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    synced_at: datetime | None = None
    detail: dict | None = None


@dataclass(frozen=True)
class AppointmentRow:
    """An appointment as the views list it (the appointments table, the week calendar): the columns they show
    and a badge per link, read column by column. Notes, overrides and the call stay in the database; opening an
    appointment reads it whole (``AppointmentRecord``)."""

    id: str
    start: datetime
    end: datetime
    caller_name: str | None
    callback_number: str | None
    service: str | None
    status: AppointmentStatus
    cancel_reason: str | None = None
    links: tuple[LinkBadge, ...] = ()
    attendance: Attendance | None = None  # None: not marked
    resource: str | None = None  # the chair, room or person it takes (the day view's column); None: the location


@dataclass(frozen=True)
class ProposalRecord:
    id: int
    status: ProposalStatus
    caller_name: str | None
    callback_number: str | None
    service: str | None
    start: datetime | None
    duration_minutes: int
    notes: str
    issues: tuple[FieldIssue, ...]
    version: int
    appointment_id: str | None = None
    decided_by: str | None = None
    reject_reason: str | None = None
    resource: str | None = None  # the chair, room or person the booking rule picked when it was checked


@dataclass(frozen=True)
class CallRecord:
    id: int
    platform: str
    call_id: str
    received_at: datetime
    occurred_at: datetime
    caller_name: str | None
    callback_number: str | None
    callback_number_raw: str | None
    account_id: str | None
    reason_codes: tuple[str, ...]
    service: str | None
    requested_start: datetime | None
    requested_start_raw: str | None
    duration_minutes: int
    message: str | None
    summary: str | None
    transcript: tuple[tuple[str, str], ...]
    agent_id: str | None
    custom_fields: dict
    issues: tuple[FieldIssue, ...]
    proposal: ProposalRecord | None = None
    intent: "Intent" = None  # type: ignore[assignment]  # set to Intent.BOOK in __post_init__ when not given
    caller_id_number: str | None = None  # E.164 from the platform's caller id
    raw_fields: dict | None = None  # the raw text beside each resolved value
    complete: bool = True  # False in the call list: transcript and custom fields not read (the pane reads it whole)

    def __post_init__(self) -> None:
        if self.intent is None:
            object.__setattr__(self, "intent", Intent.BOOK)
        elif not isinstance(self.intent, Intent):
            object.__setattr__(self, "intent", Intent(self.intent))
        if self.raw_fields is None:
            object.__setattr__(self, "raw_fields", {})


@dataclass(frozen=True)
class ExternalEventRecord:
    calendar: str
    remote_id: str
    title: str
    start: datetime
    end: datetime
    busy: bool
    all_day: bool
    uid: str | None  # set when the event is one of ours
    etag: str | None = None
    description: str = ""
    location: str = ""


@dataclass(frozen=True)
class CalendarHealthRecord:
    """One calendar's health, as every desk sees it (``calendar_health`` row)."""

    calendar: str
    gate: str  # receptionist.domain.sync_plan.CalendarGate value
    paused_until: datetime | None = None
    pause_reason: str | None = None
    last_pull_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    held_missing: int = 0
    reconciled_at: datetime | None = None
    reconcile_report: dict | None = None
