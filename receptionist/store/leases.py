"""Leases: one sync leader among the desks sharing a database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError

from receptionist.store import tables as t
from receptionist.store.base import Room


class Leases(Room):
    """Named leases in the database (the sync leader's)."""

    def holder(self, name: str, now: datetime) -> str | None:
        """Who holds the lease ``name`` now (None if nobody, or it expired)."""
        with self.session() as s:
            row = s.get(t.Lease, name)
            return row.holder if row is not None and row.expires_at > now else None

    def acquire(self, name: str, holder: str, ttl: timedelta, now: datetime,
                      take_over: str | None = None) -> bool:
        """Take or renew the lease ``name`` for ``holder``. One conditional UPDATE, so two desks racing on a
        shared PostgreSQL cannot both win. ``take_over`` names a holder known to be dead (a crashed process of this
        desk) whose unexpired lease may be taken at once."""
        expires = now + ttl
        mine = [t.Lease.holder == holder, t.Lease.expires_at <= now]
        if take_over:
            mine.append(t.Lease.holder == take_over)
        with self.session() as s:
            won = s.execute(
                update(t.Lease).where(t.Lease.name == name, or_(*mine)).values(holder=holder, expires_at=expires)
            ).rowcount
            if not won:
                if s.get(t.Lease, name) is not None:
                    s.rollback()
                    return False
                s.add(t.Lease(name=name, holder=holder, expires_at=expires))
                try:
                    s.commit()
                except IntegrityError:
                    s.rollback()
                    return False
                return True
            s.commit()
            return True

    def release(self, name: str, holder: str) -> None:
        with self.session() as s:
            s.execute(delete(t.Lease).where(t.Lease.name == name, t.Lease.holder == holder))
            s.commit()
