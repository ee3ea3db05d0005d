"""app_settings (admin settings kept in the database) and webhook_deliveries.lease_token

Revision ID: 0005_app_settings
Revises: 0004
Create Date: 2026-12-06 16:40:00

app_settings holds run-time admin choices as key/value rows, starting with whether webhooks may
call private and loopback addresses. lease_token identifies one sender's claim on a delivery, so a
sender whose lease ran out cannot record its result over another sender's claim.
"""
import sqlalchemy as sa
from alembic import op


revision = '0005_app_settings'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('app_settings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_settings'))
    )
    with op.batch_alter_table('webhook_deliveries', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('lease_token', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('webhook_deliveries', recreate='never') as batch_op:
        batch_op.drop_column('lease_token')
    op.drop_table('app_settings')
