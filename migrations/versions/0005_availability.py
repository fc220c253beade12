"""availability: slots held for a caller while the AI agent offers and books them

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-07 12:40:00

Chained onto 0003 on the availability branch; the lead re-chains it at merge.
"""
from alembic import op
import sqlalchemy as sa
import receptionist.store.tables


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('slot_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=40), nullable=False),
    sa.Column('call_id', sa.String(length=128), nullable=False),
    sa.Column('service', sa.String(length=200), nullable=True),
    sa.Column('resource', sa.String(length=80), nullable=True),
    sa.Column('start_at', receptionist.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', receptionist.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', receptionist.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('booked', sa.Boolean(), nullable=False),
    sa.Column('created_at', receptionist.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slot_holds'))
    )
    with op.batch_alter_table('slot_holds', schema=None) as batch_op:
        batch_op.create_index('ix_slot_holds_call', ['platform', 'call_id'], unique=False)
        batch_op.create_index('ix_slot_holds_window', ['start_at', 'end_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('slot_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_slot_holds_window')
        batch_op.drop_index('ix_slot_holds_call')
    op.drop_table('slot_holds')
