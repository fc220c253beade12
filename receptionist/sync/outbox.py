"""The SMS outbox, sent once per message: a message is marked *sending* before Twilio is asked, so a desk that
died right after sending asks Twilio whether it went out before sending it again; a refused send is retried with
backoff, and its error stays with its row (``OutboxStore.last_error``: what the window's SMS pill shows). A text
owed in the location's quiet hours waits in the outbox for their end (``available_at``), so it is neither dropped
nor sent at night, and goes once, by whichever desk sends then."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from receptionist import events
from receptionist.domain.ports import Messenger
from receptionist.domain.reminders import QuietHours
from receptionist.errors import ProviderError, plain
from receptionist.store import Store
from receptionist.sync.backoff import next_attempt

if TYPE_CHECKING:
    from receptionist.sync.engine import CycleReport
    from receptionist.sync.reminders import ReminderPlanner

log = logging.getLogger(__name__)

SMS_TOPICS = ("sms.confirmation", "sms.change", "sms.cancel", "sms.reminder")


class OutboxSender:
    """Sends the outbox at the end of each sync cycle (``SyncEngine.run_cycle``), as the sync leader."""

    def __init__(self, store: Store, messenger: Messenger | None, bus: events.EventBus,
                 clock: Callable[[], datetime], rng: random.Random, reminders: "ReminderPlanner | None" = None,
                 quiet: QuietHours | None = None):
        self.store, self.messenger, self.bus, self.clock, self.rng = store, messenger, bus, clock, rng
        self.reminders, self.quiet = reminders, quiet

    def send_due(self, report: "CycleReport") -> None:
        """Queue the reminders now owed a place in the outbox, then send every message owed now, each alone: one
        failing (a bug included) never stops the others. A number that replied STOP gets nothing."""
        now = self.clock()
        if self.reminders is not None and self.messenger is not None:
            self.reminders.queue(now)
        for message_id, topic, payload, attempts, sending_at in self.store.outbox.due(now):
            if topic in SMS_TOPICS and self.store.texting.stopped(payload["to"]):
                self.store.outbox.skip(message_id, "not sent: the caller replied STOP", now)
                continue
            if topic == "sms.reminder" and not self.store.texting.still_owed(payload["appointment_id"],
                                                                            payload["start_utc"]):
                self.store.outbox.skip(message_id, "not sent: the appointment was moved or cancelled", now)
                continue
            if topic not in SMS_TOPICS:
                self.store.outbox.failed(message_id, f"unknown outbox topic {topic!r}", None, now)
                continue
            quiet_until = self.quiet.until(now) if self.quiet is not None else None
            if quiet_until is not None:
                self.store.outbox.defer(message_id, quiet_until)
                continue
            if self.messenger is None:
                self.store.outbox.failed(message_id, "SMS is not configured (twilio.enabled = false)", None, now)
                continue
            try:
                self._send_one(message_id, payload, attempts, sending_at, now, report)
            except Exception as exc:  # a bug: this message fails visibly, the others go on
                log.exception("sending outbox message %s failed", message_id)
                self.store.outbox.failed(message_id, plain(exc), None, now)
                report.message_errors += 1

    def _send_one(self, message_id: int, payload: dict, attempts: int, sending_at: datetime | None,
                  now: datetime, report: "CycleReport") -> None:
        to, body = payload["to"], payload["body"]
        try:
            if sending_at is not None:  # an earlier send may have gone out: ask before sending again
                earlier = self.messenger.find_sent(to, body, sending_at)
                if earlier is not None:
                    self._sent(message_id, payload, earlier.sid, now, report)
                    return
            self.store.outbox.sending(message_id, now)
            sent = self.messenger.send_sms(to, body)
            if not sent.sid:
                raise ProviderError("Twilio answered without a message id; checking before sending again")
        except ProviderError as exc:
            report.message_errors += 1
            retryable = exc.retryable or not exc.status
            retry = next_attempt(now, attempts + 1, exc.retry_after, self.rng) if retryable and attempts < 5 else None
            self.store.outbox.failed(message_id, plain(exc), retry, now,
                                     surely_not_sent=exc.status is not None and 400 <= exc.status < 500)
            return
        self._sent(message_id, payload, sent.sid, now, report)

    def _sent(self, message_id: int, payload: dict, sid: str, now: datetime, report: "CycleReport") -> None:
        report.messages_sent += 1
        self.store.outbox.done(message_id, now, sid)
        self.store.audit.record(now, "sync", "sms.sent", "appointment", payload.get("appointment_id", ""),
                                {"sid": sid, "to": payload["to"]})
        self.bus.publish(events.MESSAGE_SENT, appointment_id=payload.get("appointment_id"), sid=sid)
