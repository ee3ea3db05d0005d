"""drop ix_leads_stage_id: ix_leads_board (stage_id, board_position) starts with the same column

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 21:05:00

Every lookup by stage (the board, the stage filter, the foreign key check when a stage is
deleted) is served by ix_leads_board's first column, so the one-column index only cost every
insert and stage move a write.
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_leads_stage_id', table_name='leads')


def downgrade():
    op.create_index('ix_leads_stage_id', 'leads', ['stage_id'], unique=False)
