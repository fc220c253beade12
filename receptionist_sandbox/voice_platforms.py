"""The AI voice platforms as the console meets them: their webhook payloads, their signatures, and stand-ins for
the REST APIs a desk without a public URL polls (and Synthflow's, which confirms a webhook).

Everything here is written from the platforms' public docs (noted per section), not from the console's adapters:

* **Vapi** (docs.vapi.ai/server-url/events, /server-url/end-of-call-report, /api-reference/calls/list): server
  messages ``{"message": {"type": "status-update" | "end-of-call-report", "call": {...}, ...}}``; the HMAC credential
  signs ``{timestamp}.{body}`` into ``x-signature`` with ``x-timestamp``; ``GET /call`` (Bearer) lists Call objects,
  newest first, filtered by ``createdAtGt/Ge/Lt/Le``, at most ``limit``.
* **Retell** (docs.retellai.com/features/webhook-overview, /features/secure-webhook, /api-references/list-calls,
  /api-references/get-call): ``{"event": "call_started" | "call_ended" | "call_analyzed", "call": {...}}``;
  ``x-retell-signature: v=<ms>,d=<hex HMAC-SHA256(api key, body + ms)>``; ``POST /v3/list-calls`` answers
  ``{"items", "has_more", "pagination_key"}`` without transcripts; ``GET /v2/get-call/{call_id}`` the whole call.
* **ElevenLabs** (elevenlabs.io/docs/agents-platform/workflows/post-call-webhooks, /api-reference/conversations/list,
  /get): ``{"type": "post_call_transcription", "event_timestamp", "data": {...}}``; ``ElevenLabs-Signature:
  t=<s>,v0=<hex HMAC-SHA256(secret, "t.body")>``; ``GET /v1/convai/conversations`` (``xi-api-key``) newest first with
  ``cursor``/``next_cursor``/``has_more``, ``call_start_after_unix``; ``GET /v1/convai/conversations/{id}``.
* **Twilio** (twilio.com/docs/voice/api/call-resource#statuscallback, /docs/usage/security): a form-encoded status
  callback signed with ``X-Twilio-Signature`` (the twilio package's ``RequestValidator.compute_signature``).
* **Bland** (docs.bland.ai/tutorials/post-call-webhooks, /tutorials/webhook-signing): the call details as JSON,
  ``X-Webhook-Signature`` = hex HMAC-SHA256 of the body.
* **Synthflow** (docs.synthflow.ai/about-webhooks, /api-reference/platform-api/calls/get-phone-call): the post-call
  body with ``lead``, ``call``, ``executed_actions``, ``collected_variables``; ``Synthflow-Signature`` = HMAC-SHA256 of
  the call id only; ``GET /v2/calls/{call_id}`` (Bearer) → ``{"status": "ok", "response": {"calls": [record]}}``.

A simulated call starts as the simulator's v1 payload (names, numbers, services, times and transcript that agree
with each other); ``render(platform, v1, ...)`` turns it into that platform's delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from receptionist_sandbox.server import StandIn

PLATFORMS = ("vapi", "retell", "elevenlabs", "twilio", "bland", "synthflow", "generic")
AGENT_NUMBER = "+13125550100"
INTENTS = {"new_booking": "book", "reschedule": "reschedule", "cancel": "cancel", "urgent": "urgent",
           "question": "question"}


# --- signatures (each as the platform's docs describe it) -----------------------------------------------------------


def _hmac_hex(secret: str, message: bytes, algorithm=hashlib.sha256) -> str:
    return hmac.new(secret.encode(), message, algorithm).hexdigest()


def sign(platform: str, secret: str, body: bytes, *, url: str = "", now: datetime | None = None,
         call_id: str | None = None, form: dict | None = None) -> dict[str, str]:
    """The headers the platform sends with ``body``."""
    now = now or datetime.now(timezone.utc)
    if platform == "vapi":
        ts = str(int(now.timestamp() * 1000))
        return {"x-timestamp": ts, "x-signature": _hmac_hex(secret, f"{ts}.".encode() + body),
                "content-type": "application/json"}
    if platform == "retell":
        ms = str(int(now.timestamp() * 1000))
        return {"x-retell-signature": f"v={ms},d={_hmac_hex(secret, body + ms.encode())}",
                "content-type": "application/json"}
    if platform == "elevenlabs":
        t = str(int(now.timestamp()))
        return {"elevenlabs-signature": f"t={t},v0={_hmac_hex(secret, f'{t}.'.encode() + body)}",
                "content-type": "application/json"}
    if platform == "twilio":
        from twilio.request_validator import RequestValidator

        return {"x-twilio-signature": RequestValidator(secret).compute_signature(url, form or {}),
                "content-type": "application/x-www-form-urlencoded"}
    if platform == "bland":
        return {"x-webhook-signature": _hmac_hex(secret, body), "content-type": "application/json"}
    if platform == "synthflow":
        assert call_id is not None
        return {"synthflow-signature": _hmac_hex(secret, call_id.encode()), "content-type": "application/json"}
    if platform == "generic":
        ts = int(now.timestamp())
        mac = _hmac_hex(secret, f"{ts}.".encode() + body)
        return {"X-Receptionist-Timestamp": str(ts), "X-Receptionist-Signature": f"v1={mac}",
                "Content-Type": "application/json"}
    raise ValueError(f"unknown platform {platform!r}")


# --- payloads -------------------------------------------------------------------------------------------------------


def caller_id(v1: dict) -> str | None:
    """The caller id (E.164) the phone network gives for the number the caller also said."""
    digits = re.sub(r"\D", "", (v1.get("caller") or {}).get("callback_number") or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return f"+1{digits}" if len(digits) == 10 else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _extracted(v1: dict) -> dict:
    """What the agent's extraction step captured (the names each platform's docs use for custom data)."""
    caller = v1.get("caller") or {}
    reasons = v1.get("reason_codes") or []
    out = {"caller_name": caller.get("name"), "callback_number": caller.get("callback_number"),
           "service": v1.get("service"), "requested_start": v1.get("requested_start"),
           "duration_minutes": v1.get("duration_minutes"), "message": v1.get("message"),
           "intent": next((INTENTS[r] for r in reasons if r in INTENTS), "book")}
    if caller.get("account_id"):
        out["account_id"] = caller["account_id"]
    return {k: v for k, v in out.items() if v is not None}


@dataclass
class PlatformCall:
    """One simulated call as a platform holds it: ids, times, caller id, transcript and extraction."""

    platform: str
    call_id: str
    v1: dict
    started_at: datetime
    ended_at: datetime
    caller_id: str | None
    extracted: dict = field(default_factory=dict)

    @classmethod
    def from_v1(cls, platform: str, v1: dict, *, call_id: str | None = None) -> "PlatformCall":
        ended = datetime.fromisoformat(v1["timestamp"].replace("Z", "+00:00"))
        turns = len(v1.get("transcript") or [])
        started = ended - timedelta(seconds=30 + 12 * turns)
        cid = call_id or {
            "vapi": str(uuid.uuid4()), "retell": uuid.uuid4().hex, "elevenlabs": f"conv_{uuid.uuid4().hex[:20]}",
            "twilio": f"CA{uuid.uuid4().hex}", "bland": str(uuid.uuid4()),
            "synthflow": f"{int(started.timestamp() * 1000)}x{uuid.uuid4().int % 10**18:018d}",
        }.get(platform, v1["call_id"])
        return cls(platform, cid, v1, started, ended, caller_id(v1), _extracted(v1))

    def turns(self) -> list[tuple[str, str]]:
        return [(t["speaker"], t["text"]) for t in self.v1.get("transcript") or []]


def render(call: PlatformCall, event: str = "ended", *, upto: int | None = None) -> tuple[bytes, dict]:
    """The platform's delivery for ``call``: ``event`` is ``"live"`` (in progress, ``upto`` turns so far) or
    ``"ended"`` (the post-call report). Returns (body, extra) where extra has ``form`` for Twilio."""
    p = call.platform
    turns = call.turns()[:upto] if upto is not None else call.turns()
    live = event == "live"
    v1 = call.v1
    if p == "generic":
        return json.dumps(v1).encode(), {}
    if p == "vapi":
        vapi_call = {"id": call.call_id, "orgId": "org-sandbox", "type": "inboundPhoneCall",
                     "status": "in-progress" if live else "ended", "createdAt": _iso(call.started_at),
                     "startedAt": _iso(call.started_at), "endedAt": None if live else _iso(call.ended_at),
                     "assistantId": v1.get("agent_id"), "customer": {"number": call.caller_id},
                     "phoneNumberId": "pn-sandbox"}
        messages = [{"role": "bot" if s == "agent" else "user", "message": x,
                     "secondsFromStart": 1.0 + 6 * i} for i, (s, x) in enumerate(turns)]
        if live:
            message = {"type": "status-update", "status": "in-progress",
                       "timestamp": int(call.started_at.timestamp() * 1000), "call": vapi_call,
                       "customer": {"number": call.caller_id}, "artifact": {"messages": messages}}
        else:
            message = {"type": "end-of-call-report", "timestamp": int(call.ended_at.timestamp() * 1000),
                       "endedReason": "customer-ended-call", "call": vapi_call,
                       "customer": {"number": call.caller_id}, "startedAt": _iso(call.started_at),
                       "endedAt": _iso(call.ended_at),
                       "analysis": {"summary": v1.get("summary"), "structuredData": call.extracted,
                                    "successEvaluation": "true"},
                       "artifact": {"messages": messages, "transcript": "\n".join(
                           f"{'AI' if s == 'agent' else 'User'}: {x}" for s, x in turns)}}
        return json.dumps({"message": message}).encode(), {}
    if p == "retell":
        retell_call = {"call_type": "phone_call", "from_number": call.caller_id, "to_number": AGENT_NUMBER,
                       "direction": "inbound", "call_id": call.call_id, "agent_id": v1.get("agent_id"),
                       "call_status": "ongoing" if live else "ended", "metadata": {},
                       "start_timestamp": int(call.started_at.timestamp() * 1000),
                       "transcript": "\n".join(f"{'Agent' if s == 'agent' else 'User'}: {x}" for s, x in turns),
                       "transcript_object": [{"role": "agent" if s == "agent" else "user", "content": x, "words": []}
                                             for s, x in turns]}
        if not live:
            retell_call.update(end_timestamp=int(call.ended_at.timestamp() * 1000), disconnection_reason="user_hangup",
                               call_analysis={"call_summary": v1.get("summary"), "in_voicemail": False,
                                              "user_sentiment": "Neutral", "call_successful": True,
                                              "custom_analysis_data": call.extracted})
        return json.dumps({"event": "call_started" if live else "call_analyzed", "call": retell_call}).encode(), {}
    if p == "elevenlabs":
        data = {"agent_id": v1.get("agent_id") or "agent_sandbox", "conversation_id": call.call_id,
                "status": "done",
                "transcript": [{"role": "agent" if s == "agent" else "user", "message": x, "time_in_call_secs": 6 * i}
                               for i, (s, x) in enumerate(turns)],
                "metadata": {"start_time_unix_secs": int(call.started_at.timestamp()),
                             "call_duration_secs": int((call.ended_at - call.started_at).total_seconds()),
                             "phone_call": {"direction": "inbound", "agent_number": AGENT_NUMBER,
                                            "external_number": call.caller_id, "type": "twilio"}},
                "analysis": {"call_successful": "success", "transcript_summary": v1.get("summary"),
                             "data_collection_results": {
                                 k: {"data_collection_id": k, "value": v, "rationale": "captured in the call"}
                                 for k, v in call.extracted.items()}},
                "conversation_initiation_client_data": {"dynamic_variables": {"system__caller_id": call.caller_id}}}
        return json.dumps({"type": "post_call_transcription", "event_timestamp": int(call.ended_at.timestamp()),
                           "data": data}).encode(), {}
    if p == "twilio":
        form = {"AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01", "CallSid": call.call_id,
                "CallStatus": "in-progress" if live else "completed", "Direction": "inbound",
                "From": call.caller_id or "", "To": AGENT_NUMBER, "Called": AGENT_NUMBER,
                "CallerName": ((v1.get("caller") or {}).get("name") or "").upper(),
                "Timestamp": format_datetime(call.started_at if live else call.ended_at, usegmt=True),
                "CallbackSource": "call-progress-events", "SequenceNumber": "0" if live else "2"}
        if not live:
            form["CallDuration"] = str(int((call.ended_at - call.started_at).total_seconds()))
        return urlencode(form).encode(), {"form": form}
    if p == "bland":
        body = {"call_id": call.call_id, "c_id": call.call_id, "to": AGENT_NUMBER, "from": call.caller_id,
                "inbound": True, "started_at": _iso(call.started_at), "end_at": _iso(call.ended_at),
                "call_length": round((call.ended_at - call.started_at).total_seconds() / 60, 2),
                "completed": True, "status": "completed", "answered_by": "human", "summary": v1.get("summary"),
                "concatenated_transcript": "\n".join(f"{'assistant' if s == 'agent' else 'user'}: {x}"
                                                     for s, x in turns),
                "transcripts": [{"user": "assistant" if s == "agent" else "user", "text": x,
                                 "created_at": _iso(call.started_at + timedelta(seconds=6 * i))}
                                for i, (s, x) in enumerate(turns)],
                "variables": {"from": call.caller_id, "to": AGENT_NUMBER, "call_id": call.call_id},
                "analysis": call.extracted, "metadata": {}}
        return json.dumps(body).encode(), {}
    if p == "synthflow":
        return json.dumps(synthflow_webhook(call)).encode(), {}
    raise ValueError(f"unknown platform {p!r}")


def tool_request(platform: str, call_id: str, name: str, args: dict, *, tool_call_id: str = "call_tool_1",
                 caller_id: str | None = None, now: datetime | None = None) -> bytes:
    """The body a platform posts to a tool's server URL mid-call: Vapi's ``tool-calls`` server message (arguments
    as an object, as its current messages carry them), or Retell's custom function call."""
    now = now or datetime.now(timezone.utc)
    if platform == "vapi":
        message = {"type": "tool-calls", "timestamp": int(now.timestamp() * 1000),
                   "call": {"id": call_id, "orgId": "org-sandbox", "type": "inboundPhoneCall", "status": "in-progress",
                            "customer": {"number": caller_id}},
                   "customer": {"number": caller_id},
                   "toolCallList": [{"id": tool_call_id, "type": "function",
                                     "function": {"name": name, "arguments": args}}]}
        return json.dumps({"message": message}).encode()
    if platform == "retell":
        return json.dumps({"name": name, "args": args,
                           "call": {"call_id": call_id, "call_type": "phone_call", "direction": "inbound",
                                    "from_number": caller_id, "to_number": AGENT_NUMBER, "call_status": "ongoing",
                                    "start_timestamp": int(now.timestamp() * 1000)}}).encode()
    raise ValueError(f"{platform} has no tool calls here")


def call_tool(url: str, platform: str, secret: str, call_id: str, name: str, args: dict, *,
              now: datetime | None = None, caller_id: str | None = None, timeout: float = 20.0) -> tuple[int, dict]:
    """Post a signed tool call as the platform does and read the answer as its model would: Vapi's first
    ``results[].result`` (a JSON text here), Retell's body. Returns (HTTP status, answer)."""
    import requests

    body = tool_request(platform, call_id, name, args, caller_id=caller_id, now=now)
    r = requests.post(url, data=body, headers=sign(platform, secret, body, now=now), timeout=timeout)
    answer = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    if platform == "vapi" and r.status_code == 200:
        [result] = answer["results"]
        answer = {"toolCallId": result["toolCallId"], **json.loads(result["result"])}
    return r.status_code, answer


def _synthflow_transcript(call: PlatformCall) -> str:
    return "\n".join(f"{'bot' if s == 'agent' else 'human'}: {x}" for s, x in call.turns())


def synthflow_webhook(call: PlatformCall) -> dict:
    return {"status": "completed", "lead": {"name": call.extracted.get("caller_name"), "phone_number": call.caller_id},
            "call": {"status": "completed", "end_call_reason": "completed", "model_id": "model-sandbox",
                     "call_id": call.call_id, "duration": int((call.ended_at - call.started_at).total_seconds()),
                     "start_time": _iso(call.started_at), "transcript": _synthflow_transcript(call),
                     "summary": call.v1.get("summary")},
            "executed_actions": {"extract_info": {"return_value": call.extracted}},
            "collected_variables": {}}


def synthflow_record(call: PlatformCall) -> dict:
    """The call as ``GET /v2/calls/{call_id}`` answers it (flat)."""
    return {"call_id": call.call_id, "model_id": "model-sandbox", "status": "completed",
            "end_call_reason": "completed", "duration": int((call.ended_at - call.started_at).total_seconds()),
            "start_time": _iso(call.started_at), "lead_name": call.extracted.get("caller_name"),
            "lead_phone_number": call.caller_id, "transcript": _synthflow_transcript(call),
            "summary": call.v1.get("summary"), "executed_actions": {"extract_info": {"return_value": call.extracted}}}


# --- REST stand-ins -----------------------------------------------------------------------------------------------


def _json(status: int, body) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


class VoicePlatformsSandbox(StandIn):
    """Vapi, Retell, ElevenLabs and Synthflow REST APIs on one loopback port, each under its own root
    (``api_base(platform)``), each checking its own API key. ``add(call, status)`` puts a call on its platform;
    ``requests`` records (platform, method, path) of what was asked."""

    stand_in_name = "voice-platforms"

    def __init__(self, api_keys: dict[str, str] | None = None):
        self.api_keys = api_keys or {p: f"{p}-sandbox-key" for p in ("vapi", "retell", "elevenlabs", "synthflow")}
        self.calls: dict[str, dict[str, tuple[PlatformCall, str]]] = {p: {} for p in self.api_keys}
        self.requests: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def api_base(self, platform: str) -> str:
        return f"{self.url}/{platform}" + ("/v2" if platform == "synthflow" else "")

    def add(self, call: PlatformCall, status: str = "ended") -> PlatformCall:
        with self._lock:
            self.calls.setdefault(call.platform, {})[call.call_id] = (call, status)
        return call

    def set_status(self, platform: str, call_id: str, status: str) -> None:
        with self._lock:
            call, _ = self.calls[platform][call_id]
            self.calls[platform][call_id] = (call, status)

    def _dispatch(self, request: Request) -> Response:
        platform, _, path = request.path.lstrip("/").partition("/")
        path = "/" + path
        if platform not in self.api_keys:
            return _json(404, {"error": "not found"})
        with self._lock:
            self.requests.append((platform, request.method, path))
            calls = list(self.calls[platform].values())
        key = request.headers.get("xi-api-key") if platform == "elevenlabs" else \
            request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if key != self.api_keys[platform]:
            return _json(401, {"error": "Unauthorized", "message": "invalid API key"})
        handler = getattr(self, f"_{platform}")
        return handler(request, path, calls)

    # Vapi: GET /call (docs.vapi.ai/api-reference/calls/list)
    def _vapi(self, request: Request, path: str, calls) -> Response:
        if request.method != "GET" or path != "/call":
            return _json(404, {"message": "Cannot " + request.method + " " + path})
        out = []
        for call, status in calls:
            body = json.loads(render(call, "live" if status != "ended" else "ended")[0])["message"]
            item = dict(body["call"], status=status, updatedAt=_iso(call.ended_at), endedReason=body.get("endedReason"))
            if status == "ended":
                item["analysis"], item["artifact"] = body["analysis"], body["artifact"]
            out.append(item)
        args = request.args
        for name, test in (("createdAtGt", lambda a, b: a > b), ("createdAtGe", lambda a, b: a >= b),
                           ("createdAtLt", lambda a, b: a < b), ("createdAtLe", lambda a, b: a <= b)):
            if name in args:
                bound = datetime.fromisoformat(args[name].replace("Z", "+00:00"))
                out = [c for c in out if test(datetime.fromisoformat(c["createdAt"].replace("Z", "+00:00")), bound)]
        out.sort(key=lambda c: c["createdAt"], reverse=True)
        return _json(200, out[: int(args.get("limit", 100))])

    # Retell: POST /v3/list-calls, GET /v2/get-call/{id} (docs.retellai.com/api-references)
    def _retell(self, request: Request, path: str, calls) -> Response:
        by_id = {c.call_id: (c, s) for c, s in calls}
        if request.method == "GET" and path.startswith("/v2/get-call/"):
            found = by_id.get(path.rsplit("/", 1)[1])
            if found is None:
                return _json(404, {"error_message": "Call not found"})
            return _json(200, self._retell_call(*found))
        if request.method != "POST" or path != "/v3/list-calls":
            return _json(404, {"error_message": "Not found"})
        body = request.get_json(silent=True) or {}
        rows = sorted((self._retell_call(c, s) for c, s in calls), key=lambda c: c["start_timestamp"],
                      reverse=body.get("sort_order", "descending") == "descending")
        bound = ((body.get("filter_criteria") or {}).get("start_timestamp") or {})
        if bound:
            ops = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b,
                   "lte": lambda a, b: a <= b, "eq": lambda a, b: a == b}
            rows = [r for r in rows if ops[bound.get("op", "gte")](r["start_timestamp"], bound.get("value", 0))]
        start = 0
        if body.get("pagination_key"):
            ids = [r["call_id"] for r in rows]
            start = ids.index(body["pagination_key"]) + 1 if body["pagination_key"] in ids else len(rows)
        limit = int(body.get("limit", 50))
        page = rows[start:start + limit]
        for r in page:  # the v3 list omits transcripts (read each call for them)
            for k in ("transcript", "transcript_object", "transcript_with_tool_calls", "recording_url"):
                r.pop(k, None)
        more = start + limit < len(rows)
        return _json(200, {"items": page, "has_more": more, "pagination_key": page[-1]["call_id"] if more else None})

    @staticmethod
    def _retell_call(call: PlatformCall, status: str) -> dict:
        body = json.loads(render(call, "ended" if status == "ended" else "live")[0])["call"]
        body["call_status"] = status
        if status == "ongoing":
            body.pop("call_analysis", None)
        return body

    # ElevenLabs: GET /v1/convai/conversations[/{id}] (elevenlabs.io/docs/api-reference/conversations)
    def _elevenlabs(self, request: Request, path: str, calls) -> Response:
        if request.method != "GET":
            return _json(405, {"detail": "Method Not Allowed"})
        details = {c.call_id: dict(json.loads(render(c)[0])["data"], status=s) for c, s in calls}
        if path.startswith("/v1/convai/conversations/"):
            found = details.get(path.rsplit("/", 1)[1])
            return _json(200, found) if found else _json(404, {"detail": {"status": "conversation_not_found"}})
        if path != "/v1/convai/conversations":
            return _json(404, {"detail": "Not Found"})
        args = request.args
        rows = sorted(details.values(), key=lambda d: d["metadata"]["start_time_unix_secs"], reverse=True)
        if "call_start_after_unix" in args:
            rows = [d for d in rows if d["metadata"]["start_time_unix_secs"] > int(args["call_start_after_unix"])]
        if args.get("agent_id"):
            rows = [d for d in rows if d["agent_id"] == args["agent_id"]]
        start = int(args["cursor"]) if args.get("cursor", "").isdigit() else 0
        size = min(100, int(args.get("page_size", 30)))
        page = rows[start:start + size]
        more = start + size < len(rows)
        return _json(200, {"conversations": [
            {"agent_id": d["agent_id"], "agent_name": "Front desk", "conversation_id": d["conversation_id"],
             "start_time_unix_secs": d["metadata"]["start_time_unix_secs"],
             "call_duration_secs": d["metadata"]["call_duration_secs"], "message_count": len(d["transcript"]),
             "status": d["status"], "call_successful": d["analysis"]["call_successful"]} for d in page],
            "has_more": more, "next_cursor": str(start + size) if more else None})

    # Synthflow: GET /v2/calls/{call_id} (docs.synthflow.ai/api-reference/platform-api/calls/get-phone-call)
    def _synthflow(self, request: Request, path: str, calls) -> Response:
        by_id = {c.call_id: c for c, _ in calls}
        if request.method == "GET" and path.startswith("/v2/calls/"):
            found = by_id.get(path.rsplit("/", 1)[1])
            records = [synthflow_record(found)] if found else []
            if not records:
                return _json(404, {"status": "error", "response": {"message": "call not found"}})
            return _json(200, {"status": "ok", "response": {
                "pagination": {"total_records": len(records), "limit": 20, "offset": 0}, "calls": records}})
        return _json(404, {"status": "error"})


__all__ = ["PLATFORMS", "PlatformCall", "VoicePlatformsSandbox", "caller_id", "render", "sign",
           "synthflow_record", "synthflow_webhook"]
