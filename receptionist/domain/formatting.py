"""How things are shown at a US front desk: MM/DD/YYYY, 12-hour clock, (555) 123-4567."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import phonenumbers


def format_phone(e164: str | None, region: str = "US") -> str:
    """``+13125550142`` → ``(312) 555-0142``; numbers of other countries in international format."""
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
