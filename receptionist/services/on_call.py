"""Who is on call, now or at a given time: for the AI agent's ``who_is_on_call`` tool (one sentence to speak, plus
the person and the phone to transfer to), the ``on-call`` command and the calendar views.

The answer comes from the shared on-call calendar (``availability.on_call_calendar``) when the profile names one:
the sync leader reads it every ``availability.on_call_refresh_minutes`` (``refresh``) into the store, and every
desk answers from the shifts stored there, saying so when the last good read is older than
``availability.stale_after_minutes`` (as busy time is said to be out of date). Without one, the profile's roster
(``[[availability.on_call]]``) answers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from receptionist import events
from receptionist.domain.formatting import format_datetime, format_time, local
from receptionist.domain.on_call import (
    LOOK_AHEAD_DAYS,
    OnCall,
    calendar_key_parts,
    covering,
    next_on_call,
    next_shift,
    on_call_at,
    roster_shifts,
    shift_of_event,
)
from receptionist.domain.payload import read_requested_start
from receptionist.errors import ProviderError, UserError, plain
from receptionist.ingest.tools import ToolAnswer
from receptionist.services.availability import _ago, spoken_day
from receptionist.services.context import DeskContext
from receptionist.store.on_call import OnCallRefreshRecord

if TYPE_CHECKING:
    from receptionist.sync.engine import SyncEngine

log = logging.getLogger(__name__)

REFRESH_BEHIND = timedelta(days=2)  # a refresh keeps the shifts that began this long ago (a long one still running)
REFRESH_AHEAD = timedelta(days=42)  # ...and those starting this far ahead (the calendar views' weeks)


@dataclass(frozen=True)
class OnCallAnswer:
    at: datetime
    now: OnCall | None  # the shift covering ``at``
    next: OnCall | None  # when nobody is: the next shift to start within a week
    say: str
    roster_kept: bool  # a roster or an on-call calendar is kept (False: neither)
    stale: str | None = None  # the on-call calendar's shifts may be out of date: why, in a sentence

    def as_json(self, zone) -> dict:  # noqa: ANN001
        def person(c: OnCall | None) -> dict | None:
            if c is None:
                return None
            return {"person": c.person, "phone": c.phone, "start": local(c.start, zone).isoformat(),
                    "end": local(c.end, zone).isoformat()}

        return {"at": local(self.at, zone).isoformat(), "now": person(self.now), "next": person(self.next),
                "say": self.say, "stale": self.stale, "time_zone": zone.key}


@dataclass(frozen=True)
class OnCallRead:
    """The shifts over a window, for the calendar views (read on a worker): ``source`` names where they come from
    ("calendar", "roster" or "" when neither is kept)."""

    shifts: tuple[OnCall, ...]
    source: str
    stale: str | None = None


@dataclass(frozen=True)
class OnCallHealth:
    """The on-call calendar's refresh in the Health tab's terms: failure states (runbook entries), one sentence per
    state, the facts listed and the numbers for ``health --json``."""

    key: str
    problems: tuple[str, ...]
    text: str
    reasons: dict
    facts: tuple[tuple[str, str], ...]
    numbers: dict


class OnCallDesk:
    def __init__(self, ctx: DeskContext, engine: "SyncEngine | None" = None):
        self.ctx = ctx
        self.engine = engine  # reads the on-call calendar through the connected account (the leader's refresh)

    @property
    def calendar(self) -> str | None:
        """The on-call calendar's key (``google:<id>``), or None when the profile's roster answers."""
        return self.ctx.profile.availability.on_call_calendar or None

    # --- the leader's refresh -------------------------------------------------------------------------------------

    def refresh(self) -> OnCallRefreshRecord | None:
        """Read the on-call calendar into the store (the sync leader's job, and ``on-call refresh``): its shifts
        from two days back to six weeks ahead, recurring events as the provider expands them. A failed read keeps
        the last good shifts and records why. None when no on-call calendar is set."""
        key, ctx = self.calendar, self.ctx
        if key is None:
            return None
        now = ctx.clock()
        try:
            if self.engine is None:
                raise UserError("this desk does not read calendars (no sync engine)")
            kind, calendar_id = calendar_key_parts(key)
            events_read = self.engine.read_calendar(kind, calendar_id, now - REFRESH_BEHIND, now + REFRESH_AHEAD)
        except (ProviderError, UserError) as exc:
            why = plain(exc) if isinstance(exc, ProviderError) else str(exc)
            log.warning("the on-call calendar %s could not be read: %s", key, why)
            ctx.store.on_call.failed(key, now, why)
        else:
            shifts, problems = [], []
            for event in sorted(events_read, key=lambda e: (e.start, e.end)):
                if event.cancelled or event.uid is not None:  # our own appointments, if the rota shares their calendar
                    continue
                shift, problem = shift_of_event(event, ctx.profile.on_call_phone, ctx.rules.zone)
                shifts += [shift] if shift is not None else []
                problems += [problem] if problem else []
            if ctx.store.on_call.replace(key, shifts, problems, now):
                ctx.bus.publish(events.CALENDAR_REFRESHED)  # the calendar views draw the new rota
        ctx.bus.publish(events.HEALTH_CHANGED)
        return ctx.store.on_call.refresh_of(key)

    def stale(self, record: OnCallRefreshRecord | None = None) -> str | None:
        """Why the on-call calendar's stored shifts may be out of date (never read, or last read longer ago than
        ``availability.stale_after_minutes``), or None."""
        key = self.calendar
        if key is None:
            return None
        record = record or self.ctx.store.on_call.refresh_of(key)
        limit = timedelta(minutes=self.ctx.profile.availability.stale_after_minutes)
        now = self.ctx.clock()
        if record.refreshed_at is None:
            return "the on-call calendar has not been read yet" + (f" ({record.error})" if record.error else "")
        if now - record.refreshed_at > limit:
            return (f"the on-call calendar was last read {_ago(now - record.refreshed_at)} ago"
                    + (f" ({record.error})" if record.error else ""))
        return None

    # --- who, when ------------------------------------------------------------------------------------------------

    def shifts(self, start: datetime, end: datetime) -> OnCallRead:
        """Every shift meeting [start, end): the calendar's as stored, else the roster's (the calendar views)."""
        key, ctx = self.calendar, self.ctx
        if key is not None:
            return OnCallRead(tuple(ctx.store.on_call.between(key, start, end)), "calendar", self.stale())
        roster = ctx.profile.on_call_roster()
        return OnCallRead(tuple(roster_shifts(roster, start, end, ctx.rules.zone)), "roster" if roster else "")

    def who_is_on_call(self, at: datetime | None = None) -> OnCallAnswer:
        """The person on call at ``at`` (now without it) and, when nobody is, who is next, said in one sentence."""
        ctx, zone = self.ctx, self.ctx.rules.zone
        moment = at or ctx.clock()
        asked = "now" if at is None else f"on {spoken_day(moment, zone)} at {format_time(moment, zone)}"
        if self.calendar is not None:
            return self._from_calendar(moment, asked)
        roster = ctx.profile.on_call_roster()
        if not roster:
            return OnCallAnswer(moment, None, None, "This office keeps no on-call roster; I can take a message for "
                                "the front desk.", False)
        current = on_call_at(roster, moment, zone)
        return self._answer(moment, asked, current, None if current else next_on_call(roster, moment, zone))

    def _from_calendar(self, moment: datetime, asked: str) -> OnCallAnswer:
        record = self.ctx.store.on_call.refresh_of(self.calendar)
        stale = self.stale(record)
        if record.refreshed_at is None:
            return OnCallAnswer(moment, None, None, "The on-call calendar has not been read yet, so I cannot say "
                                "who is on call; I can take a message for the front desk.", True, stale)
        shifts = self.ctx.store.on_call.between(self.calendar, moment - REFRESH_BEHIND,
                                                moment + timedelta(days=LOOK_AHEAD_DAYS))
        current = covering(shifts, moment)
        answer = self._answer(moment, asked, current, None if current else next_shift(shifts, moment))
        if stale is None:
            return answer
        return OnCallAnswer(moment, answer.now, answer.next, answer.say + " (The on-call calendar was not read "
                            "recently, so the desk confirms who is on call.)", True, stale)

    def _answer(self, moment: datetime, asked: str, current: OnCall | None, upcoming: OnCall | None) -> OnCallAnswer:
        zone = self.ctx.rules.zone

        def when(instant: datetime) -> str:
            return f"{spoken_day(instant, zone)} at {format_time(instant, zone)}"

        if current is not None:
            return OnCallAnswer(moment, current, None, f"{current.person} is on call {asked}, until "
                                f"{when(current.end)}.", True)
        line = f"Nobody is on call {asked}."
        if upcoming is not None:
            line += f" {upcoming.person} is on call from {when(upcoming.start)}."
        return OnCallAnswer(moment, None, upcoming, line, True)

    def tool_answer(self, args: dict) -> ToolAnswer:
        """``who_is_on_call`` for the agent: ``at`` (or ``time``/``when``), ISO or as the caller said it."""
        zone = self.ctx.rules.zone
        raw = next((str(args[k]).strip()[:200] for k in ("at", "time", "when", "datetime")
                    if isinstance(args.get(k), (str, int)) and str(args[k]).strip()), None)
        at = None
        if raw is not None and raw.lower() not in ("now", "right now"):
            at, problems = read_requested_start(raw, zone, local(self.ctx.clock(), zone).replace(tzinfo=None))
            if at is None:
                raise UserError(problems[0].message if problems else f"I could not tell when {raw!r} is")
        answer = self.who_is_on_call(at)
        data = answer.as_json(zone)
        if answer.now is not None:
            reason = None
        elif not answer.roster_kept:
            reason = "no roster"
        else:
            reason = "on-call calendar not read" if answer.next is None and answer.stale else "nobody on call"
        return ToolAnswer(answer.now is not None, answer.say, reason=reason, stale=answer.stale, time_zone=zone.key,
                          on_call={"now": data["now"], "next": data["next"]})

    # --- health ---------------------------------------------------------------------------------------------------

    def health(self) -> OnCallHealth | None:
        """The on-call calendar's refresh for the Health tab, ``health --json`` and ``doctor``: ``on-call-stale``
        when the last good refresh is older than the limit (or none ever succeeded), ``on-call-event`` when events
        name nobody or a person without a phone. None without an on-call calendar."""
        key = self.calendar
        if key is None:
            return None
        record = self.ctx.store.on_call.refresh_of(key)
        stale = self.stale(record)
        zone = self.ctx.rules.zone

        def when(at: datetime | None) -> str:
            return format_datetime(at, zone) if at else "never"

        problems = (["on-call-stale"] if stale else []) + (["on-call-event"] if record.problems else [])
        reasons = {"on-call-stale": stale and stale[0].upper() + stale[1:],
                   "on-call-event": "; ".join(record.problems)}
        if problems:
            text = reasons[problems[0]]
        else:
            text = f"Read {when(record.refreshed_at)}: {record.shifts} shift(s) over the next six weeks"
        last = ("succeeded" if record.attempted_at and not record.error else record.error or "not tried yet")
        facts = (("Calendar", key), ("Last successful on-call refresh", when(record.refreshed_at)),
                 ("Last attempt", f"{when(record.attempted_at)}: {last}"),
                 ("Shifts stored", str(record.shifts)),
                 ("Events with a problem", "; ".join(record.problems) or "none"))
        numbers = {"calendar": key, "last_refresh_at": record.refreshed_at.isoformat() if record.refreshed_at else None,
                   "last_attempt_at": record.attempted_at.isoformat() if record.attempted_at else None,
                   "last_error": record.error, "shifts": record.shifts, "event_problems": list(record.problems),
                   "stale": stale}
        return OnCallHealth(key, tuple(problems), text, {p: reasons[p] for p in problems}, facts, numbers)
