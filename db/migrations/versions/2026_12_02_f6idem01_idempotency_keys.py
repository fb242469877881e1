"""idempotency keys scoped to caller and operation

Revision ID: f6idem01
Revises: e5cosell
Create Date: 2026-12-02 18:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'f6idem01'
down_revision: str | None = 'e5cosell'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keys already stored in audit_log.idempotency_key are not carried over: they were one global
    # namespace without a request fingerprint, so they cannot be scoped truthfully.
    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('principal', sa.String(length=120), nullable=False),
    sa.Column('operation', sa.String(length=500), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('principal', 'operation', 'key', name=op.f('uq_idempotency_keys_principal'))
    )


def downgrade() -> None:
    op.drop_table('idempotency_keys')
