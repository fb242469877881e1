"""submission_reviews: when the PM sent the answer back, and when the partner revised it

Revision ID: q17sendback01
Revises: p16reviews01
Create Date: 2026-12-03 11:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'q17sendback01'
down_revision: str | None = 'p16reviews01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('submission_reviews') as batch:
        batch.add_column(sa.Column('sent_back_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('revised_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('submission_reviews') as batch:
        batch.drop_column('revised_at')
        batch.drop_column('sent_back_at')
