"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 23:17:26.800024

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('companies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('website', sa.String(length=255), nullable=False),
    sa.Column('tin', sa.String(length=12), nullable=False),
    sa.Column('industry', sa.String(length=120), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('created_from_lead_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_companies'))
    )
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_companies_tin'), ['tin'], unique=False)

    op.create_table('lead_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_sources'))
    )
    op.create_table('loss_reasons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loss_reasons'))
    )
    op.create_table('pipelines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipelines')),
    sa.UniqueConstraint('name', name=op.f('uq_pipelines_name'))
    )
    with op.batch_alter_table('pipelines', schema=None) as batch_op:
        batch_op.create_index('uq_pipelines_one_default', ['is_default'], unique=True, sqlite_where=sa.text('is_default = true'), postgresql_where=sa.text('is_default = true'))

    op.create_table('tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags'))
    )
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('admin', 'manager', 'sales', 'marketeer', name='user_role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('preferences', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('budget', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['lead_sources.id'], name=op.f('fk_campaigns_source_id_lead_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_source_id'), ['source_id'], unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('middle_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('mobile', sa.String(length=40), nullable=False),
    sa.Column('position', sa.String(length=120), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_contacts_company_id_companies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_phone'), ['phone'], unique=False)

    op.create_table('import_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('file_format', sa.String(length=10), nullable=False),
    sa.Column('encoding', sa.String(length=30), nullable=False),
    sa.Column('delimiter', sa.String(length=4), nullable=False),
    sa.Column('sheet', sa.String(length=120), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('match_keys', sa.JSON(), nullable=False),
    sa.Column('duplicate_mode', sa.Enum('skip', 'update', 'create', name='duplicate_mode', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('uploaded', 'mapped', 'previewed', 'queued', 'running', 'done', 'failed', 'undone', name='import_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('failed_count', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_jobs_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs'))
    )
    op.create_table('saved_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_views_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_saved_views_user_id'))
    )
    op.create_table('stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pipeline_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('open', 'won', 'lost', name='stage_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('stale_after_days', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['pipeline_id'], ['pipelines.id'], name=op.f('fk_stages_pipeline_id_pipelines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stages')),
    sa.UniqueConstraint('pipeline_id', 'name', name='uq_stages_pipeline_name')
    )
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stages_pipeline_id'), ['pipeline_id'], unique=False)
        batch_op.create_index('uq_stages_one_lost', ['pipeline_id'], unique=True, sqlite_where=sa.text("kind = 'lost'"), postgresql_where=sa.text("kind = 'lost'"))
        batch_op.create_index('uq_stages_one_won', ['pipeline_id'], unique=True, sqlite_where=sa.text("kind = 'won'"), postgresql_where=sa.text("kind = 'won'"))

    op.create_table('team_members',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_members'))
    )
    op.create_table('capture_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('public_key', sa.String(length=40), nullable=False),
    sa.Column('api_key_hash', sa.String(length=64), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('consent_text', sa.Text(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('last_assigned_user_id', sa.Integer(), nullable=True),
    sa.Column('thank_you_text', sa.Text(), nullable=False),
    sa.Column('redirect_url', sa.String(length=500), nullable=False),
    sa.Column('allowed_origins', sa.Text(), nullable=False),
    sa.Column('spam_threshold', sa.Integer(), nullable=False),
    sa.Column('min_fill_seconds', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_capture_forms_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['last_assigned_user_id'], ['users.id'], name=op.f('fk_capture_forms_last_assigned_user_id_users')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_capture_forms_owner_id_users')),
    sa.ForeignKeyConstraint(['source_id'], ['lead_sources.id'], name=op.f('fk_capture_forms_source_id_lead_sources')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_capture_forms_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capture_forms')),
    sa.UniqueConstraint('api_key_hash', name=op.f('uq_capture_forms_api_key_hash')),
    sa.UniqueConstraint('public_key', name=op.f('uq_capture_forms_public_key'))
    )
    op.create_table('import_row_errors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('cells', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'], name=op.f('fk_import_row_errors_job_id_import_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_row_errors'))
    )
    with op.batch_alter_table('import_row_errors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_row_errors_job_id'), ['job_id'], unique=False)

    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=120), nullable=False),
    sa.Column('selling_direction', sa.String(length=120), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.Column('budget', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('company_name', sa.String(length=200), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('middle_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('mobile', sa.String(length=40), nullable=False),
    sa.Column('position', sa.String(length=120), nullable=False),
    sa.Column('website', sa.String(length=255), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('street', sa.String(length=255), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=120), nullable=False),
    sa.Column('postcode', sa.String(length=20), nullable=False),
    sa.Column('country', sa.String(length=120), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('pipeline_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('board_position', sa.Float(), nullable=False),
    sa.Column('stage_entered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_touched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('closing_date', sa.Date(), nullable=True),
    sa.Column('closing_comment', sa.Text(), nullable=False),
    sa.Column('loss_reason_id', sa.Integer(), nullable=True),
    sa.Column('converted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('converted_company_id', sa.Integer(), nullable=True),
    sa.Column('converted_contact_id', sa.Integer(), nullable=True),
    sa.Column('first_touch', sa.JSON(), nullable=True),
    sa.Column('last_touch', sa.JSON(), nullable=True),
    sa.Column('ref', sa.String(length=60), nullable=False),
    sa.Column('ref_id', sa.String(length=60), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_leads_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_leads_company_id_companies')),
    sa.ForeignKeyConstraint(['converted_company_id'], ['companies.id'], name=op.f('fk_leads_converted_company_id_companies')),
    sa.ForeignKeyConstraint(['converted_contact_id'], ['contacts.id'], name=op.f('fk_leads_converted_contact_id_contacts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_leads_created_by_id_users')),
    sa.ForeignKeyConstraint(['loss_reason_id'], ['loss_reasons.id'], name=op.f('fk_leads_loss_reason_id_loss_reasons')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_leads_owner_id_users')),
    sa.ForeignKeyConstraint(['pipeline_id'], ['pipelines.id'], name=op.f('fk_leads_pipeline_id_pipelines')),
    sa.ForeignKeyConstraint(['source_id'], ['lead_sources.id'], name=op.f('fk_leads_source_id_lead_sources')),
    sa.ForeignKeyConstraint(['stage_id'], ['stages.id'], name=op.f('fk_leads_stage_id_stages')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_leads_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_board', ['stage_id', 'board_position'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_city'), ['city'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_converted_at'), ['converted_at'], unique=False)
        batch_op.create_index('ix_leads_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_phone'), ['phone'], unique=False)
        batch_op.create_index('ix_leads_pipeline_stage', ['pipeline_id', 'stage_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_stage_id'), ['stage_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_team_id'), ['team_id'], unique=False)

    op.create_table('spend',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_spend_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['source_id'], ['lead_sources.id'], name=op.f('fk_spend_source_id_lead_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spend'))
    )
    with op.batch_alter_table('spend', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spend_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_spend_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_spend_spent_on'), ['spent_on'], unique=False)

    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('created', 'field_changed', 'stage_moved', 'commented', 'attached', 'converted', 'imported', 'captured', 'merged', 'deleted', 'restored', 'assigned', name='activity_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=False),
    sa.Column('new_value', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_activities_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_activities_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_lead_created', ['lead_id', 'created_at'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_attachments_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_attachments_stored_name'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_lead_id'), ['lead_id'], unique=False)

    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_comments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_comments_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_lead_id'), ['lead_id'], unique=False)

    op.create_table('import_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'], name=op.f('fk_import_updates_job_id_import_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_import_updates_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_updates'))
    )
    with op.batch_alter_table('import_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_updates_job_id'), ['job_id'], unique=False)

    op.create_table('lead_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_lead_contacts_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_contacts_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_contacts')),
    sa.UniqueConstraint('lead_id', 'contact_id', name=op.f('uq_lead_contacts_lead_id'))
    )
    with op.batch_alter_table('lead_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_contacts_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('uq_lead_contacts_one_primary', ['lead_id'], unique=True, sqlite_where=sa.text('is_primary = true'), postgresql_where=sa.text('is_primary = true'))

    op.create_table('lead_tags',
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_tags_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_lead_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lead_id', 'tag_id', name=op.f('pk_lead_tags'))
    )
    with op.batch_alter_table('lead_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_tags_tag_id'), ['tag_id'], unique=False)

    op.create_table('opportunities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('expected_close', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_opportunities_company_id_companies')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_opportunities_contact_id_contacts')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_opportunities_lead_id_leads')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_opportunities_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunities')),
    sa.UniqueConstraint('lead_id', name=op.f('uq_opportunities_lead_id'))
    )
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opportunities_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opportunities_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opportunities_owner_id'), ['owner_id'], unique=False)

    op.create_table('stage_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('moved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_stage_history_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moved_by_id'], ['users.id'], name=op.f('fk_stage_history_moved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['stage_id'], ['stages.id'], name=op.f('fk_stage_history_stage_id_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_history'))
    )
    with op.batch_alter_table('stage_history', schema=None) as batch_op:
        batch_op.create_index('ix_stage_history_lead_entered', ['lead_id', 'entered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stage_history_stage_id'), ['stage_id'], unique=False)

    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('client_key', sa.String(length=64), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=500), nullable=False),
    sa.Column('referrer', sa.String(length=1000), nullable=False),
    sa.Column('host_page', sa.String(length=1000), nullable=False),
    sa.Column('consent_given', sa.Boolean(), nullable=True),
    sa.Column('consent_text_hash', sa.String(length=64), nullable=False),
    sa.Column('spam_score', sa.Integer(), nullable=False),
    sa.Column('spam_reasons', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('received', 'processed', 'quarantined', 'failed', 'duplicate', name='submission_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_note', sa.String(length=255), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['capture_forms.id'], name=op.f('fk_submissions_form_id_capture_forms')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_submissions_lead_id_leads'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('form_id', 'client_key', name=op.f('uq_submissions_form_id'))
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_form_received', ['form_id', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_lead_id'), ['lead_id'], unique=False)

    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_companies_created_from_lead_id_leads'), 'leads',
                                    ['created_from_lead_id'], ['id'], ondelete='SET NULL')

    _create_case_insensitive_indexes()
    _insert_reference_data()
    # ### end Alembic commands ###


CASE_INSENSITIVE_UNIQUE = [
    ('uq_users_email_ci', 'users', 'email', True),
    ('uq_teams_name_ci', 'teams', 'name', True),
    ('uq_lead_sources_name_ci', 'lead_sources', 'name', True),
    ('uq_campaigns_name_ci', 'campaigns', 'name', True),
    ('uq_loss_reasons_name_ci', 'loss_reasons', 'name', True),
    ('uq_tags_name_ci', 'tags', 'name', True),
    ('ix_companies_name_ci', 'companies', 'name', False),
]


def _create_case_insensitive_indexes():
    # Autogenerate skips expression indexes; these keep names unique ignoring case.
    for name, table, column, unique in CASE_INSENSITIVE_UNIQUE:
        op.create_index(name, table, [sa.text(f'lower({column})')], unique=unique)


def _insert_reference_data():
    """The default pipeline, starter sources and loss reasons (a frozen copy of leadapp.reference)."""
    now = datetime.now(timezone.utc)
    pipelines = sa.table('pipelines', sa.column('id', sa.Integer), sa.column('name', sa.String),
                         sa.column('is_default', sa.Boolean), sa.column('created_at', sa.DateTime))
    stages = sa.table('stages', sa.column('pipeline_id', sa.Integer), sa.column('name', sa.String),
                      sa.column('position', sa.Integer), sa.column('kind', sa.String),
                      sa.column('probability', sa.Integer))
    sources = sa.table('lead_sources', sa.column('name', sa.String), sa.column('description', sa.Text),
                       sa.column('active', sa.Boolean), sa.column('created_at', sa.DateTime),
                       sa.column('updated_at', sa.DateTime))
    reasons = sa.table('loss_reasons', sa.column('name', sa.String), sa.column('active', sa.Boolean),
                       sa.column('position', sa.Integer), sa.column('created_at', sa.DateTime))
    op.bulk_insert(pipelines, [{'id': 1, 'name': 'Sales', 'is_default': True, 'created_at': now}])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('pipelines', 'id'), 1)")
    op.bulk_insert(stages, [
        {'pipeline_id': 1, 'name': name, 'position': index, 'kind': kind, 'probability': probability}
        for index, (name, kind, probability) in enumerate(DEFAULT_STAGES)
    ])
    op.bulk_insert(sources, [{'name': name, 'description': '', 'active': True, 'created_at': now,
                              'updated_at': now} for name in STARTER_SOURCES])
    op.bulk_insert(reasons, [{'name': name, 'active': True, 'position': index, 'created_at': now}
                             for index, name in enumerate(STARTER_LOSS_REASONS)])


DEFAULT_STAGES = [
    ('New', 'open', 10), ('Assigned', 'open', 20), ('In process', 'open', 50),
    ('Recycled', 'open', 5), ('Converted', 'won', 100), ('Closed', 'lost', 0),
]
STARTER_SOURCES = [
    'Website form', 'Chat', 'Call', 'Email', 'Social network', 'Partner', 'Referral', 'Cold call',
    'Trade show', 'Advertisement',
]
STARTER_LOSS_REASONS = [
    'No budget', 'Chose a competitor', 'No response', 'Not a fit', 'Bad timing', 'Duplicate',
]


def downgrade():
    for name, table, _column, _unique in CASE_INSENSITIVE_UNIQUE:
        op.drop_index(name, table_name=table)
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_companies_created_from_lead_id_leads'),
                                 type_='foreignkey')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submissions_lead_id'))
        batch_op.drop_index('ix_submissions_form_received')

    op.drop_table('submissions')
    with op.batch_alter_table('stage_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_history_stage_id'))
        batch_op.drop_index('ix_stage_history_lead_entered')

    op.drop_table('stage_history')
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opportunities_owner_id'))
        batch_op.drop_index(batch_op.f('ix_opportunities_contact_id'))
        batch_op.drop_index(batch_op.f('ix_opportunities_company_id'))

    op.drop_table('opportunities')
    with op.batch_alter_table('lead_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_tags_tag_id'))

    op.drop_table('lead_tags')
    with op.batch_alter_table('lead_contacts', schema=None) as batch_op:
        batch_op.drop_index('uq_lead_contacts_one_primary', sqlite_where=sa.text('is_primary = true'), postgresql_where=sa.text('is_primary = true'))
        batch_op.drop_index(batch_op.f('ix_lead_contacts_contact_id'))

    op.drop_table('lead_contacts')
    with op.batch_alter_table('import_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_updates_job_id'))

    op.drop_table('import_updates')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_lead_id'))

    op.drop_table('comments')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_lead_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_lead_created')

    op.drop_table('activities')
    with op.batch_alter_table('spend', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spend_spent_on'))
        batch_op.drop_index(batch_op.f('ix_spend_source_id'))
        batch_op.drop_index(batch_op.f('ix_spend_campaign_id'))

    op.drop_table('spend')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_team_id'))
        batch_op.drop_index(batch_op.f('ix_leads_stage_id'))
        batch_op.drop_index(batch_op.f('ix_leads_source_id'))
        batch_op.drop_index('ix_leads_pipeline_stage')
        batch_op.drop_index(batch_op.f('ix_leads_phone'))
        batch_op.drop_index(batch_op.f('ix_leads_owner_id'))
        batch_op.drop_index(batch_op.f('ix_leads_email'))
        batch_op.drop_index(batch_op.f('ix_leads_deleted_at'))
        batch_op.drop_index('ix_leads_created_at')
        batch_op.drop_index(batch_op.f('ix_leads_converted_at'))
        batch_op.drop_index(batch_op.f('ix_leads_company_id'))
        batch_op.drop_index(batch_op.f('ix_leads_city'))
        batch_op.drop_index(batch_op.f('ix_leads_campaign_id'))
        batch_op.drop_index('ix_leads_board')

    op.drop_table('leads')
    with op.batch_alter_table('import_row_errors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_row_errors_job_id'))

    op.drop_table('import_row_errors')
    op.drop_table('capture_forms')
    op.drop_table('team_members')
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.drop_index('uq_stages_one_won', sqlite_where=sa.text("kind = 'won'"), postgresql_where=sa.text("kind = 'won'"))
        batch_op.drop_index('uq_stages_one_lost', sqlite_where=sa.text("kind = 'lost'"), postgresql_where=sa.text("kind = 'lost'"))
        batch_op.drop_index(batch_op.f('ix_stages_pipeline_id'))

    op.drop_table('stages')
    op.drop_table('saved_views')
    op.drop_table('import_jobs')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_phone'))
        batch_op.drop_index(batch_op.f('ix_contacts_email'))
        batch_op.drop_index(batch_op.f('ix_contacts_company_id'))

    op.drop_table('contacts')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_source_id'))

    op.drop_table('campaigns')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('teams')
    op.drop_table('tags')
    with op.batch_alter_table('pipelines', schema=None) as batch_op:
        batch_op.drop_index('uq_pipelines_one_default', sqlite_where=sa.text('is_default = true'), postgresql_where=sa.text('is_default = true'))

    op.drop_table('pipelines')
    op.drop_table('loss_reasons')
    op.drop_table('lead_sources')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_companies_tin'))

    op.drop_table('companies')
    # ### end Alembic commands ###
