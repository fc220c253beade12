"""proposal resource: a booking proposal records the resource (chair, room) the booking rule picked when it was checked

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 18:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('booking_proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resource', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('booking_proposals', schema=None) as batch_op:
        batch_op.drop_column('resource')
