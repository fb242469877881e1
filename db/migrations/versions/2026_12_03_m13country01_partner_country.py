"""partners.country: the partner's country, whose public holidays move due dates and reminders

Revision ID: m13country01
Revises: l12progress01
Create Date: 2026-12-03 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'm13country01'
down_revision: str | None = 'l12progress01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('partners') as batch:
        batch.add_column(sa.Column('country', sa.String(length=2), nullable=True))
    # A region that is itself a two-letter code ("DE", "us") names the country; anything else
    # ("EMEA", "DACH") stays NULL: no holidays rather than a guessed country's.
    op.execute(
        "UPDATE partners SET country = UPPER(region) "
        "WHERE LENGTH(region) = 2 AND UPPER(region) BETWEEN 'AA' AND 'ZZ'"
    )


def downgrade() -> None:
    with op.batch_alter_table('partners') as batch:
        batch.drop_column('country')
