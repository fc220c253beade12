"""Twilio's inbound SMS webhook: a caller's reply to the business number.

``POST /webhooks/twilio/sms`` on the same receiver. The ``X-Twilio-Signature`` is checked with Twilio's own
``RequestValidator`` against the URL Twilio was given (``ingest.public_base_url``, else the URL it reached) and the
account's auth token from the keyring; a forged or unsigned reply is answered 403 and changes nothing. A reply is
small and its effect is one short transaction (``store.texting.take_reply``: record it; STOP/START the number;
"C" confirms the caller's next appointment; "R" puts it on the callback desk), so it is taken at the door and
answered with empty TwiML (no auto-reply: Twilio itself answers STOP/START on the carrier's behalf). A retry of the
same ``MessageSid`` changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from twilio.request_validator import RequestValidator

from receptionist import events
from receptionist.domain.callbacks import callback_due
from receptionist.domain.payload import LocationRules
from receptionist.domain.reminders import Reply, read_reply
from receptionist.store import Store

log = logging.getLogger(__name__)

SMS_PATH = "/webhooks/twilio/sms"
TWIML_EMPTY = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class SmsReplies:
    def __init__(self, store: Store, rules: LocationRules, bus: events.EventBus, auth_token: Callable[[], str | None],
                 clock: Callable[[], datetime]):
        self.store, self.rules, self.bus, self.auth_token, self.clock = store, rules, bus, auth_token, clock

    def take(self, url: str, form: dict[str, str], signature: str) -> tuple[int, bytes]:
        """(HTTP status, body) for one inbound message."""
        token = self.auth_token()
        if not token:
            return 503, b"the Twilio auth token is not set on this desk"
        if not signature or not RequestValidator(token).validate(url, form, signature):
            log.warning("inbound SMS refused: bad X-Twilio-Signature")
            return 403, b"bad signature"
        sid, number, body = form.get("MessageSid") or form.get("SmsSid"), form.get("From"), form.get("Body", "")
        if not sid or not number:
            return 400, b"MessageSid and From are required"
        now = self.clock()
        action = read_reply(body)
        taken = self.store.texting.take_reply(sid, number, body, action, now, callback_due(now, False, self.rules))
        if not taken.duplicate:
            if taken.appointment_id is not None:
                self.bus.publish(events.APPOINTMENT_CHANGED, appointment_id=taken.appointment_id)
            if action is Reply.RESCHEDULE:
                self.bus.publish(events.CALLBACK_CHANGED)
        return 200, TWIML_EMPTY
