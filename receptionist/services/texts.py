"""The texts the desk sent a caller about an appointment (confirmation, change, cancellation, reminder) and how
far each got: waiting (the quiet hours), not sent (STOP, moved, refused), or Twilio's latest delivery status from
its status callbacks (queued, sent, delivered, undelivered or failed with the error code)."""

from __future__ import annotations

from receptionist.domain.formatting import format_datetime
from receptionist.domain.texting import TextDelivery
from receptionist.errors import UserError
from receptionist.services.context import DeskContext


class Texts:
    def __init__(self, ctx: DeskContext):
        self.ctx = ctx

    def of_appointment(self, appointment_id: str) -> list[TextDelivery]:
        """Every text of this appointment, oldest first (a read)."""
        if self.ctx.store.appointments.get(appointment_id) is None:
            raise UserError(f"appointment {appointment_id} does not exist (see: receptionist appointments list)")
        return self.ctx.store.texting.deliveries(appointment_id)

    def confirmation(self, appointment_id: str) -> TextDelivery | None:
        """The latest confirmation text of this appointment, or None when none was owed."""
        return latest_confirmation(self.ctx, appointment_id)

    def words(self, delivery: TextDelivery) -> str:
        """How far the text got, in words, its times in the location's zone."""
        return words_of(self.ctx, delivery)


def latest_confirmation(ctx: DeskContext, appointment_id: str) -> TextDelivery | None:
    found = [d for d in ctx.store.texting.deliveries(appointment_id) if d.topic == "sms.confirmation"]
    return found[-1] if found else None


def words_of(ctx: DeskContext, delivery: TextDelivery) -> str:
    return delivery.words(format_datetime(delivery.due_at, ctx.rules.zone))


def confirmation_mark(ctx: DeskContext, appointment_id: str) -> str | None:
    """The review pane's line on an approved call: the confirmation text's delivery with a glyph (✓ delivered,
    ✗ not, … on its way), or None when no text was owed."""
    delivery = latest_confirmation(ctx, appointment_id)
    if delivery is None:
        return None
    glyph = {True: "✓", False: "✗", None: "…"}[delivery.delivered]
    return f"{glyph} Confirmation text: {words_of(ctx, delivery)}"
