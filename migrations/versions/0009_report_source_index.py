"""ix_leads_live_source_report: live leads by source and creation time, covering the report

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 21:00:00

The source report sums a range of leads per source. Read from ix_leads_live_created (in time
order), SQLite sorted every lead of the range by source first; read from this index, source by
source, the groups arrive in order, and the chart's weekly counts are one short range per
source and week. It carries every column the report groups, sums and filters on.
"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

LIVE = {'sqlite_where': sa.text('deleted_at IS NULL'),
        'postgresql_where': sa.text('deleted_at IS NULL')}
COLUMNS = ['source_id', 'created_at', 'id', 'stage_id', 'converted_at', 'deleted_at',
           'campaign_id', 'budget', 'closing_date', 'first_response_at', 'currency',
           'pipeline_id', 'owner_id', 'team_id']


# The source filter's index starts with the same two columns and covers less: the report's
# index serves the lead list too, and inserts keep one wide index fewer.
REPLACED = ['source_id', 'created_at', 'stage_id', 'converted_at', 'deleted_at']


def upgrade():
    op.create_index('ix_leads_live_source_report', 'leads', COLUMNS, **LIVE)
    op.drop_index('ix_leads_live_source_id_created', table_name='leads', **LIVE)


def downgrade():
    op.create_index('ix_leads_live_source_id_created', 'leads', REPLACED, **LIVE)
    op.drop_index('ix_leads_live_source_report', table_name='leads', **LIVE)
