"""Booking payload schema v1/v2, and the normalisation every platform's call goes through.

Two levels of checking, on purpose:

* **Structure** (``BookingPayloadV1``, pydantic): the envelope must be right — schema version, call id, the call's
  timestamp with an offset, field types.  A payload that fails here is refused at the door with a per-field
  error list (the sender has a bug), and nothing is stored.
* **Content** (``normalise``): what the AI captured may be wrong in ways a person at the desk can fix — a callback
  number with a digit missing, a time that falls in a DST gap or outside opening hours.  Such a call is *kept*,
  with a ``FieldIssue`` per field, so no caller is lost; a proposal with an error cannot be approved until edited.

Schema v2 adds an explicit ``intent`` and the platform's ``caller_id_number``; v1 is still accepted.

``resources/schema/booking-payload-v1.json`` and ``-v2.json`` are generated from the models (``python -m
receptionist.domain.payload 1 > resources/schema/booking-payload-v1.json``, same with ``2``); a test
keeps each file equal to its model.

Every platform adapter reduces its payload to ``CallFacts`` (raw text as the platform sent it) and calls
``build_capture``: one place that reads spoken times and digits, falls back to the caller id, classifies the
intent and records what could not be resolved — so a Vapi call and a v1 payload are checked by the same rules.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import phonenumbers
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from receptionist.domain.intent import classify_intent
from receptionist.domain.models import FieldIssue, Intent, Severity
from receptionist.domain.schedule import OFF_GRID, PAST, BookingRules, Schedule, WeeklyHours
from receptionist.domain.spoken import read_spoken_time, spoken_digits

SCHEMA_VERSION = "2"  # the newest; "1" is still accepted
SCHEMA_VERSIONS = ("1", "2")
MIN_MINUTES, MAX_MINUTES = 5, 480  # the length of any appointment, captured or edited
SCHEMA_ID = "https://receptionist-console.example/schema/booking-payload-v1.json"
SCHEMA_ID_V2 = "https://receptionist-console.example/schema/booking-payload-v2.json"

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
CustomValue = str | int | float | bool | None


class Caller(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = Field(None, description="Caller's name as the agent understood it.")
    callback_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = Field(
        None, description="Number to call back, in any human format; normalised to E.164."
    )
    account_id: ShortText | None = Field(None, description="The business's customer/account id, if known.")


class TranscriptTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    text: Annotated[str, StringConstraints(max_length=10_000)]
    at: AwareDatetime | None = None


class BookingPayloadV1(BaseModel):
    """The booking payload an AI voice platform delivers for one call (schema v1)."""

    model_config = ConfigDict(
        extra="forbid",
        title="Receptionist Console booking payload v1",
        json_schema_extra={"$id": SCHEMA_ID, "$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    schema_version: Literal["1"] = Field(description="Always \"1\" for this schema.")
    call_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)] = Field(
        description="The platform's id of the call; a second delivery of the same id is a duplicate."
    )
    platform: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = Field(
        "generic", description="Which platform captured the call (vapi, retell, elevenlabs, twilio, generic...)."
    )
    timestamp: AwareDatetime = Field(description="When the call took place, ISO 8601 with an offset.")
    caller: Caller = Field(default_factory=Caller)
    reason_codes: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]] = (
        Field(default_factory=list, max_length=20, description="Reason-for-call codes, e.g. new_booking, urgent.")
    )
    service: ShortText | None = Field(None, description="Service the caller asked for.")
    requested_start: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = Field(
        None,
        description="Requested start: ISO 8601 with an offset, or a local date-time without one, read in the "
        "location's time zone.",
    )
    duration_minutes: int | None = Field(None, ge=MIN_MINUTES, le=MAX_MINUTES,
                                         description="Requested length in minutes.")
    message: Annotated[str, StringConstraints(max_length=5_000)] | None = Field(
        None, description="What the caller asked to pass on."
    )
    summary: Annotated[str, StringConstraints(max_length=5_000)] | None = Field(
        None, description="The agent's summary of the call."
    )
    transcript: list[TranscriptTurn] = Field(default_factory=list, max_length=2_000)
    agent_id: ShortText | None = Field(None, description="Operator or AI agent that took the call.")
    custom_fields: dict[Annotated[str, StringConstraints(max_length=60)], CustomValue] = Field(
        default_factory=dict, max_length=50, description="Business-specific extra fields."
    )


IntentName = Literal["book", "reschedule", "cancel", "question", "callback", "urgent"]


class BookingPayloadV2(BookingPayloadV1):
    """Schema v2: v1 plus the caller's intent, as the platform's agent decided it, and the caller id."""

    model_config = ConfigDict(
        extra="forbid",
        title="Receptionist Console booking payload v2",
        json_schema_extra={"$id": SCHEMA_ID_V2, "$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    schema_version: Literal["2"] = Field(description="Always \"2\" for this schema.")
    intent: IntentName | None = Field(
        None, description="Why the caller called. Without it the console classifies the call from reason codes, "
        "summary and transcript."
    )
    caller_id_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = Field(
        None, description="The number the call came from (caller id/ANI), used when the spoken number is invalid."
    )


BookingPayload = BookingPayloadV1 | BookingPayloadV2


class PayloadError(Exception):
    """A payload refused at the door. ``errors`` maps a dotted field path to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def parse_payload(raw: bytes | str | dict) -> BookingPayload:
    """Bytes/str/dict → ``BookingPayloadV1`` or ``V2`` by its ``schema_version``, or ``PayloadError``."""
    if isinstance(raw, (bytes, str)):
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PayloadError({"body": f"not valid JSON ({exc})"}) from None
        except ValueError as exc:  # an integer past Python's 4300-digit conversion limit
            raise PayloadError({"body": f"a value cannot be read ({exc})"}) from None
        except RecursionError:
            raise PayloadError({"body": "nested too deeply"}) from None
    else:
        data = raw
    if not isinstance(data, dict):
        raise PayloadError({"body": "must be a JSON object"})
    version = data.get("schema_version")
    if version not in SCHEMA_VERSIONS:
        raise PayloadError({"schema_version": "Input should be '1' or '2'"})
    model = BookingPayloadV2 if version == "2" else BookingPayloadV1
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors(include_url=False):
            path = ".".join(str(p) for p in err["loc"]) or "body"
            errors.setdefault(path, err["msg"])
        raise PayloadError(errors) from None


def json_schema(version: str = "1") -> dict[str, Any]:
    return (BookingPayloadV2 if version == "2" else BookingPayloadV1).model_json_schema()


# --- content: normalisation with per-field findings -------------------------------------------------------------


@dataclass(frozen=True)
class LocationRules:
    """What normalisation needs to know about the location (a slice of the profile, kept pure)."""

    zone: ZoneInfo
    country: str = "US"
    default_duration_minutes: int = 30
    booking: BookingRules = None  # type: ignore[assignment]  # None: 8 AM–6 PM Mon–Sat in ``zone``

    def __post_init__(self):
        if self.booking is None:
            object.__setattr__(self, "booking", BookingRules(self.zone, WeeklyHours.simple(8, 18),
                                                             default_duration_minutes=self.default_duration_minutes))


@dataclass(frozen=True)
class CallCapture:
    """A call's payload after normalisation: UTC instants, E.164 number, and what is wrong with each field."""

    call_id: str
    platform: str
    occurred_at: datetime
    caller_name: str | None
    callback_number: str | None  # E.164 when valid, else None (the raw text is kept)
    callback_number_raw: str | None
    account_id: str | None
    reason_codes: tuple[str, ...]
    service: str | None
    requested_start: datetime | None  # UTC
    requested_start_raw: str | None
    duration_minutes: int
    message: str | None
    summary: str | None
    transcript: tuple[tuple[str, str], ...]
    agent_id: str | None
    custom_fields: dict[str, CustomValue] = field(default_factory=dict)
    issues: tuple[FieldIssue, ...] = ()
    intent: Intent = Intent.BOOK
    caller_id_number: str | None = None  # E.164 from the platform's caller id (ANI), when it sent one
    # The raw text beside each resolved value ("requested_start": "next Thursday at 3", "callback_number": ...).
    raw_fields: dict[str, str] = field(default_factory=dict)
    resource: str | None = None  # the resource the booking rule picks at the requested time (the intake's check)

    @property
    def requested_end(self) -> datetime | None:
        if self.requested_start is None:
            return None
        return self.requested_start + timedelta(minutes=self.duration_minutes)


_WHY_NOT_A_NUMBER = {
    phonenumbers.NumberParseException.NOT_A_NUMBER: " (it has no digits to read)",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: " (too few digits)",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: " (too few digits)",
    phonenumbers.NumberParseException.TOO_LONG: " (too many digits)",
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: " (its country code is not one)",
}


def normalise_phone(raw: str | None, country: str) -> tuple[str | None, FieldIssue | None]:
    """Any human format → E.164, or a specific finding."""
    if raw is None or not raw.strip():
        return None, FieldIssue("callback_number", Severity.ERROR, "no callback number was captured")
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException as exc:
        return None, FieldIssue("callback_number", Severity.ERROR,
                                f"{raw!r} is not a phone number{_WHY_NOT_A_NUMBER.get(exc.error_type, '')}")
    if not phonenumbers.is_possible_number(number):
        digits = len(re.sub(r"\D", "", raw))
        return None, FieldIssue(
            "callback_number", Severity.ERROR, f"{raw!r} has {digits} digits, not a possible phone number"
        )
    if not phonenumbers.is_valid_number(number):
        return None, FieldIssue("callback_number", Severity.ERROR, f"{raw!r} is not a valid number in any region")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def resolve_local_time(naive: datetime, zone: ZoneInfo) -> tuple[datetime, FieldIssue | None]:
    """Read a wall-clock time in ``zone``; DST gaps are errors, DST overlaps are resolved to the earlier instant.

    ``zoneinfo`` quietly accepts a non-existent time (02:30 on a spring-forward day) and an ambiguous one (01:30
    on a fall-back day); a round trip through UTC tells them apart.
    """
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    shown = naive.strftime("%m/%d/%Y %I:%M %p")
    if first.utcoffset() != second.utcoffset():
        back = first.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None)
        if back != naive:  # fold=0 maps to another wall time: the time does not exist
            return first.astimezone(timezone.utc), FieldIssue(
                "requested_start", Severity.ERROR,
                f"{shown} does not exist in {zone.key} (clocks spring forward that night); pick another time",
            )
        return first.astimezone(timezone.utc), FieldIssue(
            "requested_start", Severity.WARNING,
            f"{shown} happens twice in {zone.key} (clocks fall back); read as the first, "
            f"{first.tzname()}",
        )
    return first.astimezone(timezone.utc), None


def parse_requested_start(raw: str | None, zone: ZoneInfo) -> tuple[datetime | None, FieldIssue | None]:
    if raw is None or not raw.strip():
        return None, FieldIssue("requested_start", Severity.ERROR, "no appointment time was captured")
    text = raw.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None, FieldIssue(
            "requested_start", Severity.ERROR, f"{raw!r} is not an ISO 8601 date-time (e.g. 2026-11-24T10:30)"
        )
    if value.tzinfo is None:
        return resolve_local_time(value, zone)
    return value.astimezone(timezone.utc), None


def check_slot(start: datetime, minutes: int, rules: LocationRules, now: datetime,
               service: str | None = None) -> list[FieldIssue]:
    """The slot's time rules (``Schedule.refusals`` with no busy time: hours, closures, notice, horizon), as
    issues: a time in the past must be fixed (error); the rest a person may override (warnings). The grid of
    offered starts binds only what the agent is offered, not a person's choice."""
    schedule = Schedule(rules.booking, (), now)
    return [FieldIssue("requested_start", Severity.ERROR if r.code == PAST else Severity.WARNING, r.message)
            for r in schedule.refusals(start, rules.booking.service(service, minutes)) if r.code != OFF_GRID]


def booking_issues(caller_name: str | None, service: str | None, start: datetime | None, minutes: int,
                   rules: LocationRules, now: datetime, *, time_missing: bool = True) -> list[FieldIssue]:
    """The booking rules every proposal meets, captured by the agent or edited by a person: a name, a service,
    a time (``time_missing`` False where its absence was already reported), the slot's rules, and a length of
    ``MIN_MINUTES``–``MAX_MINUTES``."""
    issues: list[FieldIssue] = []
    if not (caller_name or "").strip():
        issues.append(FieldIssue("caller_name", Severity.WARNING, "the caller's name is missing"))
    if not (service or "").strip():
        issues.append(FieldIssue("service", Severity.ERROR, "choose a service"))
    if start is not None:
        issues.extend(check_slot(start, minutes, rules, now, service))
    elif time_missing:
        issues.append(FieldIssue("requested_start", Severity.ERROR, "choose an appointment time"))
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        issues.append(FieldIssue("duration_minutes", Severity.ERROR,
                                 f"length must be {MIN_MINUTES}–{MAX_MINUTES} minutes"))
    return issues


# --- every platform's call, reduced to raw facts, then checked by one set of rules ----------------------------------

TEXT_LIMITS = {"short": 200, "long": 5_000, "turn": 10_000, "speaker": 40}
MAX_TURNS = 2_000
MAX_CUSTOM = 50
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # NUL & co.: PostgreSQL refuses NUL in text


def clean_text(value: object, limit: int = TEXT_LIMITS["short"]) -> str | None:
    """Platform text → our text: a string, no control characters, trimmed to ``limit``; ``None`` if empty."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = _CONTROL.sub("", value).strip()
    return value[:limit] or None


class CaptureError(ValueError):
    """The facts cannot make a call at all (no usable call id or time); the adapter quarantines the delivery."""


@dataclass(frozen=True)
class CallFacts:
    """One call as a platform described it: raw text, before any reading. Adapters fill what they have."""

    platform: str
    call_id: str
    occurred_at: datetime  # aware: when the call started (spoken times are read against it)
    caller_name: str | None = None
    callback_number: str | None = None  # as said/extracted: "(312) 555-0142", "five five five ..."
    caller_id_number: str | None = None  # the platform's caller id (ANI)
    account_id: str | None = None
    service: str | None = None
    requested_start: str | None = None  # ISO 8601, or as said: "next Thursday at 3"
    duration_minutes: int | None = None
    message: str | None = None
    summary: str | None = None
    transcript: tuple[tuple[str, str], ...] = ()
    agent_id: str | None = None
    reason_codes: tuple[str, ...] = ()
    intent: str | None = None  # an explicit intent (schema v2, an analysis field named intent)
    intent_hints: tuple[str, ...] = ()  # more structured evidence: function names, analysis values
    custom_fields: dict[str, CustomValue] = field(default_factory=dict)


CALLER_ROLES = frozenset({"caller", "user", "customer", "human", "client", "patient"})


def read_callback_number(raw: str | None, caller_id: str | None, country: str
                         ) -> tuple[str | None, list[FieldIssue]]:
    """The number to call back: as given (any human format, or spoken digits), else the caller id, with why."""
    spoken_e164: str | None = None
    problem: FieldIssue | None = None
    if raw is not None and raw.strip():
        spoken_e164, problem = normalise_phone(raw, country)
        if problem is not None and re.search(r"[a-zA-Z]", raw):
            digits = spoken_digits(raw)
            if digits:
                spoken_e164, second = normalise_phone(digits, country)
                if second is not None:
                    problem = FieldIssue("callback_number", Severity.ERROR,
                                         f"{raw[:80]!r} reads as {digits}, which is not a valid phone number")
                else:
                    problem = None
        if problem is None:
            return spoken_e164, []
    caller_e164, _ = normalise_phone(caller_id, country) if caller_id else (None, None)
    if caller_e164 is not None:
        shown = phonenumbers.format_number(phonenumbers.parse(caller_e164), phonenumbers.PhoneNumberFormat.NATIONAL)
        why = ("no callback number was captured" if problem is None
               else f"the number captured, {raw.strip()[:80]!r}, is not valid")
        return caller_e164, [FieldIssue("callback_number", Severity.WARNING, f"{why}; using the caller id {shown}")]
    if problem is None:
        problem = FieldIssue("callback_number", Severity.ERROR, "no callback number was captured")
    return None, [problem]


def read_requested_start(raw: str | None, zone: ZoneInfo, reference: datetime
                         ) -> tuple[datetime | None, list[FieldIssue]]:
    """ISO 8601 (with or without an offset), else a spoken time read against the call's start in ``zone``."""
    if raw is None or not raw.strip():
        return None, [FieldIssue("requested_start", Severity.ERROR, "no appointment time was captured")]
    try:
        start, problem = parse_requested_start(raw, zone)
    except (OverflowError, ValueError):
        return None, [FieldIssue("requested_start", Severity.ERROR, f"{raw[:40]!r} is out of range")]
    if start is not None:
        if not 2000 <= start.year <= 2100:
            return None, [FieldIssue("requested_start", Severity.ERROR,
                                     f"{raw[:40]!r} is not a plausible appointment date")]
        return start, [problem] if problem else []
    try:
        local_reference = reference.astimezone(zone).replace(tzinfo=None)
    except (OverflowError, ValueError):
        local_reference = None
    if local_reference is None:
        return None, [FieldIssue("requested_start", Severity.ERROR, "the call's own time is out of range")]
    spoken = read_spoken_time(raw, local_reference)
    issues = [FieldIssue("requested_start", Severity.WARNING, note) for note in spoken.notes]
    if spoken.local is None:
        issues.append(FieldIssue("requested_start", Severity.ERROR, spoken.error or f"could not read {raw!r}"))
        return None, issues
    start, problem = resolve_local_time(spoken.local, zone)
    if problem:
        issues.append(problem)
        if problem.severity is Severity.ERROR:
            return start, issues
    return start, issues


def _intent_issue(intent: Intent) -> FieldIssue | None:
    if intent is Intent.CANCEL:
        return FieldIssue("intent", Severity.ERROR, "the caller asked to cancel an appointment, not to book one: "
                          "cancel the matched appointment instead")
    if intent is Intent.RESCHEDULE:
        return FieldIssue("intent", Severity.ERROR, "the caller asked to move an appointment, not to book a new "
                          "one: move the matched appointment instead")
    if intent is Intent.URGENT:
        return FieldIssue("intent", Severity.WARNING, "the caller said it is urgent: call back now")
    if intent is Intent.CALLBACK:
        return FieldIssue("intent", Severity.WARNING, "the caller asked to be called back")
    return None


def build_capture(facts: CallFacts, rules: LocationRules, now: datetime) -> CallCapture:
    """``CallFacts`` → ``CallCapture``: resolved values beside their raw text, a ``FieldIssue`` for each doubt.

    Raises ``CaptureError`` only when there is no call to speak of (no id, an instant out of range).
    """
    call_id = clean_text(facts.call_id, 128)
    if call_id is None:
        raise CaptureError("the call has no id")
    try:
        occurred_at = facts.occurred_at.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise CaptureError("the call's time is too close to year 1 or 9999 to convert to UTC") from None
    issues: list[FieldIssue] = []
    raw_fields: dict[str, str] = {}
    texts = {"caller_name": facts.caller_name, "callback_number": facts.callback_number,
             "caller_id_number": facts.caller_id_number, "service": facts.service,
             "requested_start": facts.requested_start, "account_id": facts.account_id}
    cleaned = {k: clean_text(v, 80 if k in ("callback_number", "caller_id_number", "requested_start") else 200)
               for k, v in texts.items()}
    raw_fields.update({k: v for k, v in cleaned.items() if v is not None})

    caller_id, _ = normalise_phone(cleaned["caller_id_number"], rules.country) if cleaned["caller_id_number"] \
        else (None, None)
    phone, found = read_callback_number(cleaned["callback_number"], cleaned["caller_id_number"], rules.country)
    issues.extend(found)
    start, found = read_requested_start(cleaned["requested_start"], rules.zone, occurred_at)
    issues.extend(found)
    minutes = facts.duration_minutes if isinstance(facts.duration_minutes, int) and \
        MIN_MINUTES <= facts.duration_minutes <= MAX_MINUTES else rules.default_duration_minutes
    unreadable_time = any(i.severity is Severity.ERROR for i in issues if i.field == "requested_start")
    issues.extend(booking_issues(cleaned["caller_name"], cleaned["service"], None if unreadable_time else start,
                                 minutes, rules, now, time_missing=False))  # read_requested_start said why

    transcript = tuple(
        (clean_text(who, TEXT_LIMITS["speaker"]) or "unknown", clean_text(said, TEXT_LIMITS["turn"]) or "")
        for who, said in facts.transcript[:MAX_TURNS]
    )
    summary = clean_text(facts.summary, TEXT_LIMITS["long"])
    reason_codes = tuple(c for c in (clean_text(r, 60) for r in facts.reason_codes[:20]) if c)
    structured = [v for v in (facts.intent, *reason_codes, *facts.intent_hints) if isinstance(v, str)]
    reading = classify_intent(
        structured, summary, (said for who, said in transcript if who.lower() in CALLER_ROLES),
        wants_booking=bool(cleaned["service"] or cleaned["requested_start"]),
    )
    problem = _intent_issue(reading.intent)
    if problem:
        issues.insert(0, problem)
    custom: dict[str, CustomValue] = {}
    for key, value in list(facts.custom_fields.items())[:MAX_CUSTOM]:
        key = clean_text(key, 60)
        if key is None:
            continue
        if isinstance(value, str):
            value = clean_text(value, 500)
        elif isinstance(value, float) and value != value:  # NaN
            value = None
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
            value = str(value)
        elif not isinstance(value, (int, float, bool)) and value is not None:
            value = clean_text(json.dumps(value, default=str)[:500], 500)
        custom[key] = value
    return CallCapture(
        call_id=call_id,
        platform=clean_text(facts.platform, 40) or "generic",
        occurred_at=occurred_at,
        caller_name=cleaned["caller_name"],
        callback_number=phone,
        callback_number_raw=cleaned["callback_number"],
        account_id=cleaned["account_id"],
        reason_codes=reason_codes,
        service=cleaned["service"],
        requested_start=start,
        requested_start_raw=cleaned["requested_start"],
        duration_minutes=minutes,
        message=clean_text(facts.message, TEXT_LIMITS["long"]),
        summary=summary,
        transcript=transcript,
        agent_id=clean_text(facts.agent_id, 200),
        custom_fields=custom,
        issues=tuple(issues),
        intent=reading.intent,
        caller_id_number=caller_id,
        raw_fields=raw_fields,
    )


def normalise(payload: BookingPayload, rules: LocationRules, now: datetime) -> CallCapture:
    """Our generic payload (v1 or v2) → ``CallCapture``."""
    return build_capture(
        CallFacts(
            platform=payload.platform or "generic",
            call_id=payload.call_id,
            occurred_at=payload.timestamp,
            caller_name=payload.caller.name,
            callback_number=payload.caller.callback_number,
            caller_id_number=getattr(payload, "caller_id_number", None),
            account_id=payload.caller.account_id,
            service=payload.service,
            requested_start=payload.requested_start,
            duration_minutes=payload.duration_minutes,
            message=payload.message,
            summary=payload.summary,
            transcript=tuple((t.speaker, t.text) for t in payload.transcript),
            agent_id=payload.agent_id,
            reason_codes=tuple(payload.reason_codes),
            intent=getattr(payload, "intent", None),
            custom_fields=dict(payload.custom_fields),
        ),
        rules,
        now,
    )


if __name__ == "__main__":  # regenerate resources/schema/booking-payload-v{1,2}.json
    import sys

    print(json.dumps(json_schema(sys.argv[1] if len(sys.argv) > 1 else "1"), indent=2, sort_keys=True))
