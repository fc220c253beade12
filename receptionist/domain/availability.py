"""Busy time against a booking: the part of the booking rule (``Schedule.refusals``) that needs the calendars —
overlaps, buffers, the caps per day and week — as the issues a person sees on a captured call or an edit."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from receptionist.domain.models import BusyBlock, FieldIssue, Severity
from receptionist.domain.schedule import BUFFER, DAY_FULL, HOLD, OVERLAP, WEEK_FULL, BookingRules, Refusal, Schedule

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


def busy_issues(slots: Sequence[tuple[datetime, datetime, str | None]],
                read_busy: Callable[[datetime, datetime], list[BusyBlock]], rules: BookingRules, now: datetime,
                labels: Mapping[str, str] | None = None) -> list[list[FieldIssue]]:
    """The busy-time reasons of each (start, end, service) slot, with busy time read once
    (``read_busy(start, end)``) over the span of them all: a booking checked at the desk and a batch of captured
    calls are checked by the same rule as the agent's offers. Each is a warning a person may book over, but an
    overlap with a slot held for a caller on the phone (``HOLD``), or a start within the service's buffers of one,
    which is an error: that caller is being offered it now (``_held``)."""
    if not slots:
        return []
    around = reach(rules)
    busy = read_busy(min(s for s, _, _ in slots) - around, max(e for _, e, _ in slots) + around)
    if not busy:
        return [[] for _ in slots]
    schedule = Schedule(rules, busy, now, labels)
    found = []
    for start, end, service in slots:
        rule = rules.service(service, int((end - start).total_seconds() // 60))
        _, reasons = schedule.check(start, rule)  # on the first of its resources free then, if it needs one
        found.append([FieldIssue("requested_start", Severity.ERROR if _held(r) else Severity.WARNING, r.message)
                      for r in reasons if r.code in BUSY_CODES])
    return found


def _held(reason: Refusal) -> bool:
    """Whether a refusal is an overlap with a slot held for a caller on the phone, or a start within a buffer of
    one (never booked over: the buffers are the service's as for any busy time, and the caller may take it)."""
    return reason.code in (OVERLAP, BUFFER) and reason.block is not None and reason.block.source == HOLD
