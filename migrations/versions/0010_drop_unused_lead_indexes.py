"""drop two lead indexes no query needs: ix_leads_stage_id and ix_leads_email

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 21:05:00

Every lookup by stage (the board, the stage filter, the foreign key check when a stage is
deleted) is served by ix_leads_board (stage_id, board_position), which starts with the same
column. The plain email index served no query: duplicate checks match lower(email)
(ix_leads_email_lower) and the email filter matches a substring. Each only cost every insert,
import row and stage move a write.
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

DROPPED = {'ix_leads_stage_id': 'stage_id', 'ix_leads_email': 'email'}


def upgrade():
    for name in DROPPED:
        op.drop_index(name, table_name='leads')


def downgrade():
    for name, column in DROPPED.items():
        op.create_index(name, 'leads', [column], unique=False)
