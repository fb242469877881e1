"""tier reviews: tier_reviews, tier_movements, partners' hysteresis state, programs' review cadence

Revision ID: j10tiers01
Revises: i9users01
Create Date: 2026-12-03 08:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'j10tiers01'
down_revision: str | None = 'i9users01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('tier_reviews',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('program_id', sa.String(length=36), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('partners', sa.Integer(), nullable=False),
    sa.Column('movements', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_tier_reviews_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_reviews')),
    sa.UniqueConstraint('program_id', 'period', name=op.f('uq_tier_reviews_program_id'))
    )
    op.create_table('tier_movements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('review_id', sa.String(length=120), nullable=False),
    sa.Column('partner_id', sa.String(length=36), nullable=False),
    sa.Column('previous_tier', sa.Integer(), nullable=False),
    sa.Column('new_tier', sa.Integer(), nullable=False),
    sa.Column('move', sa.String(length=20), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.Column('rubric', sa.String(length=60), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_tier_movements_partner_id_partners'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['review_id'], ['tier_reviews.id'], name=op.f('fk_tier_movements_review_id_tier_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_movements')),
    sa.UniqueConstraint('review_id', 'partner_id', name=op.f('uq_tier_movements_review_id'))
    )
    op.create_index(op.f('ix_tier_movements_partner_id'), 'tier_movements', ['partner_id'], unique=False)
    with op.batch_alter_table('partners') as batch:
        batch.add_column(sa.Column('missed_reviews', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('tier_reviewed_in', sa.String(length=120), nullable=True))
    with op.batch_alter_table('programs') as batch:
        batch.add_column(
            sa.Column('tier_review_cadence', sa.String(length=20), server_default='monthly', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('programs') as batch:
        batch.drop_column('tier_review_cadence')
    with op.batch_alter_table('partners') as batch:
        batch.drop_column('tier_reviewed_in')
        batch.drop_column('missed_reviews')
    op.drop_index(op.f('ix_tier_movements_partner_id'), table_name='tier_movements')
    op.drop_table('tier_movements')
    op.drop_table('tier_reviews')
