"""Reads of what a desk writes and never reads back itself (the audit trail, messages already sent), for tests to
check: straight from the tables, newest first."""

from __future__ import annotations

from sqlalchemy import select

from receptionist.store import tables as t
from receptionist.store import Store


def outbox_items(store: Store, limit: int = 200) -> list[dict]:
    """The outbox's messages, sent or not."""
    with store.session() as s:
        rows = s.scalars(select(t.OutboxMessage).order_by(t.OutboxMessage.id.desc()).limit(limit))
        return [{"id": r.id, "topic": r.topic, "payload": dict(r.payload), "attempts": r.attempts,
                 "last_error": r.last_error, "sending_at": r.sending_at, "done_at": r.done_at,
                 "provider_id": r.provider_id} for r in rows]


def audit_entries(store: Store, limit: int = 100) -> list[dict]:
    """The audit trail."""
    with store.session() as s:
        rows = s.scalars(select(t.AuditEntry).order_by(t.AuditEntry.id.desc()).limit(limit))
        return [{"at": r.at, "actor": r.actor, "action": r.action, "entity": r.entity,
                 "entity_id": r.entity_id, "detail": r.detail} for r in rows]


__all__ = ["audit_entries", "outbox_items"]
