"""A hand-written platform adapter for intake tests (the real ones live in receptionist/ingest/platforms), and
helpers to run deliveries through the real door.

``ScriptedAdapter`` reads a tiny JSON body: ``{"id": ..., "kind": "call" | "live" | "ignore" | "bad" | "boom",
...}``; it authenticates with a shared-secret header, and ``broken`` ids raise ``MappingError`` until fixed (for
Replay).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from receptionist.domain.models import Intent
from receptionist.domain.payload import CallCapture, normalise, parse_payload
from receptionist.ingest.platforms import Delivery, DeliveryRefused, Ignored, LiveUpdate, MappingError
from receptionist.ingest.platforms.base import json_answer
from tests.helpers.payloads import payload


@dataclass
class ScriptedAdapter:
    platform: str = "scripted"
    secret_key: str = "scripted.secret"
    broken: set[str] = field(default_factory=set)

    def authenticate(self, delivery: Delivery, secret, now) -> None:
        if not secret:
            raise DeliveryRefused(503, "no secret configured")
        if delivery.header("x-scripted-secret") != secret:
            raise DeliveryRefused(401, "wrong secret")

    def _data(self, delivery: Delivery) -> dict:
        try:
            return json.loads(delivery.body)
        except ValueError:
            raise DeliveryRefused(400, "not JSON") from None

    def dedupe_key(self, delivery: Delivery) -> str:
        data = self._data(delivery)
        return f"{data['id']}:{data.get('kind')}:{data.get('status', '')}:{len(data.get('transcript', []))}"

    def interpret(self, delivery: Delivery, rules):
        data = json.loads(delivery.body)
        call_id, kind = data["id"], data.get("kind")
        if call_id in self.broken:
            raise MappingError(f"cannot map {call_id} yet")
        if kind == "ignore":
            return Ignored("nothing to do")
        if kind == "boom":
            raise RuntimeError("adapter bug")
        if kind == "live":
            return LiveUpdate(self.platform, call_id, data.get("from"), data.get("status", "in-progress"),
                              datetime(2026, 11, 23, 14, 58, tzinfo=timezone.utc),
                              tuple(tuple(t) for t in data.get("transcript", [])))
        body = payload(call_id=call_id, platform=self.platform, **data.get("overrides", {}))
        capture = normalise(parse_payload(body), rules, delivery.received_at)
        capture = replace(capture, intent=Intent(data.get("intent", "book")), caller_id_number=data.get("from"),
                          raw_fields={"requested_start": body["requested_start"]})
        if kind == "nul":  # PostgreSQL refuses NUL in text (the real adapters strip it; this one does not)
            capture = replace(capture, caller_name="Nul\x00Byte")
        if kind == "naive":  # a value the database refuses (a naive instant)
            capture = replace(capture, occurred_at=capture.occurred_at.replace(tzinfo=None))
        return capture

    def answer(self, delivery: Delivery):
        return json_answer(200, {"ok": True})


def scripted_delivery(call_id: str, kind: str = "call", secret: str = "s3cret", received_at=None, **extra) -> Delivery:
    body = json.dumps({"id": call_id, "kind": kind, **extra}).encode()
    return Delivery("scripted", body, {"x-scripted-secret": secret, "content-type": "application/json"},
                    "http://test/webhooks/scripted", received_at or datetime.now(timezone.utc))


def capture_count(store) -> tuple[int, int]:
    """(calls, proposals): equal unless something was half-written."""
    from sqlalchemy import func, select

    from receptionist.store import tables as t

    with store.session() as s:
        return (s.scalar(select(func.count()).select_from(t.Call)),
                s.scalar(select(func.count()).select_from(t.BookingProposal)))


__all__ = ["CallCapture", "ScriptedAdapter", "capture_count", "scripted_delivery"]
