"""on-call shifts: the shared on-call calendar's shifts and its last refresh

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:45:00
"""
from alembic import op
import sqlalchemy as sa

import receptionist.store.tables


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC = receptionist.store.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('on_call_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calendar', sa.String(length=500), nullable=False),
    sa.Column('person', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('start_at', UTC, nullable=False),
    sa.Column('end_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_on_call_shifts'))
    )
    op.create_index('ix_on_call_shifts_calendar_start', 'on_call_shifts', ['calendar', 'start_at'], unique=False)
    op.create_table('on_call_refreshes',
    sa.Column('calendar', sa.String(length=500), nullable=False),
    sa.Column('refreshed_at', UTC, nullable=True),
    sa.Column('attempted_at', UTC, nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('shifts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('calendar', name=op.f('pk_on_call_refreshes'))
    )


def downgrade() -> None:
    op.drop_table('on_call_refreshes')
    op.drop_index('ix_on_call_shifts_calendar_start', table_name='on_call_shifts')
    op.drop_table('on_call_shifts')
