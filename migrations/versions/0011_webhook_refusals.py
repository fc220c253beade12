"""webhook refusals: deliveries refused at the door, per minute and source, where every desk can read them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 18:45:00
"""
from alembic import op
import sqlalchemy as sa
import receptionist.store.tables


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_refusals',
    sa.Column('minute', receptionist.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('minute', 'source', name=op.f('pk_webhook_refusals'))
    )


def downgrade() -> None:
    op.drop_table('webhook_refusals')
