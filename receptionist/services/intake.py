"""The intake as a person sees it: quarantined deliveries (Replay, Discard), a saved delivery handed in, and the
calls in progress."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from receptionist import events
from receptionist.domain.intake import DeliverySource, InboxRecord, LiveCallRecord
from receptionist.errors import UserError
from receptionist.services.callers import Callers
from receptionist.services.context import DeskContext

if TYPE_CHECKING:
    from receptionist.ingest.intake import Answer, Intake


class IntakeDesk:
    def __init__(self, ctx: DeskContext, intake: "Intake | None", callers: Callers):
        self.ctx, self._intake, self.callers = ctx, intake, callers

    def _running(self) -> "Intake":
        if self._intake is None:
            raise UserError("this console was started without the intake")
        return self._intake

    def quarantined(self, limit: int = 200) -> list[InboxRecord]:
        """Deliveries that could not be mapped, newest first, each with its reason."""
        return self.ctx.store.inbox.quarantined(limit)

    def quarantine_count(self) -> int:
        return self.ctx.store.inbox.quarantine_count()

    def replay(self, inbox_id: int, actor: str | None = None) -> InboxRecord:
        """Map a quarantined delivery again (after a fix, an upgrade, or an API key was set)."""
        record = self._running().replay(inbox_id, self.ctx.actor(actor))
        if record is None:
            raise UserError(f"delivery {inbox_id} is not in quarantine")
        return record

    def discard(self, inbox_id: int, actor: str | None = None) -> None:
        """A person decided a quarantined delivery is not a call: it leaves quarantine (the raw copy is kept)."""
        if not self.ctx.store.inbox.discard(inbox_id, self.ctx.actor(actor), self.ctx.clock()):
            raise UserError(f"delivery {inbox_id} is not in quarantine")
        self.ctx.bus.publish(events.QUARANTINE_CHANGED, inbox_id=inbox_id)

    def ingest_file(self, platform: str, body: bytes, headers: dict[str, str] | None = None,
                    url: str = "file://operator") -> tuple["Answer", InboxRecord | None]:
        """A saved delivery given by the operator, through the same door and mapping as a webhook. Trusted
        (the operator gave it), unless headers are given: then its signature is checked as the platform's."""
        from receptionist.ingest.platforms import Delivery

        intake = self._running()
        if platform not in intake.adapters:
            raise UserError(f"unknown platform {platform!r}; one of {', '.join(sorted(intake.adapters))}")
        delivery = Delivery(platform=platform, body=body, headers={k.lower(): v for k, v in (headers or {}).items()},
                            url=url, received_at=self.ctx.clock())
        answer = intake.receive(delivery, source=DeliverySource.FILE, trusted=headers is None)
        if answer.inbox_id is None:
            return answer, None
        intake.process([answer.inbox_id])
        return answer, self.ctx.store.inbox.get(answer.inbox_id)

    def live_calls(self, ended_within: timedelta = timedelta(minutes=10)) -> list[LiveCallRecord]:
        """Calls in progress and those that ended in the last minutes (``calls live``; the call list reads its live
        rows with ``Bookings.in_progress``), the latest news first."""
        return self.ctx.store.inbox.live_calls(self.ctx.clock() - ended_within)

    def live_caller_text(self, call: LiveCallRecord) -> str | None:
        """``calls live``'s note on a call's caller (``Callers.returning_text``), counting only the calls before
        this one: once it ended it is a stored call too, and it does not make its own caller a returning one."""
        return self.callers.returning_text(
            call.caller_id_number, before_call_row_id=self.ctx.store.calls.row_id(call.platform, call.call_id))
