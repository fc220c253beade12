"""Intent: the platform's structured data first, then the summary, then the caller's words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receptionist.domain.intent import classify_intent, from_structured, from_text
from receptionist.domain.models import Intent


@pytest.mark.parametrize("values, intent", [
    (["cancel"], Intent.CANCEL),
    (["cancellation"], Intent.CANCEL),
    (["new_booking"], Intent.BOOK),
    (["book_appointment"], Intent.BOOK),
    (["reschedule_appointment"], Intent.RESCHEDULE),
    (["Reschedule"], Intent.RESCHEDULE),
    (["request_callback"], Intent.CALLBACK),
    (["general inquiry"], Intent.QUESTION),
    (["new_booking", "urgent"], Intent.URGENT),  # the one a person must act on first
    (["voicemail_reached"], Intent.CALLBACK),
])
def test_structured_values(values, intent):
    assert from_structured(values).intent is intent


def test_unknown_structured_values_say_nothing():
    assert from_structured(["teeth cleaning", "", "user_hangup"]) is None


@pytest.mark.parametrize("text, intent", [
    ("Maria called to cancel her massage.", Intent.CANCEL),
    ("Wants to move my appointment to Friday.", Intent.RESCHEDULE),
    ("I need to cancel Tuesday and book Friday instead", Intent.RESCHEDULE),
    ("It's an emergency, my crown fell out", Intent.URGENT),
    ("Please call me back after five", Intent.CALLBACK),
    ("I'd like to book a cleaning", Intent.BOOK),
    ("What are your hours on Saturday?", Intent.QUESTION),
])
def test_keywords(text, intent):
    assert from_text(text, "summary").intent is intent


@pytest.mark.parametrize("text", ["It's not an emergency, I just want a cleaning booked",
                                  "I don't want to cancel, I want to book"])
def test_negated_keywords_do_not_count(text):
    assert from_text(text, "summary").intent is Intent.BOOK


def test_structured_data_wins_over_the_summary():
    reading = classify_intent(["book"], "The caller mentioned she had to cancel last time.")
    assert reading.intent is Intent.BOOK and reading.source == "structured"


def test_summary_then_transcript_then_default():
    assert classify_intent([], "She wants to cancel.").source == "summary"
    reading = classify_intent([], None, ["hi", "can you call me back"])
    assert (reading.intent, reading.source) == (Intent.CALLBACK, "transcript")
    assert classify_intent([], None, [], wants_booking=True).intent is Intent.BOOK
    assert classify_intent([], None, []).intent is Intent.QUESTION


@given(st.lists(st.text(max_size=40), max_size=5), st.one_of(st.none(), st.text(max_size=200)),
       st.lists(st.text(max_size=80), max_size=5))
def test_classification_always_answers(structured, summary, words):
    assert isinstance(classify_intent(structured, summary, words).intent, Intent)


def test_needs_person():
    from dataclasses import replace
    from datetime import datetime, timezone

    from receptionist.domain.intent import needs_person
    from receptionist.domain.models import CallRecord, ProposalRecord, ProposalStatus

    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    call = CallRecord(1, "generic", "c", now, now, "Ann", None, None, None, (), None, None, None, 30, None, None,
                      (), None, {}, (), intent=Intent.QUESTION)
    assert not needs_person(call)
    assert needs_person(replace(call, intent=Intent.CALLBACK))
    pending = ProposalRecord(1, ProposalStatus.PENDING, "Ann", None, None, None, 30, "", (), 1)
    assert needs_person(replace(call, proposal=pending))
    assert not needs_person(replace(call, proposal=replace(pending, status=ProposalStatus.APPROVED)))
