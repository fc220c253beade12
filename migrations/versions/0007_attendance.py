"""attendance: an appointment marked attended or no-show, by whom and when

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-07 15:40:00

Chained onto 0005 on the owners branch; the lead re-chains it at merge.
"""
from alembic import op
import sqlalchemy as sa
import receptionist.store.tables


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('attendance_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('attendance_at', receptionist.store.tables.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('attendance_at')
        batch_op.drop_column('attendance_by')
        batch_op.drop_column('attendance')
