"""Twilio Programmable Voice status callbacks (form-encoded), for desks whose phone rings on a Twilio number.

Shape (Twilio docs, www.twilio.com/docs/voice/twiml#request-parameters and
/docs/voice/api/call-resource#statuscallback): ``CallSid``, ``AccountSid``, ``From``, ``To``, ``CallStatus``
(queued, initiated, ringing, in-progress, completed, busy, no-answer, failed, canceled), ``Direction``,
``CallerName``, and on status callbacks ``Timestamp`` (RFC 2822), ``CallDuration``, ``SequenceNumber``,
``CallbackSource``.

A Twilio call carries no AI data: a finished one becomes a **callback request** with the caller id (the desk
calls back whoever rang), ringing/in-progress ones are live updates.

Signature: ``X-Twilio-Signature`` checked with the twilio package's ``RequestValidator`` over the full URL Twilio
posted to and the form parameters, keyed with the Auth Token (HMAC-SHA1), or SHA-256 when
``X-Twilio-Webhooks-Signature-Settings`` says so. The signature has no time in it; the signed ``Timestamp``
parameter, when present, gives the replay window (``twilio.replay_window_seconds``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl

from twilio.request_validator import SIGNATURE_SETTINGS_HEADER, RequestValidator, get_signature_algorithm

from receptionist.domain.payload import CallCapture, CallFacts, LocationRules, normalise_phone
from receptionist.ingest.platforms.base import (
    Delivery,
    DeliveryRefused,
    Interpretation,
    LiveUpdate,
    MappingError,
    check_window,
    facts_to_capture,
    guarded,
    require_secret,
)
from receptionist.ingest.platforms.fields import as_int, text

LIVE = {"queued": "ringing", "initiated": "ringing", "ringing": "ringing", "in-progress": "in-progress"}
FINISHED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_FIELDS = 200


class _Form(dict):
    """Form fields with every value kept (the validator signs repeated names too)."""

    def __init__(self, pairs: list[tuple[str, str]]):
        super().__init__()
        self._all: dict[str, list[str]] = {}
        for name, value in pairs:
            self._all.setdefault(name, []).append(value)
            self[name] = value

    def getall(self, name: str) -> list[str]:
        return self._all[name]


def read_form(body: bytes) -> _Form:
    """The form body, or ``ValueError`` with a sentence."""
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the form body is not UTF-8") from None
    try:
        pairs = parse_qsl(decoded, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise ValueError(f"the form body has more than {MAX_FIELDS} fields") from None
    return _Form(pairs)


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else None


class TwilioAdapter:
    platform = "twilio"
    secret_key = "twilio.auth_token"
    signature_header = "x-twilio-signature"

    def __init__(self, replay_window_seconds: int):
        self.replay_window_seconds = replay_window_seconds

    def authenticate(self, delivery: Delivery, secret: str | None, now: datetime) -> None:
        secret = require_secret(self.platform, secret, self.secret_key)
        signature = delivery.header(self.signature_header)
        if not signature:
            raise DeliveryRefused(401, "missing X-Twilio-Signature header")
        try:
            form = read_form(delivery.body)
        except ValueError as exc:
            raise DeliveryRefused(400, str(exc)) from None
        algorithm = get_signature_algorithm(delivery.header(SIGNATURE_SETTINGS_HEADER))
        try:
            valid = RequestValidator(secret).validate(delivery.url, form, signature.strip(), algorithm)
        except ValueError:  # a URL whose port is not a number
            valid = False
        if not valid:
            raise DeliveryRefused(401, "Twilio signature does not match the URL and parameters (wrong auth token, "
                                       "modified body, or a URL other than the one configured in Twilio)")
        sent = _timestamp(form.get("Timestamp"))
        if sent is not None:
            check_window(self.platform, sent.timestamp(), now, self.replay_window_seconds)

    def dedupe_key(self, delivery: Delivery) -> str:
        try:
            form = read_form(delivery.body)
        except ValueError as exc:
            raise DeliveryRefused(400, str(exc)) from None
        sid = (text(form.get("CallSid")) or "").strip()
        if not sid:
            raise DeliveryRefused(400, "the Twilio request names no call (CallSid)")
        status = (text(form.get("CallStatus")) or "").strip()[:20]
        return f"twilio:{sid[:64]}:{status}:{(text(form.get('SequenceNumber')) or '').strip()[:8]}"

    def answer(self, delivery: Delivery) -> tuple[int, bytes, str]:
        return 200, EMPTY_TWIML, "text/xml"

    @guarded
    def interpret(self, delivery: Delivery, rules: LocationRules) -> Interpretation:
        try:
            form = read_form(delivery.body)
        except ValueError as exc:
            raise MappingError(str(exc)) from None
        sid = (text(form.get("CallSid")) or "").strip()
        if not sid:
            raise MappingError("the Twilio request names no call (CallSid)")
        status = (text(form.get("CallStatus")) or "").strip().lower()
        caller_raw = form.get("To") if form.get("Direction", "inbound").startswith("outbound") else form.get("From")
        caller = normalise_phone(caller_raw, rules.country)[0] if caller_raw else None
        sent = _timestamp(form.get("Timestamp"))
        duration = as_int(form.get("CallDuration"))
        started = sent - timedelta(seconds=duration) if sent is not None and duration is not None else None
        if status in LIVE:
            return LiveUpdate(self.platform, sid[:64], caller, LIVE[status], started if status != "ringing" else sent)
        if status not in FINISHED:
            raise MappingError(f"the Twilio call status {status[:30]!r} is not one we know")
        return self._callback(form, sid, status, caller_raw, started or sent or delivery.received_at,
                              duration, delivery, rules)

    def _callback(self, form, sid: str, status: str, caller_raw: str | None, occurred: datetime,
                  duration: int | None, delivery: Delivery, rules: LocationRules) -> CallCapture:
        shown = {"completed": "ended", "busy": "was busy", "no-answer": "was not answered", "failed": "failed",
                 "canceled": "was hung up before it was answered"}[status]
        length = f" after {duration} s" if duration else ""
        facts = CallFacts(
            platform=self.platform, call_id=sid, occurred_at=occurred,
            caller_name=form.get("CallerName") or None, caller_id_number=caller_raw,
            summary=f"Call from {caller_raw or 'an unknown number'} {shown}{length}; no AI data came with it: "
                    "call the caller back.",
            reason_codes=("callback",), intent="callback",
            custom_fields={"twilio_call_status": status, "twilio_to": (form.get("To") or "")[:40]},
        )
        return facts_to_capture(facts, rules, delivery.received_at)
