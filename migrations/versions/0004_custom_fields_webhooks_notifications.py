"""custom fields, webhooks, notifications, assignment rules, list and duplicate-check indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 03:30:00

Tables of the custom fields (typed value table), webhooks (endpoints and the delivery outbox),
notifications and assignment rules. On leads: the sort indexes end with the id, updated_at gets
a live index (API sync clients), duplicate checks get lower(email) and phone-digit expression
indexes, and PostgreSQL gets trigram indexes for the search box and the city filter.
"""
import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

LIVE = {'sqlite_where': sa.text('deleted_at IS NULL'),
        'postgresql_where': sa.text('deleted_at IS NULL')}
# (name, columns before, columns after): the live sort indexes end with the id, so ties come
# out in index order instead of being sorted again.
SORT_INDEXES = [('ix_leads_live_title', ['title'], ['title', 'id']),
                ('ix_leads_live_contact', ['last_name', 'first_name'],
                 ['last_name', 'first_name', 'id']),
                ('ix_leads_live_company', ['company_name'], ['company_name', 'id']),
                ('ix_leads_live_budget', ['budget'], ['budget', 'id'])]
# The separators people type in phone numbers, stripped the way leads.models.digits_only does.
PHONE_DIGITS = ("replace(replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''),"
                " '(', ''), ')', ''), '+', ''), '.', ''), '/', '')")
TRIGRAM = ['search_text', 'city']


def _postgresql():
    return op.get_bind().dialect.name == 'postgresql'


def upgrade():
    op.create_table('custom_fields',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('text', 'long_text', 'number', 'decimal', 'date', 'yes_no', 'choice', 'multi_choice', 'url', 'email', 'phone', name='custom_field_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('help_text', sa.String(length=300), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('show_in_list', sa.Boolean(), nullable=False),
    sa.Column('show_as_filter', sa.Boolean(), nullable=False),
    sa.Column('show_on_card', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_fields')),
    sa.UniqueConstraint('key', name=op.f('uq_custom_fields_key'))
    )
    op.create_table('deleted_field_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('value_count', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deleted_field_exports'))
    )
    op.create_table('webhook_endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('pending_lead_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'sending', 'delivered', 'failed', name='webhook_delivery_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_code', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('uid', name=op.f('uq_webhook_deliveries_uid'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_endpoint', ['endpoint_id', 'id'], unique=False)

    op.create_table('assignment_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('capture_form_id', sa.Integer(), nullable=True),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('last_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(user_id IS NULL) <> (team_id IS NULL)', name=op.f('ck_assignment_rules_one_target')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_assignment_rules_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['capture_form_id'], ['capture_forms.id'], name=op.f('fk_assignment_rules_capture_form_id_capture_forms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['last_user_id'], ['users.id'], name=op.f('fk_assignment_rules_last_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['lead_sources.id'], name=op.f('fk_assignment_rules_source_id_lead_sources'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_assignment_rules_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assignment_rules_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_rules'))
    )
    op.create_table('lead_field_values',
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=False),
    sa.Column('text_value', sa.String(length=500), nullable=True),
    sa.Column('long_value', sa.Text(), nullable=True),
    sa.Column('number_value', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('date_value', sa.Date(), nullable=True),
    sa.Column('bool_value', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['field_id'], ['custom_fields.id'], name=op.f('fk_lead_field_values_field_id_custom_fields'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_field_values_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lead_id', 'field_id', name=op.f('pk_lead_field_values')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('lead_field_values', schema=None) as batch_op:
        batch_op.create_index('ix_lead_field_values_bool', ['field_id', 'bool_value', 'lead_id'], unique=False)
        batch_op.create_index('ix_lead_field_values_date', ['field_id', 'date_value', 'lead_id'], unique=False)
        batch_op.create_index('ix_lead_field_values_number', ['field_id', 'number_value', 'lead_id'], unique=False)
    op.create_index('ix_lead_field_values_text', 'lead_field_values',
                    ['field_id', sa.text('lower(text_value)'), 'lead_id'])

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('assigned', 'bulk_assigned', name='notification_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('group_key', sa.String(length=60), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_notifications_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_group', ['user_id', 'group_key'], unique=False, sqlite_where=sa.text("group_key != ''"), postgresql_where=sa.text("group_key != ''"))
        batch_op.create_index('ix_notifications_lead_id', ['lead_id'], unique=False, sqlite_where=sa.text('lead_id IS NOT NULL'), postgresql_where=sa.text('lead_id IS NOT NULL'))
        batch_op.create_index('ix_notifications_unread', ['user_id'], unique=False, sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))
        batch_op.create_index('ix_notifications_user_created', ['user_id', 'created_at'], unique=False)

    for name, before, after in SORT_INDEXES:
        op.drop_index(name, table_name='leads', **LIVE)
        op.create_index(name, 'leads', after, **LIVE)
    op.create_index('ix_leads_live_updated', 'leads', ['updated_at'], **LIVE)
    op.create_index('ix_leads_email_lower', 'leads', [sa.text('lower(email)')])
    op.create_index('ix_leads_phone_digits', 'leads', [sa.text(PHONE_DIGITS)])
    if _postgresql():
        # pg_trgm is a trusted extension: the database owner may create it.
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for column in TRIGRAM:
            name = 'search' if column == 'search_text' else column
            op.create_index(f'ix_leads_live_{name}_trgm', 'leads', [column], postgresql_using='gin',
                            postgresql_ops={column: 'gin_trgm_ops'},
                            postgresql_where=sa.text('deleted_at IS NULL'))


def downgrade():
    if _postgresql():
        for column in TRIGRAM:
            name = 'search' if column == 'search_text' else column
            op.drop_index(f'ix_leads_live_{name}_trgm', table_name='leads')
    op.drop_index('ix_leads_phone_digits', table_name='leads')
    op.drop_index('ix_leads_email_lower', table_name='leads')
    op.drop_index('ix_leads_live_updated', table_name='leads', **LIVE)
    for name, before, _after in SORT_INDEXES:
        op.drop_index(name, table_name='leads', **LIVE)
        op.create_index(name, 'leads', before, **LIVE)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_created')
        batch_op.drop_index('ix_notifications_unread', sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))
        batch_op.drop_index('ix_notifications_lead_id', sqlite_where=sa.text('lead_id IS NOT NULL'), postgresql_where=sa.text('lead_id IS NOT NULL'))
        batch_op.drop_index('ix_notifications_group', sqlite_where=sa.text("group_key != ''"), postgresql_where=sa.text("group_key != ''"))

    op.drop_table('notifications')
    with op.batch_alter_table('lead_field_values', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_field_values_number')
        batch_op.drop_index('ix_lead_field_values_date')
        batch_op.drop_index('ix_lead_field_values_bool')

    op.drop_index('ix_lead_field_values_text', table_name='lead_field_values')
    op.drop_table('lead_field_values')
    op.drop_table('assignment_rules')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_endpoint')
        batch_op.drop_index('ix_webhook_deliveries_due')

    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_endpoints')
    op.drop_table('deleted_field_exports')
    op.drop_table('custom_fields')
