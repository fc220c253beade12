"""The callback desk: the calls that need a person, the AI summary first, Call back (the owner's phone rings, then
the caller, who sees the business number), and Done with an outcome."""

from __future__ import annotations

from dataclasses import dataclass

from receptionist import events
from receptionist.domain.callbacks import CallbackCursor, CallbackOutcome, CallbackRecord, callback_due
from receptionist.domain.models import ProposalRecord
from receptionist.domain.people import same_person
from receptionist.domain.ports import PlacedCall
from receptionist.errors import UserError
from receptionist.services.context import DeskContext


#: callbacks read at a time (the Callbacks tab's Show more, ``callbacks list --limit``): twice what the tab shows
#: in a 1920x1080 window (about 12 rows), so a page is never read row by row and never costs more than a screen needs
PAGE = 25


@dataclass(frozen=True)
class CallbackDesk:
    """What the Callbacks tab shows: the callbacks (open by due time, the overdue first) and the counts."""

    callbacks: list[CallbackRecord]
    open: int
    overdue: int
    more: CallbackCursor | None = None  # where the next page starts, when there is one (``desk(after=...)``)


def tel_link(number: str | None) -> str | None:
    """The ``tel:`` link of an E.164 number (RFC 3966: the global number as is)."""
    return f"tel:{number}" if number and number.startswith("+") else None


class Callbacks:
    def __init__(self, ctx: DeskContext):
        self.ctx = ctx

    def desk(self, *, include_done: bool = False, mine: bool = False, limit: int = PAGE,
             after: CallbackCursor | None = None) -> CallbackDesk:
        """A page of the list (the first, or the one ``after`` the previous page's ``more``) and the counts: a read
        only (each callback was made when its call was stored or decided)."""
        store = self.ctx.store.callbacks
        assignee = self.ctx.actor() if mine else None
        rows = store.listing(include_done=include_done, assignee=assignee, limit=limit + 1, after=after)
        more = CallbackCursor.after(rows[limit - 1]) if len(rows) > limit else None
        open_, late = store.open_count(self.ctx.clock())
        return CallbackDesk(rows[:limit], open_, late, more)

    def from_call(self, proposal_id: int, version: int, note: str = "",
                  actor: str | None = None) -> ProposalRecord:
        """Needs a callback (the review pane, ``proposals callback``): the call leaves the queue as "callback" and
        its callback is on the desk, due in open hours, with the note for whoever calls back. An urgent call or a
        question keeps the callback (and reason) it was stored with."""
        ctx = self.ctx
        now = ctx.clock()
        record = ctx.store.proposals.to_callback(proposal_id, version, note.strip(), ctx.actor(actor), now,
                                                 callback_due(now, False, ctx.rules))
        ctx.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="callback")
        ctx.bus.publish(events.CALLBACK_CHANGED)
        return record

    def get(self, callback_id: int) -> CallbackRecord:
        return self.ctx.store.callbacks.get(callback_id)

    def owner_phone(self, actor: str) -> str:
        """The phone of the person calling back (``people.members[].phone``, as last saved in Settings)."""
        for person in self.ctx.roster.members:
            if same_person(person.name, actor) and person.phone:
                return person.phone
        raise UserError(f"{actor} has no phone of their own in the profile (receptionist people add {actor!r} "
                        "--phone +1...): Call back rings that phone first")

    def call_back(self, callback_id: int, actor: str | None = None) -> tuple[CallbackRecord, PlacedCall]:
        """Ring the acting person's phone; when they answer, Twilio dials the caller showing the business number."""
        ctx = self.ctx
        who = ctx.actor(actor)
        if ctx.dialer is None:
            raise UserError(ctx.problems.get("twilio") or "Twilio is not switched on (twilio.enabled in the "
                                                          "profile): call the number from your phone instead")
        record = self.get(callback_id)
        if not record.open:
            raise UserError(f"callback {callback_id} is already done ({record.outcome.label.lower()})")
        if not record.number:
            raise UserError("the AI did not capture a number this caller can be called back on")
        placed = ctx.dialer.connect_call(self.owner_phone(who), record.number)
        record = ctx.store.callbacks.called(callback_id, placed.sid, who, ctx.clock())
        ctx.bus.publish(events.CALLBACK_CHANGED, callback_id=callback_id)
        return record, placed

    def assign(self, callback_id: int, person: str | None, actor: str | None = None) -> CallbackRecord:
        ctx = self.ctx
        assignee = ctx.actor(person) if person else None
        record = ctx.store.callbacks.assign(callback_id, assignee, ctx.actor(actor), ctx.clock())
        ctx.bus.publish(events.CALLBACK_CHANGED, callback_id=callback_id)
        return record

    def done(self, callback_id: int, outcome: CallbackOutcome | str, appointment_id: str | None = None,
             actor: str | None = None, version: int | None = None) -> CallbackRecord:
        """Close a callback with what happened; "booked" links the appointment that was made."""
        ctx = self.ctx
        try:
            outcome = CallbackOutcome(outcome)
        except ValueError:
            raise UserError(f"{outcome!r} is not an outcome: say one of "
                            f"{', '.join(o.value for o in CallbackOutcome)}") from None
        if outcome is CallbackOutcome.BOOKED and not appointment_id:
            raise UserError("a booked callback names its appointment (--appointment ID)")
        if outcome is not CallbackOutcome.BOOKED and appointment_id:
            raise UserError("only a booked callback links an appointment")
        record = ctx.store.callbacks.done(callback_id, outcome, appointment_id, ctx.actor(actor), ctx.clock(),
                                          version)
        ctx.bus.publish(events.CALLBACK_CHANGED, callback_id=callback_id)
        return record
