"""Booking payload schema v1 and its normalisation.

Two levels of checking, on purpose:

* **Structure** (``BookingPayloadV1``, pydantic): the envelope must be right — schema version, call id, the call's
  timestamp with an offset, field types.  A payload that fails here is refused at the door with a per-field
  error list (the sender has a bug), and nothing is stored.
* **Content** (``normalise``): what the AI captured may be wrong in ways a person at the desk can fix — a callback
  number with a digit missing, a time that falls in a DST gap or outside opening hours.  Such a call is *kept*,
  with a ``FieldIssue`` per field, so no caller is lost; a proposal with an error cannot be approved until edited.

``resources/schema/booking-payload-v1.json`` is generated from ``BookingPayloadV1`` (``python -m
receptionist.domain.payload > receptionist/resources/schema/booking-payload-v1.json``); a test keeps the two equal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import phonenumbers
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from receptionist.domain.models import FieldIssue, Intent, Severity

SCHEMA_VERSION = "1"
SCHEMA_ID = "https://receptionist-console.example/schema/booking-payload-v1.json"

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
    duration_minutes: int | None = Field(None, ge=5, le=480, description="Requested length in minutes.")
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


class PayloadError(Exception):
    """A payload refused at the door. ``errors`` maps a dotted field path to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def parse_payload(raw: bytes | str | dict) -> BookingPayloadV1:
    """Bytes/str/dict → ``BookingPayloadV1``, or ``PayloadError`` naming each bad field."""
    if isinstance(raw, (bytes, str)):
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PayloadError({"body": f"not valid JSON ({exc})"}) from None
    else:
        data = raw
    if not isinstance(data, dict):
        raise PayloadError({"body": "must be a JSON object"})
    try:
        return BookingPayloadV1.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors(include_url=False):
            path = ".".join(str(p) for p in err["loc"]) or "body"
            errors.setdefault(path, err["msg"])
        raise PayloadError(errors) from None


def json_schema() -> dict[str, Any]:
    return BookingPayloadV1.model_json_schema()


# --- content: normalisation with per-field findings -------------------------------------------------------------


@dataclass(frozen=True)
class LocationRules:
    """What normalisation needs to know about the location (a slice of the profile, kept pure)."""

    zone: ZoneInfo
    country: str = "US"
    open_hour: int = 8
    close_hour: int = 18
    default_duration_minutes: int = 30
    open_weekdays: frozenset[int] = frozenset(range(0, 6))  # Mon–Sat


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

    @property
    def requested_end(self) -> datetime | None:
        if self.requested_start is None:
            return None
        return self.requested_start + timedelta(minutes=self.duration_minutes)


def normalise_phone(raw: str | None, country: str) -> tuple[str | None, FieldIssue | None]:
    """Any human format → E.164, or a specific finding."""
    if raw is None or not raw.strip():
        return None, FieldIssue("callback_number", Severity.ERROR, "no callback number was captured")
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException as exc:
        return None, FieldIssue("callback_number", Severity.ERROR, f"{raw!r} is not a phone number ({exc})")
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


def check_slot(start: datetime, minutes: int, rules: LocationRules, now: datetime) -> list[FieldIssue]:
    """Time-of-booking rules that a person may still override (warnings) or must fix (errors)."""
    issues: list[FieldIssue] = []
    local_start = start.astimezone(rules.zone)
    local_end = (start + timedelta(minutes=minutes)).astimezone(rules.zone)
    if start < now:
        issues.append(FieldIssue("requested_start", Severity.ERROR, "the requested time is in the past"))
    if local_start.weekday() not in rules.open_weekdays:
        issues.append(
            FieldIssue("requested_start", Severity.WARNING, f"{local_start:%A}s are outside opening days")
        )
    opens = datetime.combine(local_start.date(), time(rules.open_hour), rules.zone)
    closes = (
        datetime.combine(local_start.date() + timedelta(days=1), time(0), rules.zone)
        if rules.close_hour == 24
        else datetime.combine(local_start.date(), time(rules.close_hour), rules.zone)
    )
    if local_start < opens or local_end > closes:
        issues.append(
            FieldIssue(
                "requested_start", Severity.WARNING,
                f"outside opening hours ({_hour(rules.open_hour)}–{_hour(rules.close_hour)})",
            )
        )
    return issues


def _hour(h: int) -> str:
    if h in (0, 24):
        return "midnight"
    return f"{(h - 1) % 12 + 1} {'AM' if h < 12 else 'PM'}"


def normalise(payload: BookingPayloadV1, rules: LocationRules, now: datetime) -> CallCapture:
    issues: list[FieldIssue] = []
    phone, problem = normalise_phone(payload.caller.callback_number, rules.country)
    if problem:
        issues.append(problem)
    start, problem = parse_requested_start(payload.requested_start, rules.zone)
    if problem:
        issues.append(problem)
    minutes = payload.duration_minutes or rules.default_duration_minutes
    if start is not None and not any(i.severity is Severity.ERROR for i in issues if i.field == "requested_start"):
        issues.extend(check_slot(start, minutes, rules, now))
    if not payload.caller.name:
        issues.append(FieldIssue("caller_name", Severity.WARNING, "the caller's name was not captured"))
    if not payload.service:
        issues.append(FieldIssue("service", Severity.ERROR, "no service was captured"))
    return CallCapture(
        call_id=payload.call_id,
        platform=payload.platform or "generic",
        occurred_at=payload.timestamp.astimezone(timezone.utc),
        caller_name=payload.caller.name or None,
        callback_number=phone,
        callback_number_raw=payload.caller.callback_number,
        account_id=payload.caller.account_id or None,
        reason_codes=tuple(payload.reason_codes),
        service=payload.service or None,
        requested_start=start,
        requested_start_raw=payload.requested_start,
        duration_minutes=minutes,
        message=payload.message,
        summary=payload.summary,
        transcript=tuple((t.speaker, t.text) for t in payload.transcript),
        agent_id=payload.agent_id,
        custom_fields=dict(payload.custom_fields),
        issues=tuple(issues),
    )


if __name__ == "__main__":  # regenerate resources/schema/booking-payload-v1.json
    print(json.dumps(json_schema(), indent=2, sort_keys=True))
