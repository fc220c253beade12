"""Vapi server messages: ``{"message": {"type": ..., "call": {...}, ...}}`` posted to the assistant's server URL.

Shapes (Vapi docs, docs.vapi.ai/server-url/events and /server-url/end-of-call-report; the ServerMessage* types of
Vapi's server SDKs, e.g. vapi_server_sdk ``ServerMessageEndOfCallReport``, ``ServerMessageToolCalls``):

* ``status-update``: ``status`` (queued, ringing, in-progress, forwarding, ended) → ``LiveUpdate``;
* ``end-of-call-report``: current shape keeps the transcript under ``artifact`` (``artifact.messages``,
  ``artifact.transcript``) and the extraction under ``analysis.structuredData`` (or the newer
  ``artifact.structuredOutputs``); the older one has ``transcript``/``messages``/``summary`` on the message and the
  call under ``call`` with its own ``analysis`` → ``CallCapture``;
* ``tool-calls``: ``toolCallList`` items ``{"id", "function": {"name", "arguments"}}`` (older:
  ``toolCalls`` / ``toolWithToolCallList``); a booking function (``book_appointment`` & co.) → ``CallCapture``,
  answered with ``{"results": [{"toolCallId", "result"}]}`` which the assistant reads back to the caller;
* anything else (speech-update, transcript, conversation-update, hang...) → ``Ignored``.

Auth is whatever the desk configured on its Vapi credential: HMAC (``x-signature`` = hex HMAC-SHA256 of
``{x-timestamp}.{body}``, the timestamp within ``vapi.replay_window_seconds``), a Bearer token, or the legacy
``X-Vapi-Secret`` header (no body integrity, no replay window: deduplication by call id is then the only protection
against a replay).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

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
    load_json,
    parse_unix,
    require_secret,
    same_mac,
)
from receptionist.ingest.platforms.fields import (
    as_dict,
    as_int,
    as_list,
    dig,
    first_text,
    from_iso,
    from_unix,
    pick_fields,
    text,
    transcript_from_text,
    turns,
)

BOOKING_FUNCTIONS = frozenset({
    "book_appointment", "bookappointment", "book", "create_booking", "create_appointment", "schedule_appointment",
    "request_appointment", "reschedule_appointment", "rescheduleappointment", "cancel_appointment",
    "cancelappointment", "request_callback", "requestcallback", "take_message",
})
LIVE_STATUS = {"queued": "ringing", "ringing": "ringing", "in-progress": "in-progress", "forwarding": "in-progress",
               "ended": "ended"}
TOOL_RESULT = "Thank you. The front desk has your request and will confirm by text or a call back."


def _message(body: dict) -> dict:
    message = body.get("message")
    return message if isinstance(message, dict) else {}


def _call_id(message: dict) -> str | None:
    return first_text(dig(message, "call", "id"), dig(message, "call", "callId"), message.get("callId"))


def tool_calls(message: dict) -> list[tuple[str, str, Any]]:
    """(tool call id, function name, arguments) for each tool call in the message, in any of its shapes."""
    found: list[tuple[str, str, Any]] = []
    items = as_list(message.get("toolCallList")) or as_list(message.get("toolCalls"))
    if not items:
        items = [as_dict(w).get("toolCall") for w in as_list(message.get("toolWithToolCallList"))]
    for item in items[:20]:
        if not isinstance(item, dict):
            continue
        function = as_dict(item.get("function"))
        name = first_text(function.get("name"), item.get("name"))
        call_id = first_text(item.get("id"), item.get("toolCallId"))
        if name is None or call_id is None:
            continue
        args = function.get("arguments", item.get("arguments"))
        if isinstance(args, str):  # OpenAI style: arguments as a JSON string
            try:
                args = load_json(args.encode(), "tool call arguments")
            except ValueError:
                args = {"text": args}
        found.append((call_id[:128], name[:80], args if isinstance(args, dict) else {}))
    return found


def _is_booking(name: str) -> bool:
    return name.lower().replace("-", "_") in BOOKING_FUNCTIONS


class VapiAdapter:
    platform = "vapi"
    secret_key = "vapi.webhook_secret"
    signature_header = "x-signature"
    timestamp_header = "x-timestamp"

    def __init__(self, replay_window_seconds: int, modes: tuple[str, ...] = ("hmac", "bearer", "secret")):
        self.replay_window_seconds = replay_window_seconds
        self.modes = modes

    # --- the door ----------------------------------------------------------------------------------------------

    def authenticate(self, delivery: Delivery, secret: str | None, now: datetime) -> None:
        secret = require_secret(self.platform, secret, self.secret_key)
        signature = delivery.header(self.signature_header)
        if signature is not None and "hmac" in self.modes:
            stamp = delivery.header(self.timestamp_header)
            if not stamp:
                raise DeliveryRefused(401, f"missing {self.timestamp_header} header beside the Vapi signature")
            sent = parse_unix(self.platform, stamp)
            if sent > 1e11:  # milliseconds
                sent /= 1000
            check_window(self.platform, sent, now, self.replay_window_seconds)
            offered = signature.strip()
            if offered.lower().startswith("sha256="):
                offered = offered[7:]
            expected = hmac_hex(secret, stamp.strip().encode() + b"." + delivery.body)
            as_base64 = base64.b64encode(bytes.fromhex(expected)).decode()  # the credential's signatureEncoding
            if not (same_mac(expected, offered) or hmac.compare_digest(as_base64.encode(), offered.encode(
                    "utf-8", "replace"))):
                raise DeliveryRefused(401, "Vapi signature does not match the body (wrong secret or modified body)")
            return
        authorization = delivery.header("authorization")
        if authorization is not None and "bearer" in self.modes:
            scheme, _, token = authorization.strip().partition(" ")
            if scheme.lower() != "bearer" or not same_mac(secret, token.strip()):
                raise DeliveryRefused(401, "the Vapi bearer token does not match this desk's secret")
            return
        legacy = delivery.header("x-vapi-secret") or delivery.header("x-vapi-signature")
        if legacy is not None and "secret" in self.modes:
            if not same_mac(secret, legacy.strip()):
                raise DeliveryRefused(401, "the X-Vapi-Secret header does not match this desk's secret")
            return
        raise DeliveryRefused(401, "missing Vapi authentication (x-signature, Authorization: Bearer or X-Vapi-Secret)")

    def dedupe_key(self, delivery: Delivery) -> str:
        message = _message(json_object(delivery))
        kind = text(message.get("type"))
        if kind is None:
            raise DeliveryRefused(400, "not a Vapi server message (no message.type)")
        call_id = _call_id(message)
        if call_id is None:
            raise DeliveryRefused(400, f"the Vapi {kind[:40]} message names no call (message.call.id)")
        key = f"vapi:{call_id[:128]}:{kind[:40]}"
        if kind == "status-update":
            return f"{key}:{text(message.get('status')) or ''}"[:300]
        if kind == "tool-calls":
            ids = ",".join(sorted(tid for tid, _, _ in tool_calls(message)))
            return f"{key}:{hashlib.sha256(ids.encode()).hexdigest()[:16]}"
        if kind == "end-of-call-report":
            return key
        # messages we ignore: one per delivery is enough (their timestamp tells retries apart from new ones)
        return f"{key}:{hashlib.sha256(delivery.body).hexdigest()[:16]}"

    def answer(self, delivery: Delivery) -> tuple[int, bytes, str]:
        try:
            message = _message(json_object(delivery))
        except DeliveryRefused:
            return json_answer(200, {"received": True})
        if message.get("type") != "tool-calls":
            return json_answer(200, {"received": True})
        results = []
        for tool_id, name, _ in tool_calls(message):
            if _is_booking(name):
                results.append({"toolCallId": tool_id, "result": TOOL_RESULT})
            else:
                results.append({"toolCallId": tool_id, "error": f"this desk does not handle the tool {name!r}"})
        return json_answer(200, {"results": results})

    # --- after the inbox ---------------------------------------------------------------------------------------

    @guarded
    def interpret(self, delivery: Delivery, rules: LocationRules) -> Interpretation:
        body = json_object_or_mapping_error(delivery)
        message = _message(body)
        kind = text(message.get("type"))
        if kind is None:
            raise MappingError("not a Vapi server message (no message.type)")
        call_id = _call_id(message)
        if call_id is None:
            raise MappingError(f"the Vapi {kind[:40]} message names no call")
        if kind == "status-update":
            return self._live(message, call_id, rules)
        if kind == "end-of-call-report":
            return self._report(message, call_id, delivery, rules)
        if kind == "tool-calls":
            return self._tool_calls(message, call_id, delivery, rules)
        return Ignored(f"Vapi {kind[:40]} messages carry nothing to store")

    def _caller_id(self, message: dict, rules: LocationRules) -> str | None:
        raw = first_text(dig(message, "customer", "number"), dig(message, "call", "customer", "number"))
        return normalise_phone(raw, rules.country)[0] if raw else None

    def _started_at(self, message: dict) -> datetime | None:
        return (from_iso(dig(message, "call", "startedAt")) or from_iso(message.get("startedAt"))
                or from_iso(dig(message, "call", "createdAt")))

    def _live(self, message: dict, call_id: str, rules: LocationRules) -> Interpretation:
        status = LIVE_STATUS.get(text(message.get("status")) or "")
        if status is None:
            return Ignored(f"Vapi status {str(message.get('status'))[:40]!r} is not shown live")
        transcript = turns(dig(message, "artifact", "messages"))
        return LiveUpdate(self.platform, call_id[:128], self._caller_id(message, rules), status,
                          self._started_at(message), transcript)

    def _report(self, message: dict, call_id: str, delivery: Delivery, rules: LocationRules) -> CallCapture:
        call = as_dict(message.get("call"))
        analysis = as_dict(message.get("analysis")) or as_dict(call.get("analysis"))
        structured = as_dict(analysis.get("structuredData"))
        outputs: dict[str, Any] = {}
        for output in as_dict(dig(message, "artifact", "structuredOutputs")).values():
            result = as_dict(output).get("result")
            if isinstance(result, dict):
                outputs.update(result)
            elif text(as_dict(output).get("name")) and result is not None:
                outputs[str(as_dict(output)["name"])] = result
        picked, custom = pick_fields(structured, outputs)
        transcript = (turns(dig(message, "artifact", "messages")) or turns(message.get("messages"))
                      or transcript_from_text(first_text(dig(message, "artifact", "transcript"),
                                                         message.get("transcript"))))
        summary = first_text(analysis.get("summary"), message.get("summary"), call.get("summary"))
        ended = text(message.get("endedReason"))
        if ended:
            custom.setdefault("vapi_ended_reason", ended[:100])
        occurred = self._started_at(message) or from_unix(message.get("timestamp")) or delivery.received_at
        facts = CallFacts(
            platform=self.platform, call_id=call_id, occurred_at=occurred,
            caller_name=picked.get("caller_name") or text(dig(message, "customer", "name")),
            callback_number=picked.get("callback_number"),
            caller_id_number=first_text(dig(message, "customer", "number"), dig(call, "customer", "number")),
            account_id=picked.get("account_id"), service=picked.get("service"),
            requested_start=picked.get("requested_start"),
            duration_minutes=as_int(picked.get("duration_minutes")), message=picked.get("message"),
            summary=summary, transcript=transcript,
            agent_id=first_text(dig(message, "assistant", "name"), call.get("assistantId")),
            intent=picked.get("intent"), intent_hints=tuple(v for v in (ended,) if v and "voicemail" in v),
            custom_fields=custom,
        )
        return facts_to_capture(facts, rules, delivery.received_at)

    def _tool_calls(self, message: dict, call_id: str, delivery: Delivery, rules: LocationRules) -> Interpretation:
        for _tool_id, name, args in tool_calls(message):
            if not _is_booking(name):
                continue
            picked, custom = pick_fields(args)
            facts = CallFacts(
                platform=self.platform, call_id=call_id,
                occurred_at=self._started_at(message) or from_unix(message.get("timestamp")) or delivery.received_at,
                caller_name=picked.get("caller_name"), callback_number=picked.get("callback_number"),
                caller_id_number=first_text(dig(message, "customer", "number"),
                                            dig(message, "call", "customer", "number")),
                account_id=picked.get("account_id"), service=picked.get("service"),
                requested_start=picked.get("requested_start"),
                duration_minutes=as_int(picked.get("duration_minutes")), message=picked.get("message"),
                transcript=turns(dig(message, "artifact", "messages")),
                intent=picked.get("intent"), intent_hints=(name,),
                custom_fields={**custom, "vapi_function": name},
            )
            return facts_to_capture(facts, rules, delivery.received_at)
        names = ", ".join(name for _, name, _ in tool_calls(message)) or "none"
        return Ignored(f"no booking function among the Vapi tool calls ({names[:100]})")
