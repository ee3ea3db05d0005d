"""leads.currency joins ix_leads_live_created

Revision ID: 0006
Revises: 0005_app_settings
Create Date: 2026-12-06 17:30:00

The source report shows revenue in one currency at a time, so it reads the currency of every won
lead in the range. Carried in the index, a year of leads is still aggregated from the index
alone instead of a table read per won lead.
"""
import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005_app_settings'
branch_labels = None
depends_on = None

LIVE = {'sqlite_where': sa.text('deleted_at IS NULL'),
        'postgresql_where': sa.text('deleted_at IS NULL')}
BEFORE = ['created_at', 'id', 'stage_id', 'converted_at', 'deleted_at', 'source_id',
          'campaign_id', 'budget', 'closing_date', 'first_response_at', 'pipeline_id',
          'owner_id', 'team_id']
AFTER = BEFORE + ['currency']


def upgrade():
    op.drop_index('ix_leads_live_created', table_name='leads', **LIVE)
    op.create_index('ix_leads_live_created', 'leads', AFTER, **LIVE)


def downgrade():
    op.drop_index('ix_leads_live_created', table_name='leads', **LIVE)
    op.create_index('ix_leads_live_created', 'leads', BEFORE, **LIVE)
