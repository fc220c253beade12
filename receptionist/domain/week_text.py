"""Weekly hours typed on the command line (``receptionist setup --hours``), the way the window's editor takes them:
several ranges a day, on quarter hours, in 12-hour (``8:30am``, ``noon``) or 24-hour (``17:45``) times.

One ``--hours`` names days and their ranges: ``mon-fri=8am-12pm,1pm-5:30pm``, ``sat=9:00-13:00``, ``sun=closed``.
A day no ``--hours`` names is closed. The result is the profile's ``availability.hours`` (every day named).
Every mistake is a ``ValueError`` whose sentence names the part that is wrong and how to write it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from receptionist.domain.schedule import WEEKDAYS, WeeklyHours

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EXAMPLE = "e.g. --hours mon-fri=8am-12pm,1pm-5:30pm --hours sat=9am-1pm"
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?$")
_RANGE = re.compile(r"\s*(.+?)\s*(?:-|–|\bto\b)\s*(.+?)\s*")


def _day(word: str, spec: str) -> int:
    word = word.strip().lower()
    for index, name in enumerate(DAY_NAMES):
        if len(word) >= 2 and name.startswith(word):
            return index
    raise ValueError(f"--hours {spec!r}: {word!r} is not a weekday: write mon, tue, wed, thu, fri, sat or sun, or a "
                     f"run such as mon-fri ({EXAMPLE})")


def _days(text: str, spec: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        first, dash, last = part.partition("-")
        if not first.strip():
            raise ValueError(f"--hours {spec!r}: name the days before “=” ({EXAMPLE})")
        a = _day(first, spec)
        b = _day(last, spec) if dash else a
        if b < a:
            raise ValueError(f"--hours {spec!r}: {part.strip()!r} runs backwards: write the first day first, "
                             "Monday to Sunday (e.g. mon-fri)")
        days.extend(range(a, b + 1))
    return days


def _time(text: str, spec: str, *, closing: bool) -> int:
    """Minutes after midnight of ``8am``, ``8:30 PM``, ``noon``, ``midnight`` or ``17:45`` (on a quarter hour)."""
    word = text.strip().lower()
    if word == "noon":
        return 12 * 60
    if word == "midnight":
        return 24 * 60 if closing else 0
    match = _TIME.match(word)
    if match is None:
        raise ValueError(f"--hours {spec!r}: {text.strip()!r} is not a time: write 8am, 8:30am, noon or 17:45")
    hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(f"--hours {spec!r}: {text.strip()!r} is not a time: with am or pm the hour is 1 to 12")
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    elif hour > 24 or (hour == 24 and minute):
        raise ValueError(f"--hours {spec!r}: {text.strip()!r} is not a time: a 24-hour time is 0:00 to 24:00")
    if minute >= 60:
        raise ValueError(f"--hours {spec!r}: {text.strip()!r} is not a time: minutes go up to 59")
    if minute % 15:
        raise ValueError(f"--hours {spec!r}: {text.strip()!r} is not on a quarter hour: use :00, :15, :30 or :45")
    value = hour * 60 + minute
    if value == 24 * 60 and not closing:
        raise ValueError(f"--hours {spec!r}: a day cannot open at {text.strip()!r}; it is the end of the day")
    return value


def _ranges(text: str, spec: str) -> list[tuple[int, int]]:
    if text.strip().lower() == "closed":
        return []
    found: list[tuple[int, int]] = []
    for part in text.split(","):
        match = _RANGE.fullmatch(part)
        if match is None:
            raise ValueError(f"--hours {spec!r}: {part.strip() or 'an empty range'!r} is not a range: write its "
                             f"opening and closing, e.g. 8am-12pm (or “closed”)")
        a, b = _time(match[1], spec, closing=False), _time(match[2], spec, closing=True)
        if b <= a:
            hint = "" if re.search(r"[ap]\.?m|noon|midnight", part, re.IGNORECASE) else \
                " (a time without am or pm is 24-hour: write 8am-5pm or 8-17)"
            raise ValueError(f"--hours {spec!r}: {part.strip()!r} closes before it opens{hint}")
        found.append((a, b))
    found.sort()
    for (a, b), (c, d) in zip(found, found[1:]):
        if c < b:
            raise ValueError(f"--hours {spec!r}: {clock_text(a)}–{clock_text(b)} and {clock_text(c)}–"
                             f"{clock_text(d)} overlap")
    return found


def parse_week(specs: Iterable[str]) -> dict[str, list[str]]:
    """``availability.hours`` from ``--hours`` values; each weekday at most once, the days not named closed."""
    week: dict[int, list[tuple[int, int]]] = {}
    for spec in specs:
        days, equals, ranges = spec.partition("=")
        if not equals:
            raise ValueError(f"--hours {spec!r}: write the days, “=”, then the hours ({EXAMPLE})")
        named = _days(days, spec)
        parsed = _ranges(ranges, spec)
        for day in named:
            if day in week:
                raise ValueError(f"--hours {spec!r}: {DAY_NAMES[day].capitalize()} is given twice")
            week[day] = parsed
    return {WEEKDAYS[d]: [f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in week.get(d, [])]
            for d in range(7)}


def clock_text(minutes: int) -> str:
    """``8:30 AM``, ``12:00 PM``, ``Midnight`` (the end of the day): as the window's editor says them in the US."""
    if minutes == 24 * 60:
        return "Midnight"
    hour, minute = divmod(minutes, 60)
    return f"{(hour % 12) or 12}:{minute:02d} {'AM' if hour < 12 else 'PM'}"


def week_sentence(hours: WeeklyHours) -> str:
    """``Mon 8:00 AM–12:00 PM, 1:00 PM–5:00 PM; …; Sun closed``."""
    days = []
    for name, ranges in zip(DAY_NAMES, hours.days):
        said = ", ".join(f"{clock_text(a)}–{clock_text(b)}" for a, b in ranges)
        days.append(f"{name[:3].capitalize()} {said or 'closed'}")
    return "; ".join(days)


__all__ = ["clock_text", "parse_week", "week_sentence"]
