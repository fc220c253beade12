"""A test call for each AI platform: the delivery the platform itself would send at the end of a call, signed the way
that platform signs it, so setup can prove the path (address, secret, adapter, inbox, mapping) before a real call.

Each body has the shape of the platform's end-of-call report (the same shapes the adapters in ``platforms/`` read,
from the vendors' docs), and each signature is the platform's own:

* Vapi (HMAC credential): ``x-signature`` = hex HMAC-SHA256 of ``"{x-timestamp}.{body}"``, timestamp in ms;
* Retell: ``x-retell-signature: v=<ms>,d=<hex HMAC-SHA256(api key, body + ms)>``;
* ElevenLabs: ``ElevenLabs-Signature: t=<s>,v0=<hex HMAC-SHA256(secret, "t.body")>``;
* Twilio: ``X-Twilio-Signature`` from ``twilio.request_validator.RequestValidator`` over the URL and the form;
* Bland: ``X-Webhook-Signature`` = hex HMAC-SHA256 of the body;
* Synthflow: ``Synthflow-Signature`` = hex HMAC-SHA256 of the call id only;
* generic: ours (``ingest.signing``).

Every test call's id starts with ``TEST_CALL_PREFIX``, so it can be told apart from a real call.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from urllib.parse import urlencode

from receptionist.domain.intake import TEST_CALL_PREFIX
from receptionist.ingest.signing import signed_headers

TEST_CALLER = "Test Caller"
TEST_NUMBER = "+13125550199"  # 555-01xx: a number reserved for fiction, never a real caller
AGENT_NUMBER = "+13125550100"
SUMMARY = "Test call sent by Receptionist Console setup to check the connection. Nobody called."


@dataclass(frozen=True)
class TrialCall:
    """One signed test delivery: POST ``body`` with ``headers`` to the platform's address."""

    platform: str
    call_id: str
    body: bytes
    headers: dict[str, str]


def _hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _extracted() -> dict:
    return {"caller_name": TEST_CALLER, "callback_number": TEST_NUMBER, "intent": "question",
            "message": "This is a test call; nothing needs doing."}


def _transcript() -> list[tuple[str, str]]:
    return [("agent", "Thanks for calling, how can I help?"), ("caller", "This is only a test of the connection.")]


def synthflow_record(call_id: str, started: datetime) -> dict:
    """The test call as Synthflow's ``GET /v2/calls/{call_id}`` would answer it (the intake reads a Synthflow call
    back before trusting it; a test call exists only on this desk, so its read-back is this record)."""
    return {"call_id": call_id, "model_id": "setup-test", "status": "completed", "end_call_reason": "completed",
            "duration": 30, "start_time": _iso(started), "lead_name": TEST_CALLER, "lead_phone_number": TEST_NUMBER,
            "transcript": "\n".join(f"{'bot' if s == 'agent' else 'human'}: {x}" for s, x in _transcript()),
            "summary": SUMMARY, "executed_actions": {"extract_info": {"return_value": _extracted()}}}


def _body(platform: str, call_id: str, started: datetime, ended: datetime) -> dict:
    turns = _transcript()
    if platform == "vapi":
        call = {"id": call_id, "type": "inboundPhoneCall", "status": "ended", "startedAt": _iso(started),
                "endedAt": _iso(ended), "customer": {"number": TEST_NUMBER}}
        return {"message": {"type": "end-of-call-report", "timestamp": int(ended.timestamp() * 1000),
                            "endedReason": "customer-ended-call", "call": call, "customer": {"number": TEST_NUMBER},
                            "startedAt": _iso(started), "endedAt": _iso(ended),
                            "analysis": {"summary": SUMMARY, "structuredData": _extracted()},
                            "artifact": {"messages": [{"role": "bot" if s == "agent" else "user", "message": x}
                                                      for s, x in turns]}}}
    if platform == "retell":
        return {"event": "call_analyzed", "call": {
            "call_type": "phone_call", "from_number": TEST_NUMBER, "to_number": AGENT_NUMBER, "direction": "inbound",
            "call_id": call_id, "call_status": "ended", "start_timestamp": int(started.timestamp() * 1000),
            "end_timestamp": int(ended.timestamp() * 1000),
            "transcript": "\n".join(f"{'Agent' if s == 'agent' else 'User'}: {x}" for s, x in turns),
            "call_analysis": {"call_summary": SUMMARY, "custom_analysis_data": _extracted()}}}
    if platform == "elevenlabs":
        return {"type": "post_call_transcription", "event_timestamp": int(ended.timestamp()), "data": {
            "agent_id": "setup-test", "conversation_id": call_id, "status": "done",
            "transcript": [{"role": "agent" if s == "agent" else "user", "message": x} for s, x in turns],
            "metadata": {"start_time_unix_secs": int(started.timestamp()), "call_duration_secs": 30,
                         "phone_call": {"direction": "inbound", "agent_number": AGENT_NUMBER,
                                        "external_number": TEST_NUMBER}},
            "analysis": {"transcript_summary": SUMMARY, "data_collection_results": {
                k: {"data_collection_id": k, "value": v} for k, v in _extracted().items()}}}}
    if platform == "bland":
        return {"call_id": call_id, "to": AGENT_NUMBER, "from": TEST_NUMBER, "inbound": True,
                "started_at": _iso(started), "end_at": _iso(ended), "completed": True, "status": "completed",
                "summary": SUMMARY, "concatenated_transcript": "\n".join(
                    f"{'assistant' if s == 'agent' else 'user'}: {x}" for s, x in turns),
                "variables": {"from": TEST_NUMBER, "to": AGENT_NUMBER, "call_id": call_id},
                "analysis": _extracted()}
    if platform == "synthflow":
        return {"status": "completed", "lead": {"name": TEST_CALLER, "phone_number": TEST_NUMBER},
                "call": {"status": "completed", "call_id": call_id, "duration": 30, "start_time": _iso(started),
                         "summary": SUMMARY},
                "executed_actions": {"extract_info": {"return_value": _extracted()}}}
    if platform == "generic":
        return {"schema_version": "2", "call_id": call_id, "platform": "generic", "timestamp": _iso(ended),
                "intent": "question", "caller_id_number": TEST_NUMBER,
                "caller": {"name": TEST_CALLER, "callback_number": TEST_NUMBER}, "reason_codes": ["question"],
                "summary": SUMMARY, "message": "This is a test call; nothing needs doing.",
                "transcript": [{"speaker": s, "text": x} for s, x in turns]}
    raise ValueError(f"unknown platform {platform!r}")


def signed_trial_call(platform: str, secret: str, url: str, now: datetime | None = None) -> TrialCall:
    """The signed end-of-call delivery ``platform`` would POST to ``url`` (Twilio signs the URL itself)."""
    now = now or datetime.now(timezone.utc)
    started, ended = now - timedelta(seconds=30), now
    call_id = TEST_CALL_PREFIX + secrets.token_hex(6)
    if platform == "twilio":
        call_id = "CA" + call_id
        form = {"AccountSid": "AC" + "0" * 32, "CallSid": call_id, "CallStatus": "completed", "Direction": "inbound",
                "From": TEST_NUMBER, "To": AGENT_NUMBER, "CallerName": TEST_CALLER.upper(),
                "Timestamp": format_datetime(ended, usegmt=True), "CallDuration": "30", "SequenceNumber": "2"}
        from twilio.request_validator import RequestValidator

        signature = RequestValidator(secret).compute_signature(url, form)
        return TrialCall(platform, call_id, urlencode(form).encode(),
                            {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
    body = json.dumps(_body(platform, call_id, started, ended)).encode()
    json_type = {"Content-Type": "application/json"}
    if platform == "vapi":
        ms = str(int(now.timestamp() * 1000))
        headers = {"x-timestamp": ms, "x-signature": _hex(secret, f"{ms}.".encode() + body), **json_type}
    elif platform == "retell":
        ms = str(int(now.timestamp() * 1000))
        headers = {"x-retell-signature": f"v={ms},d={_hex(secret, body + ms.encode())}", **json_type}
    elif platform == "elevenlabs":
        t = str(int(now.timestamp()))
        headers = {"ElevenLabs-Signature": f"t={t},v0={_hex(secret, f'{t}.'.encode() + body)}", **json_type}
    elif platform == "bland":
        headers = {"X-Webhook-Signature": _hex(secret, body), **json_type}
    elif platform == "synthflow":
        headers = {"Synthflow-Signature": _hex(secret, call_id.encode()), **json_type}
    else:
        headers = signed_headers(secret, int(now.timestamp()), body)
    return TrialCall(platform, call_id, body, headers)


def deliver(url: str, trial: TrialCall, timeout: float) -> tuple[int, str]:
    """POST the test call to a receiver of ours (loopback); the HTTP status and what it answered (its error's
    sentence when it refused; 599 when nothing answered)."""
    request = urllib.request.Request(url, data=trial.body, headers=trial.headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - our own receiver
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace")
        try:
            text = json.loads(text).get("error", text)
        except (ValueError, AttributeError):
            pass
        return exc.code, text
    except OSError as exc:
        return 599, f"the receiver did not answer ({exc})"


__all__ = ["TEST_CALL_PREFIX", "TrialCall", "deliver", "signed_trial_call", "synthflow_record"]
