"""Checks: a booking draft against the booking rules and the desk's busy time, as the review pane and every
decision see it."""

from __future__ import annotations

import logging
from dataclasses import replace

from receptionist.domain.availability import BUSY_CODES, HeldRule, busy_issues, reach, uncovered
from receptionist.domain.schedule import Schedule
from receptionist.domain.formatting import format_range
from receptionist.domain.bookings import BookingDraft, blocking, validate_draft
from receptionist.domain.models import BusyBlock, CallRecord, FieldIssue, ProposalRecord
from receptionist.errors import UserError
from receptionist.services.context import DeskContext

log = logging.getLogger(__name__)


def draft_of(proposal: ProposalRecord) -> BookingDraft:
    return BookingDraft(proposal.caller_name, proposal.callback_number, proposal.service, proposal.start,
                        proposal.duration_minutes, proposal.notes, proposal.resource)


def held_by(call: CallRecord | None) -> tuple[str, str] | None:
    """The (platform, call id) whose slot holds are a proposal's own (None: no call behind it)."""
    return (call.platform, call.call_id) if call is not None else None


def refuse_blocking(issues: list[FieldIssue], what: str) -> None:
    """A ``UserError`` naming every issue that blocks the decision (``what`` says which)."""
    errors = blocking(issues)
    if errors:
        raise UserError(f"{what}: " + "; ".join(f"{i.field}: {i.message}" for i in errors))


class Checks:
    def __init__(self, ctx: DeskContext):
        self.ctx = ctx

    def check(self, draft: BookingDraft, ignore_appointment: str | None = None,
              call: tuple[str, str] | None = None) -> tuple[BookingDraft, list[FieldIssue]]:
        """Validate a draft and check it by the booking rule (``Schedule.refusals``): its time rules, then busy time
        (our appointments, external calendars and slots held for callers on the phone, ``call``'s own left out:
        it is this booking), buffers and caps. A held slot refuses the draft, as the agent and the free-time lists
        treat it; the rest of busy time warns (``busy_issues``). The draft comes back with the resource it takes
        (``pick_resource``): the one ``call``'s agent held for it at this time (the caller was told), else its own
        (a proposal's, recorded when it was last checked) if still free, else the first free — with a warning when
        the one it had was passed over."""
        ctx = self.ctx
        now = ctx.clock()
        draft, issues = validate_draft(draft, ctx.rules, now)
        if draft.start is not None and draft.end is not None:
            held = ctx.store.holds.held_resource(call, draft.start, draft.end, now) if call is not None else None
            [checked] = busy_issues(
                [(draft.start, draft.end, draft.service)],
                lambda start, end: (ctx.store.busy.blocks(start, end, exclude_appointment=ignore_appointment)
                                    + ctx.store.holds.blocks(start, end, now, call)),
                ctx.rules.booking, now, ctx.calendars, prefer=[(held, draft.resource)])
            issues += checked.issues
            draft = replace(draft, resource=checked.resource)
        return draft, issues

    def resource_busy(self, draft: BookingDraft, name: str, ignore_appointment: str | None = None) -> list[str]:
        """Why resource ``name`` cannot take the draft then, by the booking rule (``Schedule.refusals``): its busy
        time (slots held for callers included), buffers and caps, each as a sentence; none: it is free. A booking
        dropped on a chair's column in the calendar asks this for that chair."""
        ctx = self.ctx
        if draft.start is None or draft.end is None:
            return []
        now = ctx.clock()
        around = reach(ctx.rules.booking)
        lo, hi = draft.start - around, draft.end + around
        busy = (ctx.store.busy.blocks(lo, hi, exclude_appointment=ignore_appointment)
                + ctx.store.holds.blocks(lo, hi, now, None))
        schedule = Schedule(ctx.rules.booking, busy, now, ctx.calendars)
        rule = ctx.rules.booking.service(draft.service, draft.duration_minutes)
        reasons = schedule.refusals(draft.start, rule, ctx.rules.booking.resource(name))
        return [r.message for r in reasons if r.code in BUSY_CODES]

    def held_rule(self, draft: BookingDraft) -> HeldRule:
        """What the write asks again, in its transaction, of the slots held for callers since the check
        (``store.holds.refuse_held``): the booking rule with the draft's service, as the check asked it."""
        rules = self.ctx.rules.booking
        return HeldRule(rules, rules.service(draft.service, draft.duration_minutes))

    def seen_clashes(self, draft: BookingDraft, ignore_appointment: str | None = None) -> frozenset[str]:
        """Our appointments at the draft's time now, read just before its check: the write after the check refuses
        any other (``store.base.refuse_new_clash``), so a time another desk took since is not booked twice."""
        if draft.start is None or draft.end is None:
            return frozenset()
        return self.ctx.store.busy.appointments_at(draft.start, draft.end, exclude_appointment=ignore_appointment)

    def taken_since(self, draft: BookingDraft) -> list[str]:
        """Busy time the calendars hold at the draft's time now that the desk's copy did not have when it was
        checked (added on Google or Outlook since the last pull): each as a sentence; the calendars that could not
        be read are left to the local check (logged)."""
        ctx = self.ctx
        if ctx.busy_now is None or draft.start is None or draft.end is None:
            return []
        fresh, unread = ctx.busy_now(draft.start, draft.end)
        if unread:
            log.warning("booking at %s checked against the local copy only: %s", draft.start, "; ".join(unread))
        new = self._new_busy(fresh, draft)
        if any(not b.title for b in new):  # a free/busy query found it: the events say what it is
            named, unread = ctx.busy_now(draft.start, draft.end, titled=True)
            if not unread:
                new = self._new_busy(named, draft)
        return [f"{b.title or 'busy time'} was just put on {ctx.label(b.source)} at this time "
                f"({format_range(b.start, b.end, ctx.rules.zone)})" for b in new]

    def _new_busy(self, fresh: list[BusyBlock], draft: BookingDraft) -> list[BusyBlock]:
        """The blocks not covered by what the desk knows takes time on their calendar."""
        known: dict[str, list] = {}
        out = []
        for b in fresh:
            if b.source not in known:
                known[b.source] = self.ctx.store.busy.known_on(b.source, draft.start, draft.end)
            if uncovered(max(b.start, draft.start), min(b.end, draft.end), known[b.source]):
                out.append(b)
        return out
