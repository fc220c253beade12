"""Days and times typed on the command line: as a US desk writes them (``12/10/2026``, ``12/10/2026 10:30 AM``)
or in ISO 8601 (``2026-12-10``, ``2026-12-10T10:30``, with or without an offset), read in the location's zone.
Anything else is one sentence naming the option (a ``UserError``), with an example of what it takes."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from receptionist.domain.formatting import parse_us
from receptionist.domain.models import Severity
from receptionist.domain.payload import parse_requested_start, resolve_local_time
from receptionist.errors import UserError

DAY_HELP = "MM/DD/YYYY or YYYY-MM-DD"
MOMENT_HELP = "e.g. \"12/10/2026 10:30 AM\" or 2026-12-10T10:30, in the location's time zone"


def day_option(text: str, flag: str) -> date:
    """The day ``text`` names (``12/03/2026`` or ``2026-12-03``)."""
    try:
        written = parse_us(text)
    except ValueError as exc:
        raise UserError(f"{flag}: {exc}") from None
    if isinstance(written, datetime):
        raise UserError(f"{flag} {text!r} is a day, without a time of day: e.g. {written:%m/%d/%Y}")
    if written is not None:
        return written
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{flag} {text!r} is not a date like 12/03/2026 or 2026-12-03") from None


def moment_option(text: str, zone: ZoneInfo, flag: str) -> datetime:
    """The instant ``text`` names, a wall-clock time read in ``zone`` (a time the clocks skip or repeat that day
    is refused with the reason)."""
    try:
        written = parse_us(text)
    except ValueError as exc:
        raise UserError(f"{flag}: {exc}") from None
    if isinstance(written, datetime):
        start, issue = resolve_local_time(written, zone)
    elif written is not None:
        raise UserError(f"{flag} {text!r} has no time of day: add it, e.g. \"{text.strip()} 10:30 AM\"")
    else:
        start, issue = parse_requested_start(text, zone)
        if start is None:
            raise UserError(f"{flag} {text!r} is not a date and time like \"12/10/2026 10:30 AM\" or "
                            "2026-12-10T10:30")
    if start is None or (issue is not None and issue.severity is Severity.ERROR):
        raise UserError(f"{flag}: {issue.message if issue else 'not a date-time'}")
    return start
