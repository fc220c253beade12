"""Availability: what is busy, and whether a slot collides with it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from receptionist.domain.formatting import format_range
from receptionist.domain.models import BusyBlock, FieldIssue, Severity


def conflicts(start: datetime, end: datetime, busy: Iterable[BusyBlock]) -> list[BusyBlock]:
    """Busy blocks overlapping [start, end) (touching ends do not overlap), earliest first."""
    return sorted((b for b in busy if b.overlaps(start, end)), key=lambda b: b.start)


def conflict_issues(start: datetime, end: datetime, busy: Iterable[BusyBlock], zone,
                    labels: Mapping[str, str] | None = None) -> list[FieldIssue]:
    """A warning per busy block the slot overlaps; ``labels`` names each source as a person knows it
    ("Outlook", not "outlook:default")."""
    names = {"appointment": "our booking", **(labels or {})}
    return [
        FieldIssue(
            "requested_start", Severity.WARNING,
            f"overlaps {b.title or 'a busy block'} ({names.get(b.source, b.source)}, "
            f"{format_range(b.start, b.end, zone)})",
        )
        for b in conflicts(start, end, busy)
    ]


def busy_issues(slots: Sequence[tuple[datetime, datetime]], read_busy: Callable[[datetime, datetime], list[BusyBlock]],
                zone, labels: Mapping[str, str] | None = None) -> list[list[FieldIssue]]:
    """The clashes of each slot with busy time, read once (``read_busy(start, end)``) over the span of them all:
    a booking checked at the desk and a batch of captured calls are checked by the same rule."""
    if not slots:
        return []
    busy = read_busy(min(s for s, _ in slots), max(e for _, e in slots))
    return [conflict_issues(start, end, busy, zone, labels) if busy else [] for start, end in slots]
