"""callbacks made with their calls (desk_marks goes); texts' delivery status (sms_statuses, outbox.appointment_id)

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-07 15:40:00

Until now a callback was made by a sweep that reading the callback list ran (``desk_marks.callbacks.scanned``: the
last call it had looked at). Now the intake makes it in the transaction that stores the call, so the calls stored
after the last sweep get theirs here, once, and the mark's table goes. A migration does not know the location's
open hours, so these few are due 30 minutes (urgent) or 2 hours after the call came in, by the clock: they were
stored before this upgrade and are most likely due already.

Each text's delivery status: Twilio's status callbacks are kept by MessageSid (``sms_statuses``), and an outbox
row names its appointment in a column (it was only in the payload), so the texts of one appointment are one
indexed read; the rows already there get it from their payload. Covering indexes serve the conversion report.

Chained onto 0005 on the texts branch; the lead re-chains it at merge.
"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa

import receptionist.store.tables
from receptionist.domain.callbacks import NORMAL_WITHIN, URGENT_WITHIN, callback_need
from receptionist.domain.models import FieldIssue, Intent

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = receptionist.store.tables.UTCDateTime(timezone=True)
calls = sa.table("calls", sa.column("id", sa.Integer), sa.column("intent", sa.String),
                 sa.column("reason_codes", sa.JSON), sa.column("issues", sa.JSON), sa.column("received_at", UTC))
callbacks = sa.table("callbacks", sa.column("call_row_id", sa.Integer), sa.column("reason", sa.String),
                     sa.column("urgent", sa.Boolean), sa.column("created_at", UTC), sa.column("due_at", UTC),
                     sa.column("version", sa.Integer))
marks = sa.table("desk_marks", sa.column("name", sa.String), sa.column("value", sa.Integer))
outbox = sa.table("outbox", sa.column("id", sa.Integer), sa.column("payload", sa.JSON),
                  sa.column("appointment_id", sa.String))


def upgrade() -> None:
    conn = op.get_bind()
    after = conn.scalar(sa.select(marks.c.value).where(marks.c.name == "callbacks.scanned")) or 0
    now = datetime.now(timezone.utc)
    made = sa.select(callbacks.c.call_row_id).where(callbacks.c.call_row_id == calls.c.id)
    rows = conn.execute(sa.select(calls.c.id, calls.c.intent, calls.c.reason_codes, calls.c.issues,
                                  calls.c.received_at).where(calls.c.id > after, ~made.exists())
                        .order_by(calls.c.id)).all()
    new = []
    for r in rows:
        try:
            intent = Intent(r.intent or "book")
        except ValueError:
            continue
        need = callback_need(intent, r.reason_codes or (), (FieldIssue.from_dict(i) for i in r.issues or ()))
        if need is not None:
            new.append({"call_row_id": r.id, "reason": need.reason.value, "urgent": need.urgent, "created_at": now,
                        "due_at": r.received_at + (URGENT_WITHIN if need.urgent else NORMAL_WITHIN), "version": 1})
    for k in range(0, len(new), 500):
        conn.execute(sa.insert(callbacks), new[k:k + 500])
    op.drop_table("desk_marks")

    op.create_table('sms_statuses',
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('updated_at', receptionist.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_sms_statuses'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appointment_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_appointment_id'), ['appointment_id'], unique=False)
    # covering indexes for the conversion report (a year of calls without touching their wide rows)
    op.create_index('ix_calls_report', 'calls', ['received_at', 'intent', 'platform'], unique=False)
    op.create_index('ix_booking_proposals_report', 'booking_proposals',
                    ['call_row_id', 'status', 'start_at', 'appointment_id'], unique=False)
    op.create_index('ix_appointments_report', 'appointments', ['id', 'status', 'start_at', 'attendance'], unique=False)
    if conn.dialect.name == "sqlite":  # SQLite's planner takes a covering index over a unique one only with stats
        conn.exec_driver_sql("ANALYZE")
    for row in conn.execute(sa.select(outbox.c.id, outbox.c.payload)).all():
        appointment = (row.payload or {}).get("appointment_id")
        if appointment:
            conn.execute(sa.update(outbox).where(outbox.c.id == row.id).values(appointment_id=str(appointment)))


def downgrade() -> None:
    op.drop_index('ix_appointments_report', table_name='appointments')
    op.drop_index('ix_booking_proposals_report', table_name='booking_proposals')
    op.drop_index('ix_calls_report', table_name='calls')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_appointment_id'))
        batch_op.drop_column('appointment_id')
    op.drop_table('sms_statuses')
    op.create_table('desk_marks',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_desk_marks'))
    )
    # every call's callback is made already: the old sweep starts after the last call
    last = op.get_bind().scalar(sa.select(sa.func.max(calls.c.id)))
    if last is not None:
        op.execute(sa.insert(marks).values(name="callbacks.scanned", value=last))
