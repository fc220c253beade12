"""A text's delivery, pure: Twilio's message statuses in the order a message goes through them, so a status
callback that arrives late (Twilio does not promise their order) never takes a message back, and the words the desk
shows for each ("Delivered", "Not delivered — 30003", "Waiting for the quiet hours to end")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

#: Twilio's outbound message statuses by how far a message got: a callback moves a message forward only
#: (``queued`` → ``sending`` → ``sent`` → ``delivered`` | ``undelivered`` | ``failed``; ``read`` after delivered)
STATUS_RANK = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4,
               "undelivered": 4, "failed": 4, "canceled": 4, "read": 5}
NOT_DELIVERED = frozenset({"undelivered", "failed", "canceled"})

#: a few of Twilio's delivery error codes, in words (the rest are shown by number)
ERROR_WORDS = {30003: "the phone is off or unreachable", 30004: "the number blocks texts from us",
               30005: "the number does not exist", 30006: "a landline or a number that takes no texts",
               30007: "the carrier filtered it", 30008: "an unknown error at the carrier",
               21610: "the number replied STOP"}


def moves_forward(current: str | None, new: str) -> bool:
    """Whether status ``new`` is news after ``current`` (an unknown status is taken, a late one is not)."""
    if current is None:
        return True
    return STATUS_RANK.get(new, 3) > STATUS_RANK.get(current, 3)


@dataclass(frozen=True)
class TextDelivery:
    """One text the desk owed a caller about an appointment, and how far it got."""

    id: int  # the outbox row
    topic: str  # sms.confirmation | sms.change | sms.cancel | sms.reminder
    to: str
    body: str
    queued_at: datetime
    due_at: datetime  # when it is (or was) to go: later than queued_at when it waited for the quiet hours' end
    done_at: datetime | None  # when the outbox was done with it (sent, skipped or given up)
    sid: str | None  # Twilio's MessageSid; "" when it was not sent on purpose (STOP, moved)
    note: str | None  # why it was not sent, or the last send error
    status: str | None  # Twilio's latest status (status callback), None before any
    error_code: int | None
    status_at: datetime | None

    @property
    def state(self) -> str:
        """``waiting`` | ``skipped`` (on purpose) | ``not-sent`` (refused) | Twilio's status once sent (``queued``
        until its first status callback)."""
        if self.sid == "":
            return "skipped"
        if self.sid is None:
            return "not-sent" if self.done_at is not None else "waiting"
        return self.status or "queued"

    @property
    def delivered(self) -> bool | None:
        """True delivered, False not (or not sent), None not known yet."""
        state = self.state
        if state in ("delivered", "read"):
            return True
        if state in NOT_DELIVERED or state in ("skipped", "not-sent"):
            return False
        return None

    def words(self, when: str | None = None) -> str:
        """What the desk shows: ``when`` is ``due_at`` written in the location's zone (for a waiting text)."""
        state = self.state
        if state == "waiting":
            return f"Waiting to be sent{' at ' + when if when else ''}" + (f" ({self.note})" if self.note else "")
        if state == "skipped":
            return f"Not sent: {(self.note or '').removeprefix('not sent: ')}"
        if state == "not-sent":
            return f"Not sent: {self.note}"
        if state in NOT_DELIVERED:
            code = self.error_code
            why = f" — {code}: {ERROR_WORDS.get(code, 'see twilio.com/docs/api/errors/' + str(code))}" if code else ""
            return f"Not delivered{why}"
        return {"delivered": "Delivered", "read": "Delivered (read)", "sent": "Sent, not yet delivered"}.get(
            state, "With Twilio, not yet sent")
