"""Whether a caller may be texted a confirmation (domain/contact.py)."""

from __future__ import annotations

import pytest

from receptionist.domain.contact import contact_preference


@pytest.mark.parametrize("summary", [
    "Maria wants a cleaning on Tuesday. She prefers a phone call to confirm.",
    "Caller prefers to be called rather than texted.",
    "Book a checkup; please call her instead of a text.",
    "He would rather have a call.",
    "Please don't text me, I'm driving all day.",
    "Caller has a landline only.",
    "She does not want text messages.",
    "Wei has Cigna Dental and would like a phone call to confirm.",
])
def test_summary_that_refuses_a_text(summary):
    pref = contact_preference(summary, None, {})
    assert not pref.text_ok
    assert "summary says" in pref.reason


@pytest.mark.parametrize("summary", [
    "Maria wants a cleaning on Tuesday at 10:30.",
    "Caller doesn't mind a text.",
    "A text is fine; she asked to book a checkup.",
    "Caller asked us to call back about insurance or text the time.",
    "Rosa would like a text to confirm.",
    "He would like to call in the morning.",
    None,
])
def test_summary_that_allows_a_text(summary):
    assert contact_preference(summary, None, {}).text_ok


def test_the_message_is_read_too():
    pref = contact_preference("Booking a cleaning.", "Please call me, I prefer a phone call.", {})
    assert not pref.text_ok and "message says" in pref.reason


@pytest.mark.parametrize("fields, ok", [
    ({"preferred_contact": "Phone call"}, False),
    ({"contact_method": "call"}, False),
    ({"preferred_contact": "SMS"}, True),
    ({"sms_opt_out": True}, False),
    ({"sms_opt_out": False}, True),
    ({"no_texts": "yes"}, False),
    ({"insurance": "Delta Dental"}, True),
])
def test_structured_fields(fields, ok):
    assert contact_preference(None, None, fields).text_ok is ok


def test_structured_field_wins_over_words():
    # the business configured the agent to fill the field; the summary's words are a fallback
    assert contact_preference("She prefers a phone call.", None, {"preferred_contact": "text"}).text_ok
    pref = contact_preference("Booking a cleaning.", None, {"preferred_contact": "phone"})
    assert not pref.text_ok and "preferred_contact: phone" in pref.reason
