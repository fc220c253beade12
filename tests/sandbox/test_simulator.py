"""The AI call simulator: payload realism/consistency, signing, background posting."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.wrappers import Request, Response

from receptionist.ingest import signing
from receptionist.serving import ServedApp
from receptionist_sandbox.simulator import DEFECTS, SERVICES, CallSimulator, spoken_when

SECRET = "whsec-test-0123456789"
REASONS = {"new_booking", "reschedule", "cancel", "question", "urgent", "billing"}
SERVICE_NAMES = {name for name, _, _ in SERVICES}
ZONES = ["America/Chicago", "America/New_York", "America/Los_Angeles", "America/Phoenix"]
FIXED_NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)


def digits_of(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def local_start(payload: dict, zone: ZoneInfo) -> datetime:
    parsed = datetime.fromisoformat(payload["requested_start"])
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed.astimezone(zone)


def business_days_after(today: date, count: int) -> list[date]:
    days, d = [], today
    while len(days) < count:
        d += timedelta(days=1)
        if d.weekday() < 5:
            days.append(d)
    return days


nows = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda d: d.replace(tzinfo=timezone.utc)
)


@settings(max_examples=150, derandomize=True, database=None)
@given(seed=st.integers(0, 2**32), now=nows, zone_name=st.sampled_from(ZONES),
       hours=st.sampled_from([(8, 18), (7, 19), (9, 17), (10, 14)]))
def test_clean_payloads_are_consistent_and_within_constraints(seed, now, zone_name, hours):
    zone = ZoneInfo(zone_name)
    open_hour, close_hour = hours
    sim = CallSimulator("http://127.0.0.1:9/unused", SECRET, time_zone=zone_name, seed=seed, now=lambda: now,
                        open_hour=open_hour, close_hour=close_hour, defect_rate=0.0)
    payload = sim.make_payload()
    assert sim.last_defect is None
    json.dumps(payload)  # plain JSON types only

    assert payload["schema_version"] == "1"
    assert payload["platform"] == "simulator"
    assert payload["agent_id"] == "frontdesk-agent-1"
    assert re.fullmatch(r"sim-[0-9a-f]{32}", payload["call_id"])

    called = datetime.fromisoformat(payload["timestamp"])
    assert called.utcoffset() == timedelta(0)
    assert now - timedelta(minutes=5) <= called <= now

    caller = payload["caller"]
    first, last = caller["name"].split(" ", 1)
    assert caller["name"].lower() != "test user"
    number = digits_of(caller["callback_number"])
    assert len(number) == 10 and number[3:8] == "55501", caller["callback_number"]
    custom = payload["custom_fields"]
    assert custom["preferred_contact"] in {"sms", "call"}
    assert isinstance(custom["new_patient"], bool) and custom["insurance"]
    if custom["new_patient"]:
        assert caller["account_id"] is None
    if caller["account_id"] is not None:
        assert re.fullmatch(r"ACC-\d{5}", caller["account_id"])

    reasons = payload["reason_codes"]
    assert reasons and set(reasons) <= REASONS and len(set(reasons)) == len(reasons)
    assert {"new_booking", "reschedule", "cancel"} & set(reasons)

    assert payload["service"] in SERVICE_NAMES
    assert payload["duration_minutes"] in {30, 45, 60}
    start = local_start(payload, zone)
    today = now.astimezone(zone).date()
    assert start.date() in business_days_after(today, 10)
    assert start.minute % 15 == 0 and start.second == 0
    assert start.hour >= open_hour
    end = start + timedelta(minutes=payload["duration_minutes"])
    assert (end.hour, end.minute) <= (close_hour, 0) and end.date() == start.date()

    transcript = payload["transcript"]
    assert 4 <= len(transcript) <= 10
    assert all(turn["speaker"] in {"agent", "caller"} and turn["text"] for turn in transcript)
    assert transcript[0]["speaker"] == "agent"
    assert all(a["speaker"] != b["speaker"] for a, b in zip(transcript, transcript[1:]))
    said = " ".join(turn["text"] for turn in transcript)
    when = spoken_when(start)
    assert caller["name"] in said and when in said
    phrase = next(p for name, p, _ in SERVICES if name == payload["service"])
    assert phrase.split(" ", 1)[1] in said  # "a teeth cleaning" / "my teeth cleaning"
    if caller["callback_number"] in said:
        assert f"reach me at {caller['callback_number']}" in said

    summary = payload["summary"]
    assert caller["name"] in summary and when in summary and phrase.split(" ", 1)[1] in summary
    assert 1 <= len(re.findall(r"[.!?](?:\s|$)", summary)) <= 3
    assert ("cancel" in summary) == ("cancel" in reasons)
    assert payload["message"]


@settings(max_examples=60, derandomize=True, database=None)
@given(seed=st.integers(0, 2**32), now=nows, defect=st.sampled_from(DEFECTS))
def test_each_defect_is_what_the_front_desk_must_fix(seed, now, defect):
    zone = ZoneInfo("America/Chicago")
    sim = CallSimulator("http://127.0.0.1:9/unused", SECRET, seed=seed, now=lambda: now, defect_rate=1.0,
                        defects=[defect])
    payload = sim.make_payload()
    assert sim.last_defect == defect
    start = local_start(payload, zone)
    if defect == "short_number":
        assert len(digits_of(payload["caller"]["callback_number"])) < 10
    elif defect == "after_hours":
        end = start + timedelta(minutes=payload["duration_minutes"])
        assert start.hour < 8 or (end.hour, end.minute) > (18, 0)
        assert start.weekday() < 5
    elif defect == "sunday":
        assert start.weekday() == 6 and 8 <= start.hour < 18
        assert 0 < (start.date() - now.astimezone(zone).date()).days <= 14
    else:
        assert payload["service"] is None
        assert not any(name.lower() in payload["summary"].lower() for name in SERVICE_NAMES)
    if defect != "short_number":
        assert len(digits_of(payload["caller"]["callback_number"])) == 10
    if defect != "missing_service":
        assert payload["service"] in SERVICE_NAMES


def test_about_one_call_in_eight_has_a_defect_and_all_kinds_occur():
    sim = CallSimulator("http://127.0.0.1:9/unused", SECRET, seed=42, now=lambda: FIXED_NOW)
    kinds = []
    for _ in range(1000):
        sim.make_payload()
        kinds.append(sim.last_defect)
    defective = [k for k in kinds if k]
    assert 0.09 <= len(defective) / len(kinds) <= 0.16
    assert set(defective) == set(DEFECTS)


def test_variety_of_formats_names_and_services():
    sim = CallSimulator("http://127.0.0.1:9/unused", SECRET, seed=7, now=lambda: FIXED_NOW, defect_rate=0)
    payloads = [sim.make_payload() for _ in range(300)]
    numbers = [p["caller"]["callback_number"] for p in payloads]
    assert any(re.fullmatch(r"\(\d{3}\) 555-01\d\d", n) for n in numbers)
    assert any(re.fullmatch(r"\d{3}-555-01\d\d", n) for n in numbers)
    assert any(re.fullmatch(r"\+1 \d{3} 555 01\d\d", n) for n in numbers)
    assert any(re.fullmatch(r"\d{3}55501\d\d", n) for n in numbers)
    starts = [p["requested_start"] for p in payloads]
    naive = [s for s in starts if datetime.fromisoformat(s).tzinfo is None]
    assert 0.6 < len(naive) / len(starts) < 0.9  # mostly local without offset, sometimes with
    assert any(re.search(r"[+-]\d\d:\d\d$", s) for s in starts)
    assert len({p["caller"]["name"] for p in payloads}) > 150
    assert len({p["service"] for p in payloads}) >= 10
    assert len({p["call_id"] for p in payloads}) == 300
    assert {r for p in payloads for r in p["reason_codes"]} == REASONS


def test_same_seed_same_calls():
    make = lambda seed: CallSimulator("http://x/", SECRET, seed=seed, now=lambda: FIXED_NOW)  # noqa: E731
    a, b, c = make(1), make(1), make(2)
    first = [a.make_payload() for _ in range(20)]
    assert first == [b.make_payload() for _ in range(20)]
    assert first != [c.make_payload() for _ in range(20)]


class _Receiver:
    """A tiny webhook endpoint that checks the signature the way the console does."""

    def __init__(self, secret: str):
        self.secret = secret
        self.accepted: list[dict] = []
        self.refused: list[str] = []
        self.cond = threading.Condition()

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        try:
            signing.verify(self.secret, body, request.headers.get(signing.TIMESTAMP_HEADER),
                           request.headers.get(signing.SIGNATURE_HEADER), now=time.time(), window_seconds=300)
        except signing.SignatureError as exc:
            with self.cond:
                self.refused.append(str(exc))
            response = Response(json.dumps({"error": str(exc)}), status=401, content_type="application/json")
            return response(environ, start_response)
        payload = json.loads(body)
        with self.cond:
            self.accepted.append(payload)
            self.cond.notify_all()
        response = Response(json.dumps({"id": payload["call_id"], "status": "pending"}), status=201,
                            content_type="application/json")
        return response(environ, start_response)


@pytest.fixture
def receiver():
    app = _Receiver(SECRET)
    with ServedApp(app, name="ingest-stub") as served:
        app.url = f"{served.url}/webhooks/booking"
        yield app


def test_post_one_is_signed_and_accepted(receiver):
    sim = CallSimulator(receiver.url, SECRET, seed=3)
    status, answer = sim.post_one()
    assert status == 201
    [payload] = receiver.accepted
    assert answer == {"id": payload["call_id"], "status": "pending"}
    assert payload["schema_version"] == "1"
    assert sim.sent == 1 and sim.failed == 0


def test_post_one_with_the_wrong_secret_is_refused(receiver):
    sim = CallSimulator(receiver.url, "not-the-secret", seed=3)
    status, answer = sim.post_one()
    assert status == 401
    assert "signature does not match" in answer["error"]
    assert receiver.accepted == []
    assert sim.sent == 0 and sim.failed == 1


def test_background_posting_and_prompt_stop(receiver):
    sim = CallSimulator(receiver.url, SECRET, seed=5, interval=(0.01, 0.03))
    sim.start()
    with receiver.cond:
        assert receiver.cond.wait_for(lambda: len(receiver.accepted) >= 3, timeout=5)
    began = time.monotonic()
    sim.stop()
    assert time.monotonic() - began < 1.0
    assert not sim.running
    settled = len(receiver.accepted)
    time.sleep(0.1)
    assert len(receiver.accepted) == settled == sim.sent
    assert len({p["call_id"] for p in receiver.accepted}) == settled


def test_stop_during_a_long_wait_returns_at_once(receiver):
    sim = CallSimulator(receiver.url, SECRET, interval=(60.0, 60.0)).start()
    time.sleep(0.05)
    began = time.monotonic()
    sim.stop()
    assert time.monotonic() - began < 0.5
    assert sim.sent == 0 and receiver.accepted == []


def test_background_survives_an_unreachable_receiver():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sim = CallSimulator(f"http://127.0.0.1:{port}/webhooks/booking", SECRET, interval=(0.01, 0.01), timeout=0.5)
    sim.start()
    deadline = time.monotonic() + 5
    while sim.failed < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    sim.stop()
    assert sim.failed >= 2 and sim.sent == 0 and sim.last_error
