"""The stand-ins' recurrence expansion (dateutil rrule underneath), in the zones the desk meets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist_sandbox.recurrence import contains, occurrences, patterned_rules, rfc5545_rules

UTC = timezone.utc
CHICAGO = ZoneInfo("America/Chicago")
FIRST = datetime(2026, 10, 20, 10, 0, tzinfo=CHICAGO)  # a Tuesday, before the 11/01/2026 fall-back
HALF_HOUR = timedelta(minutes=30)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("zone, before, after", [
    ("America/Chicago", utc(2026, 10, 27, 15), utc(2026, 11, 3, 16)),
    ("America/New_York", utc(2026, 10, 27, 14), utc(2026, 11, 3, 15)),
    ("America/Phoenix", utc(2026, 10, 27, 17), utc(2026, 11, 3, 17)),  # no DST: the same instant each week
])
def test_a_weekly_rule_keeps_its_wall_clock_time_across_fall_back(zone, before, after):
    first = FIRST.replace(tzinfo=ZoneInfo(zone))
    starts = occurrences(rfc5545_rules(["RRULE:FREQ=WEEKLY;COUNT=3"], first), HALF_HOUR)
    assert [s.astimezone(UTC) for s in starts[1:]] == [before, after]


def test_exdates_in_local_time_utc_or_as_dates_and_until_as_a_date():
    rules = rfc5545_rules(["RRULE:FREQ=DAILY;UNTIL=20261025", "EXDATE;TZID=America/Chicago:20261021T100000",
                           "EXDATE:20261022T150000Z", "EXDATE;VALUE=DATE:20261023"], FIRST)
    assert [s.date().isoformat() for s in occurrences(rules, HALF_HOUR)] == ["2026-10-20", "2026-10-24",
                                                                            "2026-10-25"]
    assert contains(rules, utc(2026, 10, 24, 15)) and not contains(rules, utc(2026, 10, 21, 15))


def test_unreadable_rules_are_refused():
    for lines in (["RRULE:FREQ=SOMETIMES"], ["EXDATE:20261021T100000"], ["RRULE:FREQ=DAILY", "EXDATE:soon"],
                  ["RRULE:FREQ=DAILY", "SUMMARY:x"], ["nonsense"]):
        with pytest.raises(ValueError):
            rfc5545_rules(lines, FIRST)


def test_window_overlap_includes_an_occurrence_running_at_its_start_and_excludes_one_starting_at_its_end():
    rules = rfc5545_rules(["RRULE:FREQ=WEEKLY;COUNT=5"], FIRST)
    found = occurrences(rules, HALF_HOUR, utc(2026, 10, 27, 15, 10), utc(2026, 11, 10, 16))
    assert [s.astimezone(UTC) for s in found] == [utc(2026, 10, 27, 15), utc(2026, 11, 3, 16)]
    assert len(occurrences(rules, HALF_HOUR, end=utc(2026, 11, 3, 16, 1))) == 3


def test_an_endless_rule_is_cut_when_no_window_bounds_it():
    starts = occurrences(rfc5545_rules(["RRULE:FREQ=DAILY"], FIRST), HALF_HOUR)
    assert len(starts) == 730


@pytest.mark.parametrize("pattern, expected", [
    ({"type": "daily", "interval": 3}, ["2026-10-20", "2026-10-23", "2026-10-26"]),
    ({"type": "weekly", "daysOfWeek": ["tuesday", "thursday"]}, ["2026-10-20", "2026-10-22", "2026-10-27"]),
    ({"type": "absoluteMonthly", "dayOfMonth": 20}, ["2026-10-20", "2026-11-20", "2026-12-20"]),
    ({"type": "relativeMonthly", "daysOfWeek": ["friday"], "index": "last"},
     ["2026-10-30", "2026-11-27", "2026-12-25"]),
    ({"type": "absoluteYearly", "dayOfMonth": 20, "month": 10}, ["2026-10-20", "2027-10-20", "2028-10-20"]),
    ({"type": "relativeYearly", "daysOfWeek": ["thursday"], "index": "fourth", "month": 11},
     ["2026-11-26", "2027-11-25", "2028-11-23"]),
])
def test_graph_patterns(pattern, expected):
    rules = patterned_rules({"pattern": pattern, "range": {"type": "numbered", "startDate": "2026-10-20",
                                                           "numberOfOccurrences": 3}}, FIRST)
    starts = occurrences(rules, HALF_HOUR)
    assert [s.date().isoformat() for s in starts] == expected
    assert {s.astimezone(CHICAGO).hour for s in starts} == {10}


def test_graph_end_date_range_includes_its_last_day_and_bad_patterns_are_refused():
    rules = patterned_rules({"pattern": {"type": "weekly", "daysOfWeek": ["tuesday"]},
                             "range": {"type": "endDate", "startDate": "2026-10-20", "endDate": "2026-11-03"}}, FIRST)
    assert [s.astimezone(UTC) for s in occurrences(rules, HALF_HOUR)][-1] == utc(2026, 11, 3, 16)
    for bad in ({"pattern": {"type": "hourly"}, "range": {}},
                {"pattern": {"type": "weekly"}, "range": {"type": "noEnd"}},
                {"pattern": {"type": "daily"}, "range": {"type": "numbered", "numberOfOccurrences": 0}},
                {"pattern": {"type": "daily"}, "range": {"type": "forever"}}):
        with pytest.raises(ValueError):
            patterned_rules(bad, FIRST)
