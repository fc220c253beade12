"""The audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

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
