"""Why the caller called: from the platform's structured data first, then the words of the summary and transcript.

Structured data (an analysis field the agent filled, our reason codes, the function the agent called) is what the
business configured the agent to decide, so it wins.  Keywords are the fallback, and are read with a little care:
"it's not an emergency" is not urgent, and "cancel ... and book another time" is a reschedule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from receptionist.domain.models import CallRecord, Intent, ProposalStatus

# When several intents are present, the one a person must act on first wins.
PRIORITY = (Intent.URGENT, Intent.RESCHEDULE, Intent.CANCEL, Intent.CALLBACK, Intent.BOOK, Intent.QUESTION)

# Structured values: whole words of a normalised value ("new_booking" → "new booking").
_STRUCTURED = {
    Intent.URGENT: r"\b(urgent|emergency|emergent)\b",
    Intent.RESCHEDULE: r"\b(reschedul\w*|re ?book\w*|move|moved|change appointment|change booking)\b",
    Intent.CANCEL: r"\b(cancel\w*)\b",
    Intent.CALLBACK: r"\b(call ?back|callback requested|call me back|return call|voicemail)\b",
    Intent.BOOK: r"\b(book|booking|new booking|new appointment|appointment|schedule|scheduled|book appointment)\b",
    Intent.QUESTION: r"\b(question|questions|inquiry|enquiry|info|information|faq|general)\b",
}

# Free text: phrases a caller or a summary uses.
_TEXT = {
    Intent.URGENT: r"\b(urgent\w*|emergenc\w*|severe pain|in a lot of pain|can'?t wait)\b",
    Intent.RESCHEDULE: r"\b(reschedul\w*|move (?:my|the|our|her|his) appointment|change (?:my|the) appointment|"
                       r"push (?:my|the) appointment|different (?:time|day) for (?:my|the) appointment)\b",
    Intent.CANCEL: r"\b(cancel\w*|call off (?:my|the) appointment|won'?t be able to make (?:it|my appointment))\b",
    Intent.CALLBACK: r"\b(call (?:me|us|him|her) back|callback|call-back|return (?:my|the|her|his) call|"
                     r"have (?:someone|somebody) call|asked for a call back)\b",
    Intent.BOOK: r"\b(book\w*|schedule (?:a|an)\b|make an appointment|new appointment|appointment for|"
                 r"come in (?:on|at|for)|set up an appointment)\b",
    Intent.QUESTION: r"\b(what (?:are|is) your (?:hours|prices?|address)|how much|do you (?:take|accept|offer)|"
                     r"are you open|question about)\b",
}
_NEGATION = re.compile(r"\b(not|no|don'?t|doesn'?t|isn'?t|wasn'?t|never|without)\b(?:\W+\w+){0,2}\W*$")

MAX_TEXT = 20_000  # read at most this much of a summary/transcript


@dataclass(frozen=True)
class IntentReading:
    intent: Intent
    source: str  # "structured" | "summary" | "transcript" | "default"
    evidence: str  # the value or words it was read from


def _norm(value: str) -> str:
    return re.sub(r"[^a-z0-9']+", " ", value.lower()).strip()


def from_structured(values: Iterable[str]) -> IntentReading | None:
    """An intent from the platform's own fields (analysis values, reason codes, function names)."""
    found: dict[Intent, str] = {}
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            exact = Intent(value.strip().lower())
        except ValueError:
            exact = None
        if exact is not None:
            found.setdefault(exact, value)
            continue
        text = _norm(value)[:500]
        for intent, pattern in _STRUCTURED.items():
            if re.search(pattern, text):
                found.setdefault(intent, value)
                break  # one intent per value, the first in priority order
    for intent in PRIORITY:
        if intent in found:
            return IntentReading(intent, "structured", found[intent])
    return None


def from_text(text: str, source: str) -> IntentReading | None:
    lowered = text.lower()[:MAX_TEXT]
    found: dict[Intent, str] = {}
    for intent, pattern in _TEXT.items():
        for match in re.finditer(pattern, lowered):
            if not _NEGATION.search(lowered[max(0, match.start() - 40): match.start()]):
                found.setdefault(intent, match[0])
                break
    if Intent.CANCEL in found and Intent.BOOK in found and Intent.RESCHEDULE not in found:
        # "cancel Tuesday and book Friday instead" moves an appointment
        found[Intent.RESCHEDULE] = f"{found[Intent.CANCEL]} … {found[Intent.BOOK]}"
    for intent in PRIORITY:
        if intent in found:
            return IntentReading(intent, source, found[intent])
    return None


def classify_intent(structured: Iterable[str] = (), summary: str | None = None,
                    caller_words: Iterable[str] = (), *, wants_booking: bool = False) -> IntentReading:
    """Structured data, then the summary, then what the caller said; else book when booking fields were captured."""
    reading = from_structured(structured)
    if reading is None and summary:
        reading = from_text(summary, "summary")
    if reading is None:
        words = " \n".join(w for w in caller_words if isinstance(w, str))
        if words:
            reading = from_text(words, "transcript")
    if reading is not None:
        return reading
    if wants_booking:
        return IntentReading(Intent.BOOK, "default", "a service or time was captured")
    return IntentReading(Intent.QUESTION, "default", "nothing to book was captured")


# intents a person acts on even when no booking was proposed
ACT_ON = (Intent.URGENT, Intent.CALLBACK, Intent.CANCEL, Intent.RESCHEDULE)


def needs_person(call: CallRecord) -> bool:
    """Whether a call waits for someone at the desk (the tray notifies of it): a booking proposal not decided yet,
    or a caller who asked for something only a person can do. A question answered on the call does not."""
    p = call.proposal
    return (p is not None and p.status is ProposalStatus.PENDING) or call.intent in ACT_ON
