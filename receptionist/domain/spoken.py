"""Free text as callers say it and AI agents transcribe it: spoken dates and times, spoken phone digits.

A small grammar of our own rather than a date-parsing library: dateparser takes seconds to import and guesses
across dozens of languages; dateutil's parser reads "3" as the 3rd of the month.  What a front desk hears is
narrow — "next Thursday at 3", "tomorrow at 9:30am", "Dec 3 at 2pm", "five five five, one two three..." — and
each guess we make (3 means 3 PM; "next Thursday" is the nearest one) is reported as a note, so the person at the
desk sees it beside the raw text.

Everything here is wall-clock arithmetic on naive local dates; the caller (``payload``) turns the local time into
an instant with its DST checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2, "thursday": 3, "thu": 3,
    "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
UNITS = {"zero": 0, "oh": 0, "o": 0, "nought": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
         "seven": 7, "eight": 8, "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
         "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
        "ninety": 90}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
for _unit, _n in list(ORDINALS.items())[:9]:
    ORDINALS[f"twenty {_unit}"] = 20 + _n
ORDINALS["thirty first"] = 31

MAX_TEXT = 200  # longer than any spoken time; bounds the regex work on hostile input

_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORDINAL = "|".join(sorted(ORDINALS, key=len, reverse=True))
_HOUR_WORD = "|".join(sorted([*list(UNITS)[4:], *list(TEENS)[:3]], key=len, reverse=True))  # one..twelve
_HOUR = rf"(?:\d{{1,2}}|{_HOUR_WORD})"
_DAY = rf"(?:(?P<dnum>\d{{1,2}})(?:st|nd|rd|th)?|(?P<dword>{_ORDINAL}))"


def _clean(text: str) -> str:
    text = text.lower()[:MAX_TEXT]
    text = re.sub(r"\b([ap])\.\s?m\.?", r"\1m", text)  # a.m. / p.m.
    text = text.replace("o'clock", "oclock").replace("o’clock", "oclock")
    text = re.sub(r"[,;!?]", " ", text)
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)  # twenty-first, thirty-five
    return re.sub(r"\s+", " ", text).strip()


def _hour_value(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return UNITS.get(token) if token in UNITS and token not in ("oh", "o", "zero", "nought") else TEENS.get(token)


@dataclass(frozen=True)
class SpokenTime:
    """What a phrase resolved to: a local wall time (or only a date), the guesses made, or why it failed."""

    local: datetime | None  # naive, in the location's zone
    day: date | None
    notes: tuple[str, ...] = ()  # guesses a person should see ("read '3' as 3 PM")
    error: str | None = None  # why no date-time could be read


def _pick_date(text: str, today: date) -> tuple[date | None, str, list[str], str | None]:
    """Find the date part. Returns (date, text with the date removed, notes, error)."""
    notes: list[str] = []

    def cut(match: re.Match) -> str:
        return (text[: match.start()] + " " + text[match.end():]).strip()

    m = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3])), cut(m), notes, None
        except ValueError:
            return None, cut(m), notes, f"{m[0]} is not a date"
    m = re.search(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?\b", text)
    if m:
        month, day_ = int(m[1]), int(m[2])
        year = int(m[3]) if m[3] else None
        if year is not None and year < 100:
            year += 2000
        return _month_day(month, day_, year, today, m[0], cut(m), notes)
    m = re.search(rf"\b(?P<month>{_MONTH})\.?\s+(?:the\s+)?{_DAY}(?:\s+(?P<year>\d{{4}}))?\b", text)
    if m:
        day_ = int(m["dnum"]) if m["dnum"] else ORDINALS[m["dword"]]
        return _month_day(MONTHS[m["month"]], day_, int(m["year"]) if m["year"] else None, today, m[0], cut(m),
                          notes)
    m = re.search(rf"\b(?:the\s+)?{_DAY}\s+(?:of\s+)?(?P<month>{_MONTH})\b(?:\s+(?P<year>\d{{4}}))?", text)
    if m:
        day_ = int(m["dnum"]) if m["dnum"] else ORDINALS[m["dword"]]
        return _month_day(MONTHS[m["month"]], day_, int(m["year"]) if m["year"] else None, today, m[0], cut(m),
                          notes)
    m = re.search(r"\b(?:the\s+)?day after tomorrow\b", text)
    if m:
        return today + timedelta(days=2), cut(m), notes, None
    m = re.search(r"\btomorrow\b", text)
    if m:
        return today + timedelta(days=1), cut(m), notes, None
    m = re.search(r"\b(?:today|tonight|this (?:morning|afternoon|evening))\b", text)
    if m:
        rest = cut(m)
        if m[0] != "today":
            rest += " morning" if m[0] == "this morning" else " evening"
        return today, rest, notes, None
    m = re.search(r"\bin (\d{1,2}|" + "|".join(UNITS) + r") days?\b", text)
    if m:
        n = int(m[1]) if m[1].isdigit() else UNITS[m[1]]
        return today + timedelta(days=n), cut(m), notes, None
    m = re.search(rf"\b(?:(?P<q>next|this|coming|this coming)\s+)?(?P<wd>{_WEEKDAY})\b\.?", text)
    if m:
        target = WEEKDAYS[m["wd"]]
        delta = (target - today.weekday()) % 7
        if delta == 0 and m["q"] != "this":
            delta = 7
        day_ = today + timedelta(days=delta)
        if m["q"] == "next" and today.weekday() + delta <= 6:
            later = day_ + timedelta(days=7)
            notes.append(f"read \"next {m['wd']}\" as {day_:%A %m/%d}; the caller may have meant {later:%m/%d}")
        return day_, cut(m), notes, None
    m = re.search(rf"\bthe\s+{_DAY}\b", text)
    if m and (m["dword"] or re.search(r"(st|nd|rd|th)$", m[0])):
        day_ = int(m["dnum"]) if m["dnum"] else ORDINALS[m["dword"]]
        month, year = today.month, today.year
        if day_ < today.day:
            month, year = (1, year + 1) if month == 12 else (month + 1, year)
        try:
            return date(year, month, day_), cut(m), notes, None
        except ValueError:
            return None, cut(m), notes, f"there is no {m[0]} in {date(year, month, 1):%B}"
    return None, text, notes, None


def _month_day(month: int, day_: int, year: int | None, today: date, said: str, rest: str, notes: list[str]):
    if not 1 <= month <= 12:
        return None, rest, notes, f"{said!r} is not a date"
    explicit = year is not None
    year = year if explicit else today.year
    try:
        candidate = date(year, month, day_)
    except ValueError:
        return None, rest, notes, f"{said!r} is not a date"
    if not explicit and candidate < today:
        try:
            candidate = date(year + 1, month, day_)
        except ValueError:  # Feb 29 next year
            return None, rest, notes, f"{said!r} is not a date next year"
    return candidate, rest, notes, None


def _pick_time(text: str) -> tuple[time | None, list[str], str | None]:
    notes: list[str] = []
    meridiem = None
    said = re.search(rf"(?:\d|\b(?:{_HOUR_WORD}|oclock))\s*(am|pm)\b", text)  # not "I am free at 3"
    if said:
        meridiem = said[1]
    elif re.search(r"\bmorning\b", text):
        meridiem = "am"
    elif re.search(r"\b(?:afternoon|evening|night)\b", text):
        meridiem = "pm"
    if re.search(r"\bnoon\b|\bmidday\b|\blunch ?time\b", text):
        return time(12, 0), notes, None
    if re.search(r"\bmidnight\b", text):
        return time(0, 0), notes, None

    hour = minute = None
    m = re.search(r"\b(\d{1,2}):(\d{2})\s*(am|pm)?\b", text)
    if m:
        hour, minute = int(m[1]), int(m[2])
        meridiem = m[3] or meridiem
    if hour is None:
        m = re.search(rf"\b(half|quarter)\s+(past|after|to|till|til|of|before)\s+({_HOUR})\b", text)
        if m:
            base = _hour_value(m[3])
            if base is not None:
                if m[2] in ("past", "after"):
                    hour, minute = base, 30 if m[1] == "half" else 15
                elif m[1] == "quarter":
                    hour, minute = (base - 1) % 12 or 12, 45
    if hour is None:
        m = re.search(r"\b(\d{1,2})(?:\s*oclock)?\s*(am|pm)\b", text)
        if m:
            hour, minute, meridiem = int(m[1]), 0, m[2]
    if hour is None:
        # words: "three", "three thirty", "nine fifteen", "ten oh five", "two forty five", "three o'clock"
        tens = "|".join(TENS)
        units = "|".join(list(UNITS)[4:])
        pattern = re.compile(
            rf"\b(?:(?:at|around|about|by|for)\s+)?({_HOUR})(?:\s+(oh\s+(?:{units})|"
            rf"(?:{tens})(?:\s+(?:{units}))?|{'|'.join(list(TEENS)[1:])}))?"
            rf"(?:\s*oclock)?(?:\s*(am|pm))?\b"
        )
        for m in pattern.finditer(text):
            qualified = m[2] or m[3] or "oclock" in m[0] or re.match(r"(at|around|about|by|for)\b", m[0])
            if qualified and _hour_value(m[1]) is not None:
                hour = _hour_value(m[1])
                minute = _spoken_minutes(m[2]) if m[2] else 0
                meridiem = m[3] or meridiem
                break
    if hour is None or minute is None:
        return None, notes, None
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None, notes, f"{hour}:{minute:02d} is not a time of day"
    if hour > 12:
        return time(hour, minute), notes, None
    if meridiem == "am":
        return time(0 if hour == 12 else hour, minute), notes, None
    if meridiem == "pm":
        return time(12 if hour == 12 else hour + 12, minute), notes, None
    if hour == 0:
        return time(0, minute), notes, None
    # No AM/PM said: a front desk's day. 1–7 are afternoon hours, 8–11 morning, 12 noon.
    resolved = time(hour + 12 if 1 <= hour <= 7 else hour, minute)
    notes.append(f"no AM/PM was said; read {hour}:{minute:02d} as {resolved:%I:%M %p}".replace(" 0", " "))
    return resolved, notes, None


def _spoken_minutes(words: str) -> int | None:
    parts = words.split()
    if parts[0] == "oh":
        return UNITS.get(parts[1])
    if parts[0] in TEENS:
        return TEENS[parts[0]]
    value = TENS.get(parts[0], 0)
    if len(parts) > 1:
        value += UNITS.get(parts[1], 0)
    return value


def read_spoken_time(raw: str, reference: datetime) -> SpokenTime:
    """Resolve a spoken date-time against ``reference`` (the call's start, as a naive local wall time)."""
    text = _clean(raw)
    if not text:
        return SpokenTime(None, None, error="nothing was said")
    today = reference.date()
    day, rest, notes, error = _pick_date(text, today)
    if error:
        return SpokenTime(None, None, tuple(notes), error)
    at, time_notes, error = _pick_time(rest)
    notes.extend(time_notes)
    if error:
        return SpokenTime(None, day, tuple(notes), error)
    if day is None and at is None:
        return SpokenTime(None, None, tuple(notes), f"could not read {raw.strip()[:80]!r} as a date and time")
    if at is None:
        return SpokenTime(None, day, tuple(notes), f"{day:%A %m/%d/%Y} was said but no time of day")
    if day is None:
        day = today if at > reference.time() else today + timedelta(days=1)
        notes.append(f"no day was said; read as {'today' if day == today else 'tomorrow'}, {day:%A %m/%d}")
    return SpokenTime(datetime.combine(day, at), day, tuple(notes))


# --- spoken phone digits --------------------------------------------------------------------------------------------


def spoken_digits(raw: str) -> str | None:
    """ "five five five, one two three, four five six seven" → "5551234567"; "double five" → "55".

    Number words and digit runs are kept, everything else ("my number is", "area code") is skipped; a leading
    "plus" keeps the international prefix. ``None`` if nothing in the text is a digit.
    """
    text = raw.lower()[:MAX_TEXT]
    tokens = re.findall(r"\+|[a-z]+|\d+", text)
    out: list[str] = []
    repeat = 1
    plus = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if token in ("+", "plus") and not out:
            plus = True
        elif token in ("double", "triple"):
            repeat = 2 if token == "double" else 3
            i += 1
            continue
        elif token.isdigit():
            out.append(token[0] * repeat + token[1:])
        elif token in UNITS:
            out.append(str(UNITS[token]) * repeat)
        elif token in TEENS:
            out.append(str(TEENS[token]))
        elif token in TENS:
            if nxt in UNITS and nxt not in ("oh", "o", "zero", "nought"):
                out.append(str(TENS[token] + UNITS[nxt]))
                i += 1
            else:
                out.append(str(TENS[token]))
        elif token == "hundred" and out:
            out.append("00")
        elif token == "thousand" and out:
            out.append("000")
        repeat = 1
        i += 1
    if not out:
        return None
    return ("+" if plus else "") + "".join(out)
