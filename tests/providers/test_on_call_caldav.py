"""The on-call rota on a CalDAV collection, read through the ``caldav`` library from a real Radicale: a nightly
series in America/New_York across the spring-forward night, an all-day shift, and a cover; the desk's refresh stores
them and ``who_is_on_call`` names the person with the phone from the event's description."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist import events
from receptionist.config import Profile
from receptionist.sync.engine import CalendarTarget, SyncEngine
from tests.helpers.caldav import USER, Person, make_calendar, make_provider
from tests.helpers.desk import make_desk
from tests.helpers.fakes import FakeClock

NY = ZoneInfo("America/New_York")


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.fixture
def rota(radicale_server):
    front, rota_url = make_calendar(radicale_server.url), make_calendar(radicale_server.url, "On-call rota")
    person = Person(radicale_server.url, rota_url)
    person.add("On call: Dr. Ana Ruiz", ny(2026, 3, 5, 18), ny(2026, 3, 6, 8), description="Cell 212-555-0111",
               rrule={"freq": "daily", "count": 7})
    person.add("On-call - Dr. Ben Cole", ny(2026, 3, 6, 20), ny(2026, 3, 6, 23), description="+1 212 555 0122")
    person.add("Dr. Cy Park", ny(2026, 3, 12, 0), ny(2026, 3, 13, 0), description="(212) 555-0133", all_day=True)
    yield radicale_server.url, front, rota_url
    person.client.close()


def test_the_rota_on_a_caldav_collection_answers_who_is_on_call(store, rota):
    server, front, rota_url = rota
    profile = Profile.from_dict({
        "location": {"time_zone": "America/New_York"},
        "caldav": {"enabled": True, "url": server, "username": USER, "calendar_url": front},
        "availability": {"on_call_calendar": f"caldav:{rota_url}"}})
    clock = FakeClock(ny(2026, 3, 7, 21).astimezone(timezone.utc))  # Saturday night, clocks go forward at 2 AM
    provider = make_provider(server, front, all_day_zone="America/New_York", memory=store.provider_memory)
    bus = events.EventBus()
    engine = SyncEngine(store, profile, [CalendarTarget("caldav:Front desk", provider, front, "CalDAV")], bus=bus,
                        clock=clock)
    desk = make_desk(store, profile, bus, {"caldav:Front desk": "CalDAV"}, clock=clock, engine=engine)
    try:
        read = desk.on_call.refresh()
        assert read.error is None and read.problems == ()
        assert read.shifts == 7 + 1 + 1
        tonight = desk.on_call.who_is_on_call()
        assert (tonight.now.person, tonight.now.phone) == ("Dr. Ana Ruiz", "+12125550111")
        # the short night, as this provider expands the series (recurring-ical-events keeps the wall-clock end):
        # 6 PM EST to 8 AM EDT, 13 hours; the desk takes the instants the provider gives
        assert tonight.now.end == ny(2026, 3, 8, 8).astimezone(timezone.utc)
        assert tonight.now.end - tonight.now.start == timedelta(hours=13)
        assert desk.on_call.who_is_on_call(ny(2026, 3, 8, 3, 30)).now.person == "Dr. Ana Ruiz"
        cover = desk.on_call.who_is_on_call(ny(2026, 3, 6, 21))
        assert (cover.now.person, cover.now.phone) == ("Dr. Ben Cole", "+12125550122")
        day = desk.on_call.who_is_on_call(ny(2026, 3, 12, 12))
        assert day.now.person == "Dr. Cy Park" and day.now.start == ny(2026, 3, 12, 0).astimezone(timezone.utc)
        assert desk.on_call.who_is_on_call(ny(2026, 3, 12, 8, 30)).now.person == "Dr. Cy Park"
    finally:
        provider.close()
