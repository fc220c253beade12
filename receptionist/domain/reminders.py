"""Reminders and the caller's replies, pure: when a reminder goes out (N hours before, never in quiet hours), its
words (the location's template), and what a reply means ("C" confirms, "R" asks for a call to reschedule,
STOP/START as carriers and Twilio define them)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# Twilio's default opt-out and opt-in keywords (Messaging "Advanced Opt-Out"), matched on the whole reply.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
CONFIRM_WORDS = frozenset({"C", "CONFIRM", "CONFIRMED"})
RESCHEDULE_WORDS = frozenset({"R", "RESCHEDULE"})
MIN_LEAD = timedelta(hours=1)  # a reminder later than this before the appointment is not worth sending


class Reply(str, enum.Enum):
    CONFIRM = "confirm"
    RESCHEDULE = "reschedule"
    STOP = "stop"
    START = "start"
    ACK = "ack"  # an owner acknowledging a health alert texted to them ("ACK 12", "OK")
    OTHER = "other"


def read_reply(body: str) -> Reply:
    word = re.sub(r"[^A-Z]", "", (body or "").strip().upper())
    if word in STOP_WORDS:
        return Reply.STOP
    if word in START_WORDS:
        return Reply.START
    if word in CONFIRM_WORDS:
        return Reply.CONFIRM
    if word in RESCHEDULE_WORDS:
        return Reply.RESCHEDULE
    return Reply.OTHER


def hours_for(service: str | None, default_hours: int, per_service: str) -> int:
    """The lead time of a service: ``per_service`` reads ``"Crown: 48, Cleaning: 24"`` (names without case)."""
    for part in per_service.split(","):
        name, sep, hours = part.rpartition(":")
        if sep and service and name.strip().casefold() == service.strip().casefold():
            try:
                return max(1, int(hours.strip()))
            except ValueError:
                break
    return default_hours


def _quiet(moment: datetime, quiet_start: int, quiet_end: int) -> bool:
    h = moment.hour
    return (h >= quiet_start or h < quiet_end) if quiet_start > quiet_end else quiet_start <= h < quiet_end


@dataclass(frozen=True)
class QuietHours:
    """No texts to callers in [start, end) o'clock, local to ``zone`` (may wrap midnight; start == end: none)."""

    zone: ZoneInfo
    start: int = 21
    end: int = 8

    def until(self, moment: datetime) -> datetime | None:
        """When the quiet hours ``moment`` falls in end (in ``moment``'s zone), or None when it is not in them.
        The end is the wall-clock hour of its own day, so it is right on both sides of a DST change; on the day
        the clocks skip that hour, the skip ends them, and if the next quiet hours begin at once (their start
        is the hour the clocks land on) those end too."""
        local = moment.astimezone(self.zone)
        if self.start == self.end or not _quiet(local, self.start, self.end):
            return None
        day = local.date() + timedelta(days=1) if self.start > self.end and local.hour >= self.start else local.date()
        ends = datetime.combine(day, time(self.end), self.zone).astimezone(moment.tzinfo)
        return self.until(ends) or ends


def reminder_at(start: datetime, hours: int, zone: ZoneInfo, quiet_start: int = 21,
                quiet_end: int = 8) -> datetime | None:
    """When the reminder of an appointment at ``start`` goes out: ``hours`` before it, moved out of the quiet
    hours [quiet_start, quiet_end) (local, may wrap midnight): to their end if that is still an hour before the
    appointment, else to half an hour before they began; None when no time is left."""
    at = (start - timedelta(hours=hours)).astimezone(zone)
    if quiet_start == quiet_end or not _quiet(at, quiet_start, quiet_end):
        return at.astimezone(start.tzinfo)
    evening = quiet_start > quiet_end and at.hour >= quiet_start  # quiet since tonight, until tomorrow morning
    ends = datetime.combine(at.date() + timedelta(days=1) if evening else at.date(), time(quiet_end), zone)
    if start - ends >= MIN_LEAD:
        return ends.astimezone(start.tzinfo)
    began_on = at.date() if evening or quiet_start < quiet_end else at.date() - timedelta(days=1)
    before = datetime.combine(began_on, time(quiet_start), zone) - timedelta(minutes=30)
    return before.astimezone(start.tzinfo) if start - before >= MIN_LEAD else None


def reminder_text(template: str, *, caller: str | None, service: str | None, when: str, location: str) -> str:
    fields = {"caller": caller or "there", "service": service or "appointment", "when": when, "location": location}
    return template.format_map(fields)
