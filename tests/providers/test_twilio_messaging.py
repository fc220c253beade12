"""TwilioMessenger through the real ``twilio`` library against the loopback sandbox."""

from __future__ import annotations

import socket
from datetime import datetime, timezone

import pytest

from receptionist.config import TwilioSettings
from receptionist.domain.ports import SentMessage
from receptionist.errors import AuthError, ProviderError, RateLimited, TransientError, UserError
from receptionist.providers.secrets import memory_secret_store
from receptionist.providers.twilio_messaging import SECRET_KEY, TwilioMessenger, twilio_messenger
from receptionist_sandbox.faults import Fault
from receptionist_sandbox.twilio import TwilioSandbox

FROM = "+13125550100"
TO = "+13125550142"


@pytest.fixture
def sandbox():
    box = TwilioSandbox(delivery_delay=None).start()
    yield box
    box.stop()


def settings_for(box: TwilioSandbox, **overrides) -> TwilioSettings:
    values = {"enabled": True, "api_base": box.url, "account_sid": box.account_sid, "from_number": FROM}
    values.update(overrides)
    return TwilioSettings(**values)


def test_send_sms_reaches_the_sandbox(sandbox):
    messenger = TwilioMessenger(settings_for(sandbox), sandbox.auth_token)
    sent = messenger.send_sms(TO, "Hi Maria, your cleaning is confirmed for Tue Nov 24 at 10:30 AM.")

    assert isinstance(sent, SentMessage)
    assert sent.status == "queued"
    assert sent.to == TO
    [stored] = sandbox.messages
    assert stored["sid"] == sent.sid
    assert (stored["to"], stored["from"], stored["body"]) == (TO, FROM, sent.body)


def test_messaging_service_sid_as_sender(sandbox):
    service = "MG" + "1" * 32
    TwilioMessenger(settings_for(sandbox, from_number=service), sandbox.auth_token).send_sms(TO, "hi")
    [stored] = sandbox.messages
    assert stored["messaging_service_sid"] == service and stored["from"] is None


def test_a_sent_message_is_found_again_with_its_status():
    """After a lost answer the outbox asks ``find_sent`` before sending again: the same message, as it is now."""
    with TwilioSandbox(delivery_delay=0.01) as box:
        messenger = TwilioMessenger(settings_for(box), box.auth_token)
        since = datetime.now(timezone.utc)
        sid = messenger.send_sms(TO, "hi").sid
        box.wait_for_status(sid, "delivered")
        found = messenger.find_sent(TO, "hi", since)
        assert (found.sid, found.status, found.body) == (sid, "delivered", "hi")
        assert messenger.find_sent(TO, "something else", since) is None


def test_wrong_token_is_auth_error(sandbox):
    with pytest.raises(AuthError) as info:
        TwilioMessenger(settings_for(sandbox), "wrong-token").send_sms(TO, "hi")
    assert info.value.status == 401
    assert info.value.code == 20003
    assert sandbox.messages == []


def test_invalid_to_is_provider_error_with_twilios_code(sandbox):
    with pytest.raises(ProviderError) as info:
        TwilioMessenger(settings_for(sandbox), sandbox.auth_token).send_sms("312555014", "hi")
    err = info.value
    assert not isinstance(err, (TransientError, AuthError))
    assert not err.retryable
    assert err.status == 400
    assert err.code == 21211
    assert "The 'To' number 312555014 is not a valid phone number" in str(err)
    assert err.more_info == "https://www.twilio.com/docs/errors/21211"


def test_429_is_rate_limited_with_retry_after(sandbox):
    sandbox.faults.add(Fault(status=429, retry_after=7), method="POST", path=r"/Messages\.json$")
    messenger = TwilioMessenger(settings_for(sandbox), sandbox.auth_token)
    with pytest.raises(RateLimited) as info:
        messenger.send_sms(TO, "hi")
    assert info.value.retry_after == 7.0
    assert info.value.retryable
    assert sandbox.messages == []
    messenger.send_sms(TO, "hi")  # the fault was used up: the retry goes through
    assert len(sandbox.messages) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_transient(sandbox, status):
    sandbox.faults.add(Fault(status=status))
    with pytest.raises(TransientError) as info:
        TwilioMessenger(settings_for(sandbox), sandbox.auth_token).send_sms(TO, "hi")
    assert info.value.status == status
    assert not isinstance(info.value, RateLimited)


def test_timeout_is_transient(sandbox):
    sandbox.faults.add(Fault(delay=0.6))
    messenger = TwilioMessenger(settings_for(sandbox), sandbox.auth_token, timeout=0.15)
    with pytest.raises(TransientError, match="in time"):
        messenger.send_sms(TO, "hi")


def test_connection_refused_is_transient():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = TwilioSettings(api_base=f"http://127.0.0.1:{port}", account_sid="AC" + "0" * 32, from_number=FROM)
    with pytest.raises(TransientError):
        TwilioMessenger(settings, "token", timeout=2).send_sms(TO, "hi")


def test_region_environment_does_not_redirect_the_sandbox(sandbox, monkeypatch):
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    TwilioMessenger(settings_for(sandbox), sandbox.auth_token).send_sms(TO, "hi")
    assert len(sandbox.messages) == 1


def test_default_api_base_is_twilio():
    settings = TwilioSettings(account_sid="AC" + "0" * 32, from_number=FROM)
    messenger = TwilioMessenger(settings, "token")
    assert messenger._client.api.base_url == "https://api.twilio.com"


def test_factory_reads_the_token_from_the_secret_store(sandbox):
    secrets = memory_secret_store()
    with pytest.raises(UserError, match="auth token"):
        twilio_messenger(settings_for(sandbox), secrets)
    secrets.set(SECRET_KEY, sandbox.auth_token)
    twilio_messenger(settings_for(sandbox), secrets).send_sms(TO, "hi")
    assert len(sandbox.messages) == 1


@pytest.mark.parametrize("field", ["account_sid", "from_number"])
def test_incomplete_settings_are_user_errors(sandbox, field):
    with pytest.raises(UserError, match=field):
        TwilioMessenger(settings_for(sandbox, **{field: ""}), sandbox.auth_token)


def test_an_sms_writes_no_info_lines_from_the_twilio_client(sandbox, caplog):
    caplog.set_level("INFO")
    TwilioMessenger(settings_for(sandbox), sandbox.auth_token).send_sms(TO, "Hi Maria, see you Tuesday.")
    assert [r for r in caplog.records if r.name.startswith("twilio")] == []
