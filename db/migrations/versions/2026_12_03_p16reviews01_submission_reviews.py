"""submission_reviews: the PM's approval or grade of a step's answer

Revision ID: p16reviews01
Revises: o15apikeys01
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'p16reviews01'
down_revision: str | None = 'o15apikeys01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('submission_reviews',
    sa.Column('journey_id', sa.String(length=120), nullable=False),
    sa.Column('step_key', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.String(length=2000), nullable=False),
    sa.Column('reviewed_by', sa.String(length=120), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_submission_reviews_journey_id_journeys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('journey_id', 'step_key', name=op.f('pk_submission_reviews'))
    )


def downgrade() -> None:
    op.drop_table('submission_reviews')
