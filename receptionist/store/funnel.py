"""Where each call ended in the conversion funnel (``domain/conversion.py``), kept on the call itself.

The funnel of a call depends on its proposal and the appointment made from it. Rather than joining the three tables
for every call of a year each time the report is read, each call carries its *leaf*: the one place it ended
(``calls.funnel``, with ``calls.funnel_at`` the appointment's start, which says at report time whether an unmarked
appointment's time has come). The report and the calls behind a bar are then conditions on one table
(``store/reports.py``: ``_stages``), read through one covering index.

The leaf is worked out by one SQL expression (``_leaf``) over the call joined to its proposal and appointment, in
the transaction that changes any of them: the store's sessions run ``refresh`` after each flush that added or
changed a call's intent, a proposal's status, time or appointment, or an appointment's status, attendance or time
(``watch``). The migration's backfill and bulk loads run the same ``refresh``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, case, event, func, inspect, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from receptionist.domain.models import AppointmentStatus, Attendance, ProposalStatus
from receptionist.store import tables as t

#: a proposal a person decided not to book here: rejected, or passed to the callback desk
NOT_BOOKED = (ProposalStatus.REJECTED.value, ProposalStatus.CALLBACK.value)

#: each leaf a call can end at: the funnel's drop-offs, ``kept``, ``unmarked`` (confirmed, live, no attendance
#: mark: "not marked" once its time has come, else "upcoming") and ``proposed`` (a timed proposal that reached no
#: further stage nor a named drop-off, e.g. approved without an appointment)
LEAVES = ("not_a_booking", "no_time", "rejected", "pending", "proposed", "cancelled", "no_show", "kept", "unmarked")

#: the columns whose change moves a call to another leaf
_WATCHED = {t.Call: ("intent",), t.BookingProposal: ("status", "start_at", "appointment_id"),
            t.Appointment: ("status", "attendance", "start_at")}


def _leaf(C, P, A):  # noqa: ANN001, ANN202 - the call, its proposal and appointment (tables or aliases)
    """The leaf of a call (the one definition of the funnel's stages, see the module's docstring)."""
    return case(
        (func.coalesce(C.intent, "book") != "book", "not_a_booking"),
        (P.start_at.is_(None), "no_time"),
        (P.status.in_(NOT_BOOKED), "rejected"),
        (P.status == ProposalStatus.PENDING.value, "pending"),
        (or_(P.status != ProposalStatus.APPROVED.value, A.id.is_(None)), "proposed"),
        (A.status == AppointmentStatus.CANCELLED.value, "cancelled"),
        (A.attendance == Attendance.NO_SHOW.value, "no_show"),
        (A.attendance == Attendance.ATTENDED.value, "kept"),
        else_="unmarked")


def refresh(conn: Connection | Session, call_ids: Iterable[int] | None = None,
            appointment_ids: Iterable[str] = ()) -> None:
    """Set the leaf of these calls and of the calls whose appointments these are (every call: None)."""
    C, P, A = t.Call, t.BookingProposal, t.Appointment
    K = aliased(t.Call)
    joined = lambda *cols: (select(*cols).select_from(K)  # noqa: E731
                            .outerjoin(P, P.call_row_id == K.id).outerjoin(A, A.id == P.appointment_id)
                            .where(K.id == C.id).scalar_subquery())
    q = update(C).values(funnel=joined(_leaf(K, P, A)), funnel_at=joined(A.start_at))
    if call_ids is not None:
        ids, appointments = list(call_ids), list(appointment_ids)
        if not ids and not appointments:
            return
        q = q.where(or_(C.id.in_(ids), C.id.in_(select(P.call_row_id).where(P.appointment_id.in_(appointments)))))
    conn.execute(q.execution_options(synchronize_session=False))


def _changed(session: Session, row: object) -> bool:
    if row in session.new:
        return True
    state = inspect(row)
    return any(state.attrs[name].history.has_changes() for name in _WATCHED[type(row)])


def _after_flush(session: Session, _context: object) -> None:
    calls: set[int] = set()
    appointments: set[str] = set()
    for row in (*session.new, *session.dirty):
        if type(row) not in _WATCHED or not _changed(session, row):
            continue
        if isinstance(row, t.Call):
            calls.add(row.id)
        elif isinstance(row, t.BookingProposal):
            calls.add(row.call_row_id)
        else:
            appointments.add(row.id)
    if calls or appointments:
        refresh(session.connection(), calls, appointments)


def watch(sessions: sessionmaker[Session]) -> None:
    """Keep the leaves of the calls these sessions change, in the same transaction."""
    event.listen(sessions, "after_flush", _after_flush)
