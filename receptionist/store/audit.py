"""The audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from receptionist.domain.people import AuditRecord

from receptionist.store import tables as t
from receptionist.store.base import Room


def audit_in(s: Session, now: datetime, actor: str, action: str, entity: str, entity_id: str, detail: dict) -> None:
    """An audit row in the caller's transaction."""
    s.add(t.AuditEntry(at=now, actor=actor, action=action, entity=entity, entity_id=entity_id, detail=detail))


class AuditLog(Room):
    """Who did what, when."""

    def record(self, now: datetime, actor: str, action: str, entity: str, entity_id: str, detail: dict | None = None):
        with self.session() as s:
            audit_in(s, now, actor, action, entity, entity_id, detail or {})
            s.commit()

    def entries(self, *, actor: str | None = None, action: str | None = None, since: datetime | None = None,
                until: datetime | None = None, limit: int = 500) -> list[AuditRecord]:
        """The newest entries first; ``action`` matches a whole action ("callback.done") or its family
        ("callback")."""
        A = t.AuditEntry
        q = select(A)
        if actor:
            q = q.where(A.actor == actor)
        if action:
            q = q.where((A.action == action) | A.action.startswith(action.rstrip(".") + ".", autoescape=True))
        if since is not None:
            q = q.where(A.at >= since)
        if until is not None:
            q = q.where(A.at < until)
        with self.session() as s:
            return [AuditRecord(r.id, r.at, r.actor, r.action, r.entity, r.entity_id, dict(r.detail or {}))
                    for r in s.scalars(q.order_by(A.at.desc(), A.id.desc()).limit(limit))]

    def actors(self) -> list[str]:
        """Every name the log holds (the filter's choices)."""
        with self.session() as s:
            return sorted(s.scalars(select(t.AuditEntry.actor).distinct()))
