"""Recurrence expansion for the stand-ins, on python-dateutil's ``rrule``.

Both vendors keep a series' wall-clock time in the series' own time zone: a weekly 10:00 America/Chicago meeting
is at 15:00Z before the US fall-back and 16:00Z after it.  The rules here are therefore built on an aware
``dtstart`` in that zone; ``rrule`` steps the wall-clock fields and ``ZoneInfo`` gives each occurrence its own
offset.

* Google (``recurrence`` of an event, RFC 5545 lines): ``RRULE``, ``EXRULE``, ``RDATE`` and ``EXDATE``, with
  ``TZID=`` / ``VALUE=DATE`` parameters or UTC (``...Z``) values, as the Calendar v3 recurring-events guide shows.
* Microsoft Graph (``patternedRecurrence``): ``pattern`` (daily, weekly, absoluteMonthly, relativeMonthly,
  absoluteYearly, relativeYearly; ``interval``, ``daysOfWeek``, ``dayOfMonth``, ``month``, ``index``,
  ``firstDayOfWeek``) and ``range`` (endDate, noEnd, numbered; ``startDate``, ``endDate``,
  ``numberOfOccurrences``), the range's dates read in the series' zone.

A series without an end is cut at ``MAX_OCCURRENCES`` when no window bounds it (the real services also stop
expanding somewhere; the product always reads a window).
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import (
    DAILY,
    FR,
    MO,
    MONTHLY,
    SA,
    SU,
    TH,
    TU,
    WE,
    WEEKLY,
    YEARLY,
    rrule,
    rruleset,
    rrulestr,
)

MAX_OCCURRENCES = 730
UTC = timezone.utc


# ------------------------------------------------------------------------------------------------ RFC 5545 (Google)


def _parse_value(text: str, params: dict[str, str], dtstart: datetime) -> datetime:
    """One RDATE/EXDATE value as an aware datetime (a date value takes the series' start time)."""
    text = text.strip()
    if params.get("VALUE", "").upper() == "DATE" or len(text) == 8:
        day = datetime.strptime(text, "%Y%m%d").date()
        return datetime.combine(day, dtstart.timetz().replace(tzinfo=None), dtstart.tzinfo)
    if text.endswith("Z"):
        return datetime.strptime(text[:-1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    zone = ZoneInfo(params["TZID"]) if "TZID" in params else dtstart.tzinfo
    return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=zone)


def _utc_until(rule: str, zone) -> str:
    """dateutil wants UNTIL in UTC when DTSTART is aware; RFC 5545 also allows a date or a local time there."""
    parts = []
    for part in rule.split(";"):
        key, _, value = part.partition("=")
        if key.upper() == "UNTIL" and not value.endswith("Z"):
            if len(value) == 8:  # a date: the whole day is included
                moment = datetime.combine(datetime.strptime(value, "%Y%m%d").date(), time(23, 59, 59), zone)
            else:
                moment = datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
            value = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        parts.append(f"{key}={value}")
    return ";".join(parts)


def rfc5545_rules(lines: list[str], dtstart: datetime) -> rruleset:
    """The set of occurrence starts of ``lines`` (``RRULE:...``, ``EXDATE;TZID=...:...``) from ``dtstart``.

    Raises ``ValueError`` for anything that is not a rule dateutil can read.
    """
    rules = rruleset()
    has_rule = False
    for line in lines:
        if not isinstance(line, str) or ":" not in line:
            raise ValueError(f"not a recurrence line: {line!r}")
        head, _, value = line.partition(":")
        name, *raw_params = head.split(";")
        params = {}
        for raw in raw_params:
            key, _, param = raw.partition("=")
            params[key.upper()] = param
        name = name.strip().upper()
        if name in ("RRULE", "EXRULE"):
            rule = rrulestr(_utc_until(value, dtstart.tzinfo), dtstart=dtstart)
            if name == "RRULE":
                rules.rrule(rule)
                has_rule = True
            else:
                rules.exrule(rule)
        elif name in ("RDATE", "EXDATE"):
            for item in value.split(","):
                moment = _parse_value(item, params, dtstart)
                rules.rdate(moment) if name == "RDATE" else rules.exdate(moment)
        else:
            raise ValueError(f"unknown recurrence property {name}")
    if not has_rule:
        raise ValueError("no RRULE")
    return rules


# ------------------------------------------------------------------------------------ patternedRecurrence (Graph)

_WEEKDAYS = {"monday": MO, "tuesday": TU, "wednesday": WE, "thursday": TH, "friday": FR, "saturday": SA,
             "sunday": SU}
_INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_FREQ = {"daily": DAILY, "weekly": WEEKLY, "absoluteMonthly": MONTHLY, "relativeMonthly": MONTHLY,
         "absoluteYearly": YEARLY, "relativeYearly": YEARLY}


def patterned_rules(recurrence: dict, first_start: datetime) -> rruleset:
    """The occurrence starts of a Graph ``patternedRecurrence`` whose first event starts at ``first_start``
    (aware, in the series' zone): the range's ``startDate`` at the event's wall-clock time.

    Raises ``ValueError`` (with Graph's wording where it has one) for a pattern Graph would refuse.
    """
    pattern, span = recurrence.get("pattern") or {}, recurrence.get("range") or {}
    kind = pattern.get("type")
    if kind not in _FREQ:
        raise ValueError(f"Recurrence pattern type '{kind}' is not valid.")
    interval = int(pattern.get("interval") or 1)
    if interval < 1:
        raise ValueError("Recurrence pattern interval must be positive.")
    zone = first_start.tzinfo
    start_day = date.fromisoformat(span["startDate"]) if span.get("startDate") else first_start.date()
    dtstart = datetime.combine(start_day, first_start.timetz().replace(tzinfo=None), zone)
    options: dict = {"dtstart": dtstart, "interval": interval}
    days = [_WEEKDAYS[d.lower()] for d in pattern.get("daysOfWeek") or []]
    if kind == "weekly":
        if not days:
            raise ValueError("DaysOfWeek must be set for a weekly recurrence pattern.")
        options["byweekday"] = days
        options["wkst"] = _WEEKDAYS[(pattern.get("firstDayOfWeek") or "sunday").lower()]
    elif kind in ("absoluteMonthly", "absoluteYearly"):
        options["bymonthday"] = int(pattern.get("dayOfMonth") or 0) or dtstart.day
    elif kind in ("relativeMonthly", "relativeYearly"):
        if not days:
            raise ValueError("DaysOfWeek must be set for a relative recurrence pattern.")
        nth = _INDEX[(pattern.get("index") or "first")]
        options["byweekday"] = [d(nth) for d in days]
    if kind in ("absoluteYearly", "relativeYearly"):
        options["bymonth"] = int(pattern.get("month") or dtstart.month)
    range_type = span.get("type") or "noEnd"
    if range_type == "endDate":
        options["until"] = datetime.combine(date.fromisoformat(span["endDate"]), time(23, 59, 59), zone)
    elif range_type == "numbered":
        count = int(span.get("numberOfOccurrences") or 0)
        if count < 1:
            raise ValueError("NumberOfOccurrences must be positive for a numbered recurrence range.")
        options["count"] = count
    elif range_type != "noEnd":
        raise ValueError(f"Recurrence range type '{range_type}' is not valid.")
    rules = rruleset()
    rules.rrule(rrule(_FREQ[kind], **options))
    return rules


# ------------------------------------------------------------------------------------------------ expansion


def occurrences(rules: rruleset, duration: timedelta, start: datetime | None = None,
                end: datetime | None = None) -> list[datetime]:
    """Occurrence starts whose [s, s + duration) overlaps [``start``, ``end``) (either bound may be None; a
    zero-length occurrence counts at ``start`` itself), in order; at most ``MAX_OCCURRENCES`` when ``end`` is
    None."""
    if end is None:
        found = list(itertools.islice(rules, MAX_OCCURRENCES))
    elif start is None:
        found = list(itertools.takewhile(lambda s: s < end, itertools.islice(rules, MAX_OCCURRENCES)))
    else:
        found = rules.between(start - duration, end, inc=True)
        found = [s for s in found if s < end]
    if start is None:
        return found
    return [s for s in found if s + duration > start or (duration == timedelta(0) and s >= start)]


def contains(rules: rruleset, moment: datetime) -> bool:
    """Whether ``moment`` is one of the series' occurrence starts."""
    window = rules.between(moment - timedelta(seconds=1), moment + timedelta(seconds=1), inc=True)
    return any(s == moment for s in window)
