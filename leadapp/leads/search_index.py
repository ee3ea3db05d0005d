"""SQLite: a trigram index of `Lead.search_text`, so a substring search reads only the leads
that hold a few three-letter pieces of each word instead of scanning all of them.

PostgreSQL has pg_trgm GIN indexes for the same match (models.py). On SQLite the search box's
`LIKE '%word%'` went through all 100,000 entries of the narrow search index for every request
(about 19 ms of a 29 ms API request). This FTS5 table answers which leads *may* match: the
LIKE conditions stay in the query and decide, so a stale or missing entry can only cost a lookup,
never a wrong result. Words shorter than three letters have no trigram: the search then scans.

The table is contentless (`content=''`), stores only the lead ids per trigram (`detail=none`)
and keeps no per-row token counts (`columnsize=0`): the smallest index, and the cheapest to keep
current (100,000 leads written in batches of 2,000: 0.9 s, against 1.8 s with FTS5's default
layout). Triggers keep it current on every write to the lead's search columns. SQLite drops a
table's triggers with the table: a migration that rebuilds `leads` (batch mode) must create
them again (`TRIGGERS`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from functools import cache
from typing import Any

from flask import g, has_request_context
from sqlalchemy import DDL, Select, column, event, func, literal_column, select, table, text

from ..extensions import db
from .models import Lead

TABLE = "leads_search"
# FTS5 keeps its data in these tables beside the virtual one; Alembic must not model them.
TABLES = frozenset({TABLE, f"{TABLE}_data", f"{TABLE}_idx", f"{TABLE}_config"})
SEARCHED = ("title", "first_name", "last_name", "email", "phone", "company_name")

CREATE_TABLE = (f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(search_text, "
                "tokenize='trigram', content='', detail=none, columnsize=0)")
_ADD = f"INSERT INTO {TABLE}(rowid, search_text) VALUES (new.id, new.search_text);"
# A contentless table forgets the text: removing an entry takes the text it was indexed with.
_REMOVE = (f"INSERT INTO {TABLE}({TABLE}, rowid, search_text) "
           "VALUES ('delete', old.id, old.search_text);")
TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_insert AFTER INSERT ON leads BEGIN {_ADD} END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE OF {', '.join(SEARCHED)} "
    f"ON leads WHEN old.search_text IS NOT new.search_text BEGIN {_REMOVE} {_ADD} END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON leads BEGIN {_REMOVE} END",
)
FILL = f"INSERT INTO {TABLE}(rowid, search_text) SELECT id, search_text FROM leads"

# Reading a candidate lead by id costs ~1.3 us; scanning the 100,000 entries of the narrow
# search index with LIKE 11-22 ms, of the title or contact index 5-9 ms (100k leads, words
# matching 1,200 to 13,700 leads). So the index narrows a search while at most a tenth of the
# leads are candidates, a title or name filter while at most 3% are.
SEARCH_SHARE = 0.10
NAME_SHARE = 0.03
PER_WORD = 4
# Up to this many candidates (~1.3 ms) the index is always worth it, however few the leads.
FEW = 1000


@cache
def trigrams_supported() -> bool:
    """Whether this process's SQLite has FTS5 with the trigram tokenizer (SQLite 3.34 and
    newer, built with FTS5: every current Python build). Without it there is no table and
    every search scans, as it did before the table existed."""
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x, tokenize='trigram')")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def _builds_here(_ddl: Any, _target: Any, bind: Any, **_kw: Any) -> bool:
    return bind.dialect.name == "sqlite" and trigrams_supported()


# db.create_all() (tests, benchmarks) builds it as the migration does; drop_all removes it.
for _statement in (CREATE_TABLE, *TRIGGERS):
    event.listen(Lead.__table__, "after_create", DDL(_statement).execute_if(callable_=_builds_here))
event.listen(Lead.__table__, "before_drop",
             DDL(f"DROP TABLE IF EXISTS {TABLE}").execute_if(dialect="sqlite"))

_index = table(TABLE, column("rowid"))
_MATCH = literal_column(TABLE).op("MATCH")


def trigrams(words: Iterable[str]) -> set[str]:
    """Trigrams that cover each word end to end without overlapping, at most PER_WORD of them
    spread along it. Any subset of a word's trigrams finds every lead holding the word, and
    FTS5 reads each trigram's whole list: every trigram of a 24-letter email domain took
    6.6 ms to match at 100,000 leads, four of them 1.4 ms (306 candidates instead of 77)."""
    chosen: set[str] = set()
    for word in words:
        starts = list(range(0, len(word) - 2, 3))
        if starts and starts[-1] != len(word) - 3:
            starts.append(len(word) - 3)
        if len(starts) > PER_WORD:
            last = len(starts) - 1
            starts = [starts[round(step * last / (PER_WORD - 1))] for step in range(PER_WORD)]
        chosen.update(word[start:start + 3] for start in starts)
    return chosen


def match_expression(words: Iterable[str]) -> str:
    """An FTS5 query for the words' trigrams (see trigrams()), each quoted so that no
    character of the user's words is read as query syntax ("" is a quote inside a string)."""
    quoted = ('"' + gram.replace('"', '""') + '"' for gram in sorted(trigrams(words)))
    return " AND ".join(quoted)


def candidates(words: Iterable[str], share: float) -> Select | None:
    """The ids of the leads whose search text holds the words' trigrams: a superset of the
    leads containing each word. None off SQLite, when no word has three letters, or
    when more than `share` of the leads hold them: the caller then scans its own narrow index,
    which costs less than reading that many leads one by one (see SEARCH_SHARE)."""
    if db.engine.dialect.name != "sqlite":
        return None
    expression = match_expression(words)
    if not expression or not _present() or not _narrows(expression, share):
        return None
    return select(_index.c.rowid).where(_MATCH(expression))


def _remembered() -> dict[Any, bool]:
    return g.setdefault("leadapp_search_narrows", {}) if has_request_context() else {}


def _present() -> bool:
    """Whether this database has the table (not where SQLite lacks the trigram tokenizer),
    looked up once per request."""
    remembered = _remembered()
    if "present" not in remembered:
        remembered["present"] = _exists()
    return remembered["present"]


def _exists() -> bool:
    return db.session.execute(text("SELECT 1 FROM sqlite_master WHERE name = :name"),
                              {"name": TABLE}).first() is not None


def _narrows(expression: str, share: float) -> bool:
    """Whether at most `share` of the leads (or FEW) are candidates, counted once per request
    (the count, the probe and the page each ask) and only up to that number (0.2-2 ms)."""
    remembered = _remembered()
    key = (expression, share)
    if key not in remembered:
        most = max(FEW, int((db.session.scalar(select(func.max(Lead.id))) or 0) * share))
        found = select(_index.c.rowid).where(_MATCH(expression)).limit(most + 1).subquery()
        remembered[key] = db.session.scalar(select(func.count()).select_from(found)) <= most
    return remembered[key]


def ensure() -> bool:
    """Build the table, its triggers and its entries where the table is missing (a database
    made before migration 0011 by other means, such as a benchmark's saved file). True when it
    was built. SQLite only; the caller commits."""
    missing = trigrams_supported() and not _exists()
    if missing:
        rebuild()
    return missing


def rebuild() -> int:
    """Create the table and its triggers where they are missing (a migration that rebuilt
    `leads` dropped its triggers, say) and index every lead again. Returns the number of
    leads indexed. SQLite only; the caller commits."""
    for statement in (CREATE_TABLE, *TRIGGERS):
        db.session.execute(text(statement))
    db.session.execute(text(f"INSERT INTO {TABLE}({TABLE}) VALUES ('delete-all')"))
    return db.session.execute(text(FILL)).rowcount
