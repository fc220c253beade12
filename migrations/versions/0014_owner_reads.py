"""owner reads: where each call ended in the conversion funnel, kept on the call (store/funnel.py); what the AI
last told the caller, kept on the callback

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:40:00

The conversion report was a join of a year of calls to their proposals and appointments; it is now a GROUP BY over
``calls`` through one covering index. Existing calls are backfilled with the same expression the store keeps the
column with. The callback list read each call's whole transcript to show the AI's last words; each callback now
keeps them (``domain.callbacks.ai_told``), backfilled here. The backfill uses the product's table definitions
(``store/funnel.py``), so this revision stays the last one whose data step reads them.
"""
from alembic import op
import sqlalchemy as sa
import receptionist.store.tables
from receptionist.domain.callbacks import ai_told


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

callbacks = sa.table("callbacks", sa.column("id", sa.Integer), sa.column("call_row_id", sa.Integer),
                     sa.column("told", sa.Text))
calls = sa.table("calls", sa.column("id", sa.Integer), sa.column("transcript", sa.JSON))


def upgrade() -> None:
    from receptionist.store.funnel import refresh

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('funnel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('funnel_at', receptionist.store.tables.UTCDateTime(timezone=True),
                                      nullable=True))
    op.drop_index('ix_appointments_report', table_name='appointments')
    op.drop_index('ix_booking_proposals_report', table_name='booking_proposals')
    op.drop_index('ix_calls_report', table_name='calls')
    refresh(op.get_bind())
    op.create_index('ix_calls_funnel', 'calls', ['received_at', 'intent', 'platform', 'funnel', 'funnel_at'],
                    unique=False)
    if op.get_bind().dialect.name == "sqlite":  # the planner takes the covering index over received_at's with stats
        op.get_bind().exec_driver_sql("ANALYZE calls")
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('told', sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(callbacks.c.id, calls.c.transcript)
                        .join(calls, calls.c.id == callbacks.c.call_row_id)).all()
    told = [{"cid": r.id, "words": ai_told(r.transcript or ())} for r in rows]
    for k in range(0, len(told), 500):
        conn.execute(sa.update(callbacks).where(callbacks.c.id == sa.bindparam("cid"))
                     .values(told=sa.bindparam("words")), told[k:k + 500])


def downgrade() -> None:
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.drop_column('told')
    op.drop_index('ix_calls_funnel', table_name='calls')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('funnel_at')
        batch_op.drop_column('funnel')
    op.create_index('ix_calls_report', 'calls', ['received_at', 'intent', 'platform'], unique=False)
    op.create_index('ix_booking_proposals_report', 'booking_proposals',
                    ['call_row_id', 'status', 'start_at', 'appointment_id'], unique=False)
    op.create_index('ix_appointments_report', 'appointments', ['id', 'status', 'start_at', 'attendance'], unique=False)
