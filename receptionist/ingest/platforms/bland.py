"""Bland AI post-call webhooks.

Shape (Bland docs, docs.bland.ai/tutorials/post-call-webhooks and the call details it mirrors,
docs.bland.ai/api-v1/get/calls-id): ``call_id``, ``from``/``to``, ``inbound``, ``started_at``/``end_at`` (ISO),
``call_length`` (minutes), ``summary``, ``concatenated_transcript``, ``transcripts``
(``[{"user": "user"|"assistant"|"robot"|"agent-action", "text", "created_at"}]``), ``variables`` (system variables
such as ``now``, ``from``, ``phone_number`` beside those the pathway extracted), ``analysis`` (answers to the
call's ``analysis_schema``), ``status``, ``answered_by``, ``metadata``.

Signature: ``X-Webhook-Signature`` = hex HMAC-SHA256 of the raw body (docs.bland.ai/tutorials/webhook-signing).
There is no timestamp in it, so there is no replay window: a replayed body is the same call id, and the inbox
deduplicates it.
"""

from __future__ import annotations

from datetime import datetime

from receptionist.domain.payload import CallCapture, CallFacts, LocationRules
from receptionist.ingest.platforms.base import (
    Delivery,
    DeliveryRefused,
    Interpretation,
    MappingError,
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
    from_iso,
    pick_fields,
    text,
    transcript_from_text,
    turns,
)

# Variables Bland fills in itself: never the caller's answers (``phone_number`` is the number dialled).
SYSTEM_VARIABLES = frozenset({"now", "now_utc", "short_from", "short_to", "from", "to", "call_id", "phone_number",
                              "city", "country", "state", "zip", "language", "timestamp", "timezone", "input"})


class BlandAdapter:
    platform = "bland"
    secret_key = "bland.webhook_secret"
    signature_header = "x-webhook-signature"

    def authenticate(self, delivery: Delivery, secret: str | None, now: datetime) -> None:
        secret = require_secret(self.platform, secret, self.secret_key)
        offered = delivery.header(self.signature_header)
        if not offered:
            raise DeliveryRefused(401, "missing X-Webhook-Signature header")
        if not same_mac(hmac_hex(secret, delivery.body), offered):
            raise DeliveryRefused(401, "Bland signature does not match the body (wrong secret or modified body)")

    def dedupe_key(self, delivery: Delivery) -> str:
        body = json_object(delivery)
        call_id = first_text(body.get("call_id"), body.get("c_id"))
        if call_id is None:
            raise DeliveryRefused(400, "the Bland webhook names no call (call_id)")
        return f"bland:{call_id[:128]}"

    def answer(self, delivery: Delivery) -> tuple[int, bytes, str]:
        return json_answer(200, {"received": True})

    @guarded
    def interpret(self, delivery: Delivery, rules: LocationRules) -> Interpretation:
        body = json_object_or_mapping_error(delivery)
        call_id = first_text(body.get("call_id"), body.get("c_id"))
        if call_id is None:
            raise MappingError("the Bland webhook names no call (call_id)")
        return self._capture(body, call_id, delivery, rules)

    def _capture(self, body: dict, call_id: str, delivery: Delivery, rules: LocationRules) -> CallCapture:
        variables = {k: v for k, v in as_dict(body.get("variables")).items()
                     if isinstance(k, str) and k not in SYSTEM_VARIABLES}
        picked, custom = pick_fields(as_dict(body.get("analysis")), variables)
        for key in ("answered_by", "call_ended_by", "status"):
            if text(body.get(key)):
                custom.setdefault(f"bland_{key}", str(body[key])[:60])
        inbound = body.get("inbound") is not False
        caller = text(body.get("from") if inbound else body.get("to"))
        hints = ("voicemail",) if text(body.get("answered_by")) == "voicemail" else ()
        facts = CallFacts(
            platform=self.platform, call_id=call_id,
            occurred_at=from_iso(body.get("started_at")) or from_iso(body.get("created_at")) or delivery.received_at,
            caller_name=picked.get("caller_name"), callback_number=picked.get("callback_number"),
            caller_id_number=caller, account_id=picked.get("account_id"), service=picked.get("service"),
            requested_start=picked.get("requested_start"),
            duration_minutes=as_int(picked.get("duration_minutes")), message=picked.get("message"),
            summary=text(body.get("summary")),
            transcript=turns(body.get("transcripts"), role_keys=("user",), text_keys=("text",))
            or transcript_from_text(body.get("concatenated_transcript")),
            agent_id=first_text(body.get("pathway_id"), body.get("agent_id")),
            intent=picked.get("intent"), intent_hints=hints, custom_fields=custom,
        )
        return facts_to_capture(facts, rules, delivery.received_at)
