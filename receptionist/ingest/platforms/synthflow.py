"""Synthflow post-call webhooks — authentic only in their call id, so the call is read back before it counts.

Shape (Synthflow docs, docs.synthflow.ai/webhooks and docs.synthflow.ai/about-webhooks; the call record of
``GET /v2/calls/{call_id}``, docs.synthflow.ai/api-reference/platform-api/calls/get-phone-call):
``{"status", "lead": {"name", "phone_number"}, "call": {"call_id", "status", "start_time", "duration",
"transcript" ("bot: ...\\nhuman: ..."), "end_call_reason", "timezone", "model_id"}, "executed_actions": {name:
{"return_value": {...}}}, "collected_variables": {name: {"value", "collected"}}, "analysis": {...}}``. The API's
call record holds the same facts (flat, under ``response.calls[0]``); ``map_call`` reads either.

Signature: the ``Synthflow-Signature`` header (Synthflow's docs show its WSGI name, ``HTTP_SYNTHFLOW_SIGNATURE``) is
HMAC-SHA256 of the **call id only**, keyed with the workspace secret. It proves the call id came from Synthflow,
not that the body did: ``needs_confirmation`` tells the intake to read the call back from Synthflow's API
(``GET /v2/calls/{call_id}``) and map *that* with ``map_call``. ``interpret`` maps the body as delivered, for
replay and tests; the intake must not book from it unconfirmed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from receptionist.domain.payload import CallCapture, CallFacts, LocationRules
from receptionist.ingest.platforms.base import (
    Delivery,
    DeliveryRefused,
    Interpretation,
    MappingError,
    facts_to_capture,
    guarded,
    json_answer,
    json_object,
    json_object_or_mapping_error,
    require_secret,
)
from receptionist.ingest.platforms.fields import (
    as_dict,
    as_int,
    as_list,
    dig,
    first_text,
    from_iso,
    pick_fields,
    transcript_from_text,
)

SIGNATURE_HEADERS = ("synthflow-signature", "http_synthflow_signature", "x-synthflow-signature")


def _call_record(data: dict) -> dict:
    """The call record inside a webhook body or an API answer (``{"response": {"calls": [...]}}``)."""
    calls = as_list(dig(data, "response", "calls"))
    if calls and isinstance(calls[0], dict):
        return calls[0]
    if isinstance(dig(data, "response", "call_id"), str):
        return as_dict(data["response"])
    return data


def call_id_of(data: dict) -> str | None:
    record = _call_record(data)
    return first_text(dig(record, "call", "call_id"), record.get("call_id"))


def map_call(data: dict, rules: LocationRules, received_at: datetime, platform: str = "synthflow") -> CallCapture:
    """A Synthflow call (the webhook body, or the API's answer when reading it back) → ``CallCapture``.

    Raises ``MappingError`` when it names no call.
    """
    record = _call_record(data)
    call = as_dict(record.get("call")) or record
    call_id = first_text(call.get("call_id"), record.get("call_id"))
    if call_id is None:
        raise MappingError("the Synthflow call names no call id")
    lead = as_dict(record.get("lead"))
    extracted: dict[str, Any] = {}
    for action in as_dict(record.get("executed_actions")).values():
        value = as_dict(action).get("return_value")
        if isinstance(value, dict):
            extracted.update(value)
    collected = as_dict(record.get("collected_variables"))
    slots: dict[str, Any] = {}
    for name, slot in collected.items():
        slot = as_dict(slot)
        if "value" not in slot and all(isinstance(v, dict) for v in slot.values()):  # keyed by agent id first
            for inner, value in slot.items():
                if as_dict(value).get("collected") is not False and as_dict(value).get("value") is not None:
                    slots[inner] = as_dict(value)["value"]
        elif slot.get("collected") is not False and slot.get("value") is not None:
            slots[name] = slot["value"]
    picked, custom = pick_fields(slots, extracted)
    reason = first_text(call.get("end_call_reason"), record.get("end_call_reason"))
    if reason:
        custom.setdefault("synthflow_end_call_reason", reason[:60])
    facts = CallFacts(
        platform=platform, call_id=call_id,
        occurred_at=from_iso(call.get("start_time")) or from_iso(record.get("start_time")) or received_at,
        caller_name=picked.get("caller_name") or first_text(lead.get("name"), record.get("lead_name")),
        callback_number=picked.get("callback_number"),
        caller_id_number=first_text(lead.get("phone_number"), record.get("lead_phone_number"),
                                    record.get("phone_number_from"), record.get("phone_number")),
        account_id=picked.get("account_id"), service=picked.get("service"),
        requested_start=picked.get("requested_start"),
        duration_minutes=as_int(picked.get("duration_minutes")), message=picked.get("message"),
        summary=first_text(call.get("summary"), record.get("summary"), dig(record, "analysis", "summary")),
        transcript=transcript_from_text(first_text(call.get("transcript"), record.get("transcript"))),
        agent_id=first_text(call.get("model_id"), record.get("model_id")),
        intent=picked.get("intent"), intent_hints=tuple(h for h in (reason,) if h and "voicemail" in h),
        custom_fields=custom,
    )
    return facts_to_capture(facts, rules, received_at)


class SynthflowAdapter:
    platform = "synthflow"
    secret_key = "synthflow.webhook_secret"
    needs_confirmation = True  # read the call back from Synthflow's API (GET /v2/calls/{id}) and map_call it

    def authenticate(self, delivery: Delivery, secret: str | None, now: datetime) -> None:
        secret = require_secret(self.platform, secret, self.secret_key)
        offered = next((delivery.header(h) for h in SIGNATURE_HEADERS if delivery.header(h)), None)
        if not offered:
            raise DeliveryRefused(401, "missing Synthflow-Signature header")
        call_id = call_id_of(json_object(delivery))
        if call_id is None:
            raise DeliveryRefused(400, "the Synthflow webhook names no call (call.call_id)")
        digest = hmac.new(secret.encode(), call_id.encode(), hashlib.sha256).digest()
        candidates = (digest.hex(), base64.b64encode(digest).decode())
        offered = offered.strip()
        if not any(hmac.compare_digest(c.encode(), offered.encode("utf-8", "replace")) for c in candidates):
            raise DeliveryRefused(401, "Synthflow signature does not match the call id (wrong secret)")

    def dedupe_key(self, delivery: Delivery) -> str:
        call_id = call_id_of(json_object(delivery))
        if call_id is None:
            raise DeliveryRefused(400, "the Synthflow webhook names no call (call.call_id)")
        return f"synthflow:{call_id[:128]}"

    def answer(self, delivery: Delivery) -> tuple[int, bytes, str]:
        return json_answer(200, {"received": True})

    @guarded
    def interpret(self, delivery: Delivery, rules: LocationRules) -> Interpretation:
        return map_call(json_object_or_mapping_error(delivery), rules, delivery.received_at, self.platform)

    def confirm(self, read_back: dict, delivery: Delivery, rules: LocationRules) -> CallCapture:
        """Map the call as read back from Synthflow's API; refuse one that is not the delivery's call."""
        expected = call_id_of(json_object_or_mapping_error(delivery))
        found = call_id_of(read_back) if isinstance(read_back, dict) else None
        if found is None or found != expected:
            raise MappingError(f"Synthflow's API answered for call {str(found)[:60]!r}, not {str(expected)[:60]!r}")
        return map_call(read_back, rules, delivery.received_at, self.platform)
