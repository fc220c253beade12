"""Days and times typed on the command line (``cli_input``): a US desk's way and ISO 8601 give the same answer,
and anything else is one sentence that names the option."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receptionist.cli_input import day_option, moment_option
from receptionist.errors import UserError

CHICAGO = ZoneInfo("America/Chicago")


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_a_day_reads_the_same_written_either_way(day):
    assert day_option(f"{day:%m/%d/%Y}", "--from") == day_option(day.isoformat(), "--from") == day
    assert day_option(f"{day.month}/{day.day}/{day.year}", "--from") == day  # without the leading zeros


@pytest.mark.parametrize(("text", "says"), [
    ("13/40/2026", "--to: '13/40/2026' is not a date (month/day/year)"),
    ("02/29/2027", "--to: '02/29/2027' is not a date (month/day/year)"),
    ("tuesday", "--to 'tuesday' is not a date like 12/03/2026 or 2026-12-03"),
    ("12/03/2026 10:30 AM", "--to '12/03/2026 10:30 AM' is a day, without a time of day: e.g. 12/03/2026"),
])
def test_a_day_that_is_not_one_names_the_option_and_an_example(text, says):
    with pytest.raises(UserError) as refused:
        day_option(text, "--to")
    assert str(refused.value) == says


@pytest.mark.parametrize(("us", "iso", "utc"), [
    ("12/10/2026 10:30 AM", "2026-12-10T10:30", datetime(2026, 12, 10, 16, 30, tzinfo=timezone.utc)),
    ("12/10/2026 2 pm", "2026-12-10T14:00", datetime(2026, 12, 10, 20, 0, tzinfo=timezone.utc)),
    ("12/10/2026 14:30", "2026-12-10T14:30-06:00", datetime(2026, 12, 10, 20, 30, tzinfo=timezone.utc)),
    # the night the clocks fall back: 1:30 AM happens twice and is read as the first (CDT)
    ("11/07/2027 1:30 AM", "2027-11-07T01:30", datetime(2027, 11, 7, 6, 30, tzinfo=timezone.utc)),
    # the day after spring forward, and the day before: each in its own offset
    ("03/15/2027 9:00 AM", "2027-03-15T09:00", datetime(2027, 3, 15, 14, 0, tzinfo=timezone.utc)),
    ("03/13/2027 9:00 AM", "2027-03-13T09:00", datetime(2027, 3, 13, 15, 0, tzinfo=timezone.utc)),
])
def test_a_time_reads_the_same_written_either_way_in_the_locations_zone(us, iso, utc):
    assert moment_option(us, CHICAGO, "--start") == moment_option(iso, CHICAGO, "--start") == utc


@pytest.mark.parametrize(("text", "says"), [
    ("03/14/2027 2:30 AM", "--at: 03/14/2027 02:30 AM does not exist in America/Chicago (clocks spring forward "
                           "that night); pick another time"),
    ("2027-03-14T02:30", "--at: 03/14/2027 02:30 AM does not exist in America/Chicago"),
    ("12/10/2026", "--at '12/10/2026' has no time of day: add it, e.g. \"12/10/2026 10:30 AM\""),
    ("12/10/2026 13 PM", "--at: '12/10/2026 13 PM': with AM/PM the hour is 1 to 12"),
    ("soon", "--at 'soon' is not a date and time like \"12/10/2026 10:30 AM\" or 2026-12-10T10:30"),
])
def test_a_time_that_cannot_be_read_names_the_option_and_why(text, says):
    with pytest.raises(UserError) as refused:
        moment_option(text, CHICAGO, "--at")
    assert str(refused.value).startswith(says)
