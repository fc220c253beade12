"""resources: an appointment may carry the resource it takes (a chair, a room, a technician)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 15:45:00

Null: the appointment takes the location as a whole (every appointment before this revision).
"""
from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resource', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('resource')
