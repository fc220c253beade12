"""The week layout without widgets: days, lanes, all-day strip, and the location's time zone (DST included)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist.domain.models import AppointmentRow, AppointmentStatus, ExternalEventRecord
from receptionist.services import WeekView
from receptionist.ui.week_layout import layout_week, week_start, week_title

CHICAGO = ZoneInfo("America/Chicago")
MONDAY = date(2026, 11, 23)


def at(day, hour, minute=0, zone=CHICAGO):
    return datetime(2026, 11, day, hour, minute, tzinfo=zone).astimezone(timezone.utc)


def ext(rid, start, end, calendar="google:primary", all_day=False, title=None):
    return ExternalEventRecord(calendar, rid, title or rid, start, end, True, all_day, None)


def appt(aid, start, end):
    return AppointmentRow(aid, start, end, "Ann", None, "Cleaning", AppointmentStatus.CONFIRMED)


def week(appointments=(), external=()):
    return WeekView(at(23, 0), at(30, 0), list(appointments), list(external))


def test_overlapping_events_share_lanes_and_clusters_are_independent():
    items = layout_week(week([appt("a", at(24, 10), at(24, 11))],
                             [ext("x", at(24, 10, 30), at(24, 12)), ext("y", at(24, 11), at(24, 11, 30)),
                              ext("z", at(24, 15), at(24, 16))]), MONDAY, CHICAGO)
    lanes = {(i.key.split("/")[-1]): (i.lane, i.lanes) for i in items}
    assert lanes["a"] == (0, 2)  # a and x overlap; y starts when a ends, so it reuses a's lane
    assert lanes["primary/x".split("/")[-1]] == (1, 2)
    assert lanes["y"] == (0, 2)
    assert lanes["z"] == (0, 1)
    assert all(i.day == 1 for i in items)


def test_times_are_local_and_all_day_events_go_to_the_strip():
    items = layout_week(week([], [ext("holiday", datetime(2026, 11, 26, tzinfo=CHICAGO),
                                      datetime(2026, 11, 28, tzinfo=CHICAGO), all_day=True),
                                  ext("utc-allday", datetime(2026, 11, 23, tzinfo=timezone.utc),
                                      datetime(2026, 11, 24, tzinfo=timezone.utc), "outlook:default", True),
                                  ext("late", at(27, 23), at(28, 1))]), MONDAY, CHICAGO)
    strip = sorted((i.day, i.key) for i in items if i.all_day)
    assert strip == [(0, "outlook:default/utc-allday"), (3, "google:primary/holiday"), (4, "google:primary/holiday")]
    late = sorted((i.day, i.start.hour, i.end_minutes) for i in items if i.key.endswith("late"))
    assert late == [(4, 23, 1440), (5, 0, 60)]  # split at local midnight


def test_dst_week_uses_wall_time():
    zone = CHICAGO
    first = date(2026, 11, 2)  # the Monday after clocks fell back (Nov 1, 2026)
    start = datetime(2026, 11, 2, 9, 0, tzinfo=zone).astimezone(timezone.utc)
    items = layout_week(WeekView(start, start, [appt("a", start, start + timedelta(hours=1))], []), first, zone)
    assert items[0].start.hour == 9 and items[0].start.tzname() == "CST"


@pytest.mark.parametrize("day,title", [(date(2026, 11, 25), "November 23 – 29, 2026"),
                                       (date(2026, 12, 3), "Nov 30 – Dec 6, 2026"),
                                       (date(2026, 12, 31), "Dec 28, 2026 – Jan 3, 2027")])
def test_week_start_and_title(day, title):
    assert week_title(week_start(day)) == title
