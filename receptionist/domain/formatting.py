"""How things are shown at a US front desk: MM/DD/YYYY, 12-hour clock, (555) 123-4567."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import phonenumbers


@functools.lru_cache(maxsize=4096)
def format_phone(e164: str | None, region: str = "US") -> str:
    """``+13125550142`` → ``(312) 555-0142``; numbers of other countries in international format. Remembered:
    phonenumbers takes ~0.1 ms a number, and every event draft of an appointment formats its number."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def local(instant: datetime, zone: ZoneInfo) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: store and pass UTC-aware instants")
    return instant.astimezone(zone)


def format_date(instant: datetime, zone: ZoneInfo) -> str:
    return local(instant, zone).strftime("%m/%d/%Y")


def format_time(instant: datetime, zone: ZoneInfo) -> str:
    text = local(instant, zone).strftime("%I:%M %p")
    return text[1:] if text.startswith("0") else text


def format_datetime(instant: datetime, zone: ZoneInfo, with_zone: bool = False) -> str:
    text = f"{format_date(instant, zone)} {format_time(instant, zone)}"
    if with_zone:
        text += f" {local(instant, zone).tzname()}"
    return text


def format_elapsed(seconds: int | None) -> str:
    """How long a call has lasted: ``1:15``, ``1:02:05``; empty when its start is not known."""
    if seconds is None:
        return ""
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_range(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """``11/24/2026 10:30 AM – 11:15 AM CST``."""
    same_day = local(start, zone).date() == local(end, zone).date()
    tail = format_time(end, zone) if same_day else format_datetime(end, zone)
    return f"{format_datetime(start, zone)} – {tail} {local(start, zone).tzname()}"


# custom fields an AI platform's adapter adds of its own (``retell_user_sentiment``): technical, not the caller's words
PLATFORM_PREFIXES = ("retell_", "vapi_", "bland_", "synthflow_", "elevenlabs_", "twilio_")


def is_platform_key(key: str) -> bool:
    return key.lower().startswith(PLATFORM_PREFIXES)


def readable_key(key: str) -> str:
    """A custom field's key as a label: ``preferred_contact`` → ``Preferred contact``, ``insuranceProvider`` →
    ``Insurance provider``, ``retell_user_sentiment`` → ``User sentiment``."""
    text = key
    for prefix in PLATFORM_PREFIXES:
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
            break
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    words = re.sub(r"[_\-.\s]+", " ", text).strip().lower()
    return words[:1].upper() + words[1:] if words else key


_US_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*(?:(\d{1,2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?)?\s*$")


def parse_us(text: str) -> date | datetime | None:
    """A date or a wall-clock time as a US desk writes it — ``12/10/2026``, ``12/10/2026 10:30 AM``,
    ``12/10/2026 2 pm``, ``12/10/2026 14:30`` — as a date or a naive datetime; None when it is not written so.
    ``ValueError`` with a sentence when it is, but cannot be a date or time (``13/40/2026``, ``12/10/2026 13 PM``)."""
    m = _US_DATE.match(text)
    if m is None:
        return None
    month, day, year, hour, minute, half = m.groups()
    try:
        day_of = date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a date (month/day/year)") from None
    if hour is None:
        return day_of
    h, mins = int(hour), int(minute or 0)
    if half is not None:
        if not 1 <= h <= 12:
            raise ValueError(f"{text.strip()!r}: with AM/PM the hour is 1 to 12")
        h = h % 12 + (12 if half[0].lower() == "p" else 0)
    if h > 23 or mins > 59:
        raise ValueError(f"{text.strip()!r} is not a time of day")
    return datetime(day_of.year, day_of.month, day_of.day, h, mins)
