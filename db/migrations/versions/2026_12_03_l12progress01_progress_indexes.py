"""progress in SQL: journeys.last_progress_at and the indexes the progress reads use

Revision ID: l12progress01
Revises: k11progarch01
Create Date: 2026-12-03 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'l12progress01'
down_revision: str | None = 'k11progarch01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Latest completed step of the journey, else its start (what progress computed from every step before).
BACKFILL = """
UPDATE journeys SET last_progress_at = COALESCE(
    (SELECT MAX(s.completed_at) FROM journey_steps s
     WHERE s.journey_id = journeys.id AND s.completed_at > journeys.started_at),
    journeys.started_at)
"""


def upgrade() -> None:
    with op.batch_alter_table('journeys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_progress_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(BACKFILL)
    with op.batch_alter_table('journeys', schema=None) as batch_op:
        batch_op.alter_column('last_progress_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(
            'ix_journeys_cohort_last_progress', ['cohort_id', 'last_progress_at', 'partner_id'], unique=False
        )
        batch_op.create_index(
            'ix_journeys_cohort_readiness', ['cohort_id', 'readiness_score', 'partner_id'], unique=False
        )
        batch_op.create_index(
            'ix_journeys_cohort_stage_status', ['cohort_id', 'stage', 'status', 'last_progress_at'], unique=False
        )
    with op.batch_alter_table('journey_steps', schema=None) as batch_op:
        batch_op.create_index(
            'ix_journey_steps_journey_counts', ['journey_id', 'step_key', 'stage', 'status'], unique=False
        )
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.create_index('ix_partners_name_id', ['name', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_index('ix_partners_name_id')
    with op.batch_alter_table('journey_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_steps_journey_counts')
    with op.batch_alter_table('journeys', schema=None) as batch_op:
        batch_op.drop_index('ix_journeys_cohort_stage_status')
        batch_op.drop_index('ix_journeys_cohort_readiness')
        batch_op.drop_index('ix_journeys_cohort_last_progress')
        batch_op.drop_column('last_progress_at')
