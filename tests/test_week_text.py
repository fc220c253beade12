"""``receptionist setup --hours``: any week the window's editor can hold (several ranges a day, quarter hours), said
in 12-hour or 24-hour times, reads back as the same ``availability.hours``."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from receptionist.domain.schedule import WEEKDAYS, WeeklyHours
from receptionist.domain.week_text import clock_text, parse_week, week_sentence


@st.composite
def days_ranges(draw):
    """A day's ranges: sorted quarter-hour cuts paired up (non-overlapping; one may touch the next)."""
    cuts = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
    cuts = cuts[: len(cuts) // 2 * 2]
    return [(cuts[i] * 15, cuts[i + 1] * 15) for i in range(0, len(cuts), 2)]


def _said(minutes: int, twelve: bool, closing: bool) -> str:
    if twelve:
        return "midnight" if minutes in (0, 24 * 60) and (closing or minutes == 0) else \
            clock_text(minutes).replace(" ", "").lower()
    return f"{minutes // 60}:{minutes % 60:02d}"


@given(st.lists(days_ranges(), min_size=7, max_size=7), st.booleans())
def test_a_week_said_on_the_command_line_reads_back_as_the_editor_writes_it(week, twelve):
    specs = [f"{WEEKDAYS[d]}=" + (",".join(f"{_said(a, twelve, False)}-{_said(b, twelve, True)}" for a, b in ranges)
                                  or "closed") for d, ranges in enumerate(week)]
    table = parse_week(specs)
    assert WeeklyHours.of(table).days == tuple(tuple(r) for r in week)
    assert week_sentence(WeeklyHours.of(table)).count(";") == 6


def test_days_not_named_are_closed_and_full_day_names_and_runs_work():
    table = parse_week(["Tuesday,thu-sat=noon-4:15 PM"])
    assert table == {"mon": [], "tue": ["12:00-16:15"], "wed": [], "thu": ["12:00-16:15"], "fri": ["12:00-16:15"],
                     "sat": ["12:00-16:15"], "sun": []}
