"""Slots held for a caller while the AI agent offers and books them (``slot_holds``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, delete, exists, not_, or_, select
from sqlalchemy.orm import Session

from receptionist.domain.availability import HeldRule
from receptionist.domain.models import AppointmentStatus, BusyBlock, ProposalStatus
from receptionist.store import tables as t
from receptionist.store.base import Room, StaleEdit, lock_bookings, same_resource

HeldSlot = tuple[datetime, datetime, str | None, str | None]  # start, end, service, resource


def _counting(now: datetime):
    """Holds that still count: not expired; unbooked ones while their call has not ended; booked ones while the
    booking they became waits for a person (approved, the appointment counts instead; rejected, nothing)."""
    H, L, C, P = t.SlotHold, t.LiveCall, t.Call, t.BookingProposal
    ended = exists().where(L.platform == H.platform, L.call_id == H.call_id, L.ended_at.is_not(None))
    decided = exists().where(C.platform == H.platform, C.call_id == H.call_id, P.call_row_id == C.id,
                             P.status != ProposalStatus.PENDING.value)
    return and_(H.expires_at > now, or_(and_(H.booked.is_(False), not_(ended)), and_(H.booked.is_(True),
                                                                                    not_(decided))))


def refuse_held(s: Session, start: datetime, end: datetime, now: datetime, resource: str | None, rule: HeldRule,
                except_call: tuple[str, str] | None = None) -> None:
    """Inside the transaction that writes a booking at [start, end) on ``resource``, after ``lock_bookings``
    (``refuse_new_clash`` takes it): a slot held for a caller on the phone now (``except_call``'s own left out: it
    is this booking) that the booking rule refuses it for (``rule``: an overlap, or a start within the service's
    buffers of the hold) was offered since the check, which refuses any it saw, so this write is refused
    (``StaleEdit``, the rule's reason) rather than booking a time the agent is offering."""
    lo, hi = rule.around(start, end)
    query = _held_query(lo, hi, now, except_call).where(same_resource(t.SlotHold.resource, resource))
    held = [_block(*row) for row in s.execute(query)]
    refused = rule.refusal(start, resource, held, now) if held else None
    if refused is not None:
        s.rollback()
        raise StaleEdit(refused)


def _held_query(start: datetime, end: datetime, now: datetime, except_call: tuple[str, str] | None):
    """Holds overlapping [start, end) that count now, earliest first; ``except_call``'s own left out."""
    H = t.SlotHold
    query = (select(H.start_at, H.end_at, H.service, H.resource)
             .where(H.start_at < end, H.end_at > start, _counting(now)).order_by(H.start_at))
    if except_call is not None:
        query = query.where(not_(and_(H.platform == except_call[0], H.call_id == except_call[1])))
    return query


def _block(start: datetime, end: datetime, service: str | None, resource: str | None) -> BusyBlock:
    return BusyBlock(start, end, "hold", "held for another caller", service=service, resource=resource)


class Holds(Room):
    def blocks(self, start: datetime, end: datetime, now: datetime,
               except_call: tuple[str, str] | None = None) -> list[BusyBlock]:
        """Holds overlapping [start, end) that count now, as busy blocks (source ``hold``); ``except_call``'s own
        holds are left out (a caller is not kept from the slot offered to them)."""
        with self.session() as s:
            return [_block(*row) for row in s.execute(_held_query(start, end, now, except_call))]

    def by_call(self, start: datetime, end: datetime, now: datetime) -> list[tuple[tuple[str, str], BusyBlock]]:
        """Holds overlapping [start, end) that count now, each with the (platform, call id) it is held for, as
        ``blocks`` gives them: a batch of calls reads them once and leaves each call's own out."""
        H = t.SlotHold
        query = _held_query(start, end, now, None).add_columns(H.platform, H.call_id)
        with self.session() as s:
            return [((platform, call_id), _block(a, b, service, resource))
                    for a, b, service, resource, platform, call_id in s.execute(query)]

    def held_resource(self, call: tuple[str, str], start: datetime, end: datetime, now: datetime) -> str | None:
        """The resource ``call`` booked (its kept hold) at exactly [start, end), if that hold still counts."""
        H = t.SlotHold
        with self.session() as s:
            return s.scalar(select(H.resource).where(H.platform == call[0], H.call_id == call[1],
                                                     H.booked.is_(True), H.start_at == start, H.end_at == end,
                                                     _counting(now)).limit(1))

    def hold(self, platform: str, call_id: str, slots: Iterable[HeldSlot], now: datetime, until: datetime) -> None:
        """What this call is offered now replaces what it was offered before (its booked slot stays); holds that
        no longer count anywhere are cleared on the way."""
        H = t.SlotHold
        with self.session() as s:
            s.execute(delete(H).where(or_(and_(H.platform == platform, H.call_id == call_id, H.booked.is_(False)),
                                          not_(_counting(now)))))
            s.add_all(t.SlotHold(platform=platform, call_id=call_id, service=service, resource=resource,
                                 start_at=a, end_at=b, expires_at=until, booked=False, created_at=now)
                      for a, b, service, resource in slots)
            s.commit()

    def book(self, platform: str, call_id: str, slot: HeldSlot, now: datetime, until: datetime) -> bool:
        """Keep ``slot`` for this call's booking until ``until`` and let its other offers go, unless another call
        or a booking took it (on its resource) since it was checked (then False, nothing changed). ``lock_bookings`` comes first, so
        two desks (or a desk's approval and a call's booking) writing at once are ordered and the later one sees
        the other, on SQLite and PostgreSQL alike."""
        H, A = t.SlotHold, t.Appointment
        a, b, service, resource = slot
        with self.session() as s:
            lock_bookings(s)
            s.execute(delete(H).where(H.platform == platform, H.call_id == call_id, H.booked.is_(False)))
            mine = t.SlotHold(platform=platform, call_id=call_id, service=service, resource=resource, start_at=a,
                              end_at=b, expires_at=until, booked=True, created_at=now)
            s.add(mine)
            s.flush()
            theirs = s.scalar(select(H.id).where(H.start_at < b, H.end_at > a, H.id != mine.id, _counting(now),
                                                 not_(and_(H.platform == platform, H.call_id == call_id)),
                                                 same_resource(H.resource, resource)).limit(1))
            booked = s.scalar(select(A.id).where(A.start_at < b, A.end_at > a,
                                                 A.status != AppointmentStatus.CANCELLED.value,
                                                 same_resource(A.resource, resource)).limit(1))
            if theirs is not None or booked is not None:
                s.rollback()
                return False
            s.commit()
            return True
