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
        found = [d for d in self.ctx.store.texting.deliveries(appointment_id) if d.topic == "sms.confirmation"]
        return found[-1] if found else None

    def words(self, delivery: TextDelivery) -> str:
        """How far the text got, in words, its times in the location's zone."""
        return delivery.words(format_datetime(delivery.due_at, self.ctx.rules.zone))
