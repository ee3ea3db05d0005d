"""the title and contact sort indexes carry the columns a count reads

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 20:30:00

The JSON API's `title` and `name` filters match a substring of the title or of a name, which no
index can seek. With stage_id, converted_at and deleted_at in these indexes their grouped counts
are one pass over the narrow index instead of a table read per matching lead. The sorts by title
and by contact still read them in the same order.
"""
import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

LIVE = {'sqlite_where': sa.text('deleted_at IS NULL'),
        'postgresql_where': sa.text('deleted_at IS NULL')}
COUNTED = ['stage_id', 'converted_at', 'deleted_at']
INDEXES = {'ix_leads_live_title': ['title', 'id'],
           'ix_leads_live_contact': ['last_name', 'first_name', 'id']}


def upgrade():
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name='leads', **LIVE)
        op.create_index(name, 'leads', columns + COUNTED, **LIVE)


def downgrade():
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name='leads', **LIVE)
        op.create_index(name, 'leads', columns, **LIVE)
