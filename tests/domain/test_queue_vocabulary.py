"""The queue's vocabulary: a search as typed, what a row says a call needs, plurals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receptionist.domain.call_queue import CallFilter, CallQuery, RowState, SearchTerms, plural, row_state
from receptionist.domain.intake import LiveCallRecord
from receptionist.domain.models import CallRecord, Intent, ProposalRecord, ProposalStatus

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


def call(intent: Intent = Intent.BOOK, status: ProposalStatus | None = ProposalStatus.PENDING) -> CallRecord:
    proposal = None if status is None else ProposalRecord(1, status, "Maria", "+13125550142", "Cleaning", T0, 45, "",
                                                          (), 1)
    return CallRecord(1, "vapi", "c1", T0, T0, "Maria", "+13125550142", None, None, (), "Cleaning", T0, None, 45,
                      None, None, (), None, {}, (), proposal, intent)


@pytest.mark.parametrize("typed", ["(312) 555-0142", "312.555.0142", "+1 312 555 0142", "3125550142", "555-0142"])
def test_digits_in_any_format_match_the_stored_number(typed):
    terms = SearchTerms.of(typed)
    assert terms.words == () and terms.matches_number("+13125550142")
    assert not terms.matches_number("+13125550100")


def test_words_and_digits_are_read_apart():
    terms = SearchTerms.of("  Maria  O'Neil 0142 ")
    assert terms.words == ("maria", "o'neil") and terms.digits == "0142"
    assert not SearchTerms.of("   ") and SearchTerms.of("x")


@given(st.text(max_size=300))
def test_any_text_is_a_search(text):
    terms = SearchTerms.of(text)
    assert terms.digits.isdigit() or terms.digits == ""
    assert all(w == w.lower() for w in terms.words)


@pytest.mark.parametrize("intent, state", [
    (Intent.BOOK, RowState.REVIEW), (Intent.CANCEL, RowState.CANCEL), (Intent.RESCHEDULE, RowState.RESCHEDULE),
    (Intent.QUESTION, RowState.CALL_BACK), (Intent.CALLBACK, RowState.CALL_BACK),
    (Intent.URGENT, RowState.CALL_BACK_NOW)])
def test_a_waiting_call_says_what_its_intent_needs(intent, state):
    assert row_state(call(intent)) is state


def test_decided_calls_and_live_calls_have_states_of_their_own():
    assert row_state(call(Intent.CANCEL, ProposalStatus.APPROVED)) is RowState.APPROVED
    assert row_state(call(Intent.BOOK, ProposalStatus.REJECTED)) is RowState.REJECTED
    assert row_state(call(Intent.BOOK, None)) is RowState.NO_PROPOSAL
    live = LiveCallRecord("vapi", "c2", "+13125550142", "in-progress", T0, T0, None)
    assert row_state(live) is RowState.LIVE
    assert row_state(LiveCallRecord("vapi", "c2", None, "ended", T0, T0, T0 + timedelta(minutes=3))) is RowState.ENDED
    glyphs = [s.glyph for s in RowState]
    assert len(set(glyphs)) == len(glyphs)  # a shape per state, not only a colour


def test_which_views_list_a_call_in_progress():
    live = LiveCallRecord("vapi", "c2", "+13125550142", "in-progress", T0, T0, None)
    assert CallQuery().lists_live(live) and CallQuery(CallFilter.ALL, search="555 0142").lists_live(live)
    assert not CallQuery(CallFilter.BOOKINGS).lists_live(live)
    assert not CallQuery(search="Maria").lists_live(live)  # only its number is known
    assert not CallQuery(search="0100").lists_live(live)


def test_plural():
    assert [plural(0, "call"), plural(1, "call"), plural(2, "delivery", "deliveries")] == \
        ["0 calls", "1 call", "2 deliveries"]
