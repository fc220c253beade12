"""Bookings: the calls the AI agent took and a person's decision on each proposal (edit, approve, reject)."""

from __future__ import annotations

from dataclasses import dataclass

from receptionist import events
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.callbacks import callback_due
from receptionist.domain.models import AppointmentRecord, CallRecord, FieldIssue, Intent, ProposalRecord, ProposalStatus
from receptionist.errors import UserError
from receptionist.services.callers import Callers
from receptionist.services.checks import Checks, draft_of, refuse_blocking
from receptionist.services.context import DeskContext
from receptionist.services.wording import Wording


@dataclass(frozen=True)
class CallReview:
    call: CallRecord
    refusal: str | None  # why Approve is off whatever is edited (Bookings.approval_refusal)
    caller_note: str | None  # "Returning caller, last visit …"
    issues: list[FieldIssue] | None  # the pending proposal checked now; None when it is decided or there is none


def refusal_of(intent: Intent) -> str | None:
    """Why a call of this intent can not be approved as a new booking, or None."""
    if intent not in (Intent.CANCEL, Intent.RESCHEDULE):
        return None
    verb = "cancel" if intent is Intent.CANCEL else "reschedule"
    return (f"the caller asked to {verb} an appointment, not to book a new one: approving would book it and "
            f"send a confirmation. {verb.capitalize()} the matching appointment instead, then reject this "
            "proposal with that reason.")


class Bookings:
    def __init__(self, ctx: DeskContext, checks: Checks, wording: Wording, callers: Callers):
        self.ctx, self.checks, self.wording, self.callers = ctx, checks, wording, callers

    def calls(self, limit: int = 200) -> list[CallRecord]:
        """The newest calls, whole (transcripts included): the command line's list."""
        return self.ctx.store.calls.recent(limit)

    def call_list(self, limit: int = 200) -> list[CallRecord]:
        """The window's call list: newest first, without transcripts (``complete=False``)."""
        return self.ctx.store.calls.list_rows(limit)

    def calls_by_id(self, ids) -> list[CallRecord]:
        return self.ctx.store.calls.by_id(ids)

    def review(self, call_row_id: int) -> CallReview:
        """What the review pane shows of one call, in one read (the window runs it on its worker): the call whole,
        why it can not be approved as a new booking, the returning-caller note, and its pending proposal checked
        again now (issues stored at capture time go stale as time passes and the calendars fill up)."""
        call = self.ctx.store.calls.get(call_row_id)
        if call is None:
            raise UserError(f"call {call_row_id} does not exist")
        p = call.proposal
        pending = p is not None and p.status is ProposalStatus.PENDING
        issues = self.checks.check(draft_of(p), ignore_appointment=p.appointment_id)[1] if pending else None
        note = self.callers.returning_text(call.caller_id_number or call.callback_number, before_call_row_id=call.id)
        return CallReview(call, refusal_of(call.intent) if pending else None, note, issues)

    def pending_count(self) -> int:
        """Booking proposals waiting for a person (counted in SQL)."""
        return self.ctx.store.proposals.pending_count()

    def proposal(self, proposal_id: int) -> ProposalRecord:
        proposal = self.ctx.store.proposals.get(proposal_id)
        if proposal is None:
            raise UserError(f"booking proposal {proposal_id} does not exist")
        return proposal

    def edit(self, proposal_id: int, draft: BookingDraft, version: int, actor: str | None = None) -> ProposalRecord:
        ctx = self.ctx
        draft, issues = self.checks.check(draft)
        record = ctx.store.proposals.update(proposal_id, draft, issues, version, ctx.actor(actor), ctx.clock())
        ctx.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="edited")
        return record

    def approve(self, proposal_id: int, version: int, draft: BookingDraft | None = None,
                actor: str | None = None) -> AppointmentRecord:
        """Confirm a proposal (as captured, or as edited): an appointment owed to every connected calendar."""
        ctx = self.ctx
        if draft is None:
            draft = draft_of(self.proposal(proposal_id))
        refusal = self.approval_refusal(proposal_id)
        if refusal:
            raise UserError(refusal)
        draft, issues = self.checks.check(draft)
        refuse_blocking(issues, "cannot approve yet")
        outbox = []
        if ctx.sms_enabled and draft.callback_number:
            outbox.append(("sms.confirmation", {"to": draft.callback_number, "body": self.wording.confirmation(draft)}))
        appt = ctx.store.proposals.approve(proposal_id, draft, version, list(ctx.calendars), ctx.actor(actor),
                                           ctx.clock(), outbox)
        ctx.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="approved")
        ctx.bus.publish(events.APPOINTMENT_CHANGED, appointment_id=appt.id)
        ctx.wake_sync()
        return appt

    def approval_refusal(self, proposal_id: int) -> str | None:
        """Why a proposal can not be approved as a new booking whatever is edited (the caller called to cancel or
        to move an appointment), or None. The review pane shows it and disables Approve."""
        call = self.ctx.store.calls.of_proposal(proposal_id)
        return refusal_of(call.intent) if call is not None else None

    def reject(self, proposal_id: int, version: int, reason: str, actor: str | None = None) -> ProposalRecord:
        ctx = self.ctx
        if not reason.strip():
            raise UserError("say why the booking is rejected (the owner sees it when calling back)")
        now = ctx.clock()
        # the caller is owed a call: the callback desk gets it, with the reason, in the same transaction
        record = ctx.store.proposals.reject(proposal_id, version, reason.strip(), ctx.actor(actor), now,
                                            callback_due=callback_due(now, False, ctx.rules))
        ctx.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="rejected")
        ctx.bus.publish(events.CALLBACK_CHANGED)
        return record
