"""Busy time against a booking: the part of the booking rule (``Schedule.refusals``) that needs the calendars —
overlaps, buffers, the caps per day and week — as the issues a person sees on a captured call or an edit."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from receptionist.domain.models import BusyBlock, FieldIssue, Severity
from receptionist.domain.schedule import (
    BUFFER,
    DAY_FULL,
    HOLD,
    OVERLAP,
    WEEK_FULL,
    BookingRules,
    Refusal,
    ResourceRule,
    Schedule,
    ServiceRule,
)

BUSY_CODES = frozenset({OVERLAP, BUFFER, DAY_FULL, WEEK_FULL})  # the rest: ``payload.check_slot``, no busy time


def reach(rules: BookingRules) -> timedelta:
    """How far around a slot the rule reads busy time: a week for a weekly cap, a day for a daily one, else the
    widest buffer."""
    services = rules.services
    if rules.max_per_week or any(s.max_per_week for s in services):
        return timedelta(days=7)
    if rules.max_per_day or any(s.max_per_day for s in services):
        return timedelta(days=1)
    return timedelta(minutes=max([rules.buffer_before, rules.buffer_after]
                                 + [max(s.buffer_before, s.buffer_after) for s in services]))


def uncovered(start: datetime, end: datetime, covers: Sequence[tuple[datetime, datetime]]) -> bool:
    """Whether part of [start, end) lies outside every one of ``covers`` (a fresh busy period that a free/busy
    query merged from several events is covered by their cached copies together)."""
    moment = start
    for a, b in sorted(covers):
        if a > moment:
            break
        moment = max(moment, b)
        if moment >= end:
            return False
    return moment < end


@dataclass(frozen=True)
class SlotCheck:
    """A slot's busy-time issues, and the resource it takes there (``pick_resource``)."""

    issues: list[FieldIssue]
    resource: str | None = None


def pick_resource(schedule: Schedule, rule: ServiceRule, start: datetime,
                  prefer: Sequence[str | None] = ()) -> tuple[str | None, FieldIssue | None]:
    """The resource a booking of ``rule`` at ``start`` takes, by the booking rule (``Schedule.refusals``): the first
    of ``prefer`` (the one a proposal recorded, the one the agent held for the call) that is one of the service's
    and has no busy time then, else the first of its resources with none; when none is free, the preferred one or
    the first (a person booked over the warning); None for a service that needs none. With it, a warning when the
    first preferred one was passed over, saying why."""
    if not rule.resources:
        return None, None
    rules = schedule.rules
    names = [rules.resource(name).name for name in rule.resources]
    wanted = [name for p in prefer if p for name in names if p.casefold() == name.casefold()]
    first_reason = None
    for name in dict.fromkeys(wanted + names):
        reasons = [r for r in schedule.refusals(start, rule, rules.resource(name)) if r.code in BUSY_CODES]
        if not reasons:
            if first_reason is None or name == wanted[0]:
                return name, None
            return name, FieldIssue("resource", Severity.WARNING,
                                    f"{wanted[0]} is not free then ({first_reason.message}): it takes {name}")
        if wanted and name == wanted[0]:
            first_reason = reasons[0]
    return (wanted or names)[0], None


def busy_issues(slots: Sequence[tuple[datetime, datetime, str | None]],
                read_busy: Callable[[datetime, datetime], list[BusyBlock]], rules: BookingRules, now: datetime,
                labels: Mapping[str, str] | None = None,
                prefer: Sequence[Sequence[str | None]] | None = None,
                others: Sequence[Sequence[BusyBlock]] | None = None) -> list[SlotCheck]:
    """The busy-time reasons of each (start, end, service) slot, and the resource it takes (``pick_resource``, by
    ``prefer``'s names for that slot), with busy time read once (``read_busy(start, end)``) over the span of them
    all: a booking checked at the desk and a batch of captured calls are checked by the same rule as the agent's
    offers. Each is a warning a person may book over, but an overlap with a slot held for a caller on the phone
    (``HOLD``), or a start within the service's buffers of one, which is an error: that caller is being offered it
    now (``_held``). ``others``: busy time that counts for one slot of the batch alone (the slots held for
    callers other than the one whose booking it is), per slot."""
    if not slots:
        return []
    around = reach(rules)
    busy = read_busy(min(s for s, _, _ in slots) - around, max(e for _, e, _ in slots) + around)
    shared = Schedule(rules, busy, now, labels)
    found = []
    for n, (start, end, service) in enumerate(slots):
        own = others[n] if others else ()
        schedule = Schedule(rules, [*busy, *own], now, labels) if own else shared
        rule = rules.service(service, int((end - start).total_seconds() // 60))
        _, reasons = schedule.check(start, rule)  # on the first of its resources free then, if it needs one
        issues = [FieldIssue("requested_start", Severity.ERROR if _held(r) else Severity.WARNING, r.message)
                  for r in reasons if r.code in BUSY_CODES]
        resource, passed = pick_resource(schedule, rule, start, prefer[n] if prefer else ())
        found.append(SlotCheck(issues + ([passed] if passed is not None else []), resource))
    return found


def _held(reason: Refusal) -> bool:
    """Whether a refusal is an overlap with a slot held for a caller on the phone, or a start within a buffer of
    one (never booked over: the buffers are the service's as for any busy time, and the caller may take it)."""
    return reason.code in (OVERLAP, BUFFER) and reason.block is not None and reason.block.source == HOLD


@dataclass(frozen=True)
class HeldRule:
    """The booking rule's question about slots held for callers, asked again inside the transaction that writes a
    booking (``store.holds.refuse_held``) of the holds that count then: one made since the check refuses the
    booking when the rule (``Schedule.refusals``) says it overlaps the booking or the booking's start is within the
    service's buffers of it (``_held``), as the check itself refuses it."""

    rules: BookingRules
    service: ServiceRule

    def around(self, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        """Where a hold can refuse a booking at [start, end): the booking's time widened by the service's buffers."""
        return (start - timedelta(minutes=self.service.buffer_before),
                end + timedelta(minutes=self.service.buffer_after))

    def refusal(self, start: datetime, resource: str | None, held: Sequence[BusyBlock], now: datetime) -> str | None:
        """Why ``held`` (holds that count now, source ``hold``) refuse the booking at ``start`` on ``resource``, as a
        sentence; None: they do not."""
        reason = next((r for r in Schedule(self.rules, held, now).refusals(start, self.service, self._on(resource))
                       if _held(r)), None)
        if reason is None:
            return None
        if reason.code == OVERLAP:
            return "this time was offered to a caller on the phone a moment ago; choose another time"
        return f"this time is {reason.message}, offered to a caller on the phone a moment ago; choose another time"

    def _on(self, resource: str | None) -> ResourceRule | None:
        """The rule's resource of that name; None (the location as a whole) for none or one it does not know."""
        try:
            return self.rules.resource(resource) if resource else None
        except KeyError:
            return None
