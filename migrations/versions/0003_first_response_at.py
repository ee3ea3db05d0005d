"""leads.first_response_at, indexes that let the source report aggregate from an index, and
import_jobs.heartbeat_at

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 02:10:00

The report's median time to first response used to scan the activities table; the lead row now
keeps the moment a person first commented on, moved or edited it (leads/activity.py), filled
here from the existing timeline. Imports and their undo are bookkeeping, not responses.
"""
import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

LIVE = {'sqlite_where': sa.text('deleted_at IS NULL'),
        'postgresql_where': sa.text('deleted_at IS NULL')}
CREATED_BEFORE = ['created_at', 'id', 'stage_id', 'converted_at', 'deleted_at']
CREATED_AFTER = CREATED_BEFORE + ['source_id', 'campaign_id', 'budget', 'closing_date',
                                  'first_response_at', 'pipeline_id', 'owner_id', 'team_id']
PERSON = {'sqlite_where': sa.text('actor_id IS NOT NULL'),
          'postgresql_where': sa.text('actor_id IS NOT NULL')}

RESPONSES = """
    FROM activities
    WHERE activities.actor_id IS NOT NULL
      AND activities.kind IN ('commented', 'stage_moved', 'field_changed')
      AND coalesce(CAST(activities.data AS TEXT), '') NOT LIKE '%"import_job"%'
      AND coalesce(CAST(activities.data AS TEXT), '') NOT LIKE '%"undo_import"%'
"""


def upgrade():
    op.add_column('leads', sa.Column('first_response_at', sa.DateTime(timezone=True),
                                     nullable=True))
    op.execute(f"""
        UPDATE leads SET first_response_at = (
            SELECT min(activities.created_at) {RESPONSES} AND activities.lead_id = leads.id)
        WHERE leads.id IN (SELECT activities.lead_id {RESPONSES})""")
    op.drop_index('ix_leads_live_created', table_name='leads', **LIVE)
    op.create_index('ix_leads_live_created', 'leads', CREATED_AFTER, **LIVE)
    op.drop_index('ix_stage_history_lead_entered', table_name='stage_history')
    op.create_index('ix_stage_history_lead_entered', 'stage_history',
                    ['lead_id', 'entered_at', 'stage_id'])
    op.drop_index('ix_activities_person_first', table_name='activities', **PERSON)
    op.add_column('import_jobs', sa.Column('heartbeat_at', sa.DateTime(timezone=True),
                                           nullable=True))


def downgrade():
    with op.batch_alter_table('import_jobs', recreate='never') as batch_op:
        batch_op.drop_column('heartbeat_at')
    op.create_index('ix_activities_person_first', 'activities', ['lead_id', 'kind', 'created_at'],
                    **PERSON)
    op.drop_index('ix_stage_history_lead_entered', table_name='stage_history')
    op.create_index('ix_stage_history_lead_entered', 'stage_history', ['lead_id', 'entered_at'])
    op.drop_index('ix_leads_live_created', table_name='leads', **LIVE)
    op.create_index('ix_leads_live_created', 'leads', CREATED_BEFORE, **LIVE)
    with op.batch_alter_table('leads', recreate='never') as batch_op:
        batch_op.drop_column('first_response_at')
