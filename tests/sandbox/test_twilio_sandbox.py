"""The Twilio Messages stand-in, driven through the real ``twilio`` client library."""

from __future__ import annotations

import json
import re
import threading
from email.utils import parsedate_to_datetime

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from werkzeug.wrappers import Request, Response

from receptionist_sandbox.faults import Fault
from receptionist.serving import ServedApp
from receptionist_sandbox.twilio import TwilioSandbox, num_segments, twilio_signature

FROM = "+13125550100"
TO = "+13125550142"


@pytest.fixture
def sandbox():
    box = TwilioSandbox(delivery_delay=None).start()
    yield box
    box.stop()


def client_for(box: TwilioSandbox, token: str | None = None) -> Client:
    client = Client(box.account_sid, token or box.auth_token)
    client.api.base_url = box.url
    return client


def test_create_returns_the_full_resource_and_stores_it(sandbox):
    client = client_for(sandbox)
    msg = client.messages.create(to=TO, from_=FROM, body="Your cleaning is confirmed for Tue 10:30 AM.")

    assert re.fullmatch(r"SM[0-9a-f]{32}", msg.sid)
    assert msg.status == "queued"
    assert msg.direction == "outbound-api"
    assert msg.num_segments == "1"
    assert msg.price is None
    assert msg.api_version == "2010-04-01"
    assert msg.account_sid == sandbox.account_sid
    assert msg.uri == f"/2010-04-01/Accounts/{sandbox.account_sid}/Messages/{msg.sid}.json"
    assert msg.date_created is not None and msg.date_created.tzinfo is not None  # parsed from RFC 2822

    [stored] = sandbox.messages
    assert (stored["to"], stored["from"], stored["body"]) == (TO, FROM, "Your cleaning is confirmed for Tue 10:30 AM.")
    assert stored["sid"] == msg.sid
    assert parsedate_to_datetime(stored["date_created"]).utcoffset().total_seconds() == 0


def test_fetch_by_sid_and_unknown_sid(sandbox):
    client = client_for(sandbox)
    sid = client.messages.create(to=TO, from_=FROM, body="hi").sid
    assert client.messages(sid).fetch().body == "hi"
    with pytest.raises(TwilioRestException) as info:
        client.messages("SM" + "0" * 32).fetch()
    assert (info.value.status, info.value.code) == (404, 20404)


def test_wrong_auth_token_is_401_code_20003(sandbox):
    with pytest.raises(TwilioRestException) as info:
        client_for(sandbox, token="not-the-token").messages.create(to=TO, from_=FROM, body="hi")
    assert (info.value.status, info.value.code) == (401, 20003)
    assert sandbox.messages == []


@pytest.mark.parametrize(
    ("kwargs", "code", "text"),
    [
        ({"to": "312-555-0142", "from_": FROM, "body": "x"}, 21211, "The 'To' number 312-555-0142 is not a valid"),
        ({"to": TO, "from_": FROM}, 21602, "Message body is required"),
        ({"to": TO, "body": "x"}, 21603, "'From' phone number is required"),
        ({"to": TO, "from_": FROM, "body": "x" * 1601}, 21617, "1600 character limit"),
    ],
)
def test_validation_errors_use_twilio_codes(sandbox, kwargs, code, text):
    with pytest.raises(TwilioRestException) as info:
        client_for(sandbox).messages.create(**kwargs)
    assert info.value.status == 400
    assert info.value.code == code
    assert text in info.value.msg
    assert sandbox.messages == []


def test_from_must_be_an_owned_number_when_numbers_are_configured():
    with TwilioSandbox(numbers=[FROM], delivery_delay=None) as box:
        with pytest.raises(TwilioRestException) as info:
            client_for(box).messages.create(to=TO, from_="+13125550199", body="x")
        assert info.value.code == 21606
        assert client_for(box).messages.create(to=TO, from_=FROM, body="x").status == "queued"


def test_messaging_service_sender(sandbox):
    service = "MG" + "a" * 32
    msg = client_for(sandbox).messages.create(to=TO, messaging_service_sid=service, body="hi")
    assert msg.status == "accepted"
    assert msg.messaging_service_sid == service
    assert msg.from_ is None


def test_list_pages_newest_first_like_twilio(sandbox):
    client = client_for(sandbox)
    for i in range(5):
        client.messages.create(to=TO, from_=FROM, body=f"m{i}")
    client.messages.create(to="+17735550111", from_=FROM, body="other")

    assert [m.body for m in client.messages.list(page_size=2)] == ["other", "m4", "m3", "m2", "m1", "m0"]
    assert [m.body for m in client.messages.list(to=TO, page_size=2, limit=3)] == ["m4", "m3", "m2"]

    page = client.messages.page(page_size=4)
    assert [m.body for m in page] == ["other", "m4", "m3", "m2"]
    assert "PageSize=4" in page.next_page_url and "Page=1" in page.next_page_url
    second = page.next_page()
    assert [m.body for m in second] == ["m1", "m0"]
    assert second.next_page_url is None
    assert second.previous_page_url is not None


def test_list_page_token_is_stable_when_new_messages_arrive(sandbox):
    client = client_for(sandbox)
    for i in range(4):
        client.messages.create(to=TO, from_=FROM, body=f"m{i}")
    page = client.messages.page(page_size=2)
    client.messages.create(to=TO, from_=FROM, body="late")  # would shift offset-based paging
    assert [m.body for m in page.next_page()] == ["m1", "m0"]


def test_segments():
    assert num_segments("a" * 160) == 1
    assert num_segments("a" * 161) == 2
    assert num_segments("€" * 80) == 1 and num_segments("€" * 81) == 2  # extension characters count double
    assert num_segments("Zahnreinigung bestätigt ✓") == 1  # UCS-2 up to 70
    assert num_segments("✓" * 71) == 2


def test_faults_answer_first_in_twilio_shape(sandbox):
    client = client_for(sandbox)
    sandbox.faults.add(Fault(status=429, retry_after=2.2), method="POST", times=1)
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=TO, from_=FROM, body="x")
    assert (info.value.status, info.value.code) == (429, 20429)
    assert client.http_client._test_only_last_response.headers["Retry-After"] == "3"
    assert client.messages.create(to=TO, from_=FROM, body="x").status == "queued"  # the rule was used up


def test_faults_can_be_set_over_http(sandbox):
    client = client_for(sandbox)
    sid = client.messages.create(to=TO, from_=FROM, body="x").sid
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"status": 503, "method": "GET", "times": 2}, timeout=5)
    with pytest.raises(TwilioRestException) as info:
        client.messages(sid).fetch()
    assert (info.value.status, info.value.code) == (503, 20503)
    # Library quirk: a failed *list* page raises a bare TwilioException (no status attribute).
    with pytest.raises(TwilioException) as info:
        client.messages.list()
    assert not isinstance(info.value, TwilioRestException)
    assert client.messages.list()[0].sid == sid


def test_drop_after_store_keeps_the_message_but_loses_the_answer(sandbox):
    sandbox.faults.add(Fault(drop_after_store=True), method="POST")
    with pytest.raises(TwilioRestException) as info:
        client_for(sandbox).messages.create(to=TO, from_=FROM, body="lost answer")
    assert info.value.status == 503
    assert [m["body"] for m in sandbox.messages] == ["lost answer"]


class _CallbackReceiver:
    def __init__(self):
        self.requests: list[tuple[str, dict, str]] = []
        self.arrived = threading.Condition()

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self.arrived:
            self.requests.append(
                (request.url, request.form.to_dict(), request.headers.get("X-Twilio-Signature", ""))
            )
            self.arrived.notify_all()
        return Response("", status=204)(environ, start_response)

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)


def test_status_callbacks_are_signed_like_twilio():
    receiver = _CallbackReceiver()
    with ServedApp(receiver, name="callback-receiver") as served, TwilioSandbox(delivery_delay=0.01) as box:
        callback_url = f"{served.url}/sms/status?location=demo"
        msg = client_for(box).messages.create(to=TO, from_=FROM, body="hi", status_callback=callback_url)
        receiver.wait_for(2)
        box.wait_for_status(msg.sid, "delivered")

    validator = RequestValidator(box.auth_token)
    statuses = []
    for url, form, signature in receiver.requests:
        assert url == callback_url
        assert validator.validate(url, form, signature)
        assert not RequestValidator("another-token").validate(url, form, signature)
        assert form["MessageSid"] == msg.sid and form["To"] == TO and form["From"] == FROM
        statuses.append(form["MessageStatus"])
    assert statuses == ["sent", "delivered"]
    assert box.message(msg.sid)["date_sent"] is not None


def test_undeliverable_number_ends_undelivered_with_30003():
    receiver = _CallbackReceiver()
    with ServedApp(receiver) as served, TwilioSandbox(delivery_delay=0.01, undeliverable=[TO]) as box:
        msg = client_for(box).messages.create(to=TO, from_=FROM, body="hi", status_callback=f"{served.url}/cb")
        final = box.wait_for_status(msg.sid, "undelivered")
        receiver.wait_for(2)
    assert final["error_code"] == 30003
    assert receiver.requests[-1][1]["ErrorCode"] == "30003"


def test_signature_matches_twilios_documented_example():
    # https://www.twilio.com/docs/usage/security#validating-requests
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030",
              "To": "+18005551212"}
    assert twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_dump_endpoint_lists_everything(sandbox):
    client_for(sandbox).messages.create(to=TO, from_=FROM, body="a")
    dumped = json.loads(requests.get(f"{sandbox.url}/_sandbox/messages", timeout=5).text)
    assert [m["body"] for m in dumped] == ["a"]


# --- Programmable Voice: Calls ---------------------------------------------------------------------------------------


def test_a_call_with_inline_twiml_rings_to_then_dials_the_number_with_the_caller_id(sandbox):
    client = client_for(sandbox)
    twiml = f'<Response><Dial callerId="{FROM}">{TO}</Dial></Response>'
    call = client.calls.create(to="+13125550999", from_=FROM, twiml=twiml)
    assert re.fullmatch(r"CA[0-9a-f]{32}", call.sid)
    assert (call.status, call.direction, call.to, call._from) == ("queued", "outbound-api", "+13125550999", FROM)
    assert client.calls(call.sid).fetch().status == "queued"
    [leg] = sandbox.answer_call(call.sid)
    assert (leg["to"], leg["from"], leg["parent_call_sid"], leg["status"]) == (TO, FROM, call.sid, "ringing")
    children = client.calls.list(parent_call_sid=call.sid)
    assert [c.sid for c in children] == [leg["sid"]]
    assert client.calls(call.sid).fetch().status == "in-progress"


def test_a_dial_with_number_nouns_makes_one_leg_each(sandbox):
    client = client_for(sandbox)
    call = client.calls.create(to="+13125550999", from_=FROM, twiml=(
        "<Response><Dial><Number>+13125550142</Number><Number>+13125550143</Number></Dial></Response>"))
    legs = sandbox.answer_call(call.sid)
    # without callerId a <Dial> shows the parent call's From
    assert [(leg["to"], leg["from"]) for leg in legs] == [("+13125550142", FROM), ("+13125550143", FROM)]


@pytest.mark.parametrize("kwargs, code", [
    ({"to": "", "from_": FROM, "twiml": "<Response/>"}, 21201),
    ({"to": "12", "from_": FROM, "twiml": "<Response/>"}, 21211),
    ({"to": TO, "from_": "", "twiml": "<Response/>"}, 21213),
    ({"to": TO, "from_": FROM}, 21205),
    ({"to": TO, "from_": FROM, "twiml": "<Response><Dial>"}, 12100),
])
def test_calls_refused_as_twilio_refuses_them(sandbox, kwargs, code):
    with pytest.raises(TwilioRestException) as info:
        client_for(sandbox).calls.create(**kwargs)
    assert info.value.code == code


def test_a_call_from_a_number_the_account_does_not_own_is_refused():
    with TwilioSandbox(delivery_delay=None, numbers=[FROM]) as box:
        with pytest.raises(TwilioRestException) as info:
            client_for(box).calls.create(to=TO, from_="+13125550111", twiml="<Response/>")
    assert info.value.code == 21210
