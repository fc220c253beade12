"""What every adapter promises at the door: authentic and fresh or refused with a reason; stable dedupe keys."""

from __future__ import annotations

from datetime import timedelta

import pytest

from receptionist.ingest.platforms import ADAPTERS, DeliveryRefused, PlatformAdapter
from tests.ingest.platforms.signing import FIXTURES, RECEIVED, SECRET, SIGNERS, delivery, fixture

CASES = [(p.parent.name, p.name) for p in sorted(FIXTURES.glob("*/*")) if p.suffix in (".json", ".txt")
         and p.name not in ("docs-example.txt", "api-call.json")]  # not deliveries: a signature vector, a read-back
WINDOWS = {"vapi": 300, "retell": 300, "elevenlabs": 1800, "generic": 300}  # platforms whose signature has a time


def refused(adapter, d, secret=SECRET, now=RECEIVED) -> DeliveryRefused:
    with pytest.raises(DeliveryRefused) as caught:
        adapter.authenticate(d, secret, now)
    return caught.value


def test_every_platform_has_an_adapter():
    assert set(ADAPTERS) == {"generic", "vapi", "retell", "elevenlabs", "twilio", "bland", "synthflow"}
    for name, adapter in ADAPTERS.items():
        assert isinstance(adapter, PlatformAdapter) and adapter.platform == name and "." in adapter.secret_key


@pytest.mark.parametrize("platform, name", CASES)
def test_a_signed_fixture_is_authentic(platform, name):
    adapter = ADAPTERS[platform]
    adapter.authenticate(delivery(platform, fixture(platform, name)), SECRET, RECEIVED)


@pytest.mark.parametrize("platform, name", CASES)
def test_the_wrong_secret_is_refused(platform, name):
    reason = refused(ADAPTERS[platform], delivery(platform, fixture(platform, name), secret="not-the-secret"))
    assert reason.status == 401 and ("match" in reason.reason)


@pytest.mark.parametrize("platform, name", CASES)
def test_a_missing_signature_header_is_refused(platform, name):
    reason = refused(ADAPTERS[platform], delivery(platform, fixture(platform, name), headers={}))
    assert reason.status == 401 and "missing" in reason.reason


@pytest.mark.parametrize("platform, name", CASES)
def test_no_configured_secret_is_a_503_so_the_platform_retries(platform, name):
    reason = refused(ADAPTERS[platform], delivery(platform, fixture(platform, name)), secret=None)
    assert reason.status == 503 and ADAPTERS[platform].secret_key in reason.reason


@pytest.mark.parametrize("platform, name", CASES)
def test_a_tampered_body_is_refused(platform, name):
    body = fixture(platform, name)
    headers = SIGNERS[platform](body, SECRET)
    tampered = body.replace(b"5", b"6", 1) if platform == "twilio" else body.replace(b"{", b'{"x": 1, ', 1)
    d = delivery(platform, tampered, headers)
    if platform == "synthflow":
        # Synthflow signs only the call id: a changed body still passes, which is why its calls are read back.
        ADAPTERS[platform].authenticate(d, SECRET, RECEIVED)
        assert ADAPTERS[platform].needs_confirmation is True
        return
    assert refused(ADAPTERS[platform], d).status == 401


@pytest.mark.parametrize("platform, name", [c for c in CASES if c[0] in WINDOWS])
def test_stale_and_future_signatures_are_outside_the_replay_window(platform, name):
    body = fixture(platform, name)
    window = WINDOWS[platform]
    for skew in (window + 5, -(window + 5)):
        signed_at = RECEIVED - timedelta(seconds=skew)
        reason = refused(ADAPTERS[platform], delivery(platform, body, SIGNERS[platform](body, SECRET, signed_at)))
        assert reason.status == 401 and "replay window" in reason.reason
    inside = RECEIVED - timedelta(seconds=window - 5)  # a retry a little later is still fresh
    ADAPTERS[platform].authenticate(delivery(platform, body, SIGNERS[platform](body, SECRET, inside)), SECRET,
                                    RECEIVED)


def test_twilio_timestamp_parameter_gives_its_replay_window():
    body = fixture("twilio", "status-completed.txt")
    late = RECEIVED + timedelta(hours=1)
    reason = refused(ADAPTERS["twilio"], delivery("twilio", body), now=late)
    assert "replay window" in reason.reason


@pytest.mark.parametrize("platform, name", CASES)
def test_dedupe_keys_are_stable_across_retries_and_name_the_platform(platform, name):
    adapter = ADAPTERS[platform]
    body = fixture(platform, name)
    first = adapter.dedupe_key(delivery(platform, body))
    retry = adapter.dedupe_key(delivery(platform, body, SIGNERS[platform](body, SECRET, RECEIVED + timedelta(
        seconds=30)), received_at=RECEIVED + timedelta(seconds=30)))
    assert first == retry and first.startswith(f"{platform}:") and len(first) <= 300


def test_dedupe_keys_tell_events_of_one_call_apart():
    keys = {ADAPTERS["retell"].dedupe_key(delivery("retell", fixture("retell", n)))
            for n in ("call_started.json", "call_ended.json", "call_analyzed.json", "function-call.json")}
    assert len(keys) == 4
    assert all(k.startswith("retell:Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6:") for k in keys)
    twilio = {ADAPTERS["twilio"].dedupe_key(delivery("twilio", fixture("twilio", n)))
              for n in ("status-ringing.txt", "status-completed.txt")}
    assert len(twilio) == 2


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b'{"a": 1}', b"\xff\xfe"])
@pytest.mark.parametrize("platform", sorted(set(ADAPTERS) - {"twilio"}))
def test_unreadable_bodies_have_no_dedupe_key(platform, body):
    with pytest.raises(DeliveryRefused) as caught:
        ADAPTERS[platform].dedupe_key(delivery(platform, body, headers={}))
    assert caught.value.status == 400 and caught.value.reason


@pytest.mark.parametrize("platform, name", CASES)
def test_answers_are_what_the_platform_expects(platform, name):
    status, body, content_type = ADAPTERS[platform].answer(delivery(platform, fixture(platform, name)))
    assert 200 <= status < 300 and isinstance(body, bytes) and content_type


def test_a_desk_can_widen_one_platforms_replay_window():
    from receptionist.config import Profile
    from receptionist.ingest.platforms import platform_adapters

    body = fixture("retell", "call_analyzed.json")
    signed_at = RECEIVED - timedelta(minutes=10)
    d = delivery("retell", body, SIGNERS["retell"](body, SECRET, signed_at))
    refused(ADAPTERS["retell"], d)
    wider = platform_adapters(Profile.from_dict({"retell": {"replay_window_seconds": 900}}))
    wider["retell"].authenticate(d, SECRET, RECEIVED)
    refused(wider["vapi"], delivery("vapi", fixture("vapi", "status-update.json"),
                                    SIGNERS["vapi"](fixture("vapi", "status-update.json"), SECRET, signed_at)))
