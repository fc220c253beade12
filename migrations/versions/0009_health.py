"""health: the write error budget's events, connection marks (sign-ins), alerts, the daily sample audit

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-07 15:30:00

Chained onto 0005 on the health branch; the lead re-chains it at merge.
"""
from alembic import op
import sqlalchemy as sa
import receptionist.store.tables


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC = receptionist.store.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('write_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calendar', sa.String(length=120), nullable=False),
    sa.Column('appointment_id', sa.String(length=32), nullable=False),
    sa.Column('owed_at', UTC, nullable=False),
    sa.Column('settled_at', UTC, nullable=False),
    sa.Column('delay_seconds', sa.Float(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_write_outcomes'))
    )
    op.create_index('ix_write_outcomes_calendar_settled', 'write_outcomes', ['calendar', 'settled_at'], unique=False)
    op.create_table('connection_marks',
    sa.Column('connection', sa.String(length=120), nullable=False),
    sa.Column('first_seen_at', UTC, nullable=False),
    sa.Column('signed_in_at', UTC, nullable=True),
    sa.PrimaryKeyConstraint('connection', name=op.f('pk_connection_marks'))
    )
    op.create_table('health_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('connection', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('raised_at', UTC, nullable=False),
    sa.Column('last_seen_at', UTC, nullable=False),
    sa.Column('acked_at', UTC, nullable=True),
    sa.Column('acked_by', sa.String(length=80), nullable=True),
    sa.Column('resolved_at', UTC, nullable=True),
    sa.Column('resolved_by', sa.String(length=80), nullable=True),
    sa.Column('cleared_at', UTC, nullable=True),
    sa.Column('texted_at', UTC, nullable=True),
    sa.Column('text_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_alerts'))
    )
    op.create_index(op.f('ix_health_alerts_key'), 'health_alerts', ['key'], unique=False)
    op.create_table('sample_audits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calendar', sa.String(length=120), nullable=False),
    sa.Column('at', UTC, nullable=False),
    sa.Column('checked', sa.Integer(), nullable=False),
    sa.Column('mismatched', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sample_audits'))
    )
    op.create_index('ix_sample_audits_calendar_at', 'sample_audits', ['calendar', 'at'], unique=False)
    op.create_index('ix_inbox_platform_received', 'inbox', ['platform', 'received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_inbox_platform_received', table_name='inbox')
    op.drop_index('ix_sample_audits_calendar_at', table_name='sample_audits')
    op.drop_table('sample_audits')
    op.drop_index(op.f('ix_health_alerts_key'), table_name='health_alerts')
    op.drop_table('health_alerts')
    op.drop_table('connection_marks')
    op.drop_index('ix_write_outcomes_calendar_settled', table_name='write_outcomes')
    op.drop_table('write_outcomes')
