"""ae_deal_notices: the owner AE's news of each partner deal registration (batched into the daily digest)

Revision ID: v22aedealnews
Revises: x24resend01
Create Date: 2026-12-03 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'v22aedealnews'
down_revision: str | None = 'x24resend01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'ae_deal_notices',
        sa.Column('deal_id', sa.String(length=36), nullable=False),
        sa.Column('ae_id', sa.String(length=36), nullable=True),
        sa.Column('batch_id', sa.String(length=200), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('registered_by', sa.String(length=320), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('noted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outbox_key', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ['deal_id'], ['deals.id'], name=op.f('fk_ae_deal_notices_deal_id_deals'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['ae_id'], ['account_executives.id'], name=op.f('fk_ae_deal_notices_ae_id_account_executives')
        ),
        sa.PrimaryKeyConstraint('deal_id', name=op.f('pk_ae_deal_notices')),
    )
    op.create_index(op.f('ix_ae_deal_notices_ae_id'), 'ae_deal_notices', ['ae_id'])


def downgrade() -> None:
    op.drop_index('ix_ae_deal_notices_ae_id', table_name='ae_deal_notices')
    op.drop_table('ae_deal_notices')
