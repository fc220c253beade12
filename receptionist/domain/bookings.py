"""Booking rules: what an approved proposal becomes, and what its calendar event must look like."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from receptionist.domain.formatting import format_phone
from receptionist.domain.models import FieldIssue, Severity
from receptionist.domain.payload import LocationRules, check_slot, normalise_phone
from receptionist.domain.ports import EventDraft, RemoteEvent


@dataclass(frozen=True)
class BookingDraft:
    """The editable part of a proposal: what the front desk approves."""

    caller_name: str | None
    callback_number: str | None  # E.164 or what the caller said
    service: str | None
    start: datetime | None  # UTC
    duration_minutes: int
    notes: str = ""

    @property
    def end(self) -> datetime | None:
        return None if self.start is None else self.start + timedelta(minutes=self.duration_minutes)


def validate_draft(draft: BookingDraft, rules: LocationRules, now: datetime) -> tuple[BookingDraft, list[FieldIssue]]:
    """Re-check an (edited) draft the way an incoming call is checked; returns it with the number normalised."""
    issues: list[FieldIssue] = []
    phone, problem = normalise_phone(draft.callback_number, rules.country)
    if problem:
        issues.append(problem)
    else:
        draft = replace(draft, callback_number=phone)
    if not (draft.caller_name or "").strip():
        issues.append(FieldIssue("caller_name", Severity.WARNING, "the caller's name is empty"))
    if not (draft.service or "").strip():
        issues.append(FieldIssue("service", Severity.ERROR, "choose a service"))
    if draft.start is None:
        issues.append(FieldIssue("requested_start", Severity.ERROR, "choose an appointment time"))
    else:
        issues.extend(check_slot(draft.start, draft.duration_minutes, rules, now))
    if not 5 <= draft.duration_minutes <= 480:
        issues.append(FieldIssue("duration_minutes", Severity.ERROR, "length must be 5–480 minutes"))
    return draft, issues


def blocking(issues: list[FieldIssue] | tuple[FieldIssue, ...]) -> list[FieldIssue]:
    return [i for i in issues if i.severity is Severity.ERROR]


def event_title(service: str | None, caller_name: str | None) -> str:
    return f"{service or 'Appointment'} — {caller_name or 'Unknown caller'}"


def event_draft(
    *, uid: str, service: str | None, caller_name: str | None, callback_number: str | None, start: datetime,
    end: datetime, notes: str, account_id: str | None, call_id: str | None, location_name: str, time_zone: str,
) -> EventDraft:
    lines = [f"Caller: {caller_name or 'Unknown'}"]
    if callback_number:
        lines.append(f"Callback: {format_phone(callback_number)} ({callback_number})")
    if account_id:
        lines.append(f"Account: {account_id}")
    if notes:
        lines += ["", notes]
    lines += ["", f"Booked by Receptionist Console{f' from call {call_id}' if call_id else ''}."]
    return EventDraft(
        uid=uid, title=event_title(service, caller_name), start=start, end=end, description="\n".join(lines),
        location=location_name, time_zone=time_zone,
    )


def fingerprint(draft: EventDraft) -> str:
    """Content hash of the fields we own on the remote event (instants compared, not strings)."""
    doc = {
        "title": draft.title,
        "start": draft.start.timestamp(),
        "end": draft.end.timestamp(),
        "description": _norm_text(draft.description),
        "location": draft.location,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _norm_text(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))


def differences(draft: EventDraft, remote: RemoteEvent) -> list[str]:
    """Which of our fields the calendar holds differently (write-back validation, drift detection)."""
    diffs = []
    if remote.title != draft.title:
        diffs.append(f"title is {remote.title!r}, expected {draft.title!r}")
    if remote.start != draft.start:
        diffs.append(f"start is {remote.start.isoformat()}, expected {draft.start.isoformat()}")
    if remote.end != draft.end:
        diffs.append(f"end is {remote.end.isoformat()}, expected {draft.end.isoformat()}")
    if _norm_text(remote.description) != _norm_text(draft.description):
        diffs.append("description differs")
    if remote.cancelled:
        diffs.append("event was cancelled on the calendar")
    return diffs
