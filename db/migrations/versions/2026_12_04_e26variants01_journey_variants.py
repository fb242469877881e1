"""journey_variants: the variant of each playbook experiment a journey was given

Revision ID: e26variants01
Revises: v22aedealnews
Create Date: 2026-12-04 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'e26variants01'
down_revision: str | None = 'v22aedealnews'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'journey_variants',
        sa.Column('journey_id', sa.String(length=120), nullable=False),
        sa.Column('experiment', sa.String(length=64), nullable=False),
        sa.Column('variant', sa.String(length=64), nullable=False),
        sa.Column('cohort_id', sa.String(length=36), nullable=False),
        sa.Column('partner_id', sa.String(length=36), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('step_key', sa.String(length=64), nullable=False),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['journey_id'], ['journeys.id'], name=op.f('fk_journey_variants_journey_id_journeys'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['cohort_id'], ['cohorts.id'], name=op.f('fk_journey_variants_cohort_id_cohorts'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_journey_variants_partner_id_partners')),
        sa.PrimaryKeyConstraint('journey_id', 'experiment', name=op.f('pk_journey_variants')),
    )
    op.create_index(
        'ix_journey_variants_cohort_experiment', 'journey_variants', ['cohort_id', 'experiment', 'variant']
    )


def downgrade() -> None:
    op.drop_index('ix_journey_variants_cohort_experiment', table_name='journey_variants')
    op.drop_table('journey_variants')
