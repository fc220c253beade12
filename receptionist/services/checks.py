"""Checks: a booking draft against the booking rules and the desk's busy time, as the review pane and every
decision see it."""

from __future__ import annotations

from receptionist.domain.availability import busy_issues
from receptionist.domain.bookings import BookingDraft, blocking, validate_draft
from receptionist.domain.models import FieldIssue, ProposalRecord
from receptionist.errors import UserError
from receptionist.services.context import DeskContext


def draft_of(proposal: ProposalRecord) -> BookingDraft:
    return BookingDraft(proposal.caller_name, proposal.callback_number, proposal.service, proposal.start,
                        proposal.duration_minutes, proposal.notes)


def refuse_blocking(issues: list[FieldIssue], what: str) -> None:
    """A ``UserError`` naming every issue that blocks the decision (``what`` says which)."""
    errors = blocking(issues)
    if errors:
        raise UserError(f"{what}: " + "; ".join(f"{i.field}: {i.message}" for i in errors))


class Checks:
    def __init__(self, ctx: DeskContext):
        self.ctx = ctx

    def check(self, draft: BookingDraft, ignore_appointment: str | None = None) -> tuple[BookingDraft, list[FieldIssue]]:
        """Validate a draft and check it by the booking rule (``Schedule.refusals``): its time rules, then busy time
        (our appointments and external calendars), buffers and caps."""
        ctx = self.ctx
        draft, issues = validate_draft(draft, ctx.rules, ctx.clock())
        if draft.start is not None and draft.end is not None:
            [clashes] = busy_issues(
                [(draft.start, draft.end, draft.service)],
                lambda start, end: ctx.store.busy.blocks(start, end, exclude_appointment=ignore_appointment),
                ctx.rules.booking, ctx.clock(), ctx.calendars)
            issues += clashes
        return draft, issues

    def seen_clashes(self, draft: BookingDraft, ignore_appointment: str | None = None) -> frozenset[str]:
        """Our appointments at the draft's time now, read just before its check: the write after the check refuses
        any other (``store.base.refuse_new_clash``), so a time another desk took since is not booked twice."""
        if draft.start is None or draft.end is None:
            return frozenset()
        return self.ctx.store.busy.appointments_at(draft.start, draft.end, exclude_appointment=ignore_appointment)
