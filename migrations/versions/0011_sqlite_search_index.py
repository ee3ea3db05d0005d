"""SQLite: a trigram index for the lead search; lead_tags: a tag's leads from the index alone

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 03:00:00

SQLite answered every search box query, and the JSON API's email, name and title filters, by
scanning all leads (19 ms of a 29 ms API request at 100,000 leads). An FTS5 trigram table,
kept current by triggers on leads, now hands the query the few leads that can match
(leadapp/leads/search_index.py). PostgreSQL already has its pg_trgm indexes and gets nothing.

ix_lead_tags_tag_id held the tag only, so listing a tag's leads read the table row of each
entry; (tag_id, lead_id) answers it from the index on both databases.

The statements are written out here, not imported from the app, so that this revision keeps
doing what it did when the app changes.
"""
import sqlite3

from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLE = 'leads_search'
ADD = f"INSERT INTO {TABLE}(rowid, search_text) VALUES (new.id, new.search_text);"
REMOVE = (f"INSERT INTO {TABLE}({TABLE}, rowid, search_text) "
          "VALUES ('delete', old.id, old.search_text);")
SEARCHED = 'title, first_name, last_name, email, phone, company_name'
SQLITE_UPGRADE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(search_text, "
    "tokenize='trigram', content='', detail=none, columnsize=0)",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_insert AFTER INSERT ON leads BEGIN {ADD} END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE OF {SEARCHED} "
    f"ON leads WHEN old.search_text IS NOT new.search_text BEGIN {REMOVE} {ADD} END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON leads BEGIN {REMOVE} END",
    f"INSERT INTO {TABLE}(rowid, search_text) SELECT id, search_text FROM leads",
)
SQLITE_DOWNGRADE = (
    *(f"DROP TRIGGER IF EXISTS {TABLE}_{event}" for event in ('insert', 'update', 'delete')),
    f"DROP TABLE IF EXISTS {TABLE}",
)


def trigrams_supported():
    """SQLite before 3.34 (or built without FTS5) has no trigram tokenizer: the app then goes
    without the table and searches scan, as before this revision."""
    probe = sqlite3.connect(':memory:')
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x, tokenize='trigram')")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def upgrade():
    op.create_index('ix_lead_tags_tag_lead', 'lead_tags', ['tag_id', 'lead_id'], unique=False)
    op.drop_index('ix_lead_tags_tag_id', table_name='lead_tags')
    if op.get_bind().dialect.name == 'sqlite' and trigrams_supported():
        for statement in SQLITE_UPGRADE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
    op.create_index('ix_lead_tags_tag_id', 'lead_tags', ['tag_id'], unique=False)
    op.drop_index('ix_lead_tags_tag_lead', table_name='lead_tags')
