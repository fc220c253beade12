"""Who is on call, now or at a given time, from the profile's roster (``[[availability.on_call]]``): for the AI
agent's ``who_is_on_call`` tool (one sentence to speak, plus the person and the phone to transfer to) and the
``on-call`` command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from receptionist.domain.formatting import format_time, local
from receptionist.domain.on_call import OnCall, next_on_call, on_call_at
from receptionist.domain.payload import read_requested_start
from receptionist.errors import UserError
from receptionist.ingest.tools import ToolAnswer
from receptionist.services.availability import spoken_day
from receptionist.services.context import DeskContext


@dataclass(frozen=True)
class OnCallAnswer:
    at: datetime
    now: OnCall | None  # the shift covering ``at``
    next: OnCall | None  # when nobody is: the next shift to start within a week
    say: str
    roster_kept: bool

    def as_json(self, zone) -> dict:  # noqa: ANN001
        def person(c: OnCall | None) -> dict | None:
            if c is None:
                return None
            return {"person": c.shift.person, "phone": c.shift.phone, "start": local(c.start, zone).isoformat(),
                    "end": local(c.end, zone).isoformat()}

        return {"at": local(self.at, zone).isoformat(), "now": person(self.now), "next": person(self.next),
                "say": self.say, "time_zone": zone.key}


class OnCallDesk:
    def __init__(self, ctx: DeskContext):
        self.ctx = ctx

    def who_is_on_call(self, at: datetime | None = None) -> OnCallAnswer:
        """The person on call at ``at`` (now without it) and, when nobody is, who is next, said in one sentence."""
        ctx, zone = self.ctx, self.ctx.rules.zone
        now = ctx.clock()
        moment = at or now
        roster = ctx.profile.on_call_roster()
        if not roster:
            return OnCallAnswer(moment, None, None, "This office keeps no on-call roster; I can take a message for "
                                "the front desk.", False)

        def when(instant: datetime) -> str:
            return f"{spoken_day(instant, zone)} at {format_time(instant, zone)}"

        current = on_call_at(roster, moment, zone)
        asked = "now" if at is None else f"on {when(moment)}"
        if current is not None:
            return OnCallAnswer(moment, current, None, f"{current.shift.person} is on call {asked}, until "
                                f"{when(current.end)}.", True)
        upcoming = next_on_call(roster, moment, zone)
        line = f"Nobody is on call {asked}."
        if upcoming is not None:
            line += f" {upcoming.shift.person} is on call from {when(upcoming.start)}."
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
        return ToolAnswer(answer.now is not None, answer.say,
                          reason=None if answer.now else ("no roster" if not answer.roster_kept else "nobody on call"),
                          time_zone=zone.key, on_call={"now": data["now"], "next": data["next"]})
