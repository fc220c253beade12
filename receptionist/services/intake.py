"""The intake as a person sees it: quarantined deliveries (Replay, Discard), a saved delivery handed in, and the
calls in progress."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from receptionist import events
from receptionist.domain.intake import DeliverySource, InboxRecord, InboxState, LiveCallRecord
from receptionist.errors import UserError
from receptionist.services.callers import Callers
from receptionist.services.context import DeskContext

if TYPE_CHECKING:
    from receptionist.ingest.intake import Answer, Intake
    from receptionist.ingest.receiver import WebhookReceiver


class IntakeDesk:
    def __init__(self, ctx: DeskContext, intake: "Intake | None", callers: Callers,
                 webhook: "WebhookReceiver | None" = None):
        self.ctx, self._intake, self.callers, self._webhook = ctx, intake, callers, webhook

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


    # --- a test call through this desk's own door ---------------------------------------------------------------

    def own_door(self, platform: str) -> str | None:
        """Why this desk's own receiver cannot take ``platform``'s test call (None: it can)."""
        if self._intake is None or self._webhook is None or not self._webhook.listening:
            return "this desk runs no receiver"
        if platform == "synthflow":
            return "the desk reads every Synthflow call back from Synthflow, which knows no test call"
        return None

    def test_call(self, platform: str, secret: str, *, label: str = "", timeout: float = 20) -> tuple[bool, str]:
        """``platform``'s signed end-of-call report of a made-up call, POSTed to this desk's own running receiver
        as the platform would: it proves the port, the secret the desk holds and the mapping on the door the real
        calls come through. The call waits in the desk's call list until ``remove_test_calls`` (Settings closing).
        Blocks (HTTP, and waiting for the intake): the window runs it on a worker thread."""
        from receptionist.ingest.trial_call import deliver, signed_trial_call

        label = label or platform
        why = self.own_door(platform)
        if why is not None:
            raise UserError(f"the test call cannot go through this desk: {why}")
        receiver, ctx = self._webhook, self.ctx
        local = receiver.url_for(platform) if platform != "generic" else receiver.url
        path = local[len(receiver.base_url):]
        public = ctx.profile.ingest.public_base_url.rstrip("/")
        trial = signed_trial_call(platform, secret, public + path if public else local, ctx.clock())
        arrived = _Arrival(ctx, platform, trial.call_id)
        unsubscribe = ctx.bus.subscribe(arrived.seen)
        try:
            status, answer = deliver(local, trial, timeout)
            if status >= 300:
                return False, (f"This desk's receiver at {receiver.base_url} refused the {label} test call ({status}): "
                               f"{answer}. Check the secret: the desk checks the one saved in the keyring.")
            outcome = arrived.wait(timeout)
        finally:
            unsubscribe()
        if outcome is None:
            return False, (f"The {label} test call reached this desk's receiver at {receiver.base_url} but did not "
                           f"become a call within {timeout:.0f} seconds.")
        if isinstance(outcome, str):
            return False, (f"The {label} test call came in through this desk's receiver at {receiver.base_url} but "
                           f"went to quarantine: {outcome}")
        call = ctx.store.calls.get(outcome)
        name = (call.caller_name if call is not None else None) or "Test Caller"
        return True, (f"A signed {label} test call came in through this desk's own receiver at {receiver.base_url} "
                      f"and is in its call list as “{name}”. It is removed again when Settings closes.")

    def remove_test_calls(self) -> list[int]:
        """The test calls sent through this desk leave it (their proposals and callbacks with them); their ids."""
        removed = self.ctx.store.calls.remove_test_calls()
        if removed:
            self.ctx.bus.publish(events.PROPOSAL_DECIDED, proposal_id=None, status="removed")
            self.ctx.bus.publish(events.CALLBACK_CHANGED)
        return removed


class _Arrival:
    """Waits, on the bus, for the test call to be stored (its row) or quarantined (the reason)."""

    def __init__(self, ctx: DeskContext, platform: str, call_id: str):
        self.ctx, self.platform, self.call_id = ctx, platform, call_id
        self.outcome: int | str | None = None
        self._event = threading.Event()
        self._quarantined: list[int] = []

    def seen(self, event: events.Event) -> None:
        if event.topic == events.CALL_RECEIVED and event.data.get("call_id") == self.call_id:
            self.outcome = event.data.get("call_row_id")
            self._event.set()
        elif event.topic == events.QUARANTINE_CHANGED and event.data.get("inbox_id") is not None:
            self._quarantined.append(event.data["inbox_id"])
            self._event.set()

    def wait(self, timeout: float) -> int | str | None:
        deadline = time.monotonic() + timeout
        while self.outcome is None and self._event.wait(max(0.0, deadline - time.monotonic())):
            self._event.clear()
            while self._quarantined:  # another delivery's quarantine is not ours
                record = self.ctx.store.inbox.get(self._quarantined.pop())
                if record is not None and record.platform == self.platform and \
                        record.state is InboxState.QUARANTINED and self.call_id.encode() in record.body:
                    self.outcome = record.reason or "it could not be mapped to a call"
        return self.outcome

