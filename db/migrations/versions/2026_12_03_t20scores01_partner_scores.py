"""partners.scores, classification, scored_at: what the last tier review judged, for progress pages

Revision ID: t20scores01
Revises: s19hooks01
Create Date: 2026-12-03 12:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 't20scores01'
down_revision: str | None = 's19hooks01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('partners') as batch:
        batch.add_column(sa.Column('scores', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('classification', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('scored_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('partners') as batch:
        batch.drop_column('scored_at')
        batch.drop_column('classification')
        batch.drop_column('scores')
