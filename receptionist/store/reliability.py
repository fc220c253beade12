"""Reliability: the write error budget's events, when each connection was first tracked and last signed in, the
alerts (one open per key) and the daily sample audits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from receptionist.domain.intake import InboxState
from receptionist.domain.models import SyncState
from receptionist.domain.reliability import WINDOWS, AlertRecord, SampleAuditRecord, WindowCount
from receptionist.store import tables as t
from receptionist.store.base import Room


#: how long the webhook's refusals per minute are kept (the health view reads the last hour)
REFUSALS_KEPT = timedelta(days=8)


def _alert(r: t.HealthAlert) -> AlertRecord:
    return AlertRecord(r.id, r.key, r.connection, r.state, r.text, r.raised_at, r.last_seen_at, r.acked_at,
                       r.acked_by, r.resolved_at, r.resolved_by, r.cleared_at, r.texted_at, r.text_error)


class Reliability(Room):
    # --- the error budget ---------------------------------------------------------------------------------------

    def record_write(self, calendar: str, appointment_id: str, at: datetime, ok: bool) -> None:
        """A write settled. It was owed since its appointment last changed, or since this desk first tracked the
        calendar (a calendar connected later owes it the older appointments from then)."""
        with self.session() as s:
            changed = s.scalar(select(t.Appointment.updated_at).where(t.Appointment.id == appointment_id)) or at
            mark = s.get(t.ConnectionMark, calendar)
            if mark is None:
                s.add(t.ConnectionMark(connection=calendar, first_seen_at=changed))
            elif mark.first_seen_at > changed:
                changed = mark.first_seen_at
            owed = min(changed, at)
            s.add(t.WriteOutcome(calendar=calendar, appointment_id=appointment_id, owed_at=owed, settled_at=at,
                                 delay_seconds=(at - owed).total_seconds(), ok=ok))
            s.commit()

    def counts(self, now: datetime, within: timedelta) -> dict[str, dict[timedelta, WindowCount]]:
        """Each calendar's writes settled over each of ``WINDOWS`` up to ``now``, good (Synced within ``within``)
        and all, in one grouped query over the last week."""
        W = t.WriteOutcome
        good = and_(W.ok.is_(True), W.delay_seconds <= within.total_seconds())
        columns = []
        for window in WINDOWS:
            inside = W.settled_at > now - window
            columns += [func.sum(case((inside, 1), else_=0)), func.sum(case((and_(inside, good), 1), else_=0))]
        with self.session() as s:
            rows = s.execute(select(W.calendar, *columns).where(W.settled_at > now - max(WINDOWS),
                                                                W.settled_at <= now).group_by(W.calendar))
            return {row[0]: {window: WindowCount(int(row[2 + 2 * i] or 0), int(row[1 + 2 * i] or 0))
                             for i, window in enumerate(WINDOWS)} for row in rows}

    def forget_before(self, before: datetime) -> int:
        """Outcomes and audits older than the longest window are of no more use."""
        with self.session() as s:
            n = s.execute(delete(t.WriteOutcome).where(t.WriteOutcome.settled_at < before)).rowcount
            s.execute(delete(t.SampleAudit).where(t.SampleAudit.at < before))
            s.commit()
            return n

    def last_pushes(self) -> dict[str, datetime]:
        """Each calendar's last write that landed (Synced)."""
        with self.session() as s:
            return dict(s.execute(select(t.CalendarLink.calendar, func.max(t.CalendarLink.synced_at))
                                  .where(t.CalendarLink.state == SyncState.SYNCED.value)
                                  .group_by(t.CalendarLink.calendar)).all())

    def text_counts(self, now: datetime) -> dict[timedelta, WindowCount]:
        """Texts over each of ``WINDOWS`` up to ``now``: all tried (sent, given up, or failing and retrying) and the
        good ones (sent, and not reported undelivered or failed by Twilio's status callback). A text skipped
        (STOP, a moved appointment) or still waiting for its first try is neither. A text counts at when it was
        settled, or when it was owed while it is still retrying."""
        M, S = t.OutboxMessage, t.SmsStatus
        at = func.coalesce(M.done_at, M.created_at)
        sent = and_(M.provider_id.is_not(None), M.provider_id != "")
        good = and_(sent, or_(S.status.is_(None), S.status.not_in(("undelivered", "failed"))))
        columns = []
        for window in WINDOWS:
            inside = at > now - window
            columns += [func.sum(case((inside, 1), else_=0)), func.sum(case((and_(inside, good), 1), else_=0))]
        tried = or_(M.attempts > 0, sent, M.done_at.is_not(None))
        with self.session() as s:
            row = s.execute(select(*columns).select_from(M).outerjoin(S, S.sid == M.provider_id).where(
                M.topic.like("sms.%"), or_(M.provider_id.is_(None), M.provider_id != ""), tried,
                at > now - max(WINDOWS), at <= now)).one()
            return {window: WindowCount(int(row[1 + 2 * i] or 0), int(row[2 * i] or 0))
                    for i, window in enumerate(WINDOWS)}

    def webhook_hour(self, now: datetime, spans: list[tuple[datetime, datetime]]
                     ) -> tuple[int, int, datetime | None, list[datetime]]:
        """The webhook's deliveries (any platform): how many came in the hour before ``now`` and how many of those
        are in quarantine, the newest, and the received times within ``spans`` (for the usual at this hour)."""
        D = t.InboxDelivery
        webhook = D.source == "webhook"
        in_hour = and_(webhook, D.received_at > now - timedelta(hours=1), D.received_at <= now)
        with self.session() as s:
            came, quarantined = s.execute(select(
                func.count(), func.sum(case((D.state == InboxState.QUARANTINED.value, 1), else_=0)))
                .where(in_hour)).one()
            last = s.scalar(select(func.max(D.received_at)).where(webhook, D.received_at <= now))
            times = list(s.scalars(select(D.received_at).where(webhook, or_(
                *(and_(D.received_at >= start, D.received_at < end) for start, end in spans))))) if spans else []
            return int(came or 0), int(quarantined or 0), last, times

    # --- refusals at the webhook's door ----------------------------------------------------------------------------

    def add_refusals(self, counts: Mapping[tuple[datetime, str], int]) -> None:
        """Add refusals to their (minute, source) rows, made when missing (one upsert per row, whatever the
        count: two desks adding at once both count). Rows older than ``REFUSALS_KEPT`` go when a minute's row is
        first made."""
        if not counts:
            return
        with self.session() as s:
            dialect = s.get_bind().dialect.name
            insert = sqlite_insert if dialect == "sqlite" else pg_insert
            R = t.WebhookRefusal
            rows = [{"minute": minute, "source": source, "count": n} for (minute, source), n in counts.items()]
            q = insert(R).values(rows)
            s.execute(q.on_conflict_do_update(index_elements=[R.minute, R.source],
                                              set_={"count": R.count + q.excluded["count"]}))
            oldest = min(minute for minute, _source in counts)
            s.execute(delete(R).where(R.minute < oldest - REFUSALS_KEPT))
            s.commit()

    def refusals(self, since: datetime, until: datetime) -> dict[str, int]:
        """Refusals per source in the minutes starting in (``since``, ``until``]."""
        R = t.WebhookRefusal
        with self.session() as s:
            return {source: int(n) for source, n in s.execute(
                select(R.source, func.sum(R.count)).where(R.minute > since, R.minute <= until).group_by(R.source))}

    # --- connections --------------------------------------------------------------------------------------------

    def sign_ins(self) -> dict[str, datetime | None]:
        with self.session() as s:
            return dict(s.execute(select(t.ConnectionMark.connection, t.ConnectionMark.signed_in_at)).all())

    def deliveries(self, since: datetime) -> tuple[dict[str, list[datetime]], dict[str, datetime]]:
        """Each platform's delivery times since ``since``, and the oldest delivery the desk holds of each."""
        with self.session() as s:
            times: dict[str, list[datetime]] = defaultdict(list)
            for platform, at in s.execute(select(t.InboxDelivery.platform, t.InboxDelivery.received_at)
                                          .where(t.InboxDelivery.received_at >= since)):
                times[platform].append(at)
            first = dict(s.execute(select(t.InboxDelivery.platform, func.min(t.InboxDelivery.received_at))
                                   .group_by(t.InboxDelivery.platform)).all())
            return dict(times), first

    def quarantined(self) -> dict[str, int]:
        """Deliveries waiting in quarantine, per platform."""
        with self.session() as s:
            return dict(s.execute(select(t.InboxDelivery.platform, func.count())
                                  .where(t.InboxDelivery.state == InboxState.QUARANTINED.value)
                                  .group_by(t.InboxDelivery.platform)).all())

    # --- alerts -------------------------------------------------------------------------------------------------

    def alerts(self, *, open_only: bool = False, limit: int = 200) -> list[AlertRecord]:
        with self.session() as s:
            q = select(t.HealthAlert).order_by(t.HealthAlert.id.desc()).limit(limit)
            if open_only:
                q = q.where(t.HealthAlert.resolved_at.is_(None))
            return [_alert(r) for r in s.scalars(q)]

    def uncleared(self) -> dict[str, AlertRecord]:
        """The newest alert of each key whose condition has not been seen to end (open, or resolved by a person
        while it still held): a condition that goes on raises nothing new."""
        with self.session() as s:
            rows = s.scalars(select(t.HealthAlert).where(t.HealthAlert.cleared_at.is_(None))
                             .order_by(t.HealthAlert.id))
            return {r.key: _alert(r) for r in rows}

    def raise_alert(self, key: str, connection: str, state: str, text: str, now: datetime) -> AlertRecord:
        with self.session() as s:
            row = t.HealthAlert(key=key, connection=connection, state=state, text=text, raised_at=now,
                                last_seen_at=now)
            s.add(row)
            s.flush()
            s.add(t.AuditEntry(at=now, actor="health check", action="alert_raised", entity="alert",
                               entity_id=str(row.id), detail={"key": key, "text": text}))
            s.commit()
            return _alert(row)

    def seen(self, alert_id: int, text: str, now: datetime) -> None:
        with self.session() as s:
            row = s.get(t.HealthAlert, alert_id)
            if row is not None:
                row.last_seen_at, row.text = now, text
                s.commit()

    def clear(self, alert_id: int, now: datetime) -> bool:
        """The condition ended: the alert is cleared (and resolved, if nobody did). Audited."""
        with self.session() as s:
            row = s.get(t.HealthAlert, alert_id)
            if row is None or row.cleared_at is not None:
                return False
            row.cleared_at = now
            if row.resolved_at is None:
                row.resolved_at, row.resolved_by = now, "health check"
            s.add(t.AuditEntry(at=now, actor="health check", action="alert_cleared", entity="alert",
                               entity_id=str(row.id), detail={"key": row.key}))
            s.commit()
            return True

    def decide(self, alert_id: int, action: str, actor: str, now: datetime) -> AlertRecord | None:
        """A person acknowledges (``ack``: no SMS follows) or resolves (``resolve``) an alert. Audited; None when
        there is no such alert; doing it twice changes nothing more."""
        with self.session() as s:
            row = s.get(t.HealthAlert, alert_id)
            if row is None:
                return None
            if action == "ack" and row.acked_at is None:
                row.acked_at, row.acked_by = now, actor
            elif action == "resolve" and row.resolved_at is None:
                row.resolved_at, row.resolved_by = now, actor
                if row.acked_at is None:
                    row.acked_at, row.acked_by = now, actor
            else:
                return _alert(row)
            s.add(t.AuditEntry(at=now, actor=actor, action=f"alert_{'acknowledged' if action == 'ack' else 'resolved'}",
                               entity="alert", entity_id=str(row.id), detail={"key": row.key, "text": row.text}))
            s.commit()
            return _alert(row)

    def to_text(self, before: datetime) -> list[AlertRecord]:
        """Open alerts nobody acknowledged, raised before ``before``, not texted yet."""
        with self.session() as s:
            return [_alert(r) for r in s.scalars(select(t.HealthAlert).where(
                t.HealthAlert.resolved_at.is_(None), t.HealthAlert.acked_at.is_(None),
                t.HealthAlert.texted_at.is_(None), t.HealthAlert.raised_at <= before))]

    def texted(self, alert_id: int, now: datetime, error: str | None) -> bool:
        """Claim the alert's SMS before it is sent (at most once, whichever desk leads); ``error`` afterwards."""
        with self.session() as s:
            row = s.get(t.HealthAlert, alert_id)
            if row is None or (row.texted_at is not None and error is None):
                return False
            row.texted_at, row.text_error = now, error
            s.commit()
            return True

    # --- sample audits ------------------------------------------------------------------------------------------

    def record_sample(self, calendar: str, at: datetime, checked: int, mismatched: int,
                      error: str | None = None) -> None:
        with self.session() as s:
            s.add(t.SampleAudit(calendar=calendar, at=at, checked=checked, mismatched=mismatched, error=error))
            s.commit()

    def last_samples(self) -> dict[str, SampleAuditRecord]:
        with self.session() as s:
            newest = select(t.SampleAudit.calendar, func.max(t.SampleAudit.id).label("id")) \
                .group_by(t.SampleAudit.calendar).subquery()
            rows = s.scalars(select(t.SampleAudit).join(newest, newest.c.id == t.SampleAudit.id))
            return {r.calendar: SampleAuditRecord(r.calendar, r.at, r.checked, r.mismatched, r.error) for r in rows}
