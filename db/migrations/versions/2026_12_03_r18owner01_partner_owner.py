"""partners.owner_user_id: the partner manager responsible; alerts about the partner go to them

Revision ID: r18owner01
Revises: q17sendback01
Create Date: 2026-12-03 11:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'r18owner01'
down_revision: str | None = 'q17sendback01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('partners') as batch:
        batch.add_column(sa.Column('owner_user_id', sa.String(length=36), nullable=True))
        batch.create_foreign_key(
            'fk_partners_owner_user_id_users', 'users', ['owner_user_id'], ['id'], ondelete='SET NULL'
        )
        batch.create_index('ix_partners_owner_user_id', ['owner_user_id'])


def downgrade() -> None:
    with op.batch_alter_table('partners') as batch:
        batch.drop_index('ix_partners_owner_user_id')
        batch.drop_constraint('fk_partners_owner_user_id_users', type_='foreignkey')
        batch.drop_column('owner_user_id')
