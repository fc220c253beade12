"""Booking rules: what an approved proposal becomes, and what its calendar event must look like."""

from __future__ import annotations

import string
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from receptionist.domain.formatting import format_phone
from receptionist.domain.models import AppointmentRecord, FieldIssue, Severity
from receptionist.domain.payload import LocationRules, booking_issues, normalise_phone
from receptionist.domain.ports import EventDraft


MAX_APPOINTMENT = timedelta(hours=24)  # nothing booked here lasts longer (the store's window queries rely on it)


@dataclass(frozen=True)
class BookingDraft:
    """The editable part of a proposal: what the front desk approves."""

    caller_name: str | None
    callback_number: str | None  # E.164 or what the caller said
    service: str | None
    start: datetime | None  # UTC
    duration_minutes: int
    notes: str = ""
    resource: str | None = None  # the resource it takes, picked by the check (``availability.pick_resource``)

    @property
    def end(self) -> datetime | None:
        return None if self.start is None else self.start + timedelta(minutes=self.duration_minutes)


def validate_draft(draft: BookingDraft, rules: LocationRules, now: datetime) -> tuple[BookingDraft, list[FieldIssue]]:
    """Re-check an (edited) draft by the rules an incoming call is checked by (``booking_issues``); returns it with
    the number normalised."""
    issues: list[FieldIssue] = []
    phone, problem = normalise_phone(draft.callback_number, rules.country)
    if problem:
        issues.append(problem)
    else:
        draft = replace(draft, callback_number=phone)
    issues += booking_issues(draft.caller_name, draft.service, draft.start, draft.duration_minutes, rules, now)
    return draft, issues


def blocking(issues: list[FieldIssue] | tuple[FieldIssue, ...]) -> list[FieldIssue]:
    return [i for i in issues if i.severity is Severity.ERROR]


@dataclass(frozen=True)
class EventTemplate:
    """How an appointment reads on a calendar, per location (``[events]`` in the profile)."""

    title: str = "{service} — {caller}"
    description: str = "Caller: {caller}\nCallback: {phone}\nAccount: {account}\n\n{notes}"
    private: bool = False  # clinics: a generic title and no caller details on calendars others can see
    private_title: str = "Patient appointment"
    location_name: str = ""
    time_zone: str = "UTC"


FOOTER = "Booked by Receptionist Console"


def _fill(template: str, values: dict[str, str]) -> str:
    """Fill ``{field}``s; a line whose fields are all empty is left out (no "Account: " with nothing after it)."""
    out = []
    for line in template.split("\n"):
        names = [name for _, name, _, _ in string.Formatter().parse(line) if name]
        if names and not any(values.get(n) for n in names):
            continue
        out.append(line.format_map({n: values.get(n, "") for n in names}) if names else line)
    return "\n".join(out).strip("\n")


def event_draft(appt: AppointmentRecord, template: EventTemplate) -> EventDraft:
    """The calendar event an appointment should be (what the sync plan calls *want*)."""
    values = {
        "service": appt.service or "Appointment",
        "caller": appt.caller_name or "Unknown caller",
        "phone": f"{format_phone(appt.callback_number)} ({appt.callback_number})" if appt.callback_number else "",
        "account": appt.account_id or "",
        "notes": appt.notes or "",
        "location": template.location_name,
    }
    footer = f"{FOOTER}{f' from call {appt.call_id}' if appt.call_id and not template.private else ''}."
    if template.private:
        title, description = template.private_title, footer
    else:
        title = _fill(template.title, values)
        description = _fill(template.description, values) + "\n\n" + footer
    return EventDraft(
        uid=appt.id, title=appt.title_override or title, start=appt.start, end=appt.end,
        description=appt.description_override if appt.description_override is not None else description,
        location=template.location_name, time_zone=template.time_zone,
    )
