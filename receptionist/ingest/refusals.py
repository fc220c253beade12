"""The door's refusals, counted where every desk can read them (``webhook_refusals``: per minute and source).

A refusal is answered at once and only counted in memory at the door; the intake's worker adds the counts to the
database on its next tick (within its sweep interval) and when it stops. So a flood of refusals costs a write per
tick, never one per refusal, and the door never waits on a busy database to refuse."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime

log = logging.getLogger(__name__)


class RefusalTally:
    def __init__(self, write: Callable[[Mapping[tuple[datetime, str], int]], None]):
        self._write = write
        self._pending: Counter[tuple[datetime, str]] = Counter()
        self._lock = threading.Lock()
        self._failing = False

    def add(self, source: str, at: datetime) -> None:
        """One refusal from ``source`` at ``at`` (counted in its minute)."""
        with self._lock:
            self._pending[(at.replace(second=0, microsecond=0), source)] += 1

    def flush(self) -> None:
        """Write what was counted since the last write (kept for the next try when the database refuses)."""
        with self._lock:
            if not self._pending:
                return
            batch, self._pending = self._pending, Counter()
        try:
            self._write(batch)
        except Exception as exc:  # the database is busy or gone: the counts wait for the next tick
            with self._lock:
                self._pending.update(batch)
            if not self._failing:
                log.warning("webhook refusals not counted in the database yet (kept for the next try): %s", exc)
            self._failing = True
        else:
            self._failing = False
