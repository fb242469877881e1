"""step_visits: a partner's link-page visits, one per journey, step and day

Revision ID: h8visits01
Revises: g7preview01
Create Date: 2026-12-03 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'h8visits01'
down_revision: str | None = 'g7preview01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('step_visits',
    sa.Column('journey_id', sa.String(length=120), nullable=False),
    sa.Column('step_key', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('partner_id', sa.String(length=36), nullable=False),
    sa.Column('visited_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_step_visits_journey_id_journeys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_step_visits_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('journey_id', 'step_key', 'day', name=op.f('pk_step_visits'))
    )
    op.create_index(op.f('ix_step_visits_partner_id'), 'step_visits', ['partner_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_step_visits_partner_id'), table_name='step_visits')
    op.drop_table('step_visits')
