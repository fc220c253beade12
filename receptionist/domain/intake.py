"""Records of durable intake: stored deliveries (and the quarantined ones), live calls, a caller's history.

Plain frozen dataclasses the store hands out; no I/O here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

#: every setup test call's id holds this (``ingest/trial_call.py``), so it is told apart from a real call
TEST_CALL_PREFIX = "receptionist-test-"


class InboxState(str, enum.Enum):
    PENDING = "pending"  # stored, not mapped yet (a crash leaves it here; the next start maps it)
    DONE = "done"  # mapped: a call + proposal, a live-call update, or acknowledged and ignored
    QUARANTINED = "quarantined"  # could not be mapped; ``reason`` says why; Replay or Discard
    DISCARDED = "discarded"  # a person decided it is not a call


class DeliverySource(str, enum.Enum):
    WEBHOOK = "webhook"
    POLL = "poll"
    FILE = "file"  # ``receptionist ingest FILE``: given by the operator


@dataclass(frozen=True)
class InboxRecord:
    id: int
    platform: str
    dedupe_key: str
    source: DeliverySource
    received_at: datetime
    url: str
    headers: dict[str, str]
    body: bytes
    state: InboxState
    reason: str | None
    attempts: int
    processed_at: datetime | None
    call_row_id: int | None

    def summary(self) -> dict:
        """What ``quarantine list --json`` prints and the quarantine view shows (no raw body)."""
        preview = self.body[:160].decode("utf-8", "replace")
        return {"id": self.id, "platform": self.platform, "dedupe_key": self.dedupe_key,
                "source": self.source.value, "received_at": self.received_at.isoformat(), "state": self.state.value,
                "reason": self.reason, "attempts": self.attempts, "bytes": len(self.body), "preview": preview}


@dataclass(frozen=True)
class LiveCallRecord:
    platform: str
    call_id: str
    caller_id_number: str | None
    status: str
    started_at: datetime | None
    updated_at: datetime
    ended_at: datetime | None
    transcript: tuple[tuple[str, str], ...] = ()

    @property
    def live(self) -> bool:
        return self.ended_at is None

    def elapsed_seconds(self, now: datetime) -> int | None:
        if self.started_at is None:
            return None
        return max(0, int(((self.ended_at or now) - self.started_at).total_seconds()))


@dataclass(frozen=True)
class CallerHistory:
    """What the desk knows about a number: earlier calls and appointments (newest first)."""

    number: str
    earlier_calls: int
    last_call_at: datetime | None
    appointments: int
    last_visit: datetime | None  # the latest appointment that started before now
    next_visit: datetime | None  # the next one to come
    names: tuple[str, ...] = field(default_factory=tuple)

    @property
    def returning(self) -> bool:
        return self.earlier_calls > 0 or self.appointments > 0


__all__ = ["CallerHistory", "DeliverySource", "InboxRecord", "InboxState", "LiveCallRecord"]
