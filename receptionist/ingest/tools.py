"""The AI agent's tools on the receiver: ``POST /tools/vapi`` and ``POST /tools/retell``, authenticated like the
platform's webhooks (the same adapter, secret and replay window), answered at once from local data.

Shapes (Vapi: docs.vapi.ai/tools-calling and the ``ServerMessageToolCalls`` / ``ToolCallResult`` types of its server
SDKs; Retell: docs.retellai.com/build/single-multi-prompt/custom-function):

* Vapi posts a server message ``{"message": {"type": "tool-calls", "call": {"id"}, "toolCallList": [{"id",
  "function": {"name", "arguments"}}]}}`` and reads ``{"results": [{"toolCallId", "name", "result"}]}``; ``result``
  is a string added to the conversation, here a JSON object whose ``say`` is the line to speak and ``slots`` the
  structured times.
* Retell posts ``{"name", "args", "call": {"call_id"}}`` to the function's URL and hands the JSON answer to its model:
  ``{"result": <the line>, "say", "slots", ...}``.

Tools: ``check_availability`` (``service``, ``date``), ``book_appointment`` (``service``, ``start``, ``caller_name``,
``callback_number``) and ``who_is_on_call`` (``at``, optional: now without it; the answer's ``on_call`` has the
person and the phone to transfer to). A booking the answerer accepts is also handed to the intake, as the platform's own delivery,
so it becomes a proposal checked by the booking rules like every captured call.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Protocol

from receptionist.ingest.intake import Answer, Intake
from receptionist.ingest.platforms import Delivery, DeliveryRefused
from receptionist.ingest.platforms.base import json_object
from receptionist.ingest.platforms.fields import as_dict, first_text, text
from receptionist.ingest.platforms.vapi import tool_calls

log = logging.getLogger(__name__)

CHECK, BOOK, ON_CALL = "check_availability", "book_appointment", "who_is_on_call"
TOOL_PATH = "/tools/{platform}"
TOOL_PLATFORMS = ("vapi", "retell")


@dataclass(frozen=True)
class ToolAnswer:
    """What a tool call gets: ``say`` one line for the caller (location's zone, US formats), ``slots`` the times
    it names, ``reason`` why none or why refused, ``stale`` which busy time is out of date. ``forward``: a booking
    was taken, and the delivery goes on to the intake to become a proposal."""

    ok: bool
    say: str
    slots: list[dict] = field(default_factory=list)
    reason: str | None = None
    stale: str | None = None
    forward: bool = False
    time_zone: str | None = None
    on_call: dict | None = None  # who_is_on_call: {"now": person or None, "next": person or None}

    def as_json(self) -> dict:
        out = {"ok": self.ok, "say": self.say, "slots": self.slots, "reason": self.reason, "stale": self.stale,
               "time_zone": self.time_zone}
        return out if self.on_call is None else {**out, "on_call": self.on_call}


class ToolAnswerer(Protocol):
    def answer_tool(self, platform: str, call_id: str, name: str, args: dict) -> ToolAnswer: ...


def _json(status: int, body) -> Answer:
    return Answer(status, json.dumps(body).encode(), "application/json")


class ToolDoor:
    """Authenticate a tool request as the platform's webhook, answer each tool call, and hand a taken booking to
    the intake."""

    def __init__(self, intake: Intake, answerer: ToolAnswerer):
        self.intake, self.answerer = intake, answerer

    def handle(self, delivery: Delivery) -> Answer:
        platform = delivery.platform
        adapter = self.intake.adapters.get(platform)
        if platform not in TOOL_PLATFORMS or adapter is None:
            return self.intake.refuse(404, f"no tools for platform {platform!r} (known: {', '.join(TOOL_PLATFORMS)})")
        try:
            adapter.authenticate(delivery, self.intake.secret(adapter.secret_key), self.intake.clock())
            body = json_object(delivery)
        except DeliveryRefused as exc:
            return self.intake.refuse(exc.status, exc.reason, exc.fields, source=platform)
        answers, answer = (self._vapi(body) if platform == "vapi" else self._retell(body))
        if any(a.forward for a in answers):
            stored = self.intake.receive(delivery, trusted=True)
            if stored.status >= 300:
                log.error("a booking taken by the %s agent was not stored (%s)", platform, stored.status)
                return _json(503, {"error": "the desk could not store the booking; retry"})
        return answer

    def _vapi(self, body: dict) -> tuple[list[ToolAnswer], Answer]:
        message = as_dict(body.get("message"))
        if message.get("type") != "tool-calls":
            kind = str(message.get("type"))[:40]
            return [], self.intake.refuse(400, f"not a Vapi tool-calls message (type {kind!r})", source="vapi")
        call_id = first_text(as_dict(message.get("call")).get("id"), message.get("callId"))
        if call_id is None:
            return [], self.intake.refuse(400, "the Vapi tool-calls message names no call (message.call.id)",
                                          source="vapi")
        answers, results = [], []
        for tool_id, name, args in tool_calls(message):
            answer = self.answerer.answer_tool("vapi", call_id[:128], name.lower(), args)
            answers.append(answer)
            results.append({"toolCallId": tool_id, "name": name, "result": json.dumps(answer.as_json())})
        return answers, _json(200, {"results": results})

    def _retell(self, body: dict) -> tuple[list[ToolAnswer], Answer]:
        name, args = text(body.get("name")), body.get("args")
        call_id = text(as_dict(body.get("call")).get("call_id"))
        if name is None or not isinstance(args, dict) or call_id is None:
            return [], self.intake.refuse(400, "not a Retell function call (name, args, call.call_id)",
                                          source="retell")
        answer = self.answerer.answer_tool("retell", call_id[:128], name.lower(), args)
        return [answer], _json(200, {"result": answer.say, **answer.as_json()})
