"""The generic v1 payload through the adapter contract."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist.domain.payload import CallCapture, LocationRules
from receptionist.ingest.platforms import ADAPTERS, Delivery, DeliveryRefused, MappingError
from tests.helpers.payloads import payload, signed

SECRET = "generic-test-secret"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
RULES = LocationRules(zone=ZoneInfo("America/Chicago"))


def delivery(body: bytes, headers: dict[str, str]) -> Delivery:
    return Delivery("generic", body, {k.lower(): v for k, v in headers.items()},
                    "https://desk.example/webhooks/v1/calls", NOW)


def test_a_signed_payload_becomes_a_capture():
    adapter = ADAPTERS["generic"]
    body, headers = signed(payload(call_id="call-1"), SECRET, int(NOW.timestamp()))
    d = delivery(body, headers)
    adapter.authenticate(d, SECRET, NOW)
    assert adapter.dedupe_key(d) == "generic:generic:call-1"
    capture = adapter.interpret(d, RULES)
    assert isinstance(capture, CallCapture)
    assert capture.callback_number == "+13125550142"
    assert capture.requested_start == datetime(2026, 11, 24, 16, 30, tzinfo=timezone.utc)
    status, answer, ctype = adapter.answer(d)
    assert status == 202 and json.loads(answer)["call_id"] == "call-1" and ctype == "application/json"


def test_wrong_secret_stale_and_unconfigured_are_refused():
    adapter = ADAPTERS["generic"]
    body, headers = signed(payload(), SECRET, int(NOW.timestamp()))
    with pytest.raises(DeliveryRefused) as refused:
        adapter.authenticate(delivery(body, headers), "another", NOW)
    assert refused.value.status == 401 and "does not match" in refused.value.reason
    body, headers = signed(payload(), SECRET, int(NOW.timestamp()) - 3600)
    with pytest.raises(DeliveryRefused, match="replay window"):
        adapter.authenticate(delivery(body, headers), SECRET, NOW)
    with pytest.raises(DeliveryRefused) as refused:
        adapter.authenticate(delivery(body, headers), None, NOW)
    assert refused.value.status == 503


def test_a_wrong_structure_is_refused_at_the_door_with_fields():
    adapter = ADAPTERS["generic"]
    body, headers = signed(payload(call_id=...), SECRET, int(NOW.timestamp()))
    with pytest.raises(DeliveryRefused) as refused:
        adapter.dedupe_key(delivery(body, headers))
    assert refused.value.status == 400 and "call_id" in refused.value.fields
    with pytest.raises(MappingError):
        adapter.interpret(delivery(body, headers), RULES)
