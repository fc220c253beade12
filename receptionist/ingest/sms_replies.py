"""Twilio's messaging webhooks, through the durable inbox: a caller's reply to the business number, and the
status callbacks of the texts we sent.

``POST /webhooks/twilio/sms`` on the same receiver. The door checks the ``X-Twilio-Signature`` with Twilio's own
``RequestValidator`` against the URL Twilio was given (``ingest.public_base_url``, else the URL it reached) and the
account's auth token from the keyring; a forged or unsigned reply is answered 403 and stores nothing. An authentic
reply is written raw to the inbox like every accepted delivery (platform ``twilio-sms``, keyed by its
``MessageSid``, so Twilio's retry of it changes nothing) before Twilio is answered with empty TwiML (no
auto-reply: Twilio itself answers STOP/START on the carrier's behalf); a database that cannot take it is answered
503 and Twilio retries. The intake's worker then does what it says (``apply``), in one transaction with the inbox
row's new state (``store.texting.take_reply``: record it; STOP/START the number; "C" confirms the caller's next
appointment; "R" puts it on the callback desk; from an owner's phone, "ACK 12" or "OK" acknowledges alert 12 or
the latest alert texted, audited with the owner's name: ``store.texting.take_ack``). A reply answered 200 is never lost: a desk stopped or killed
before the worker took it finds it pending at its next start.

``POST /webhooks/twilio/sms-status`` is the ``StatusCallback`` URL every text is sent with (when
``ingest.public_base_url`` says where Twilio can reach the desk): ``MessageSid``, ``MessageStatus`` (queued,
sending, sent, delivered, undelivered, failed...) and ``ErrorCode``, signed the same way; stored in the inbox
(platform ``twilio-sms-status``, keyed by sid and status) and recorded per text by the worker
(``store.texting.take_status``), a late status never taking a text back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from receptionist import events
from receptionist.domain.callbacks import callback_due
from receptionist.domain.intake import DeliverySource, InboxRecord
from receptionist.domain.payload import LocationRules
from receptionist.domain.reliability import read_ack
from receptionist.domain.reminders import Reply, read_reply
from receptionist.ingest.intake import Intake
from receptionist.store import Store
from receptionist.store.inbox import StorageUnavailable

log = logging.getLogger(__name__)

SMS_PATH = "/webhooks/twilio/sms"
#: the inbox's platform name of a caller's text (not a voice platform: the intake hands it to ``SmsReplies.apply``)
SMS_PLATFORM = "twilio-sms"
STATUS_PATH = "/webhooks/twilio/sms-status"
STATUS_PLATFORM = "twilio-sms-status"
TWIML_EMPTY = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class SmsReplies:
    """The door of callers' replies and of our texts' status callbacks and, on the intake's worker, what each one
    does."""

    def __init__(self, store: Store, rules: LocationRules, bus: events.EventBus, auth_token: Callable[[], str | None],
                 clock: Callable[[], datetime], intake: Intake, owners: Mapping[str, str] | None = None):
        self.store, self.rules, self.bus, self.auth_token, self.clock = store, rules, bus, auth_token, clock
        self.intake = intake
        self.owners = dict(owners or {})  # an owner's phone → their name: their "ACK 12" or "OK" answers an alert
        intake.hand_platform(SMS_PLATFORM, self.apply)
        intake.hand_platform(STATUS_PLATFORM, self.apply_status)

    def take(self, url: str, form: dict[str, str], signature: str, body: bytes) -> tuple[int, bytes]:
        """(HTTP status, body) for one inbound message: stored raw (``body``) once authentic, then answered."""
        return self._take(SMS_PLATFORM, url, form, signature, body, lambda sid: sid)

    def take_status(self, url: str, form: dict[str, str], signature: str, body: bytes) -> tuple[int, bytes]:
        """(HTTP status, body) for one status callback of a text we sent: stored once authentic, then answered."""
        if not form.get("MessageStatus"):
            return 400, b"MessageStatus is required"
        return self._take(STATUS_PLATFORM, url, form, signature, body,
                          lambda sid: f"{sid}:{form['MessageStatus']}", needs_from=False)

    def _take(self, platform: str, url: str, form: dict[str, str], signature: str, body: bytes,
              key: Callable[[str], str], needs_from: bool = True) -> tuple[int, bytes]:
        token = self.auth_token()
        if not token:
            return 503, b"the Twilio auth token is not set on this desk"
        if not signature or not RequestValidator(token).validate(url, form, signature):
            log.warning("inbound SMS refused: bad X-Twilio-Signature")
            self.intake.refusals.add(platform, self.clock())  # the webhook's refusals, as the door counts them
            return 403, b"bad signature"
        sid = form.get("MessageSid") or form.get("SmsSid")
        if not sid or (needs_from and not form.get("From")):
            return 400, b"MessageSid and From are required" if needs_from else b"MessageSid is required"
        try:
            inbox_id, created = self.store.inbox.store_delivery(
                platform=platform, dedupe_key=key(sid), source=DeliverySource.WEBHOOK, received_at=self.clock(),
                url=url, headers={"x-twilio-signature": signature}, body=body,
                wait_seconds=self.intake.store_wait_seconds)
        except StorageUnavailable as exc:
            log.error("Twilio's %s not stored (answered 503 so Twilio retries): %s", platform, exc)
            return 503, b"this desk could not store the reply; retry later"
        if created:
            self.intake.accepted(inbox_id)
        return 200, TWIML_EMPTY

    def apply(self, record: InboxRecord) -> None:
        """Do what a stored reply says, with its inbox row marked done in the same transaction (the intake's
        worker calls this; ``StorageUnavailable`` leaves it pending, any other error quarantines it)."""
        form = dict(parse_qsl(record.body.decode("utf-8", "replace"), keep_blank_values=True))
        sid, number, text = form.get("MessageSid") or form.get("SmsSid"), form.get("From"), form.get("Body", "")
        if not sid or not number:
            raise ValueError("the stored reply has no MessageSid or From")
        at = record.received_at
        acks, alert_id = read_ack(text)
        if acks and number in self.owners:
            acked, duplicate = self.store.texting.take_ack(sid, number, text, self.owners[number], alert_id, at,
                                                           inbox_id=record.id, processed_at=self.clock())
            if acked is not None and not duplicate:
                log.info("alert %s acknowledged by text from %s", acked, self.owners[number])
                self.bus.publish(events.HEALTH_CHANGED)
            return
        action = read_reply(text)
        taken = self.store.texting.take_reply(sid, number, text, action, at, callback_due(at, False, self.rules),
                                              inbox_id=record.id, processed_at=self.clock())
        if not taken.duplicate:
            if taken.appointment_id is not None:
                self.bus.publish(events.APPOINTMENT_CHANGED, appointment_id=taken.appointment_id)
            if action is Reply.RESCHEDULE:
                self.bus.publish(events.CALLBACK_CHANGED)

    def apply_status(self, record: InboxRecord) -> None:
        """Record a stored status callback, with its inbox row marked done in the same transaction."""
        form = dict(parse_qsl(record.body.decode("utf-8", "replace"), keep_blank_values=True))
        sid, status = form.get("MessageSid") or form.get("SmsSid"), form.get("MessageStatus") or form.get("SmsStatus")
        if not sid or not status:
            raise ValueError("the stored status callback has no MessageSid or MessageStatus")
        code = form.get("ErrorCode", "").strip()
        if self.store.texting.take_status(sid, status, int(code) if code.isdigit() else None, record.received_at,
                                          inbox_id=record.id, processed_at=self.clock()):
            self.bus.publish(events.MESSAGE_STATUS, sid=sid, status=status)
