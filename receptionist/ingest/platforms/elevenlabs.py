"""ElevenLabs Agents (conversational AI) post-call webhooks.

Shape (ElevenLabs docs, elevenlabs.io/docs/agents-platform/workflows/post-call-webhooks; the GET conversation
response it mirrors): ``{"type": "post_call_transcription", "event_timestamp": <unix s>, "data": {...}}`` where
``data`` has ``conversation_id``, ``agent_id``, ``transcript`` (``[{"role": "agent"|"user", "message",
"time_in_call_secs"}]``), ``metadata`` (``start_time_unix_secs``, ``call_duration_secs``, ``phone_call`` with
``external_number``/``agent_number``/``direction``), ``analysis`` (``transcript_summary``, ``call_successful``,
``data_collection_results``: ``{id: {"data_collection_id", "value", "rationale"}}``) and
``conversation_initiation_client_data.dynamic_variables`` (``system__caller_id`` ...). ``post_call_audio`` and
``call_initiation_failure`` are acknowledged and ignored.

Signature: ``ElevenLabs-Signature: t=<unix s>,v0=<hex HMAC-SHA256(secret, "t.body")>``, checked within
``elevenlabs.replay_window_seconds`` (30 minutes unless the profile says otherwise, as ElevenLabs' own SDK does).
ElevenLabs does not retry by default and disables a webhook that keeps failing, so the answer must be a quick 200.
"""

from __future__ import annotations

import re
from datetime import datetime

from receptionist.domain.payload import CallCapture, CallFacts, LocationRules
from receptionist.ingest.platforms.base import (
    Delivery,
    DeliveryRefused,
    Ignored,
    Interpretation,
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
    dig,
    first_text,
    from_unix,
    pick_fields,
    text,
    turns,
)

PART = re.compile(r"^\s*(t|v0)=(.*)$")


class ElevenLabsAdapter:
    platform = "elevenlabs"
    secret_key = "elevenlabs.webhook_secret"
    signature_header = "elevenlabs-signature"

    def __init__(self, replay_window_seconds: int):
        self.replay_window_seconds = replay_window_seconds

    def authenticate(self, delivery: Delivery, secret: str | None, now: datetime) -> None:
        secret = require_secret(self.platform, secret, self.secret_key)
        header = delivery.header(self.signature_header)
        if not header:
            raise DeliveryRefused(401, "missing ElevenLabs-Signature header")
        stamp, offered = None, []
        for part in header.split(",")[:10]:
            m = PART.match(part)
            if m and m[1] == "t":
                stamp = m[2].strip()
            elif m:
                offered.append(m[2].strip())
        if stamp is None or not offered:
            raise DeliveryRefused(401, "ElevenLabs-Signature is not of the form t=<unix seconds>,v0=<hex>")
        if not stamp.isdigit() or len(stamp) > 12:
            raise DeliveryRefused(401, f"ElevenLabs signature timestamp {stamp[:20]!r} is not a unix time")
        check_window(self.platform, int(stamp), now, self.replay_window_seconds)
        expected = hmac_hex(secret, stamp.encode() + b"." + delivery.body)
        if not any(same_mac(expected, candidate) for candidate in offered):
            raise DeliveryRefused(401, "ElevenLabs signature does not match the body (wrong secret or modified body)")

    def dedupe_key(self, delivery: Delivery) -> str:
        body = json_object(delivery)
        kind = text(body.get("type"))
        conversation = text(dig(body, "data", "conversation_id"))
        if kind is None or conversation is None:
            raise DeliveryRefused(400, "not an ElevenLabs webhook (no type or data.conversation_id)")
        return f"elevenlabs:{conversation[:128]}:{kind[:40]}"

    def answer(self, delivery: Delivery) -> tuple[int, bytes, str]:
        return json_answer(200, {"received": True})

    @guarded
    def interpret(self, delivery: Delivery, rules: LocationRules) -> Interpretation:
        body = json_object_or_mapping_error(delivery)
        kind = text(body.get("type"))
        data = as_dict(body.get("data"))
        conversation = text(data.get("conversation_id"))
        if conversation is None:
            raise MappingError("the ElevenLabs webhook names no conversation (data.conversation_id)")
        if kind != "post_call_transcription":
            return Ignored(f"ElevenLabs {str(kind)[:40]} webhooks carry nothing to store")
        return self._capture(data, conversation, delivery, rules)

    def _capture(self, data: dict, conversation: str, delivery: Delivery, rules: LocationRules) -> CallCapture:
        analysis = as_dict(data.get("analysis"))
        metadata = as_dict(data.get("metadata"))
        phone = as_dict(metadata.get("phone_call"))
        variables = as_dict(dig(data, "conversation_initiation_client_data", "dynamic_variables"))
        collected = {}
        for key, result in as_dict(analysis.get("data_collection_results")).items():
            if isinstance(result, dict):
                name = text(result.get("data_collection_id")) or key
                if result.get("value") is not None:
                    collected[name] = result.get("value")
            elif result is not None:
                collected[key] = result
        own_variables = {k: v for k, v in variables.items() if isinstance(k, str) and not k.startswith("system__")}
        picked, custom = pick_fields(collected, own_variables)
        if isinstance(analysis.get("call_successful"), str):
            custom.setdefault("elevenlabs_call_successful", analysis["call_successful"][:40])
        inbound = text(phone.get("direction")) != "outbound"
        caller = first_text(phone.get("external_number") if inbound else None, variables.get("system__caller_id"),
                            metadata.get("caller_id"))
        facts = CallFacts(
            platform=self.platform, call_id=conversation,
            occurred_at=from_unix(metadata.get("start_time_unix_secs"), milliseconds=False)
            or from_unix(data.get("event_timestamp"), milliseconds=False) or delivery.received_at,
            caller_name=picked.get("caller_name"), callback_number=picked.get("callback_number"),
            caller_id_number=caller, account_id=picked.get("account_id"), service=picked.get("service"),
            requested_start=picked.get("requested_start"),
            duration_minutes=as_int(picked.get("duration_minutes")), message=picked.get("message"),
            summary=first_text(analysis.get("transcript_summary"), analysis.get("summary")),
            transcript=turns(data.get("transcript")), agent_id=first_text(data.get("agent_name"), data.get("agent_id")),
            intent=picked.get("intent"), custom_fields=custom,
        )
        return facts_to_capture(facts, rules, delivery.received_at)
