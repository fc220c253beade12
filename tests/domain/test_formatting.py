import pytest

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from receptionist.domain.formatting import (
    format_datetime,
    format_elapsed,
    format_phone,
    format_range,
    is_platform_key,
    readable_key,
)

CHICAGO = ZoneInfo("America/Chicago")


def test_us_phone_display():
    assert format_phone("+13125550142") == "(312) 555-0142"
    assert format_phone("+442071838750") == "+44 20 7183 8750"
    assert format_phone(None) == ""


def test_dates_and_times_display_in_the_location_zone():
    instant = datetime(2026, 11, 24, 16, 30, tzinfo=timezone.utc)
    assert format_datetime(instant, CHICAGO) == "11/24/2026 10:30 AM"
    assert format_range(instant, datetime(2026, 11, 24, 17, 15, tzinfo=timezone.utc), CHICAGO) == (
        "11/24/2026 10:30 AM – 11:15 AM CST"
    )
    summer = datetime(2026, 7, 1, 15, 0, tzinfo=timezone.utc)
    assert format_datetime(summer, CHICAGO, with_zone=True) == "07/01/2026 10:00 AM CDT"


def test_how_long_a_call_has_lasted():
    assert [format_elapsed(s) for s in (0, 75, 3599, 3725)] == ["0:00", "1:15", "59:59", "1:02:05"]
    assert format_elapsed(None) == ""


@pytest.mark.parametrize("key, label", [
    ("preferred_contact", "Preferred contact"), ("insuranceProvider", "Insurance provider"),
    ("retell_user_sentiment", "User sentiment"), ("vapi_ended_reason", "Ended reason"), ("x", "X"),
    ("__", "__"),
])
def test_readable_key(key, label):
    assert readable_key(key) == label


def test_platform_keys():
    assert is_platform_key("retell_user_sentiment") and is_platform_key("Vapi_function")
    assert not is_platform_key("insurance")
