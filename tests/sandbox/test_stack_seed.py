"""The demo's seeded week as the product reads it: through the real providers (built by the app's composition,
``calendar_targets``) and into the store's busy time.

Seeded for the week of Monday 11/23/2026: on each calendar (Google, Outlook, and CalDAV on a real Radicale) a weekly meeting that began four weeks earlier (so
before the 11/01 fall-back) with this week's occurrence moved and next week's cancelled, an all-day event and a
free one.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist.app import calendar_targets
from receptionist.domain.ports import change_pages
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.stack import SandboxStack

UTC = timezone.utc
CHICAGO = ZoneInfo("America/Chicago")
MONDAY = datetime(2026, 11, 23, tzinfo=CHICAGO)
WINDOW = (MONDAY - timedelta(days=28), MONDAY + timedelta(days=14))


@pytest.fixture(scope="module")
def seeded():
    with SandboxStack(caldav=True) as stack:
        profile = stack.profile()
        secrets = memory_secret_store("stack-seed-tests")
        stack.provision(profile, secrets)
        stack.seed_week(now=MONDAY + timedelta(hours=9))
        targets, problems = calendar_targets(profile, secrets)
        assert problems == {}
        yield {t.key: t for t in targets}


def local(event) -> tuple[date, time]:
    start = event.start.astimezone(CHICAGO)
    return start.date(), start.time()


@pytest.mark.parametrize("key, title, weekday, at, moved_to", [
    ("google:primary", "Owners' check-in", 2, time(12, 30), time(13, 30)),
    ("outlook:default", "Lunch & learn", 4, time(12, 0), time(12, 30)),
    ("caldav:Hygiene team", "Hygiene chart review", 4, time(7, 30), time(8, 30)),
])
def test_each_calendar_has_a_series_with_a_moved_and_a_cancelled_occurrence(seeded, key, title, weekday, at,
                                                                            moved_to):
    target = seeded[key]
    events = target.provider.list_events(target.calendar_id, *WINDOW)
    series = sorted((e for e in events if e.title.startswith(title)), key=lambda e: e.start)
    this_week = (MONDAY + timedelta(days=weekday)).date()
    # four weeks before, this week (moved) and nothing the week after (cancelled)
    assert [local(e) for e in series] == [(this_week - timedelta(weeks=w), at) for w in (4, 3, 2, 1)] + [
        (this_week, moved_to)]
    assert series[-1].title == f"{title} (moved)"
    # the same wall-clock time on both sides of the fall-back: an hour later in UTC after it
    assert series[1].start - series[0].start == timedelta(weeks=1, hours=1)
    assert all(e.busy and not e.all_day for e in series)


def test_all_day_and_free_events_read_as_such(seeded):
    google, outlook = seeded["google:primary"], seeded["outlook:default"]
    g = {e.title: e for e in google.provider.list_events(google.calendar_id, MONDAY, MONDAY + timedelta(days=7))}
    o = {e.title: e for e in outlook.provider.list_events(outlook.calendar_id, MONDAY, MONDAY + timedelta(days=7))}
    closed = o["Office closed — CPR recertification"]
    saturday = MONDAY + timedelta(days=5)
    assert closed.all_day and closed.busy
    assert (closed.start, closed.end) == (saturday.astimezone(UTC), (saturday + timedelta(days=1)).astimezone(UTC))
    assert o["Optional: sterilization webinar"].busy is False
    assert g["Tennis (personal)"].busy is False
    on_call = g["On call — Dr. Kim"]  # Thursday's on-call day: all day in the calendar's zone, not blocking
    assert on_call.all_day and not on_call.busy and on_call.start == (MONDAY + timedelta(days=3)).astimezone(UTC)
    caldav = seeded["caldav:Hygiene team"]
    c = {e.title: e for e in caldav.provider.list_events(caldav.calendar_id, MONDAY, MONDAY + timedelta(days=7))}
    vacation, wednesday = c["Maria — vacation day"], MONDAY + timedelta(days=2)
    assert vacation.all_day and vacation.busy and (vacation.start, vacation.end) == (
        wednesday.astimezone(UTC), (wednesday + timedelta(days=1)).astimezone(UTC))
    assert c["Optional: new intraoral scanner demo"].busy is False


def test_busy_time_in_the_store_counts_busy_occurrences_and_skips_free_events(seeded, store, clock):
    for key, target in seeded.items():
        store.cache.apply_changes(key, change_pages(target.provider, target.calendar_id, None, *WINDOW), WINDOW,
                                  clock())
    blocks = store.busy.blocks(MONDAY, MONDAY + timedelta(days=7))
    titles = {b.title for b in blocks}
    assert {"Owners' check-in (moved)", "Lunch & learn (moved)", "Office closed — CPR recertification",
            "Morning huddle", "Hygiene chart review (moved)", "Maria — vacation day"} <= titles
    assert not titles & {"Tennis (personal)", "Optional: sterilization webinar", "On call — Dr. Patel",
                         "Owners' check-in", "Lunch & learn", "Optional: new intraoral scanner demo"}
    closed = next(b for b in blocks if b.title.startswith("Office closed"))
    assert closed.start.astimezone(CHICAGO) == MONDAY + timedelta(days=5)
