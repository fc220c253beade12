"""Plain records out of the store's rows (``receptionist.domain.models``): no ORM object leaves the store."""

from __future__ import annotations

from datetime import datetime

from receptionist.domain.models import (
    AppointmentRecord,
    AppointmentStatus,
    Attendance,
    CalendarHealthRecord,
    CallRecord,
    ExternalEventRecord,
    FieldIssue,
    LinkRecord,
    ProposalRecord,
    ProposalStatus,
    SyncState,
)
from receptionist.domain.payload import CallCapture
from receptionist.store import tables as t


def issues_of(rows: list) -> tuple[FieldIssue, ...]:
    return tuple(FieldIssue.from_dict(r) for r in rows or ())


def link_record(row: t.CalendarLink) -> LinkRecord:
    return LinkRecord(
        id=row.id, appointment_id=row.appointment_id, calendar=row.calendar, state=SyncState(row.state),
        remote_id=row.remote_id, etag=row.etag, content_hash=row.content_hash, last_error=row.last_error,
        attempts=row.attempts, next_attempt_at=row.next_attempt_at, synced_at=row.synced_at, detail=row.detail,
        generation=row.generation or 0,
    )


def appointment_record(row: t.Appointment) -> AppointmentRecord:
    return AppointmentRecord(
        id=row.id, caller_name=row.caller_name, callback_number=row.callback_number, account_id=row.account_id,
        service=row.service, start=row.start_at, end=row.end_at, notes=row.notes,
        status=AppointmentStatus(row.status), call_id=row.call_id, version=row.version,
        links=tuple(link_record(link) for link in row.links), title_override=row.title_override,
        description_override=row.description_override, cancel_reason=row.cancel_reason,
        caller_confirmed_at=row.caller_confirmed_at, resource=row.resource,
        attendance=Attendance(row.attendance) if row.attendance else None, attendance_by=row.attendance_by,
    )


def external_record(r: t.ExternalEvent) -> ExternalEventRecord:
    return ExternalEventRecord(calendar=r.calendar, remote_id=r.remote_id, title=r.title, start=r.start_at,
                               end=r.end_at, busy=r.busy, all_day=r.all_day, uid=r.uid, etag=r.etag,
                               description=r.description or "", location=r.location or "")


def health_record(r: t.CalendarHealth) -> CalendarHealthRecord:
    return CalendarHealthRecord(
        calendar=r.calendar, gate=r.gate, paused_until=r.paused_until, pause_reason=r.pause_reason,
        last_pull_at=r.last_pull_at, last_error=r.last_error, last_error_at=r.last_error_at,
        held_missing=r.held_missing or 0, reconciled_at=r.reconciled_at, reconcile_report=r.reconcile_report)


def proposal_record(row: t.BookingProposal) -> ProposalRecord:
    return ProposalRecord(
        id=row.id, status=ProposalStatus(row.status), caller_name=row.caller_name,
        callback_number=row.callback_number, service=row.service, start=row.start_at,
        duration_minutes=row.duration_minutes, notes=row.notes, issues=issues_of(row.issues), version=row.version,
        appointment_id=row.appointment_id, decided_by=row.decided_by, reject_reason=row.reject_reason,
        resource=row.resource,
    )


def call_record(row: t.Call, complete: bool = True) -> CallRecord:
    """A call row as a record; ``complete=False`` for list rows read without transcript and custom fields."""
    return CallRecord(
        id=row.id, platform=row.platform, call_id=row.call_id, received_at=row.received_at,
        occurred_at=row.occurred_at, caller_name=row.caller_name, callback_number=row.callback_number,
        callback_number_raw=row.callback_number_raw, account_id=row.account_id,
        reason_codes=tuple(row.reason_codes or ()), service=row.service, requested_start=row.requested_start,
        requested_start_raw=row.requested_start_raw, duration_minutes=row.duration_minutes, message=row.message,
        summary=row.summary, transcript=tuple((s, x) for s, x in (row.transcript or ())) if complete else (),
        agent_id=row.agent_id, custom_fields=dict(row.custom_fields or {}) if complete else {},
        issues=issues_of(row.issues),
        proposal=proposal_record(row.proposal) if row.proposal is not None else None,
        intent=row.intent or "book", caller_id_number=row.caller_id_number, raw_fields=dict(row.raw_fields or {}),
        complete=complete,
    )


def call_row(capture: CallCapture, payload: dict, received_at: datetime, inbox_id: int | None = None) -> t.Call:
    """The call row and its pending proposal for one capture (not added to any session)."""
    row = t.Call(
        platform=capture.platform, call_id=capture.call_id, received_at=received_at,
        occurred_at=capture.occurred_at, caller_name=capture.caller_name, callback_number=capture.callback_number,
        callback_number_raw=capture.callback_number_raw, account_id=capture.account_id,
        reason_codes=list(capture.reason_codes), service=capture.service,
        requested_start=capture.requested_start, requested_start_raw=capture.requested_start_raw,
        duration_minutes=capture.duration_minutes, message=capture.message, summary=capture.summary,
        transcript=[list(turn) for turn in capture.transcript], agent_id=capture.agent_id,
        custom_fields=capture.custom_fields, issues=[i.to_dict() for i in capture.issues], payload=payload,
    )
    row.proposal = t.BookingProposal(
        status=ProposalStatus.PENDING.value, caller_name=capture.caller_name,
        callback_number=capture.callback_number or capture.callback_number_raw, service=capture.service,
        start_at=capture.requested_start, duration_minutes=capture.duration_minutes,
        notes=capture.summary or capture.message or "", issues=[i.to_dict() for i in capture.issues],
        resource=capture.resource, created_at=received_at,
    )
    row.intent = capture.intent.value
    row.caller_id_number = capture.caller_id_number
    row.raw_fields = dict(capture.raw_fields)
    row.inbox_id = inbox_id
    return row
