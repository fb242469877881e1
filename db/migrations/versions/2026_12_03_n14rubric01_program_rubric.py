"""programs.tier_rubric: a program's own tier rubric (NULL: the default)

Revision ID: n14rubric01
Revises: m13country01
Create Date: 2026-12-03 08:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'n14rubric01'
down_revision: str | None = 'm13country01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('programs') as batch:
        batch.add_column(sa.Column('tier_rubric', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('programs') as batch:
        batch.drop_column('tier_rubric')
