"""index on api_tokens.prefix

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 18:55:00

Tokens are found by their clear prefix and then compared by hash in constant time (the secret
part never drives the lookup); every API request does that lookup, so it gets an index.
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_api_tokens_prefix', 'api_tokens', ['prefix'], unique=False)


def downgrade():
    op.drop_index('ix_api_tokens_prefix', table_name='api_tokens')
