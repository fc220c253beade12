"""The on-call rota is read at once when the desk becomes the sync leader (before its first cycle, not a minute
later), so ``who_is_on_call`` never answers "not read yet" on a healthy start; and a change of
``availability.on_call_calendar`` or ``on_call_refresh_minutes`` under File → Settings is taken without a restart."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from receptionist.app import ON_CALL_JOB, App, OutsideWorld
from receptionist.config import Profile
from receptionist.providers.secrets import memory_secret_store
from receptionist.sync.engine import CalendarTarget
from receptionist.sync.scheduler import LEASE
from tests.helpers.fakes import FakeClock
from tests.services.test_on_call_calendar import (
    PROFILE,
    ROTA,
    G,
    RotaCalendar,
    ny,
    shift,
)

COVER = "cover@group.calendar.google.com"
WAIT = 60  # seconds a thread is given to do what it was asked (never reached when it works)


class WatchedRota(RotaCalendar):
    """The account's calendars, noting for each read of a rota whether the sync thread had run a cycle before it."""

    def __init__(self):
        super().__init__()
        self.cover: list = []
        self.cycles_before: list[bool] = []
        self.scheduler = None

    def list_events(self, calendar_id, start, end):
        if calendar_id not in (ROTA, COVER):
            return super().list_events(calendar_id, start, end)
        self.read.append(calendar_id)
        self.cycles_before.append(self.scheduler.last_report is not None)
        events_ = self.rota if calendar_id == ROTA else self.cover
        return [e for e in events_ if e.start < end and start < e.end]


@pytest.fixture
def clock():
    return FakeClock(ny(2026, 12, 7, 21))  # Monday 9 PM


@pytest.fixture
def google():
    cal = WatchedRota()
    cal.rota = [shift(1, "On call: Dr. Ana Ruiz", ny(2026, 12, 7, 18), ny(2026, 12, 8, 8), "cell 212-555-0111")]
    cal.cover = [shift(2, "On call: Dr. Cy Park", ny(2026, 12, 7, 20), ny(2026, 12, 7, 23), "cell 212-555-0133")]
    return cal


def assemble(store, clock, google) -> App:
    world = OutsideWorld(targets=[CalendarTarget(G, google, "primary", "Google Calendar")], problems={})
    app = App.assemble(Profile.from_dict(PROFILE), store, memory_secret_store("on-call-live"), world,
                       with_receiver=False, clock=clock)
    google.scheduler = app.scheduler
    return app


def refreshed(app: App, calendar: str) -> None:
    """Wait until the leader has stored a good read of ``calendar`` (the refresh publishes HEALTH_CHANGED after)."""
    done = threading.Event()

    def check(_event=None) -> None:
        if app.store.on_call.refresh_of(f"google:{calendar}").refreshed_at is not None:
            done.set()

    unsubscribe = app.bus.subscribe(check)
    try:
        check()
        assert done.wait(WAIT), f"the on-call calendar {calendar} was not read"
    finally:
        unsubscribe()


def test_the_rota_is_read_at_once_when_the_desk_becomes_the_leader(store, clock, google):
    app = assemble(store, clock, google)
    assert app.desk.on_call.who_is_on_call().say.startswith("The on-call calendar has not been read yet")
    app.start()
    try:
        refreshed(app, ROTA)
        assert google.cycles_before == [False]  # before the first sync cycle, not a minute after the start
        answer = app.desk.on_call.who_is_on_call()
        assert (answer.now.person, answer.now.phone, answer.stale) == ("Dr. Ana Ruiz", "+12125550111", None)
    finally:
        app.stop()


def test_a_desk_that_becomes_the_leader_later_reads_the_rota_then(store, clock, google):
    """Another desk leads at the start: this one reads nothing; when the lease is free and this desk takes it,
    it reads the rota at once, before that cycle."""
    assert store.leases.acquire(LEASE, "another-desk:1:cafe", timedelta(minutes=5), clock())
    app = assemble(store, clock, google)
    tried = threading.Event()
    acquire = app.scheduler.lease.acquire

    def noted() -> bool:  # the sync thread's tick asks for the lease
        held = acquire()
        tried.set()
        return held

    app.scheduler.lease.acquire = noted
    app.start()
    try:
        assert tried.wait(WAIT)
        assert google.read == [] and not app.scheduler.is_leader
        store.leases.release(LEASE, "another-desk:1:cafe")
        app.scheduler.wake()
        refreshed(app, ROTA)
        assert app.scheduler.is_leader and google.cycles_before == [False]
        assert app.desk.on_call.who_is_on_call().now.person == "Dr. Ana Ruiz"
    finally:
        app.stop()


def test_settings_take_a_new_on_call_calendar_and_interval_without_a_restart(store, clock, google):
    app = assemble(store, clock, google)
    app.start()
    try:
        refreshed(app, ROTA)
        job = app.scheduler._scheduler.get_job(ON_CALL_JOB)  # APScheduler's own job: its interval and next turn
        assert job.trigger.interval == timedelta(minutes=10)
        data = app.profile.model_dump()
        data["availability"]["on_call_calendar"] = f"google:{COVER}"
        applied = app.desk.settings.apply(Profile.from_dict(data), actor="Dr. Ben Cole")
        assert f"The on-call calendar google:{COVER} is read now, then every 10 minutes." in applied.live
        assert "The new hours and services are in use." not in " ".join(applied.live)  # only the rota changed
        refreshed(app, COVER)  # now, not at the next turn ten minutes on
        assert google.read == [ROTA, COVER]
        answer = app.desk.on_call.who_is_on_call()
        assert (answer.now.person, answer.now.phone, answer.stale) == ("Dr. Cy Park", "+12125550133", None)

        data["availability"]["on_call_refresh_minutes"] = 5
        applied = app.desk.settings.apply(Profile.from_dict(data), actor="Dr. Ben Cole")
        assert applied.live == ("The on-call calendar is read every 5 minutes now.",) and applied.at_restart == ()
        job = app.scheduler._scheduler.get_job(ON_CALL_JOB)
        assert job.trigger.interval == timedelta(minutes=5)

        data["availability"]["on_call_calendar"] = ""
        applied = app.desk.settings.apply(Profile.from_dict(data), actor="Dr. Ben Cole")
        assert applied.live == ("Who is on call comes from the roster under Availability again.",)
        assert app.desk.on_call.who_is_on_call().now.person == "Dr. Rota Only"  # PROFILE's roster
    finally:
        app.stop()
    assert google.read == [ROTA, COVER]


def test_a_desk_that_does_not_lead_says_the_leader_reads_the_new_calendar(store, clock, google):
    app = assemble(store, clock, google).start(sync=False)
    try:
        data = app.profile.model_dump()
        data["availability"]["on_call_calendar"] = f"google:{COVER}"
        applied = app.desk.settings.apply(Profile.from_dict(data), actor="Dr. Ben Cole")
        assert applied.live[-1] == f"The sync leader desk reads the on-call calendar google:{COVER} every 10 minutes."
        assert google.read == []
    finally:
        app.stop()
