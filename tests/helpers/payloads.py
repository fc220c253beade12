"""Builders of booking payloads for tests."""

from __future__ import annotations

import json
import time
import uuid

from receptionist.ingest.signing import signed_headers


def payload(**overrides) -> dict:
    body = {
        "schema_version": "1",
        "call_id": f"call-{uuid.uuid4().hex[:12]}",
        "platform": "generic",
        "timestamp": "2026-11-23T14:55:00Z",
        "caller": {"name": "Maria Lopez", "callback_number": "(312) 555-0142", "account_id": "ACC-10442"},
        "reason_codes": ["new_booking"],
        "service": "Teeth cleaning",
        "requested_start": "2026-11-24T10:30:00",
        "duration_minutes": 45,
        "message": "Prefers mornings.",
        "summary": "Maria Lopez wants a cleaning Tuesday 10:30 AM.",
        "transcript": [{"speaker": "agent", "text": "Thanks for calling!"},
                       {"speaker": "caller", "text": "I'd like a cleaning on Tuesday at 10:30."}],
        "agent_id": "frontdesk-agent-1",
        "custom_fields": {"insurance": "Delta Dental", "new_patient": False},
    }
    for key, value in overrides.items():
        if value is ...:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def signed(body: dict | bytes, secret: str, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, signed_headers(secret, int(time.time()) if timestamp is None else timestamp, raw)
