"""Retell AI webhooks and custom function calls.

Shapes (Retell docs, docs.retellai.com/features/webhook-overview and /features/secure-webhook; the call object of
its API reference; the ``retell-sdk`` Python package, ``src/retell/lib/webhook_auth.py``):

* webhook ``{"event": "call_started" | "call_ended" | "call_analyzed", "call": {...}}`` — the call carries
  ``call_id``, ``from_number``/``to_number``, ``direction``, ``start_timestamp`` (ms), ``transcript_object``
  (``[{"role": "agent"|"user", "content"}]``); ``call_analyzed`` adds ``call_analysis`` with ``call_summary`` and the
  business's extraction in ``custom_analysis_data``. Started/ended → ``LiveUpdate``; analyzed → ``CallCapture``.
* custom function call ``{"name": ..., "args": {...}, "call": {...}}`` posted to the function's URL; a booking
  function → ``CallCapture``, answered with a short result the agent reads back.

Signature: ``x-retell-signature: v=<unix ms>,d=<hex HMAC-SHA256(api key, body + str(ms))>``; the SDK allows five
minutes either way, and so do we unless the profile says otherwise (``retell.replay_window_seconds``).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from receptionist.domain.payload import CallCapture, CallFacts, LocationRules, normalise_phone
from receptionist.ingest.platforms.base import (
    Delivery,
    DeliveryRefused,
    Ignored,
    Interpretation,
    LiveUpdate,
    MappingError,
    check_window,
    facts_to_capture,
    guarded,
    hmac_hex,
    json_answer,
    json_object,
    json_object_or_mapping_error,
    require_secret,
    same_mac,
)
from receptionist.ingest.platforms.fields import (
    as_dict,
    as_int,
    first_text,
    from_unix,
    pick_fields,
    text,
    transcript_from_text,
    turns,
)
from receptionist.ingest.platforms.vapi import BOOKING_FUNCTIONS

SIGNATURE = re.compile(r"^\s*v=(\d{1,16}),d=([0-9a-fA-F]{1,128})\s*$")
LIVE_EVENTS = {"call_started": "in-progress", "call_ended": "ended"}
FUNCTION_RESULT = "Thank you. The front desk has your request and will confirm by text or a call back."


def _call(body: dict) -> dict:
    return as_dict(body.get("call"))


def _is_function_call(body: dict) -> bool:
    return "event" not in body and isinstance(body.get("name"), str) and isinstance(body.get("args"), dict)


class RetellAdapter:
    platform = "retell"
    secret_key = "retell.api_key"  # Retell signs with the account's API key (one with the webhook badge)
    signature_header = "x-retell-signature"

    def __init__(self, replay_window_seconds: int):
        self.replay_window_seconds = replay_window_seconds

    def authenticate(self, delivery: Delivery, secret: str | None, now: datetime) -> None:
        secret = require_secret(self.platform, secret, self.secret_key)
        header = delivery.header(self.signature_header)
        if not header:
            raise DeliveryRefused(401, f"missing {self.signature_header} header")
        match = SIGNATURE.match(header)
        if not match:
            raise DeliveryRefused(401, f"{self.signature_header} is not of the form v=<ms>,d=<hex>")
        check_window(self.platform, int(match[1]) / 1000, now, self.replay_window_seconds)
        expected = hmac_hex(secret, delivery.body + match[1].encode())
        if not same_mac(expected, match[2]):
            raise DeliveryRefused(401, "Retell signature does not match the body (wrong API key or modified body)")

    def dedupe_key(self, delivery: Delivery) -> str:
        body = json_object(delivery)
        call_id = text(_call(body).get("call_id"))
        if call_id is None:
            raise DeliveryRefused(400, "the Retell delivery names no call (call.call_id)")
        if _is_function_call(body):
            name = text(body["name"]) or "unnamed"
            args = repr(sorted((str(k), str(v)[:1000]) for k, v in body["args"].items()))
            digest = hashlib.sha256(f"{name}|{args}".encode()).hexdigest()[:16]
            return f"retell:{call_id[:128]}:function:{name[:60]}:{digest}"
        event = text(body.get("event"))
        if event is None:
            raise DeliveryRefused(400, "not a Retell webhook (no event) nor a custom function call (name, args)")
        return f"retell:{call_id[:128]}:{event[:40]}"

    def answer(self, delivery: Delivery) -> tuple[int, bytes, str]:
        try:
            body = json_object(delivery)
        except DeliveryRefused:
            return json_answer(204, None)
        if _is_function_call(body):
            if body["name"].lower() in BOOKING_FUNCTIONS:
                return json_answer(200, {"result": FUNCTION_RESULT})
            return json_answer(200, {"error": f"this desk does not handle the function {body['name'][:60]!r}"})
        return 204, b"", "text/plain"

    @guarded
    def interpret(self, delivery: Delivery, rules: LocationRules) -> Interpretation:
        body = json_object_or_mapping_error(delivery)
        call = _call(body)
        call_id = text(call.get("call_id"))
        if call_id is None:
            raise MappingError("the Retell delivery names no call (call.call_id)")
        if _is_function_call(body):
            if body["name"].lower() not in BOOKING_FUNCTIONS:
                return Ignored(f"the Retell function {body['name'][:60]!r} is not a booking function")
            return self._capture(call, call_id, body["args"], delivery, rules, function=body["name"][:80])
        event = text(body.get("event"))
        if event in LIVE_EVENTS:
            return LiveUpdate(self.platform, call_id[:128], self._caller_id(call, rules), LIVE_EVENTS[event],
                              from_unix(call.get("start_timestamp"), milliseconds=True),
                              turns(call.get("transcript_object")))
        if event == "call_analyzed":
            analysis = as_dict(call.get("call_analysis"))
            return self._capture(call, call_id, as_dict(analysis.get("custom_analysis_data")), delivery, rules)
        return Ignored(f"Retell {str(event)[:40]} events carry nothing to store")

    def _caller_raw(self, call: dict) -> str | None:
        inbound = text(call.get("direction")) != "outbound"
        return text(call.get("from_number") if inbound else call.get("to_number"))

    def _caller_id(self, call: dict, rules: LocationRules) -> str | None:
        raw = self._caller_raw(call)
        return normalise_phone(raw, rules.country)[0] if raw else None

    def _capture(self, call: dict, call_id: str, extracted: dict, delivery: Delivery, rules: LocationRules,
                 function: str | None = None) -> CallCapture:
        analysis = as_dict(call.get("call_analysis"))
        picked, custom = pick_fields(extracted, as_dict(call.get("retell_llm_dynamic_variables")))
        for key in ("user_sentiment", "call_successful", "in_voicemail"):
            if isinstance(analysis.get(key), (str, bool)):
                custom.setdefault(f"retell_{key}", analysis[key])
        if function:
            custom["retell_function"] = function
        hints = tuple(h for h in (function, text(call.get("disconnection_reason"))) if h)
        if analysis.get("in_voicemail") is True:
            hints += ("voicemail",)
        facts = CallFacts(
            platform=self.platform, call_id=call_id,
            occurred_at=from_unix(call.get("start_timestamp"), milliseconds=True) or delivery.received_at,
            caller_name=picked.get("caller_name"), callback_number=picked.get("callback_number"),
            caller_id_number=self._caller_raw(call), account_id=picked.get("account_id"),
            service=picked.get("service"), requested_start=picked.get("requested_start"),
            duration_minutes=as_int(picked.get("duration_minutes")), message=picked.get("message"),
            summary=first_text(analysis.get("call_summary")),
            transcript=turns(call.get("transcript_object")) or transcript_from_text(call.get("transcript")),
            agent_id=first_text(call.get("agent_name"), call.get("agent_id")),
            intent=picked.get("intent"), intent_hints=hints, custom_fields=custom,
        )
        return facts_to_capture(facts, rules, delivery.received_at)

