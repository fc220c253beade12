"""The on-call calendar through the desk: the leader's refresh stores its shifts (a failed read keeps the last good
ones and says why), ``who_is_on_call`` answers from them and says when they are out of date, the profile's roster
stays the answer without one, and the Health report names the last successful on-call refresh."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.ports import RemoteEvent
from receptionist.errors import TransientError
from receptionist.sync.engine import CalendarTarget, SyncEngine
from tests.helpers.desk import make_desk
from tests.helpers.fakes import FakeCalendar, FakeClock

NY = ZoneInfo("America/New_York")
ROTA = "rota@group.calendar.google.com"
G = "google:primary"


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(timezone.utc)


PROFILE = {
    "location": {"time_zone": "America/New_York"},
    "google": {"enabled": True},
    "people": {"members": [{"name": "Dr. Ben Cole", "phone": "+12125550122"}]},
    "availability": {"on_call_calendar": f"google:{ROTA}", "stale_after_minutes": 30, "on_call_refresh_minutes": 10,
                     "on_call": [{"person": "Dr. Rota Only", "phone": "+12125550199", "hours": "00:00-24:00"}]},
}


class RotaCalendar(FakeCalendar):
    """The Google account: its own calendar, and the shared rota read by calendar id."""

    def __init__(self):
        super().__init__(kind="google")
        self.rota: list[RemoteEvent] = []
        self.read: list[str] = []

    def list_events(self, calendar_id, start, end):
        if calendar_id != ROTA:
            return super().list_events(calendar_id, start, end)
        self.read.append(calendar_id)
        self._maybe_fail("list")
        return [e for e in self.rota if e.start < end and start < e.end]


def shift(n, title, start, end, description="", all_day=False):
    return RemoteEvent(f"r{n}", f'"{n}"', title, start, end, description=description, all_day=all_day)


@pytest.fixture
def clock():
    return FakeClock(ny(2026, 12, 7, 21))  # Monday 9 PM


@pytest.fixture
def google():
    cal = RotaCalendar()
    cal.rota = [shift(1, "On call: Dr. Ana Ruiz", ny(2026, 12, 7, 18), ny(2026, 12, 8, 8), "cell 212-555-0111"),
                shift(2, "Dr. Ben Cole", ny(2026, 12, 8, 18), ny(2026, 12, 9, 8)),
                shift(3, "On call", ny(2026, 12, 9, 18), ny(2026, 12, 10, 8))]
    return cal


def desk_for(store, clock, google, profile=PROFILE):
    profile = Profile.from_dict(profile)
    bus = events.EventBus()
    engine = SyncEngine(store, profile, [CalendarTarget(G, google, "primary", "Google Calendar")], bus=bus,
                        clock=clock)
    return make_desk(store, profile, bus, {G: "Google Calendar"}, clock=clock, engine=engine)


def test_the_refresh_stores_the_shifts_and_the_answer_comes_from_them(store, clock, google):
    desk = desk_for(store, clock, google)
    before = desk.on_call.who_is_on_call()
    assert before.now is None and before.say.startswith("The on-call calendar has not been read yet")
    read = desk.on_call.refresh()
    assert google.read == [ROTA]
    assert (read.refreshed_at, read.error, read.shifts) == (clock(), None, 2)
    assert read.problems == ("the on-call event of 12/9 ('On call') names nobody: title it with the person, e.g. "
                             "'On call: Dr. Bo Chen'",)
    now = desk.on_call.who_is_on_call()
    assert (now.now.person, now.now.phone, now.stale) == ("Dr. Ana Ruiz", "+12125550111", None)
    assert now.say == "Dr. Ana Ruiz is on call now, until Tuesday 12/8 at 8:00 AM."
    tuesday = desk.on_call.who_is_on_call(ny(2026, 12, 9, 2))
    assert (tuesday.now.person, tuesday.now.phone) == ("Dr. Ben Cole", "+12125550122")  # from [people]
    noon = desk.on_call.who_is_on_call(ny(2026, 12, 8, 12))
    assert noon.now is None and noon.say.endswith("Dr. Ben Cole is on call from Tuesday 12/8 at 6:00 PM.")


def test_a_failed_refresh_keeps_the_last_good_shifts_and_goes_stale(store, clock, google):
    desk = desk_for(store, clock, google)
    desk.on_call.refresh()
    clock.advance(minutes=20)
    google.fail_reads.append(TransientError("Google Calendar is not answering (503)"))
    failed = desk.on_call.refresh()
    assert failed.refreshed_at == clock() - timedelta(minutes=20) and "503" in failed.error
    fresh = desk.on_call.who_is_on_call()
    assert fresh.now.person == "Dr. Ana Ruiz" and fresh.stale is None  # 20 minutes: within the limit
    clock.advance(minutes=15)
    stale = desk.on_call.who_is_on_call()
    assert stale.now.person == "Dr. Ana Ruiz"
    assert stale.stale == ("the on-call calendar was last read 35 minutes ago (Google Calendar is not answering "
                           "(503))")
    assert stale.say.endswith("(The on-call calendar was not read recently, so the desk confirms who is on call.)")
    tool = desk.on_call.tool_answer({})
    assert tool.ok and tool.stale == stale.stale


def test_the_health_report_names_the_last_successful_on_call_refresh(store, clock, google):
    desk = desk_for(store, clock, google)
    [never] = [c for c in desk.watch.report().connections if c.kind == "on-call"]
    assert never.state == "failed" and never.problems[0] == "on-call-stale"
    assert dict(never.facts)["Last successful on-call refresh"] == "never"
    desk.on_call.refresh()
    [good] = [c for c in desk.watch.report().connections if c.kind == "on-call"]
    assert good.state == "warning" and good.problems == ("on-call-event",)  # the event naming nobody
    assert dict(good.facts)["Last successful on-call refresh"] == "12/07/2026 9:00 PM"
    assert good.as_json()["last_refresh_at"] == clock().isoformat()
    assert "Title each on-call event with the person" in good.as_json()["runbook"]["on-call-event"]
    google.rota.pop()
    clock.advance(minutes=31)
    google.fail_reads.append(TransientError("Google Calendar is not answering (503)"))
    desk.on_call.refresh()
    [late] = [c for c in desk.watch.report().connections if c.kind == "on-call"]
    assert late.state == "failed" and late.problems == ("on-call-stale", "on-call-event")
    assert late.text == "The on-call calendar was last read 31 minutes ago (Google Calendar is not answering (503))"
    raised = {a.key for a in desk.watch.evaluate()}
    assert "on-call-stale:on-call" in raised
    clock.advance(minutes=1)
    desk.on_call.refresh()  # it answers again: the alert clears
    desk.watch.evaluate()
    assert not [a for a in desk.watch.alerts() if a.key == "on-call-stale:on-call" and a.open and not a.cleared_at]


def test_without_an_on_call_calendar_the_roster_answers_and_nothing_is_read(store, clock, google):
    profile = {**PROFILE, "availability": {**PROFILE["availability"], "on_call_calendar": ""}}
    desk = desk_for(store, clock, google, profile)
    assert desk.on_call.refresh() is None and google.read == []
    answer = desk.on_call.who_is_on_call()
    assert answer.now.person == "Dr. Rota Only" and answer.stale is None
    assert not [c for c in desk.watch.report().connections if c.kind == "on-call"]
    drawn = desk.on_call.shifts(ny(2026, 12, 7, 0), ny(2026, 12, 8, 0))
    assert drawn.source == "roster" and drawn.shifts[-1].person == "Dr. Rota Only"


def test_an_on_call_calendar_on_an_account_that_is_not_connected_is_a_failed_refresh(store, clock):
    profile = Profile.from_dict(PROFILE)
    bus = events.EventBus()
    engine = SyncEngine(store, profile, [], bus=bus, clock=clock,
                        problems={G: "Google Calendar is not signed in: press Reconnect…"})
    desk = make_desk(store, profile, bus, {G: "Google Calendar"}, clock=clock, engine=engine)
    read = desk.on_call.refresh()
    assert read.refreshed_at is None
    assert read.error == "the google account cannot be read: Google Calendar is not signed in: press Reconnect…"


def test_a_changed_rota_has_the_calendar_views_read_again_and_ours_are_not_shifts(store, clock, google):
    desk = desk_for(store, clock, google)
    heard = []
    desk.context.bus.subscribe(lambda e: heard.append(e.topic))
    desk.on_call.refresh()
    assert heard.count(events.CALENDAR_REFRESHED) == 1
    clock.advance(minutes=10)
    desk.on_call.refresh()  # the same rota: nothing for the views to draw again
    assert heard.count(events.CALENDAR_REFRESHED) == 1
    google.rota.append(RemoteEvent("ours", '"9"', "Ana Ruiz — Cleaning", ny(2026, 12, 8, 9), ny(2026, 12, 8, 10),
                                   uid="a" * 32))  # one of our appointments, on a calendar the rota shares
    google.rota[1] = shift(2, "Dr. Cy Park", ny(2026, 12, 8, 18), ny(2026, 12, 9, 8), "212 555 0133")
    read = desk.on_call.refresh()
    assert heard.count(events.CALENDAR_REFRESHED) == 2 and read.shifts == 2
    assert desk.on_call.who_is_on_call(ny(2026, 12, 8, 23)).now.phone == "+12125550133"
