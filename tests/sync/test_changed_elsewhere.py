"""A change made at another desk or from the command line reaches the calendars and every desk's window at once
(store/changes.py wakes the sync leader and the other desks), not at the sync thread's next tick (an hour here)."""

from __future__ import annotations


import pytest

from receptionist import events
from receptionist.app import App, OutsideWorld
from receptionist.config import Profile
from receptionist.domain.models import SyncState
from receptionist.providers.secrets import memory_secret_store
from receptionist.store import Store
from receptionist.store.db import make_engine
from receptionist.sync.engine import CalendarTarget
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.fakes import FakeCalendar
from tests.helpers.payloads import payload
from tests.helpers.waiting import wait_for

G, O = "google:primary", "outlook:default"
LABELS = {G: "Google Calendar", O: "Outlook"}
SLOW_TICK = Profile.from_dict({"sync": {"interval_seconds": 3600}})


def desk_app(url, clock, cals=()) -> App:
    targets = [CalendarTarget(G, cals[0], "primary", LABELS[G]), CalendarTarget(O, cals[1], "", LABELS[O])] \
        if cals else []
    store = Store(make_engine(url))
    return App.assemble(SLOW_TICK, store, memory_secret_store("elsewhere"), OutsideWorld(targets, {}),
                        with_receiver=False, clock=clock)


def ours(cal: FakeCalendar, appointment_id: str):
    return [e for e in cal.events.values() if e.uid == appointment_id and not e.cancelled]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, db_url):
    if request.param == "sqlite":
        return db_url
    return request.getfixturevalue("pg_url")


@pytest.mark.parametrize("approved_with", [LABELS, {}], ids=["links", "no-links"])
def test_an_approval_at_another_desk_is_pushed_and_shown_everywhere_at_once(url, store, clock, approved_with):
    """``store`` upgrades the SQLite file; PostgreSQL is upgraded by its own engine below."""
    from receptionist.store.db import upgrade

    first = make_engine(url)
    upgrade(first)
    first.dispose()
    cals = (FakeCalendar(kind="google"), FakeCalendar(kind="outlook"))
    leader = desk_app(url, clock, cals).start()
    wait_for(lambda: leader.scheduler.last_report is not None)  # the first cycle (on start) is over: it leads
    watcher_desk = desk_app(url, clock).start()  # a desk with the window open, not the leader
    told: list[str] = []
    watcher_desk.bus.subscribe(lambda e: told.append(e.topic))
    other = Store(make_engine(url))  # the command line, or a desk on another machine
    try:
        assert leader.scheduler.is_leader and not watcher_desk.scheduler.is_leader
        call = store_payload(other, payload(requested_start="2026-11-24T10:30:00"),
                             make_desk(other, SLOW_TICK, events.EventBus(), LABELS, clock=clock).context.rules, clock())
        # approved by a desk whose profile may enable no calendar: the leader owes the links all the same
        appt = make_desk(other, SLOW_TICK, events.EventBus(), approved_with, clock=clock).bookings.approve(
            call.proposal.id, call.proposal.version, actor="desk-2")
        wait_for(lambda: all(ours(cal, appt.id) for cal in cals))
        wait_for(lambda: all(link.state is SyncState.SYNCED for link in other.appointments.get(appt.id).links)
                 and len(other.appointments.get(appt.id).links) == 2)
        wait_for(lambda: events.CHANGED_ELSEWHERE in told)
    finally:
        watcher_desk.stop()
        leader.stop()
        other.engine.dispose()


def test_news_that_may_be_the_leaders_own_writes_does_not_start_another_cycle(db_url, store, clock):
    """On SQLite a change seen while this desk wrote too may be its own cycle's writes (``certain`` False): with
    nothing Pending the leader is not woken, or every cycle's writes would start the next one."""
    from receptionist.sync.scheduler import JOB

    cals = (FakeCalendar(kind="google"), FakeCalendar(kind="outlook"))
    leader = desk_app(db_url, clock, cals).start()
    told: list[str] = []
    leader.bus.subscribe(lambda e: told.append(e.topic))
    try:
        first = wait_for(lambda: leader.scheduler.last_report)
        planned = leader.scheduler._scheduler.get_job(JOB).next_run_time
        leader.changed_elsewhere(certain=False)
        # neither pulled forward nor asked for once the first cycle is over
        assert leader.scheduler._scheduler.get_job(JOB).next_run_time == planned
        assert JOB not in leader.scheduler._again
        assert events.CHANGED_ELSEWHERE in told  # the window still reads again
        leader.changed_elsewhere(certain=True)
        wait_for(lambda: leader.scheduler.last_report is not first)  # another cycle ran
    finally:
        leader.stop()
