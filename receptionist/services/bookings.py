"""Bookings: the calls the AI agent took and a person's decision on each proposal (edit, approve, reject)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from receptionist import events
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.call_queue import CallFilter, CallPage, CallQuery
from receptionist.domain.intake import LiveCallRecord
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

    def call_page(self, query: CallQuery = CallQuery(), after: int | None = None, limit: int = 100) -> CallPage:
        """A page of a view of the queue (the window's list, ``calls list``), filtered, searched and sorted in SQL,
        without transcripts: the calls after the call ``after`` in the view's order, and every view's count."""
        if limit < 1:
            raise UserError("list at least one call (--limit 1 or more)")
        return self.ctx.store.calls.page(query, after, limit)

    def calls_by_id(self, ids, query: CallQuery | None = None) -> list[CallRecord]:
        """These calls' list rows; with a query, only those its view lists."""
        return self.ctx.store.calls.by_id(ids, query)

    def call_versions(self, ids) -> dict[int, tuple]:
        """Each call's (intent, proposal version, proposal status) by id: what a listed row shows changes with."""
        return self.ctx.store.calls.versions(ids)

    def call_counts(self, query: CallQuery = CallQuery()) -> dict[CallFilter, int]:
        """How many calls each view lists under the query's search."""
        return self.ctx.store.calls.counts(query)

    def in_progress(self, query: CallQuery = CallQuery(), noted: frozenset[tuple[str, str]] = frozenset(),
                    ended_within: timedelta = timedelta(minutes=10)) -> tuple[list[LiveCallRecord], dict]:
        """The calls the view lists as live rows: in progress, or ended in the last minutes and not stored yet
        (their summary is on its way); a stored call is a row of its own. Latest news first. With them, the
        returning-caller note ("Returning caller, last visit 10/14/2026", or None) of each call not ``noted``
        yet, by (platform, call id): one history lookup per call, not per refresh."""
        store = self.ctx.store
        live = [c for c in store.inbox.live_calls(self.ctx.clock() - ended_within) if query.lists_live(c)]
        stored = store.calls.stored((c.platform, c.call_id) for c in live)
        live = [c for c in live if (c.platform, c.call_id) not in stored]
        notes = {(c.platform, c.call_id): self.callers.returning_text(c.caller_id_number) for c in live
                 if (c.platform, c.call_id) not in noted}
        return live, notes

    def services(self) -> list[str]:
        """The services proposals name, most used first (the review pane offers them as the caller types)."""
        return self.ctx.store.calls.services()

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

    def edit(self, proposal_id: int, draft: BookingDraft, version: int, actor: str = "staff") -> ProposalRecord:
        ctx = self.ctx
        draft, issues = self.checks.check(draft)
        record = ctx.store.proposals.update(proposal_id, draft, issues, version, actor, ctx.clock())
        ctx.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="edited")
        return record

    def approve(self, proposal_id: int, version: int, draft: BookingDraft | None = None,
                actor: str = "staff") -> AppointmentRecord:
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
        appt = ctx.store.proposals.approve(proposal_id, draft, version, list(ctx.calendars), actor, ctx.clock(),
                                           outbox)
        ctx.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="approved")
        ctx.bus.publish(events.APPOINTMENT_CHANGED, appointment_id=appt.id)
        ctx.wake_sync()
        return appt

    def approval_refusal(self, proposal_id: int) -> str | None:
        """Why a proposal can not be approved as a new booking whatever is edited (the caller called to cancel or
        to move an appointment), or None. The review pane shows it and disables Approve."""
        call = self.ctx.store.calls.of_proposal(proposal_id)
        return refusal_of(call.intent) if call is not None else None

    def reject(self, proposal_id: int, version: int, reason: str, actor: str = "staff") -> ProposalRecord:
        ctx = self.ctx
        if not reason.strip():
            raise UserError("say why the booking is rejected (the owner sees it when calling back)")
        record = ctx.store.proposals.reject(proposal_id, version, reason.strip(), actor, ctx.clock())
        ctx.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="rejected")
        return record
