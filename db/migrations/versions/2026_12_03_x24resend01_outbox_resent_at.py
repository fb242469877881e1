"""email_outbox.resent_at: the sweeper's one resend of an `unknown` row the provider proved it never received

Revision ID: x24resend01
Revises: u21winwire01
Create Date: 2026-12-03 14:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'x24resend01'
down_revision: str | None = 'u21winwire01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('email_outbox', sa.Column('resent_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('email_outbox') as batch:
        batch.drop_column('resent_at')
