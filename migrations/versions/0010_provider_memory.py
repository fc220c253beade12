"""provider memory: what a calendar provider remembers across restarts beyond the cursor (CalDAV)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 16:55:00
"""
from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('provider_memory',
    sa.Column('scope', sa.String(length=500), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_provider_memory'))
    )


def downgrade() -> None:
    op.drop_table('provider_memory')
