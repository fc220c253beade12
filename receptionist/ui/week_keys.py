"""Moving between the bookings of a laid-out week with the keyboard, without a widget: which block a key moves the
focus to, and which block of a new layout is the one that had it (the week is laid out again on every piece of news).

Order is the reading order of the grid: by day, the all-day strip's first, then start, then lane. ``Up``/``Down`` stay in the day,
``Left``/``Right`` go to the nearest day that has something, at the closest start; ``Tab`` walks the whole week and
answers None past either end (the focus then leaves the calendar, as Tab does anywhere).
"""

from __future__ import annotations

from collections.abc import Sequence

from receptionist.ui.week_layout import CalendarItem, MoreChip

Target = CalendarItem | MoreChip

NEXT, PREVIOUS, UP, DOWN, LEFT, RIGHT, FIRST, LAST = "next", "previous", "up", "down", "left", "right", "first", \
    "last"


def reading_order(targets: Sequence[Target]) -> list[Target]:
    return sorted(targets, key=lambda t: (t.day, not t.all_day, t.start_minutes, t.lane))


def identity(target: Target) -> tuple:
    """What stays the same when the week is laid out again: a booking's key and day; a chip's day and slot."""
    if isinstance(target, MoreChip):
        return ("chip", target.day, target.all_day, target.start_minutes)
    return ("item", target.key, target.day)


def find_again(targets: Sequence[Target], old: Target | None) -> Target | None:
    """``old``'s block in a new layout (None if it is gone)."""
    if old is None:
        return None
    wanted = identity(old)
    return next((t for t in targets if identity(t) == wanted), None)


def step(targets: Sequence[Target], current: Target | None, move: str) -> Target | None:
    """The block ``move`` goes to from ``current`` (None when nothing has the focus yet: the first or last block).
    None for ``next``/``previous`` past the ends; ``up``/``down``/``left``/``right`` stay put at an edge."""
    ordered = reading_order(targets)
    if not ordered:
        return None
    current = find_again(ordered, current)
    if current is None or move == FIRST or move == LAST:
        return ordered[-1] if move in (PREVIOUS, UP, LAST) else ordered[0]
    at = ordered.index(current)
    if move in (NEXT, PREVIOUS):
        n = at + (1 if move == NEXT else -1)
        return ordered[n] if 0 <= n < len(ordered) else None
    if move in (UP, DOWN):
        n = at + (1 if move == DOWN else -1)
        if 0 <= n < len(ordered) and ordered[n].day == current.day:
            return ordered[n]
        return current
    days = sorted({t.day for t in ordered})
    later = [d for d in days if d > current.day] if move == RIGHT else [d for d in days if d < current.day][::-1]
    if not later:
        return current
    same_day = [t for t in ordered if t.day == later[0]]
    return min(same_day, key=lambda t: (abs(t.start_minutes - current.start_minutes), t.lane))


__all__ = ["DOWN", "FIRST", "LAST", "LEFT", "NEXT", "PREVIOUS", "RIGHT", "UP", "find_again", "identity",
           "reading_order", "step"]
