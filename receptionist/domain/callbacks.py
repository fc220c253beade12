"""The callback desk's rules, pure: which calls need a person to call back, by when, and what the owner reads first.

A call needs a person when the AI flagged it (urgent, or a reason code that says a person must follow up), when
the caller asked to be called back or asked a question the AI could not close, when no booking could be made from
it (a booking call whose proposal lacks what a booking must have), or when a person rejected its booking (the
reject reason travels with the callback). Cancels and reschedules are the desk's to carry out, not callbacks.

The due time counts *open* time only (the location's weekly hours and closures, ``BookingRules``, in the
location's zone): an urgent call is due within 30 open minutes, any other within 2 open hours, so a call left on
Friday evening is due on Saturday morning, and one on Saturday evening on Monday (Sunday closed).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from receptionist.domain.models import FieldIssue, Intent, Severity
from receptionist.domain.payload import LocationRules

URGENT_WITHIN = timedelta(minutes=30)
NORMAL_WITHIN = timedelta(hours=2)

# a platform's reason code / analysis value saying a person must follow up
_FLAGGED = re.compile(r"(escalat|human|transfer|follow[ _-]?up|needs?[ _-]?(a[ _-]?)?(person|staff|owner)|flag)",
                      re.IGNORECASE)
_AGENT = re.compile(r"^(agent|assistant|ai|bot|receptionist)$", re.IGNORECASE)


class CallbackReason(str, enum.Enum):
    URGENT = "urgent"
    FLAGGED = "flagged"
    CALLBACK = "callback"
    QUESTION = "question"
    NO_BOOKING = "no-booking"
    REJECTED = "rejected"
    RESCHEDULE = "reschedule"  # replied R to a reminder

    @property
    def label(self) -> str:
        return {"urgent": "Urgent", "flagged": "Flagged by the AI", "callback": "Asked to be called back",
                "question": "Asked a question", "no-booking": "No booking was made",
                "rejected": "Booking rejected", "reschedule": "Texted R to reschedule"}[self.value]


class CallbackOutcome(str, enum.Enum):
    REACHED = "reached"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no-answer"
    BOOKED = "booked"

    @property
    def label(self) -> str:
        return {"reached": "Reached", "voicemail": "Left a voicemail", "no-answer": "No answer",
                "booked": "Booked"}[self.value]


@dataclass(frozen=True)
class CallbackNeed:
    reason: CallbackReason
    urgent: bool


def callback_need(intent: Intent, reason_codes: Iterable[str], issues: Iterable[FieldIssue]) -> CallbackNeed | None:
    """Whether a stored call needs a person to call back, and why (the most pressing reason), or None."""
    if intent is Intent.URGENT:
        return CallbackNeed(CallbackReason.URGENT, True)
    if any(isinstance(code, str) and _FLAGGED.search(code) for code in reason_codes):
        return CallbackNeed(CallbackReason.FLAGGED, False)
    if intent is Intent.CALLBACK:
        return CallbackNeed(CallbackReason.CALLBACK, False)
    if intent is Intent.QUESTION:
        return CallbackNeed(CallbackReason.QUESTION, False)
    if intent is Intent.BOOK and any(i.severity is Severity.ERROR for i in issues):
        return CallbackNeed(CallbackReason.NO_BOOKING, False)
    return None


def _open_spans(local_day: datetime, rules: LocationRules) -> list[tuple[datetime, datetime]]:
    """Each [open, close) of this local day as aware datetimes (several ranges a day; none on a closed day or a
    closure), from the location's weekly hours (``BookingRules.hours``)."""
    day = local_day.date()
    booking = rules.booking
    if booking.closures and booking.closure_on(day) is not None:
        return []
    midnight = datetime.combine(day, time(0), tzinfo=rules.zone)
    spans = []
    for opens, closes in booking.hours.days[day.weekday()]:
        # wall-clock times of that day (DST-safe), 24:00 being the next midnight
        start = datetime.combine(day, time(*divmod(opens, 60)), tzinfo=rules.zone)
        end = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=rules.zone) if closes >= 24 * 60
               else datetime.combine(day, time(*divmod(closes, 60)), tzinfo=rules.zone))
        spans.append((max(start, midnight), end))
    return spans


def callback_due(received_at: datetime, urgent: bool, rules: LocationRules) -> datetime:
    """When the callback of a call received at ``received_at`` is due (UTC): 30 open minutes for an urgent call,
    2 open hours otherwise, counted on the location's opening hours and days in its zone (DST-safe: each day's
    opening and closing are wall-clock times of that day)."""
    left = URGENT_WITHIN if urgent else NORMAL_WITHIN
    cursor = received_at.astimezone(rules.zone)
    for _ in range(366):  # a year without an open day is a profile error; the loop is bounded anyway
        for start, end in _open_spans(cursor, rules):
            begin = max(cursor, start)
            if begin < end:
                # wall-clock arithmetic within a day, then back to an instant
                available = end.astimezone(timezone.utc) - begin.astimezone(timezone.utc)
                if left <= available:
                    return (begin.astimezone(timezone.utc) + left)
                left -= available
        next_day = (cursor.date() + timedelta(days=1))
        cursor = datetime.combine(next_day, time(0), tzinfo=rules.zone)
    raise ValueError("the location is never open: check its weekly hours and closures")


@dataclass(frozen=True)
class AiSummary:
    """What the owner reads first: who called, what they want, what the AI told them."""

    who: str
    wants: str
    told: str


def ai_told(transcript: Sequence[Sequence[str]]) -> str:
    """What the AI last told the caller: its last words in the transcript ("" when none were captured). Read from
    the transcript's end; kept on the callback when it is made, so the list never reads a transcript."""
    return next((said.strip() for speaker, said in reversed(transcript)
                 if _AGENT.match(speaker.strip()) and said.strip()), "")


def ai_summary(caller_name: str | None, number: str | None, intent: Intent, service: str | None,
               requested: str | None, summary: str | None, message: str | None, told: str | None) -> AiSummary:
    """The three lines of a callback, from the call as the AI captured it (``told``: ``ai_told`` of its
    transcript)."""
    who = " · ".join(x for x in (caller_name or "Unknown caller", number) if x)
    wants = intent.label
    if service:
        wants += f": {service}"
    if requested:
        wants += f", {requested}"
    detail = (summary or message or "").strip()
    if detail:
        wants += f" — {detail}"
    return AiSummary(who, wants, told or "(no words of the AI were captured)")


def is_overdue(due_at: datetime, now: datetime) -> bool:
    return due_at <= now


@dataclass(frozen=True)
class CallbackRecord:
    """One callback as the desk lists it: its state, and the call's AI summary first."""

    id: int
    call_row_id: int
    reason: CallbackReason
    urgent: bool
    due_at: datetime
    created_at: datetime
    summary: AiSummary
    number: str | None  # E.164 to call back (the number said, else the caller id)
    platform: str
    note: str | None = None  # the reject reason of a rejected booking, the text of a reply
    assignee: str | None = None
    outcome: CallbackOutcome | None = None  # None while open
    appointment_id: str | None = None
    done_at: datetime | None = None
    done_by: str | None = None
    called_at: datetime | None = None
    called_by: str | None = None
    call_sid: str | None = None
    version: int = 1

    @property
    def open(self) -> bool:
        return self.outcome is None

    def overdue(self, now: datetime) -> bool:
        return self.open and is_overdue(self.due_at, now)


@dataclass(frozen=True)
class CallbackCursor:
    """Where a page of the callback list ended (keyset paging): the open ones by (due, id), then the done ones by
    (done, id) newest first."""

    done: bool
    at: datetime
    id: int

    @classmethod
    def after(cls, record: "CallbackRecord") -> "CallbackCursor":
        return cls(not record.open, record.done_at if not record.open else record.due_at, record.id)
