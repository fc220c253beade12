"""The sync decision table (``domain/sync_plan.py``): one test per row of its docstring, the 412 verdict, the
mass-deletion guard, and properties that hold for any input."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receptionist.domain.models import SyncState
from receptionist.domain.ports import RemoteEvent
from receptionist.domain.sync_plan import (
    GONE,
    MASS_DELETION_MIN,
    UNKNOWN,
    CalendarGate,
    EventContent,
    LinkStatus,
    Op,
    Presence,
    Remote,
    classify_after_precondition_failed,
    content_hash,
    is_mass_deletion,
    plan_link,
)

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
START = NOW + timedelta(days=1)
OURS = EventContent("Cleaning — Maria Lopez", START, START + timedelta(hours=1), "Call (312) 555-0142", "Clinic")
MOVED = replace(OURS, start=START + timedelta(hours=2), end=START + timedelta(hours=3))
RETITLED = replace(OURS, title="Cleaning — M. Lopez (moved by Dr. P)")
MAX = 8
OPEN = CalendarGate.OPEN


def seen(content: EventContent, etag: str = '"2"') -> Remote:
    return Remote(Presence.SEEN, etag, content)


def status(state=SyncState.SYNCED, remote_id="ev-1", etag='"1"', have=OURS, **kw) -> LinkStatus:
    return LinkStatus(state, remote_id, etag, have.digest() if isinstance(have, EventContent) else have, **kw)


def plan(want, st_, remote, gate=OPEN):
    return plan_link(want, st_, remote, gate, NOW, MAX, "Outlook")


# --- one test per row, in the docstring's order ---------------------------------------------------------------------

@pytest.mark.parametrize("state", [SyncState.CONFLICT, SyncState.DRIFT])
def test_waiting_link_clears_itself_when_the_calendar_matches_ours_again(state):
    action = plan(OURS, status(state, have=OURS), seen(OURS, '"9"'))
    assert action.op is Op.MARK_SYNCED and action.etag == '"9"'


@pytest.mark.parametrize("state", [SyncState.CONFLICT, SyncState.DRIFT])
@pytest.mark.parametrize("remote", [seen(MOVED), GONE, UNKNOWN])
def test_waiting_link_otherwise_waits_for_a_person(state, remote):
    assert plan(OURS, status(state), remote).op is Op.NOTHING
    assert plan(RETITLED, status(state), remote).op is Op.NOTHING  # even when ours changed meanwhile


def test_waiting_link_of_a_cancelled_appointment_whose_event_is_gone_is_synced():
    assert plan(None, status(SyncState.DRIFT), GONE).op is Op.MARK_SYNCED
    assert plan(None, status(SyncState.CONFLICT, remote_id=None), UNKNOWN).op is Op.MARK_SYNCED
    assert plan(None, status(SyncState.CONFLICT), seen(MOVED)).op is Op.NOTHING


def test_failed_link_waits_while_its_backoff_runs():
    st_ = status(SyncState.FAILED, attempts=2, next_attempt_at=NOW + timedelta(seconds=30), have=None,
                 remote_id=None)
    assert plan(OURS, st_, UNKNOWN).op is Op.NOTHING
    assert plan(OURS, replace(st_, next_attempt_at=NOW), UNKNOWN).op is Op.CREATE  # due now


def test_failed_link_that_gave_up_waits_for_retry():
    st_ = status(SyncState.FAILED, attempts=MAX, next_attempt_at=NOW - timedelta(hours=1))
    assert plan(MOVED, st_, seen(OURS)).op is Op.NOTHING


@pytest.mark.parametrize("remote", [GONE, UNKNOWN, seen(OURS)])
def test_cancelled_without_remote_id_looks_for_what_a_create_may_have_made(remote):
    """No event id is no proof of no event: a create's answer may have been lost, or the desk killed mid-write."""
    action = plan(None, status(SyncState.PENDING, remote_id=None, etag=None, have=None), remote)
    assert action.op is Op.CHECK
    done = plan(None, status(SyncState.SYNCED, remote_id=None, etag=None, have=None), remote)
    assert done.op is Op.NOTHING  # once checked, nothing more is owed


def test_cancelled_whose_event_is_gone_is_synced_and_a_synced_one_needs_nothing():
    assert plan(None, status(SyncState.PENDING), GONE).op is Op.MARK_SYNCED
    # already Synced, nothing owed: not re-marked every cycle
    assert plan(None, status(SyncState.SYNCED, remote_id=None, etag=None, have=None), UNKNOWN).op is Op.NOTHING


def test_cancelled_but_edited_there_is_a_conflict():
    action = plan(None, status(SyncState.PENDING), seen(MOVED))
    assert action.op is Op.MARK_CONFLICT and "edited on Outlook" in action.reason


@pytest.mark.parametrize("remote", [seen(OURS, '"1"'), UNKNOWN])
def test_cancelled_is_deleted_when_they_did_not_change_it(remote):
    assert plan(None, status(SyncState.PENDING), remote).op is Op.DELETE


@pytest.mark.parametrize("remote", [UNKNOWN, GONE, seen(MOVED)])
def test_no_remote_id_is_a_create(remote):
    assert plan(OURS, status(SyncState.PENDING, remote_id=None, etag=None, have=None), remote).op is Op.CREATE


def test_has_remote_id_but_gone_from_the_cache_is_checked_by_reading():
    assert plan(OURS, status(), GONE).op is Op.CHECK
    assert plan(MOVED, status(SyncState.PENDING), GONE).op is Op.CHECK


def test_remote_equal_to_want_is_synced_adopting_the_etag():
    action = plan(MOVED, status(SyncState.PENDING, have=OURS), seen(MOVED, '"7"'))  # a lost answer that landed
    assert action.op is Op.MARK_SYNCED and action.etag == '"7"'


def test_only_theirs_changed_is_drift_field_by_field():
    action = plan(OURS, status(), seen(MOVED))
    assert action.op is Op.MARK_DRIFT and "Outlook" in action.reason
    assert set(action.diff) == {"start", "end"}
    assert action.diff["start"] == (OURS.start.isoformat(), MOVED.start.isoformat())
    assert plan(OURS, status(), seen(RETITLED)).diff == {"title": (OURS.title, RETITLED.title)}


def test_both_changed_is_a_conflict():
    action = plan(RETITLED, status(SyncState.PENDING), seen(MOVED))
    assert action.op is Op.MARK_CONFLICT and set(action.diff) == {"title", "start", "end"}


def test_only_ours_changed_is_an_update():
    assert plan(MOVED, status(SyncState.PENDING), seen(OURS, '"1"')).op is Op.UPDATE


def test_nothing_changed_is_synced_once_then_nothing():
    assert plan(OURS, status(SyncState.SYNCED), seen(OURS, '"1"')).op is Op.NOTHING
    assert plan(OURS, status(SyncState.PENDING), seen(OURS, '"1"')).op is Op.MARK_SYNCED
    # only the etag moved (a reminder changed): adopt it
    action = plan(OURS, status(SyncState.SYNCED), seen(OURS, '"5"'))
    assert action.op is Op.MARK_SYNCED and action.etag == '"5"'


def test_unknown_remote_and_owed_is_an_update():
    assert plan(MOVED, status(SyncState.SYNCED), UNKNOWN).op is Op.UPDATE  # ours changed
    assert plan(OURS, status(SyncState.PENDING), UNKNOWN).op is Op.UPDATE  # owed (e.g. Keep ours)
    assert plan(OURS, status(SyncState.RECONNECT), UNKNOWN).op is Op.UPDATE


def test_unknown_remote_and_not_owed_is_nothing():
    assert plan(OURS, status(SyncState.SYNCED), UNKNOWN).op is Op.NOTHING


# --- gates ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("want,st_,remote,op", [
    (OURS, status(SyncState.PENDING, remote_id=None, have=None), UNKNOWN, Op.CREATE),
    (MOVED, status(SyncState.PENDING), seen(OURS, '"1"'), Op.UPDATE),
    (None, status(SyncState.PENDING), UNKNOWN, Op.DELETE),
    (OURS, status(), GONE, Op.CHECK),
])
def test_a_closed_gate_turns_requests_into_waits(want, st_, remote, op):
    assert plan(want, st_, remote).op is op
    waiting = plan(want, st_, remote, CalendarGate.RECONNECT)
    assert waiting.op is Op.WAIT_RECONNECT and waiting.reason == "waiting for sign-in to Outlook"
    assert plan(want, st_, remote, CalendarGate.PAUSED).op is Op.WAIT


@pytest.mark.parametrize("gate", [CalendarGate.RECONNECT, CalendarGate.PAUSED])
def test_marks_need_no_request_so_a_drift_shows_through_a_closed_gate(gate):
    assert plan(OURS, status(), seen(MOVED), gate).op is Op.MARK_DRIFT
    assert plan(RETITLED, status(SyncState.PENDING), seen(MOVED), gate).op is Op.MARK_CONFLICT
    assert plan(OURS, status(SyncState.PENDING), seen(OURS), gate).op is Op.MARK_SYNCED


# --- a 412/409: read before calling it a conflict -------------------------------------------------------------------

def event(content: EventContent, etag='"3"') -> RemoteEvent:
    return RemoteEvent("ev-1", etag, content.title, content.start, content.end, content.description,
                       content.location)


def test_412_whose_event_holds_what_we_meant_is_a_lost_answer_not_a_conflict():
    assert classify_after_precondition_failed(MOVED, OURS.digest(), event(MOVED)) is Op.MARK_SYNCED


def test_412_on_an_event_gone_is_done_for_a_delete_and_drift_for_an_update():
    assert classify_after_precondition_failed(None, OURS.digest(), None) is Op.MARK_SYNCED
    assert classify_after_precondition_failed(MOVED, OURS.digest(), None) is Op.MARK_DRIFT


def test_412_with_only_the_etag_moved_is_tried_again():
    assert classify_after_precondition_failed(MOVED, OURS.digest(), event(OURS)) is Op.UPDATE
    assert classify_after_precondition_failed(None, OURS.digest(), event(OURS)) is Op.DELETE


def test_412_on_an_event_someone_changed_is_a_conflict():
    assert classify_after_precondition_failed(MOVED, OURS.digest(), event(RETITLED)) is Op.MARK_CONFLICT
    assert classify_after_precondition_failed(None, OURS.digest(), event(RETITLED)) is Op.MARK_CONFLICT


def test_content_compares_instants_and_normalised_text():
    a = event(OURS)
    b = replace(a, start=a.start.astimezone(timezone(timedelta(hours=-6))),
                description=OURS.description.replace("\n", "\r\n") + "  \n\n", title=" " + OURS.title + " ")
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(replace(a, start=a.start + timedelta(minutes=1)))


# --- the mass-deletion guard ---------------------------------------------------------------------------------------

def test_mass_deletion_needs_many_and_most():
    assert not is_mass_deletion(100, MASS_DELETION_MIN - 1)
    assert is_mass_deletion(MASS_DELETION_MIN, MASS_DELETION_MIN)  # an emptied small calendar
    assert is_mass_deletion(10, 5) and not is_mass_deletion(11, 5)
    assert is_mass_deletion(200, 200) and not is_mass_deletion(200, 60)
    assert not is_mass_deletion(0, 0)


# --- properties -----------------------------------------------------------------------------------------------------

minutes = st.integers(min_value=-600, max_value=600)
contents = st.builds(lambda title, shift, length, desc: EventContent(
    title, START + timedelta(minutes=shift), START + timedelta(minutes=shift + length), desc, "Clinic"),
    st.sampled_from(["A", "B", "Cleaning — Maria"]), minutes, st.integers(15, 120), st.sampled_from(["", "x", "y"]))
wants = st.one_of(st.none(), contents)
states = st.sampled_from(list(SyncState))
hashes = st.one_of(st.none(), contents.map(EventContent.digest))
statuses = st.builds(
    LinkStatus, states, st.one_of(st.none(), st.just("ev-1")), st.one_of(st.none(), st.just('"1"')), hashes,
    st.integers(0, MAX + 1),
    st.one_of(st.none(), st.sampled_from([NOW - timedelta(seconds=1), NOW, NOW + timedelta(seconds=1)])))
remotes = st.one_of(st.just(GONE), st.just(UNKNOWN),
                    st.builds(seen, contents, st.sampled_from(['"1"', '"2"'])))
gates = st.sampled_from(list(CalendarGate))


@settings(max_examples=200)
@given(wants, statuses, remotes, gates)
def test_plan_never_writes_through_a_closed_gate(want, st_, remote, gate):
    action = plan(want, st_, remote, gate)
    if gate is not CalendarGate.OPEN:
        assert not action.writes and action.op is not Op.CHECK
    if gate is CalendarGate.PAUSED:
        assert action.op is not Op.WAIT_RECONNECT


@settings(max_examples=200)
@given(wants, statuses, remotes, gates)
def test_plan_deletes_only_a_cancelled_appointment_with_an_event(want, st_, remote, gate):
    action = plan(want, st_, remote, gate)
    if action.op is Op.DELETE:
        assert want is None and st_.remote_id is not None and remote.presence is not Presence.GONE
    if want is None:
        assert action.op not in (Op.CREATE, Op.UPDATE, Op.MARK_DRIFT)
        if action.op is Op.CHECK:  # only to find what an unanswered create may have made
            assert st_.remote_id is None


@settings(max_examples=200)
@given(wants, statuses, remotes, gates)
def test_marked_synced_only_when_the_calendar_holds_ours_or_there_is_nothing_to_delete(want, st_, remote, gate):
    action = plan(want, st_, remote, gate)
    if action.op is Op.MARK_SYNCED:
        if want is not None:
            assert remote.presence is Presence.SEEN and remote.content == want
        else:
            assert st_.remote_id is None or remote.presence is Presence.GONE


@settings(max_examples=200)
@given(wants, statuses, remotes, gates)
def test_a_change_on_the_calendar_is_never_overwritten_without_a_person(want, st_, remote, gate):
    """If the calendar's copy differs from what we last confirmed (and from ours), the plan never writes over it."""
    action = plan(want, st_, remote, gate)
    if remote.presence is Presence.SEEN and st_.remote_id is not None and remote.content.digest() != st_.have \
            and (want is None or remote.content != want):
        assert action.op not in (Op.UPDATE, Op.DELETE, Op.CREATE)


@settings(max_examples=200)
@given(wants, statuses, remotes)
def test_waiting_for_a_person_is_never_left_by_a_write(want, st_, remote):
    if st_.state.needs_person:
        assert plan(want, st_, remote, OPEN).op in (Op.NOTHING, Op.MARK_SYNCED)
