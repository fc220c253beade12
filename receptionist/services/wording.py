"""The words a caller reads: the confirmation, change and cancellation texts, and the outbox item that sends one."""

from __future__ import annotations

from datetime import datetime

from receptionist.domain.bookings import BookingDraft
from receptionist.domain.formatting import format_date, format_time
from receptionist.domain.models import AppointmentRecord
from receptionist.errors import UserError
from receptionist.services.context import DeskContext


def first_name(name: str | None) -> str:
    return (name or "").split(" ")[0] or "there"


class Wording:
    def __init__(self, ctx: DeskContext):
        self.ctx = ctx

    def _when(self, start: datetime) -> str:
        zone = self.ctx.rules.zone
        return f"{format_date(start, zone)} at {format_time(start, zone)}"

    def confirmation(self, draft: BookingDraft) -> str:
        assert draft.start is not None
        return (f"Hi {first_name(draft.caller_name)}, your {draft.service} at {self.ctx.profile.location.name} is "
                f"confirmed for {self._when(draft.start)}. Call us if you need to change it.")

    def change(self, appt: AppointmentRecord, start: datetime, service: str | None = None) -> str:
        return (f"Hi {first_name(appt.caller_name)}, your {service or appt.service} at "
                f"{self.ctx.profile.location.name} is now on {self._when(start)}. Call us if that does not suit you.")

    def cancellation(self, appt: AppointmentRecord) -> str:
        return (f"Hi {first_name(appt.caller_name)}, your {appt.service} at {self.ctx.profile.location.name} on "
                f"{self._when(appt.start)} is cancelled. Call us to book another time.")

    def text(self, topic: str, appt: AppointmentRecord, notify: bool, body: str) -> list[tuple[str, dict]]:
        """The outbox item texting ``body`` to the appointment's caller, or none without ``notify``; a
        ``UserError`` (nothing is changed) when it cannot be sent."""
        if not notify:
            return []
        if not self.ctx.sms_enabled:
            raise UserError("texting the caller needs Twilio (twilio.enabled = true); nothing was changed")
        if not appt.callback_number:
            raise UserError("there is no callback number to text; nothing was changed")
        return [(topic, {"to": appt.callback_number, "body": body})]
