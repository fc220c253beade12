"""Availability: free times for a service and why a time is refused, for the desk, the command line and the AI agent
(``check_availability`` / ``book_appointment`` through the receiver's tool endpoint), all by the one booking rule
(``domain.schedule.Schedule.refusals``) over the busy time the sync keeps locally — never waiting on a calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from datetime import date, datetime, timedelta, timezone

from receptionist.domain.availability import reach
from receptionist.domain.formatting import format_time, local
from receptionist.domain.models import AppointmentStatus
from receptionist.domain.payload import MAX_MINUTES, MIN_MINUTES, read_requested_start
from receptionist.domain.schedule import CLOSED, HOLIDAY, TOO_FAR, Refusal, Schedule, ServiceRule, Slot
from receptionist.domain.spoken import read_spoken_time
from receptionist.errors import UserError
from receptionist.ingest.tools import BOOK, CHECK, ON_CALL, ToolAnswer
from receptionist.services.context import DeskContext

if TYPE_CHECKING:
    from receptionist.services.on_call import OnCallDesk

OFFERED = 3  # slots the agent offers at once (a caller remembers about three)
SPREAD = timedelta(minutes=90)  # offered slots this far apart at least, so "morning or afternoon" is a choice
LOOKAHEAD_DAYS = 14  # with no day asked for, the agent offers from the next two weeks


@dataclass(frozen=True)
class Openings:
    """The free slots of a service over some days; ``why_none`` says why there are none (closed that day, fully
    booked, beyond the horizon); ``stale`` says which calendar's busy time is out of date."""

    service: str
    duration_minutes: int
    slots: list[Slot]
    why_none: str | None = None
    stale: str | None = None


@dataclass(frozen=True)
class SlotCheck:
    slot: Slot | None  # None: refused
    reasons: list[Refusal] = field(default_factory=list)
    stale: str | None = None


def spoken_day(instant: datetime, zone) -> str:
    """``Tuesday 12/8``: how the agent says a day."""
    moment = local(instant, zone)
    return f"{moment:%A} {moment.month}/{moment.day}"


def spoken_slots(slots: list[Slot], zone) -> str:
    """``Tuesday 12/8 at 9:30 AM or 2:00 PM; Wednesday 12/9 at 8:00 AM``: one line the agent can say."""
    days: dict[str, list[str]] = {}
    for slot in slots:
        days.setdefault(spoken_day(slot.start, zone), []).append(format_time(slot.start, zone))
    parts = []
    for day, times in days.items():
        said = times[0] if len(times) == 1 else ", ".join(times[:-1]) + " or " + times[-1]
        parts.append(f"{day} at {said}")
    return "; ".join(parts)


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"


def _spread(slots: list[Slot], count: int = OFFERED) -> list[Slot]:
    chosen: list[Slot] = []
    for slot in slots:
        if not chosen or slot.start - chosen[-1].start >= SPREAD:
            chosen.append(slot)
            if len(chosen) == count:
                break
    return chosen


def slot_json(slot: Slot, zone) -> dict:
    return {"start": local(slot.start, zone).isoformat(), "end": local(slot.end, zone).isoformat(),
            "start_utc": slot.start.isoformat(), "resource": slot.resource,
            "said": f"{spoken_day(slot.start, zone)} at {format_time(slot.start, zone)}"}


class Availability:
    def __init__(self, ctx: DeskContext, on_call: "OnCallDesk | None" = None):
        self.ctx = ctx
        self.on_call = on_call

    @property
    def zone(self):
        return self.ctx.rules.zone

    def service_rule(self, service: str | None) -> ServiceRule:
        """The named service's rule; without a name, the location's default length. An unknown name is refused
        when services are listed in the profile (the agent must say one we book)."""
        rules = self.ctx.rules.booking
        if service and rules.services and not any(" ".join(s.name.lower().split()) == " ".join(service.lower().split())
                                                  for s in rules.services):
            raise UserError(f"{service!r} is not a service booked here (ask for one of: "
                            f"{', '.join(s.name for s in rules.services)})")
        return rules.service(service)

    def services(self) -> list[str]:
        """The services the profile names (the booking dialog offers them), in its order."""
        return [s.name for s in self.ctx.rules.booking.services]

    def resources(self) -> list[str]:
        """The location's chairs, rooms and staff (the new-booking dialog offers them), in the profile's order."""
        return [r.name for r in self.ctx.rules.booking.resources]

    def default_minutes(self, service: str | None) -> int:
        """How long ``service`` takes (the location's default length for a service the profile does not name)."""
        return self.ctx.rules.booking.service(service).duration_minutes

    def _resource(self, name: str | None) -> str | None:
        if name is None:
            return None
        try:
            return self.ctx.rules.booking.resource(name).name
        except KeyError:
            known = ", ".join(r.name for r in self.ctx.rules.booking.resources) or "none in the profile"
            raise UserError(f"{name!r} is not a resource here ({known})") from None

    def moving_rule(self, appointment_id: str, minutes: int | None = None) -> ServiceRule:
        """The rule for moving one of our appointments: its service's rule at its length (or ``minutes``). A
        service the profile no longer lists gets the location's defaults, as the reschedule's own check does."""
        appt = self.ctx.store.appointments.get(appointment_id)
        if appt is None:
            raise UserError(f"appointment {appointment_id} does not exist")
        if appt.status is AppointmentStatus.CANCELLED:
            raise UserError(f"appointment {appointment_id} is cancelled: book a new one instead of moving it")
        return self.ctx.rules.booking.service(appt.service, minutes or appt.duration_minutes)

    def _rule(self, service: str | None, moving: str | None, minutes: int | None) -> ServiceRule:
        if minutes is not None and not MIN_MINUTES <= minutes <= MAX_MINUTES:
            raise UserError(f"a length must be {MIN_MINUTES} to {MAX_MINUTES} minutes, not {minutes}")
        if moving is not None:
            return self.moving_rule(moving, minutes)
        rule = self.service_rule(service)
        return rule if minutes is None else self.ctx.rules.booking.service(rule.name or None, minutes)

    def schedule(self, start: datetime, end: datetime, except_call: tuple[str, str] | None = None,
                 moving: str | None = None) -> Schedule:
        """The rule over busy time read once for [start, end) and as far around as the rule looks (the caps'
        week or day, the buffers): our appointments (but ``moving``, the one being moved), the calendars' busy
        events, and slots held for other callers."""
        ctx = self.ctx
        now = ctx.clock()
        around = reach(ctx.rules.booking)
        lo, hi = start - around, end + around
        busy = (ctx.store.busy.blocks(lo, hi, exclude_appointment=moving)
                + ctx.store.holds.blocks(lo, hi, now, except_call))
        return Schedule(ctx.rules.booking, busy, now, ctx.calendars)

    def stale(self) -> str | None:
        """Which connected calendar's busy time was last read longer ago than ``availability.stale_after_minutes``
        (or never), in a sentence; None when all are fresh."""
        ctx = self.ctx
        limit = timedelta(minutes=ctx.profile.availability.stale_after_minutes)
        now = ctx.clock()
        old = []
        for key, label in ctx.calendars.items():
            pulled = ctx.store.health.of(key).last_pull_at
            if pulled is None:
                old.append(f"{label} has not been read yet")
            elif now - pulled > limit:
                old.append(f"{label} was last read {_ago(now - pulled)} ago")
        return ("busy time may be out of date: " + "; ".join(old)) if old else None

    # --- the desk and the command line --------------------------------------------------------------------------

    def free_slots(self, service: str | None, first_day: date, days: int, resource: str | None = None,
                   except_call: tuple[str, str] | None = None, *, moving: str | None = None,
                   minutes: int | None = None) -> Openings:
        """Every free start for ``service`` over ``days`` days from ``first_day`` (local dates). ``moving``: the
        times appointment ``moving`` can be moved to (its service and length, itself not counted as busy);
        ``minutes``: another length."""
        if not 1 <= days <= 366:
            raise UserError("--days must be 1 to 366")
        rule, resource = self._rule(service, moving, minutes), self._resource(resource)
        start = datetime.combine(first_day, datetime.min.time(), self.zone).astimezone(timezone.utc)
        end = datetime.combine(first_day + timedelta(days=days), datetime.min.time(), self.zone).astimezone(
            timezone.utc)
        schedule = self.schedule(start, end, except_call, moving)
        slots = schedule.free_slots(rule, start, end, resource)
        why = None if slots else self._why_none(schedule, rule, first_day, days, resource)
        return Openings(rule.name or "Appointment", rule.duration_minutes, slots, why, self.stale())

    def check(self, start: datetime, service: str | None = None, resource: str | None = None,
              except_call: tuple[str, str] | None = None, *, moving: str | None = None,
              minutes: int | None = None) -> SlotCheck:
        """Whether ``service`` may start at ``start``, and every reason it may not (``moving`` and ``minutes`` as
        in :meth:`free_slots`)."""
        rule, resource = self._rule(service, moving, minutes), self._resource(resource)
        schedule = self.schedule(start, start + timedelta(minutes=rule.duration_minutes), except_call, moving)
        slot, reasons = schedule.check(start, rule, resource)
        return SlotCheck(slot, reasons, self.stale())

    def _why_none(self, schedule: Schedule, rule: ServiceRule, first_day: date, days: int,
                  resource: str | None) -> str:
        """Why a span of days has no free slot, as the agent can say it: the days' own reasons (closed, a holiday,
        beyond the horizon), else fully booked."""
        said: list[str] = []
        for n in range(days):
            day = first_day + timedelta(days=n)
            noon = datetime.combine(day, datetime.min.time().replace(hour=12), self.zone).astimezone(timezone.utc)
            reasons = [r for r in schedule.check(noon, rule, resource)[1] if r.code in (CLOSED, HOLIDAY, TOO_FAR)]
            message = reasons[0].message if reasons else "fully booked"
            if message not in said:
                said.append(message)
        if len(said) == 1 and days == 1:
            return f"{said[0]} on {day.month}/{day.day}" if said[0] == "fully booked" else said[0]
        return "; ".join(said)

    # --- the AI agent's tools -----------------------------------------------------------------------------------

    def answer_tool(self, platform: str, call_id: str, name: str, args: dict) -> ToolAnswer:
        """``check_availability``, ``book_appointment`` or ``who_is_on_call`` for a call in progress, answered from
        local data."""
        call = (platform, call_id)
        try:
            if name == CHECK:
                return self._offer(call, args)
            if name == BOOK:
                return self._book(call, args)
            if name == ON_CALL and self.on_call is not None:
                return self.on_call.tool_answer(args)
        except UserError as exc:
            return ToolAnswer(False, f"Sorry, {exc}.")
        return ToolAnswer(False, f"this desk does not answer the tool {name!r}")

    def _text(self, args: dict, *keys: str) -> str | None:
        for key in keys:
            value = args.get(key)
            if isinstance(value, (str, int)) and str(value).strip():
                return str(value).strip()[:200]
        return None

    def _offer(self, call: tuple[str, str], args: dict) -> ToolAnswer:
        ctx, zone = self.ctx, self.zone
        service = self._text(args, "service", "service_type", "appointment_type")
        asked = self._text(args, "date", "day", "when", "preferred_date")
        first_day, days = local(ctx.clock(), zone).date(), LOOKAHEAD_DAYS
        if asked:
            first_day, days = self._day(asked), 1
        openings = self.free_slots(service, first_day, days, except_call=call)
        offered = _spread(openings.slots)
        now = ctx.clock()
        ctx.store.holds.hold(call[0], call[1], [(s.start, s.end, openings.service, s.resource) for s in offered],
                             now, now + timedelta(minutes=ctx.profile.availability.hold_minutes))
        if offered:
            line = f"I can offer {spoken_slots(offered, zone)}."
        else:
            line = f"Sorry, no {openings.service.lower() or 'appointment'} time is free: {openings.why_none}."
        if openings.stale:
            line += " (The calendar was not read recently, so the desk confirms the time.)"
        return ToolAnswer(True, line, [slot_json(s, zone) for s in offered], openings.why_none, openings.stale,
                          time_zone=zone.key)

    def _day(self, text: str) -> date:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            pass
        spoken = read_spoken_time(text, local(self.ctx.clock(), self.zone).replace(tzinfo=None))
        if spoken.day is None and spoken.local is None:
            raise UserError(f"I could not tell which day {text!r} is")
        return spoken.day or spoken.local.date()

    def _book(self, call: tuple[str, str], args: dict) -> ToolAnswer:
        ctx, zone = self.ctx, self.zone
        service = self._text(args, "service", "service_type", "appointment_type")
        raw = self._text(args, "start", "requested_start", "slot", "datetime", "start_time")
        start, problems = read_requested_start(raw, zone, local(ctx.clock(), zone).replace(tzinfo=None))
        if start is None:
            raise UserError(problems[0].message if problems else "no time was given")
        result = self.check(start, service, except_call=call)
        rule = self.service_rule(service)
        if result.slot is None:
            day = local(start, zone).date()
            others = _spread(self.free_slots(service, day, 1, except_call=call).slots)
            line = f"Sorry, {spoken_day(start, zone)} at {format_time(start, zone)} is not available: " \
                   f"{result.reasons[0].message}."
            if others:
                line += f" I can offer {spoken_slots(others, zone)}."
            return ToolAnswer(False, line, [slot_json(s, zone) for s in others], result.reasons[0].message,
                              result.stale, time_zone=zone.key)
        slot = result.slot
        if not ctx.store.holds.book(call[0], call[1], (slot.start, slot.end, rule.name, slot.resource),
                                    ctx.clock(), slot.end):
            return ToolAnswer(False, "Sorry, that time was just taken by another caller. Shall I look for another?",
                              reason="just taken", time_zone=zone.key)
        line = (f"Booked: {spoken_day(slot.start, zone)} at {format_time(slot.start, zone)}"
                f"{f' for {rule.name}' if rule.name else ''}. The front desk confirms it by text.")
        return ToolAnswer(True, line, [slot_json(slot, zone)], stale=result.stale, forward=True, time_zone=zone.key)
