"""Availability: what is busy, and whether a slot collides with it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from receptionist.domain.formatting import format_range
from receptionist.domain.models import BusyBlock, FieldIssue, Severity


def conflicts(start: datetime, end: datetime, busy: Iterable[BusyBlock]) -> list[BusyBlock]:
    """Busy blocks overlapping [start, end) (touching ends do not overlap), earliest first."""
    return sorted((b for b in busy if b.overlaps(start, end)), key=lambda b: b.start)


def conflict_issues(start: datetime, end: datetime, busy: Iterable[BusyBlock], zone) -> list[FieldIssue]:
    return [
        FieldIssue(
            "requested_start", Severity.WARNING,
            f"overlaps {b.title or 'a busy block'} ({b.source}, {format_range(b.start, b.end, zone)})",
        )
        for b in conflicts(start, end, busy)
    ]
