"""The desk's own texts (confirmation, change, cancellation) keep the location's quiet hours as reminders do: owed
at night, they wait in the outbox for the end of the quiet hours (no error, not dropped) and go out once then, by
the desk running at that time, on both sides of a DST change."""

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import example, given, strategies as st

from receptionist import events
from receptionist.domain.reminders import QuietHours
from receptionist.sync.engine import SyncEngine
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.fakes import FakeClock, FakeMessenger
from tests.helpers.payloads import payload
from tests.helpers.rows import outbox_items

CHICAGO = ZoneInfo("America/Chicago")
UTC = timezone.utc


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CHICAGO).astimezone(UTC)


def test_quiet_hours_end_at_the_wall_clock_hour_on_both_sides_of_dst():
    quiet = QuietHours(CHICAGO, 21, 8)
    assert quiet.until(local(2026, 11, 23, 14, 0)) is None
    assert quiet.until(local(2026, 11, 23, 22, 30)) == local(2026, 11, 24, 8, 0)
    assert quiet.until(local(2026, 11, 24, 3, 0)) == local(2026, 11, 24, 8, 0)
    # the night the clocks spring forward (03/08/2026) and the night they fall back (11/01/2026): 8 AM local
    assert quiet.until(local(2026, 3, 7, 23, 0)) == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # CDT
    assert quiet.until(local(2026, 10, 31, 23, 0)) == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)  # CST
    assert QuietHours(CHICAGO, 0, 0).until(local(2026, 11, 24, 3, 0)) is None  # none set
    assert QuietHours(CHICAGO, 1, 5).until(local(2026, 11, 24, 3, 0)) == local(2026, 11, 24, 5, 0)


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
       st.integers(0, 23), st.integers(0, 23))
@example(datetime(2027, 3, 13, 9, 0, tzinfo=UTC), 3, 2)  # found by hypothesis: the end hour skipped (spring forward)
@example(datetime(2027, 3, 14, 4, 0, tzinfo=UTC), 21, 2)
def test_the_end_of_quiet_hours_is_later_and_outside_them(moment, start, end):
    quiet = QuietHours(CHICAGO, start, end)
    until = quiet.until(moment)
    if until is not None:
        assert moment < until <= moment + timedelta(hours=48)
        assert quiet.until(until) is None and quiet.until(until - timedelta(seconds=1)) is not None
        wall = until.astimezone(CHICAGO)
        if wall.hour != end:  # the clocks skipped the end hour that day: the quiet hours end with the skip
            assert wall.hour == end + 1 and (until - timedelta(seconds=1)).astimezone(CHICAGO).hour == end - 1
        if until > moment + timedelta(hours=24):  # only quiet hours run on by a skipped end hour last longer
            assert moment.astimezone(CHICAGO).utcoffset() != wall.utcoffset()


def test_quiet_hours_ending_at_an_hour_the_clocks_skip_end_with_the_skip():
    # 03/14/2027, Chicago: 02:00 CST does not exist; the clocks go from 01:59:59 CST to 03:00 CDT (08:00 UTC)
    assert QuietHours(CHICAGO, 21, 2).until(local(2027, 3, 13, 22, 0)) == datetime(2027, 3, 14, 8, 0, tzinfo=UTC)
    # quiet 03:00-02:00: the skip lands on the next quiet hours' start, so they run on to 02:00 CDT the day after
    assert QuietHours(CHICAGO, 3, 2).until(datetime(2027, 3, 13, 9, 0, tzinfo=UTC)) == datetime(
        2027, 3, 15, 7, 0, tzinfo=UTC)


def set_clock(clock: FakeClock, moment: datetime) -> None:
    clock.advance(seconds=(moment - clock()).total_seconds())


def desk_at(store, profile, clock, messenger):
    """A desk (its sync engine and capabilities) as started at the clock's time: a restart is a new one."""
    engine = SyncEngine(store, profile, [], messenger=messenger, bus=events.EventBus(), clock=clock,
                        rng=random.Random(1))
    return make_desk(store, profile, events.EventBus(), {}, clock=clock, engine=engine, sms_enabled=True), engine


def test_a_confirmation_approved_at_night_goes_out_once_at_8_am_across_a_restart(store, profile):
    clock, messenger = FakeClock(local(2026, 11, 23, 22, 30)), FakeMessenger()
    desk, engine = desk_at(store, profile, clock, messenger)
    call = store_payload(store, payload(requested_start="2026-11-25T10:30:00"), desk.context.rules, clock())
    desk.bookings.approve(call.proposal.id, call.proposal.version, actor="amy")
    engine.run_cycle()
    assert messenger.sent == []
    [waiting] = outbox_items(store)
    assert (waiting["done_at"], waiting["last_error"], waiting["attempts"]) == (None, None, 0)
    assert store.outbox.last_error() is None  # not an SMS problem: the pill stays green

    set_clock(clock, local(2026, 11, 24, 7, 59))
    desk, engine = desk_at(store, profile, clock, messenger)  # the desk was restarted in the night
    engine.run_cycle()
    assert messenger.sent == []
    set_clock(clock, local(2026, 11, 24, 8, 0))
    engine.run_cycle()
    engine.run_cycle()
    desk, engine = desk_at(store, profile, clock, messenger)
    engine.run_cycle()
    [sent] = messenger.sent
    assert "confirmed" in sent.body.lower()
    assert outbox_items(store)[0]["done_at"] == clock()


def test_a_cancellation_on_the_night_the_clocks_fall_back_waits_for_8_am_standard_time(store, profile):
    clock, messenger = FakeClock(local(2026, 10, 30, 14, 0)), FakeMessenger()
    desk, engine = desk_at(store, profile, clock, messenger)
    call = store_payload(store, payload(requested_start="2026-11-03T10:30:00"), desk.context.rules, clock())
    appt = desk.bookings.approve(call.proposal.id, call.proposal.version, actor="amy")
    engine.run_cycle()
    assert len(messenger.sent) == 1  # the confirmation, in the afternoon
    set_clock(clock, local(2026, 10, 31, 23, 30))
    desk.appointments.cancel(appt.id, notify=True, actor="amy")
    engine.run_cycle()
    set_clock(clock, datetime(2026, 11, 1, 13, 59, tzinfo=UTC))  # 7:59 AM CST (8:59 by yesterday's clock)
    engine.run_cycle()
    assert len(messenger.sent) == 1
    set_clock(clock, datetime(2026, 11, 1, 14, 0, tzinfo=UTC))  # 8:00 AM CST
    engine.run_cycle()
    engine.run_cycle()
    assert len(messenger.sent) == 2 and "cancel" in messenger.sent[1].body.lower()
