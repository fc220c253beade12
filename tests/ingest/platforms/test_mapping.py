"""Each platform's real payload shapes → the right call: fields, UTC instant, intent, raw text kept, issues."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from receptionist.domain.models import Intent, Severity
from receptionist.domain.payload import CallCapture
from receptionist.ingest.platforms import ADAPTERS, Ignored, LiveUpdate, MappingError
from receptionist.ingest.platforms.synthflow import map_call
from tests.ingest.platforms.signing import RECEIVED, delivery, fixture, fixture_json

CALL_START = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)  # Tue 12/01/2026 09:00 in Chicago


def interpret(platform: str, name: str, rules, body: bytes | None = None):
    return ADAPTERS[platform].interpret(delivery(platform, body or fixture(platform, name)), rules)


def issues(capture: CallCapture) -> dict[str, list]:
    found: dict[str, list] = {}
    for issue in capture.issues:
        found.setdefault(issue.field, []).append(issue)
    return found


# --- Vapi -----------------------------------------------------------------------------------------------------------


def test_vapi_end_of_call_report_current_shape(rules):
    capture = interpret("vapi", "end-of-call-report.json", rules)
    assert isinstance(capture, CallCapture)
    assert capture.platform == "vapi" and capture.call_id == "c1a7e0d2-5b4f-4d0e-9d53-3f1f4d2b9a10"
    assert capture.occurred_at == CALL_START
    assert capture.caller_name == "Maria Lopez" and capture.service == "Teeth cleaning"
    # "three one two, five five five, oh one four two", spoken digits
    assert capture.callback_number == "+13125550142"
    assert capture.raw_fields["callback_number"] == "three one two, five five five, oh one four two"
    # "next Thursday at 3" said on Tuesday 12/01: Thursday 12/03 3 PM Chicago = 21:00Z, both guesses shown
    assert capture.requested_start == datetime(2026, 12, 3, 21, 0, tzinfo=timezone.utc)
    assert capture.requested_start_raw == "next Thursday at 3"
    notes = [i.message for i in issues(capture)["requested_start"]]
    assert any("12/10" in n for n in notes) and any("3:00 PM" in n for n in notes)
    assert all(i.severity is Severity.WARNING for i in issues(capture)["requested_start"])
    assert capture.intent is Intent.BOOK
    assert capture.caller_id_number == "+13125550142"
    assert capture.custom_fields["insurance"] == "Delta Dental"
    assert ("caller", "I'd like to book a cleaning next Thursday at 3.") in capture.transcript
    assert not any(who == "tool_call_result" for who, _ in capture.transcript)


def test_vapi_end_of_call_report_older_shape_is_a_cancel(rules):
    capture = interpret("vapi", "end-of-call-report-legacy.json", rules)
    assert capture.call_id == "8e0b6f1c-legacy-call" and capture.caller_name == "James Wu"
    assert capture.summary.startswith("The caller, James Wu, wants to cancel")
    assert capture.intent is Intent.CANCEL
    assert issues(capture)["intent"][0].severity is Severity.ERROR  # cannot be approved as a new booking
    assert capture.transcript[1] == ("caller", "Hi, this is James, I need to cancel my massage on Friday.")
    # no spoken number: the caller id, with a warning saying so
    assert capture.callback_number == "+13125550142"
    assert "caller id" in issues(capture)["callback_number"][0].message


def test_vapi_status_update_is_live(rules):
    live = interpret("vapi", "status-update.json", rules)
    assert live == LiveUpdate("vapi", "c1a7e0d2-5b4f-4d0e-9d53-3f1f4d2b9a10", "+13125550142", "in-progress",
                              CALL_START, (("agent", "Thanks for calling Lakeview Dental, how can I help?"),
                                           ("caller", "Hi, I'd like to book a cleaning.")))


def test_vapi_tool_call_books_and_answers_with_the_result_vapi_expects(rules):
    capture = interpret("vapi", "tool-calls.json", rules)
    assert capture.intent is Intent.BOOK and capture.callback_number == "+13125550142"
    # "date": "Dec 3", "time": "2pm" are joined: 2 PM Chicago = 20:00Z
    assert capture.requested_start == datetime(2026, 12, 3, 20, 0, tzinfo=timezone.utc)
    assert capture.custom_fields["vapi_function"] == "book_appointment"
    status, body, content_type = ADAPTERS["vapi"].answer(delivery("vapi", fixture("vapi", "tool-calls.json")))
    results = json.loads(body)["results"]
    assert status == 200 and content_type == "application/json"
    assert results == [{"toolCallId": "call_VaPiTool01", "result": results[0]["result"]}] and results[0]["result"]


def test_vapi_tool_call_with_json_string_arguments_and_an_unknown_tool(rules):
    capture = interpret("vapi", "tool-calls-json-arguments.json", rules)
    assert capture.intent is Intent.RESCHEDULE and capture.caller_name == "Ana Ruiz"
    assert capture.requested_start == datetime(2026, 12, 2, 15, 30, tzinfo=timezone.utc)  # tomorrow 9:30am CST
    # "double five five, one two three, ..." reads as 555 123 4567: not a real number, so the caller id is used
    assert capture.callback_number == "+13125550142"
    warning = issues(capture)["callback_number"][0]
    assert warning.severity is Severity.WARNING and "caller id" in warning.message
    _, body, _ = ADAPTERS["vapi"].answer(delivery("vapi", fixture("vapi", "tool-calls-json-arguments.json")))
    by_id = {r["toolCallId"]: r for r in json.loads(body)["results"]}
    assert "result" in by_id["toolu_01ReSchedule"] and "error" in by_id["toolu_02Weather"]


def test_vapi_messages_without_content_are_ignored(rules):
    assert isinstance(interpret("vapi", "speech-update.json", rules), Ignored)


# --- Retell ---------------------------------------------------------------------------------------------------------


def test_retell_call_analyzed_with_custom_analysis_data(rules):
    capture = interpret("retell", "call_analyzed.json", rules)
    assert capture.call_id == "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6" and capture.occurred_at == CALL_START
    assert capture.caller_name == "Priya Shah" and capture.service == "Filling"
    assert capture.callback_number == "+13125550199" and capture.caller_id_number == "+13125550199"
    assert capture.requested_start == datetime(2026, 12, 3, 20, 0, tzinfo=timezone.utc)  # Dec 3 at 2pm CST
    assert capture.intent is Intent.RESCHEDULE  # the analysis field wins
    assert capture.summary.startswith("Priya Shah asked to reschedule")
    assert capture.custom_fields["retell_user_sentiment"] == "Neutral"


def test_retell_started_and_ended_are_live(rules):
    started = interpret("retell", "call_started.json", rules)
    ended = interpret("retell", "call_ended.json", rules)
    assert (started.status, ended.status) == ("in-progress", "ended")
    assert started.started_at == CALL_START and ended.caller_id_number == "+13125550199"
    assert ended.transcript[-1] == ("caller", "Hi, I need to move my appointment to Dec 3 at 2pm.")


def test_retell_custom_function_call(rules):
    capture = interpret("retell", "function-call.json", rules)
    assert capture.caller_name == "Tom Baker" and capture.service == "Consultation"
    # "5550123" is seven digits: not a callable number, so the caller id, with a warning
    assert capture.callback_number == "+13125550199" and capture.raw_fields["callback_number"] == "5550123"
    assert capture.requested_start == datetime(2026, 12, 3, 21, 0, tzinfo=timezone.utc)
    status, body, _ = ADAPTERS["retell"].answer(delivery("retell", fixture("retell", "function-call.json")))
    assert status == 200 and json.loads(body)["result"]


# --- ElevenLabs -----------------------------------------------------------------------------------------------------


def test_elevenlabs_post_call_transcription(rules):
    capture = interpret("elevenlabs", "post_call_transcription.json", rules)
    assert capture.call_id == "conv_01jxk1q8wzf3a9" and capture.occurred_at == CALL_START
    assert capture.caller_name == "Lee Park" and capture.service == "Checkup"
    assert capture.requested_start == datetime(2026, 12, 2, 15, 30, tzinfo=timezone.utc)  # tomorrow 9:30am CST
    assert capture.requested_start_raw == "tomorrow at 9:30am" and capture.intent is Intent.BOOK
    # the spoken number is five digits: the platform's caller id (metadata.phone_call.external_number) is used
    assert capture.callback_number == "+13125550177" and capture.caller_id_number == "+13125550177"
    assert "five five five one two" in issues(capture)["callback_number"][0].message
    assert capture.summary == "Lee Park wants a checkup tomorrow at 9:30 AM."


def test_elevenlabs_audio_webhooks_are_ignored(rules):
    assert isinstance(interpret("elevenlabs", "post_call_audio.json", rules), Ignored)


# --- Twilio ---------------------------------------------------------------------------------------------------------


def test_twilio_documented_signature_vector_is_accepted():
    d = delivery("twilio", fixture("twilio", "docs-example.txt"), {"X-Twilio-Signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
                 url="https://mycompany.com/myapp.php?foo=1&bar=2")
    ADAPTERS["twilio"].authenticate(d, "12345", RECEIVED)


def test_twilio_finished_call_is_a_callback_request_with_the_caller_id(rules):
    capture = interpret("twilio", "status-completed.txt", rules)
    assert capture.call_id == "CA5f1c2a7e9b3d4c6a8e0f1b2c3d4e5f60" and capture.intent is Intent.CALLBACK
    assert capture.callback_number == "+13125550142" and capture.caller_id_number == "+13125550142"
    assert capture.occurred_at == CALL_START  # the callback's Timestamp minus CallDuration (42 s)
    assert "call the caller back" in capture.summary
    assert issues(capture)["intent"][0].severity is Severity.WARNING


def test_twilio_ringing_is_live(rules):
    live = interpret("twilio", "status-ringing.txt", rules)
    assert live.status == "ringing" and live.caller_id_number == "+13125550142"


def test_twilio_answer_is_empty_twiml():
    status, body, content_type = ADAPTERS["twilio"].answer(delivery("twilio", fixture("twilio", "status-ringing.txt")))
    assert status == 200 and body.endswith(b"<Response></Response>") and content_type == "text/xml"


# --- Bland ----------------------------------------------------------------------------------------------------------


def test_bland_post_call_is_urgent(rules):
    capture = interpret("bland", "post-call.json", rules)
    assert capture.call_id == "9d404c1b-6a23-4426-953a-a52c392ff8f1" and capture.occurred_at == CALL_START
    assert capture.caller_name == "Sam Green" and capture.callback_number == "+13125550166"
    assert capture.requested_start == datetime(2026, 12, 1, 22, 0, tzinfo=timezone.utc)  # today at 4pm CST
    assert capture.intent is Intent.URGENT  # "emergency" in the summary
    # Bland's own variables (phone_number is the number dialled) never become the caller's answers
    assert "phone_number" not in capture.custom_fields and "now" not in capture.custom_fields
    assert ("agent", "Lakeview Dental.") in capture.transcript
    assert all(who != "agent-action" for who, _ in capture.transcript)


# --- Synthflow ------------------------------------------------------------------------------------------------------


def test_synthflow_body_and_read_back_map_to_the_same_call(rules):
    from_body = interpret("synthflow", "post-call.json", rules)
    from_api = map_call(fixture_json("synthflow", "api-call.json"), rules, RECEIVED)
    for capture in (from_body, from_api):
        assert capture.call_id == "1764601200000x768387119913843100" and capture.occurred_at == CALL_START
        assert capture.caller_name == "Olivia Chen" and capture.service == "Whitening"
        assert capture.requested_start == datetime(2026, 12, 4, 17, 0, tzinfo=timezone.utc)  # Dec 4th 11am CST
        assert capture.callback_number == "+13125550155"
    assert ADAPTERS["synthflow"].needs_confirmation is True


def test_synthflow_confirmation_refuses_another_call(rules):
    d = delivery("synthflow", fixture("synthflow", "post-call.json"))
    other = fixture_json("synthflow", "api-call.json")
    other["response"]["calls"][0]["call_id"] = "someone-elses-call"
    with pytest.raises(MappingError, match="not"):
        ADAPTERS["synthflow"].confirm(other, d, rules)
    confirmed = ADAPTERS["synthflow"].confirm(fixture_json("synthflow", "api-call.json"), d, rules)
    assert confirmed.service == "Whitening"


# --- generic v2 -----------------------------------------------------------------------------------------------------


def test_generic_v2_with_an_explicit_intent(rules):
    capture = interpret("generic", "v2-cancel.json", rules)
    assert capture.intent is Intent.CANCEL and capture.caller_id_number == "+13125550142"
    assert capture.callback_number == "+13125550142"  # "not sure, use this one" is not a number
    assert capture.requested_start == datetime(2026, 12, 3, 20, 0, tzinfo=timezone.utc)


# --- mapping failures go to quarantine with a reason ----------------------------------------------------------------


@pytest.mark.parametrize("platform, body, fragment", [
    ("vapi", b'{"message": {"type": "end-of-call-report"}}', "names no call"),
    ("retell", b'{"event": "call_analyzed", "call": {}}', "names no call"),
    ("elevenlabs", b'{"type": "post_call_transcription", "data": {}}', "names no conversation"),
    ("bland", b'{"summary": "hi"}', "names no call"),
    ("synthflow", b'{"call": {}}', "no call id"),
    ("twilio", b"CallStatus=completed", "names no call"),
    ("twilio", b"CallSid=CA1&CallStatus=exploded", "not one we know"),
    ("generic", b'{"schema_version": "2"}', "schema"),
    ("vapi", b'{"message": {"type": "end-of-call-report", "call": {"id": "\\u0000"}}}', "names no call"),
])
def test_unmappable_deliveries_raise_mapping_error_with_a_reason(rules, platform, body, fragment):
    with pytest.raises(MappingError) as caught:
        ADAPTERS[platform].interpret(delivery(platform, body, headers={}), rules)
    assert fragment in caught.value.reason


def test_nul_characters_never_reach_the_capture(rules):
    body = fixture_json("vapi", "end-of-call-report.json")
    body["message"]["analysis"]["structuredData"]["customerName"] = "Maria\u0000 Lopez"
    body["message"]["analysis"]["summary"] = "\u0000" * 10 + "ok"
    capture = interpret("vapi", "", rules, json.dumps(body).encode())
    assert capture.caller_name == "Maria Lopez" and capture.summary == "ok"


def test_vapi_other_auth_modes(rules):
    import base64
    import hashlib
    import hmac

    body = fixture("vapi", "end-of-call-report.json")
    stamp = str(int(RECEIVED.timestamp() * 1000))  # milliseconds, base64, with a GitHub-style prefix
    mac = base64.b64encode(hmac.new(b"s3cret", stamp.encode() + b"." + body, hashlib.sha256).digest()).decode()
    ADAPTERS["vapi"].authenticate(delivery("vapi", body, {"x-signature": f"sha256={mac}", "x-timestamp": stamp}),
                                  "s3cret", RECEIVED)
    ADAPTERS["vapi"].authenticate(delivery("vapi", body, {"Authorization": "Bearer s3cret"}), "s3cret", RECEIVED)
    ADAPTERS["vapi"].authenticate(delivery("vapi", body, {"X-Vapi-Secret": "s3cret"}), "s3cret", RECEIVED)
    from receptionist.ingest.platforms import DeliveryRefused

    for headers in ({"Authorization": "Bearer nope"}, {"X-Vapi-Secret": "nope"}, {"Authorization": "Basic s3cret"}):
        with pytest.raises(DeliveryRefused) as caught:
            ADAPTERS["vapi"].authenticate(delivery("vapi", body, headers), "s3cret", RECEIVED)
        assert caught.value.status == 401
