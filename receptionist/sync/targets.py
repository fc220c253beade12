"""What the sync engine works on and reports: a connected calendar (``CalendarTarget``) and what one cycle did
(``CycleReport``). Kept apart from ``sync.engine`` so the engine's helpers can use them without importing it."""

from __future__ import annotations

from dataclasses import dataclass, field

from receptionist.domain.ports import CalendarProvider


@dataclass
class CalendarTarget:
    """A connected calendar: ``key`` is what link rows name it (``google:primary``)."""

    key: str
    provider: CalendarProvider
    calendar_id: str
    label: str


@dataclass
class CycleReport:
    pushed: int = 0
    failed: int = 0
    waiting: int = 0  # links owed but held: sign-in, Retry-After, network, mass-deletion guard
    needs_person: int = 0  # links that became Drift/Conflict this cycle
    pulled: dict[str, int] = field(default_factory=dict)  # per calendar: remote events the read found changed or gone
    pull_errors: dict[str, str] = field(default_factory=dict)
    messages_sent: int = 0
    message_errors: int = 0
    lease_lost: bool = False
    unsettled: int = 0  # links of the enabled calendars not Synced at the end of the cycle (from any cycle)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.pull_errors or self.message_errors or self.waiting or self.needs_person
                    or self.lease_lost or self.unsettled)
