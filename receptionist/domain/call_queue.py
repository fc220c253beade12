"""The call queue's vocabulary: which calls a view lists (a filter, a sort, a search by name or number) and what a
row says about a call (its intent, urgency and state), once for the window, the command line and the store.

Pure Python: the store turns a :class:`CallQuery` into SQL, the window and ``calls list`` show :func:`row_state`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from receptionist.domain.intake import LiveCallRecord
from receptionist.domain.models import CallRecord, Intent, ProposalStatus


class CallFilter(str, enum.Enum):
    """The views of the queue. All but Done and All list the calls still waiting for a person."""

    NEEDS_ME = "needs-me"
    BOOKINGS = "bookings"
    CHANGES = "changes"
    URGENT = "urgent"
    DONE = "done"
    ALL = "all"

    @property
    def label(self) -> str:
        return {"needs-me": "Needs me", "bookings": "Bookings", "changes": "Changes", "urgent": "Urgent",
                "done": "Done", "all": "All"}[self.value]

    @property
    def pending_only(self) -> bool:
        return self in (CallFilter.NEEDS_ME, CallFilter.BOOKINGS, CallFilter.CHANGES, CallFilter.URGENT)

    @property
    def intents(self) -> tuple[Intent, ...] | None:
        """The intents this view lists, or None for any."""
        return {CallFilter.BOOKINGS: (Intent.BOOK,), CallFilter.CHANGES: (Intent.CANCEL, Intent.RESCHEDULE),
                CallFilter.URGENT: (Intent.URGENT,)}.get(self)

    @property
    def shows_live(self) -> bool:
        """Calls in progress are listed in the views that are not about a kind of call or a decision."""
        return self in (CallFilter.NEEDS_ME, CallFilter.ALL)


class CallSort(str, enum.Enum):
    NEWEST = "newest"
    OLDEST = "oldest"
    URGENT_FIRST = "urgent-first"

    @property
    def label(self) -> str:
        return {"newest": "Newest first", "oldest": "Oldest first", "urgent-first": "Urgent first"}[self.value]


@dataclass(frozen=True)
class SearchTerms:
    """A search as typed: every word must be in the caller's name, and the digits (all of them, in any format:
    "(312) 555-0142", "312.555.0142", "+1 312 555 0142") in one of the call's numbers."""

    words: tuple[str, ...] = ()
    digits: str = ""

    @classmethod
    def of(cls, text: str) -> "SearchTerms":
        text = (text or "").strip()[:100]
        words = tuple(w.lower() for w in re.findall(r"[^\W\d_][\w'.-]*", text) if not any(c.isdigit() for c in w))
        return cls(words, re.sub(r"\D", "", text))

    def __bool__(self) -> bool:
        return bool(self.words or self.digits)

    def matches_number(self, number: str | None) -> bool:
        return bool(self.digits) and self.digits in re.sub(r"\D", "", number or "")


@dataclass(frozen=True)
class CallQuery:
    """What a view of the queue lists, in which order."""

    filter: CallFilter = CallFilter.NEEDS_ME
    sort: CallSort = CallSort.NEWEST
    search: str = ""

    @property
    def terms(self) -> SearchTerms:
        return SearchTerms.of(self.search)

    def lists_live(self, call: LiveCallRecord) -> bool:
        """Whether this view lists a call in progress (only its caller id is known: a name search does not)."""
        if not self.filter.shows_live:
            return False
        terms = self.terms
        return not terms or (not terms.words and terms.matches_number(call.caller_id_number))


@dataclass(frozen=True)
class CallPage:
    """One page of a view: its calls in order, how many calls each view holds under the same search, and whether
    more follow (read them with the last call's id as ``after``)."""

    calls: list[CallRecord]
    counts: dict[CallFilter, int] = field(default_factory=dict)
    more: bool = False


class RowState(enum.Enum):
    """What a row says the desk has to do, shown by a glyph (a shape) as well as a colour."""

    LIVE = ("On the call", "●", "#dc2626")
    ENDED = ("Call ended, summary coming", "◌", "#64748b")
    REVIEW = ("Needs review", "○", "#2563eb")
    CANCEL = ("Cancel appointment", "⊘", "#b45309")
    RESCHEDULE = ("Move appointment", "↻", "#7c3aed")
    CALL_BACK = ("Call back", "☎", "#0f766e")
    CALL_BACK_NOW = ("Call back now", "▲", "#dc2626")
    APPROVED = ("Booked", "✓", "#15803d")
    REJECTED = ("Rejected", "–", "#64748b")
    CALLBACK = ("Sent to Callbacks", "☏", "#0f766e")
    NO_PROPOSAL = ("Nothing to decide", "·", "#64748b")

    @property
    def text(self) -> str:
        return self.value[0]

    @property
    def glyph(self) -> str:
        return self.value[1]

    @property
    def color(self) -> str:
        return self.value[2]


_PENDING_STATES = {Intent.BOOK: RowState.REVIEW, Intent.CANCEL: RowState.CANCEL,
                   Intent.RESCHEDULE: RowState.RESCHEDULE, Intent.QUESTION: RowState.CALL_BACK,
                   Intent.CALLBACK: RowState.CALL_BACK, Intent.URGENT: RowState.CALL_BACK_NOW}

# what the caller wants, as a row shows it: a glyph and a short word (urgency is shown by the urgent mark)
INTENT_MARKS = {Intent.BOOK: ("+", "Booking"), Intent.RESCHEDULE: ("⇄", "Reschedule"), Intent.CANCEL: ("✕", "Cancel"),
                Intent.QUESTION: ("?", "Question"), Intent.CALLBACK: ("☎", "Callback"),
                Intent.URGENT: ("!", "Urgent")}


def row_state(call: CallRecord | LiveCallRecord) -> RowState:
    """A cancel or a reschedule waits for that change, not for a booking's review; a question or a callback
    request waits for a person to call back."""
    if isinstance(call, LiveCallRecord):
        return RowState.LIVE if call.live else RowState.ENDED
    p = call.proposal
    if p is None:
        return RowState.NO_PROPOSAL
    if p.status is ProposalStatus.APPROVED:
        return RowState.APPROVED
    if p.status is ProposalStatus.REJECTED:
        return RowState.REJECTED
    if p.status is ProposalStatus.CALLBACK:
        return RowState.CALLBACK
    return _PENDING_STATES[call.intent]


def is_urgent(call: CallRecord | LiveCallRecord) -> bool:
    return isinstance(call, CallRecord) and call.intent is Intent.URGENT


def plural(n: int, one: str, many: str | None = None) -> str:
    """"1 call", "2 calls", "0 deliveries" (``many`` when adding an s is wrong)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


__all__ = ["CallFilter", "CallPage", "CallQuery", "CallSort", "INTENT_MARKS", "RowState", "SearchTerms",
           "is_urgent", "plural", "row_state"]
