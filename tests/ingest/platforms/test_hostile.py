"""Authentic but hostile bodies: whatever JSON (or form) a platform's key signs, an adapter answers with
``DeliveryRefused`` or ``MappingError`` or a clean interpretation — never another exception, never a NUL, a lone
surrogate or an unbounded string in what the store is handed."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import timezone
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from receptionist.domain.payload import CallCapture, LocationRules
from receptionist.ingest.platforms import ADAPTERS, DeliveryRefused, Ignored, LiveUpdate, MappingError
from receptionist.ingest.platforms.base import INTERNAL
from tests.ingest.platforms.signing import FIXTURES, RECEIVED, SECRET, _hex, delivery, SIGNERS

RULES = LocationRules(zone=ZoneInfo("America/Chicago"))
JSON_PLATFORMS = sorted(set(ADAPTERS) - {"twilio"})
BAD = re.compile(r"[\x00\ud800-\udfff]")

scalars = (st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
           | st.sampled_from(["", "\u0000", "next Thursday at 3", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00",
                              "five five five", "+13125550142", "2026-03-08T02:30:00", "cancel", "end-of-call-report",
                              "call_analyzed", "post_call_transcription", "tool-calls", "status-update",
                              "book_appointment", "ended", "\ud800"]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12) | st.sampled_from(
                               ["message", "type", "call", "id", "call_id", "event", "data", "conversation_id",
                                "analysis", "structuredData", "custom_analysis_data", "call_analysis", "artifact",
                                "messages", "transcript", "toolCallList", "function", "arguments", "name", "args",
                                "metadata", "phone_call", "start_timestamp", "startedAt", "customer", "number",
                                "data_collection_results", "value", "variables", "started_at", "lead",
                                "executed_actions", "return_value", "collected_variables"]), inner, max_size=5),
                           max_leaves=25)


def sign(platform: str, body: bytes) -> dict[str, str]:
    if platform == "synthflow":  # signs only the call id, wherever it is
        try:
            call_id = json.loads(body)["call"]["call_id"]
        except Exception:
            call_id = ""
        return {"synthflow-signature": _hex(SECRET, str(call_id).encode("utf-8", "surrogatepass"))}
    return SIGNERS[platform](body, SECRET)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))


def exercise(platform: str, body: bytes, headers: dict[str, str] | None = None) -> None:
    adapter = ADAPTERS[platform]
    d = delivery(platform, body, headers if headers is not None else sign(platform, body))
    try:
        adapter.authenticate(d, SECRET, RECEIVED)
        key = adapter.dedupe_key(d)
    except DeliveryRefused as refused:
        assert refused.status in (400, 401, 413, 422, 503) and refused.reason
        return
    assert isinstance(key, str) and not BAD.search(key) and len(key) <= 300
    key.encode("utf-8")
    status, answer, content_type = adapter.answer(d)
    assert 200 <= status < 300 and isinstance(answer, bytes)
    try:
        result = adapter.interpret(d, RULES)
    except MappingError as failure:
        assert not failure.reason.startswith(INTERNAL), failure.reason
        return
    assert isinstance(result, (Ignored, LiveUpdate, CallCapture))
    for text in _strings(result):
        assert not BAD.search(text), repr(text)
        text.encode("utf-8")
    if isinstance(result, CallCapture):
        assert result.occurred_at.utcoffset() == timezone.utc.utcoffset(None)
        assert result.requested_start is None or result.requested_start.tzinfo is not None
        assert len(result.summary or "") <= 5000 and len(result.transcript) <= 2000
        json.dumps(result.custom_fields)  # scalars only: the store keeps them as JSON
        if result.requested_start is not None:
            result.requested_end  # noqa: B018 - must not overflow


@pytest.mark.parametrize("platform", JSON_PLATFORMS)
@settings(max_examples=40)
@given(value=json_values)
def test_arbitrary_signed_json(platform, value):
    exercise(platform, json.dumps(value).encode())


def _fixtures(platform):
    return [json.loads(p.read_bytes()) for p in sorted((FIXTURES / platform).glob("*.json"))]


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(value[head], rest, new)
    return copy


@st.composite
def mutated_fixtures(draw, platform):
    body = draw(st.sampled_from(_fixtures(platform)))
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(body))
        body = _replace(body, draw(st.sampled_from(paths)), draw(json_values))
    return body


@pytest.mark.parametrize("platform", JSON_PLATFORMS)
@settings(max_examples=50)
@given(data=st.data())
def test_real_payloads_with_hostile_values_in_real_places(platform, data):
    exercise(platform, json.dumps(data.draw(mutated_fixtures(platform))).encode())


form_values = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["completed", "ringing", "in-progress", "busy", "Tue, 01 Dec 2026 15:00:42 +0000", "Mon, 99 Foo 0 0:0:0",
     "+13125550142", "anonymous", "\x00", "99999999999999999999", "outbound-api"])


@settings(max_examples=120)
@given(form=st.dictionaries(st.sampled_from(["CallSid", "CallStatus", "From", "To", "Direction", "Timestamp",
                                             "CallDuration", "CallerName", "SequenceNumber"]) | st.text(max_size=8),
                            form_values, max_size=9))
def test_arbitrary_signed_twilio_forms(form):
    if "Timestamp" in form:
        form.pop("Timestamp")  # a signed Timestamp far from now is refused at the door; tested elsewhere
    exercise("twilio", urlencode(form).encode())


@pytest.mark.parametrize("platform", JSON_PLATFORMS)
@pytest.mark.parametrize("body", [
    b"[" * 5000 + b"]" * 5000,  # deep nesting
    b'{"a": ' * 200 + b"1" + b"}" * 200,
    b'{"call_id": 1' + b"0" * 5000 + b"}",  # an integer past Python's conversion limit
    b'{"message": {"type": "end-of-call-report", "call": {"id": "x"}, "timestamp": 1e400}}',
    b'{"x": NaN}',
    b'{"call": {"call_id": "\\ud800"}, "event": "call_analyzed", "message": {"type": "x", "call": {"id": "\\ud800"}}}',
    b'{"message": {"type": "end-of-call-report", "call": {"id": "\\u0000"}}}',
    b"\xef\xbb\xbf{}",  # a BOM
    b"\x00\x00",
])
def test_pathological_bodies(platform, body):
    exercise(platform, body)


@pytest.mark.parametrize("platform", JSON_PLATFORMS)
def test_dates_at_the_ends_of_time(platform):
    for stamp in ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"):
        for body in _fixtures(platform):
            text = json.dumps(body)
            text = re.sub(r'"20\d\d-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)?"', json.dumps(stamp), text)
            text = re.sub(r"\b1796137\d{3}(\d{3})?\b", "253402300799999", text)
            exercise(platform, text.encode())


@example(text="9999-12-31T23:00:00")
@given(text=st.text(max_size=60))
@settings(max_examples=150)
def test_any_requested_start_text_is_read_or_flagged(text):
    body = json.loads((FIXTURES / "retell" / "call_analyzed.json").read_bytes())
    body["call"]["call_analysis"]["custom_analysis_data"]["requested_time"] = text
    exercise("retell", json.dumps(body).encode())
