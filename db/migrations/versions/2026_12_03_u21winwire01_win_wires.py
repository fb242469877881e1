"""win_wires and field_list_addresses: win stories of praised won deals, and who in the field gets them

Revision ID: u21winwire01
Revises: t20scores01
Create Date: 2026-12-03 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'u21winwire01'
down_revision: str | None = 't20scores01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'win_wires',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('deal_id', sa.String(length=36), nullable=False),
        sa.Column('program_id', sa.String(length=36), nullable=False),
        sa.Column('partner_id', sa.String(length=36), nullable=False),
        sa.Column('ae_id', sa.String(length=36), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('approved_by', sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_win_wires_deal_id_deals'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['program_id'], ['programs.id'], name=op.f('fk_win_wires_program_id_programs'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_win_wires_partner_id_partners')),
        sa.ForeignKeyConstraint(
            ['ae_id'], ['account_executives.id'], name=op.f('fk_win_wires_ae_id_account_executives')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_win_wires')),
        sa.UniqueConstraint('deal_id', name=op.f('uq_win_wires_deal_id')),
    )
    op.create_index(op.f('ix_win_wires_program_id'), 'win_wires', ['program_id'])
    op.create_table(
        'field_list_addresses',
        sa.Column('program_id', sa.String(length=36), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['program_id'], ['programs.id'], name=op.f('fk_field_list_addresses_program_id_programs'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('program_id', 'email', name=op.f('pk_field_list_addresses')),
    )


def downgrade() -> None:
    op.drop_table('field_list_addresses')
    op.drop_index('ix_win_wires_program_id', table_name='win_wires')
    op.drop_table('win_wires')
