"""Bookings: the calls the AI agent took and a person's decision on each proposal (edit, approve, reject)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from receptionist import events
from receptionist.domain.bookings import BookingDraft, blocking
from receptionist.domain.callbacks import callback_due
from receptionist.domain.call_queue import CallFilter, CallPage, CallQuery
from receptionist.domain.contact import TEXT_OK, ContactPreference, contact_preference
from receptionist.domain.intake import LiveCallRecord
from receptionist.domain.models import (
    AppointmentRecord,
    AppointmentStatus,
    CallRecord,
    FieldIssue,
    Intent,
    ProposalRecord,
    ProposalStatus,
    Severity,
)
from receptionist.errors import UserError
from receptionist.services.callers import Callers
from receptionist.services.checks import Checks, draft_of, held_by, refuse_blocking
from receptionist.services.context import DeskContext
from receptionist.services.texts import confirmation_mark
from receptionist.services.wording import Wording


@dataclass(frozen=True)
class CallReview:
    call: CallRecord
    refusal: str | None  # why Approve is off whatever is edited (Bookings.approval_refusal)
    caller_note: str | None  # "Returning caller, last visit …"
    issues: list[FieldIssue] | None  # the pending proposal checked now; None when it is decided or there is none
    contact: ContactPreference = TEXT_OK  # whether a confirmation may be texted (domain/contact.py)
    # a cancel/reschedule call: the caller's upcoming appointments, the soonest first (one: the match)
    matches: list[AppointmentRecord] = field(default_factory=list)
    confirmation: str | None = None  # an approved call: how far its confirmation text got (services/texts.py)
    resource: str | None = None  # the chair, room or person it takes: the recorded one if still free (Checks.check)


@dataclass(frozen=True)
class ApprovalPlan:
    """What approving an edited draft would do, for the person to confirm: the warnings it is approved despite, and
    the confirmation text (``None`` when no text can be sent: SMS off or no number) and why not to send it."""

    warnings: list[FieldIssue]
    text: str | None
    contact: ContactPreference


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
        checked, issues = self.checks.check(draft_of(p), ignore_appointment=p.appointment_id,
                                            call=(call.platform, call.call_id)) if pending else (None, None)
        number = call.caller_id_number or call.callback_number
        note = self.callers.returning_text(number, before_call_row_id=call.id)
        return CallReview(call, refusal_of(call.intent) if pending else None, note, issues, self.contact(call),
                          self._matches(call) if pending and call.intent in (Intent.CANCEL, Intent.RESCHEDULE)
                          else [], confirmation_mark(self.ctx, p.appointment_id)
                          if p is not None and p.appointment_id else None,
                          checked.resource if checked is not None else p.resource if p is not None else None)

    @staticmethod
    def contact(call: CallRecord) -> ContactPreference:
        return contact_preference(call.summary, call.message, call.custom_fields)

    def _matches(self, call: CallRecord) -> list[AppointmentRecord]:
        now, found = self.ctx.clock(), {}
        for number in (call.callback_number, call.caller_id_number):
            for appt in self.ctx.store.appointments.for_number(number, 20) if number else []:
                if appt.status is AppointmentStatus.CONFIRMED and appt.end > now:
                    found[appt.id] = appt
        return sorted(found.values(), key=lambda a: a.start)

    def approval_plan(self, proposal_id: int, draft: BookingDraft) -> ApprovalPlan:
        """What Approve would do with this draft (the window's confirmation step): the warnings it would be
        approved despite, the text it would send, and whether the caller may be texted."""
        call = self.ctx.store.calls.of_proposal(proposal_id)
        draft, issues = self.checks.check(self._with_resource(proposal_id, draft), call=held_by(call))
        warnings = [i for i in issues if i.severity is Severity.WARNING]
        text = self.wording.confirmation(draft) if (self.ctx.sms_enabled and draft.callback_number and draft.start
                                                    and not blocking(issues)) else None
        return ApprovalPlan(warnings, text, self.contact(call) if call is not None else TEXT_OK)

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
        draft, issues = self.checks.check(self._with_resource(proposal_id, draft),
                                          call=held_by(ctx.store.calls.of_proposal(proposal_id)))
        record = ctx.store.proposals.update(proposal_id, draft, issues, version, ctx.actor(actor), ctx.clock())
        ctx.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="edited")
        return record

    def _with_resource(self, proposal_id: int, draft: BookingDraft) -> BookingDraft:
        """A draft edited in the review pane (which does not edit the resource) with the proposal's recorded one."""
        return draft if draft.resource is not None else replace(draft, resource=self.proposal(proposal_id).resource)

    def approve(self, proposal_id: int, version: int, draft: BookingDraft | None = None,
                actor: str | None = None, *, text: str | None = None, notify: bool | None = None) -> AppointmentRecord:
        """Confirm a proposal (as captured, or as edited): an appointment owed to every connected calendar.

        The caller is texted ``text`` (default: the usual confirmation) when SMS is on and there is a number, unless
        ``notify`` is False, or ``notify`` is None and the call says the caller is not to be texted (prefers a phone
        call, opted out: ``domain/contact.py``)."""
        ctx = self.ctx
        if draft is None:
            draft = draft_of(self.proposal(proposal_id))
        refusal = self.approval_refusal(proposal_id)
        if refusal:
            raise UserError(refusal)
        call = ctx.store.calls.of_proposal(proposal_id)
        seen = self.checks.seen_clashes(draft)  # before the check: a booking after it is never among them
        # the resource recorded when the proposal was checked, kept if still free (else re-picked, warned)
        draft, issues = self.checks.check(self._with_resource(proposal_id, draft), call=held_by(call))
        refuse_blocking(issues, "cannot approve yet")
        if notify is None:
            notify = call is None or self.contact(call).text_ok
        if notify and text is not None and not text.strip():
            raise UserError("the confirmation text is empty: write it, or approve without texting the caller")
        taken = self.checks.taken_since(draft)
        if taken:
            raise UserError("cannot approve: " + "; ".join(taken) + "; choose another time")
        outbox = []
        if notify and ctx.sms_enabled and draft.callback_number:
            body = text.strip() if text is not None else self.wording.confirmation(draft)
            outbox.append(("sms.confirmation", {"to": draft.callback_number, "body": body}))
        appt = ctx.store.proposals.approve(proposal_id, draft, version, list(ctx.calendars), ctx.actor(actor),
                                           ctx.clock(), outbox, seen_clashes=seen, held=self.checks.held_rule(draft))
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
