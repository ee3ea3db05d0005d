"""Many-row INSERTs handed straight to the database driver, for the import's big batches.

A Core executemany makes SQLAlchemy build and convert every row's parameters one by one; for a
2,000-row batch of 38-column leads that cost about as much as SQLite's own work of inserting the
rows into the 22 indexes of `leads`. Here each value goes through the same bind processor its
column type would apply (so the stored bytes are the ORM's on every database), the SQL is
built once per row count, and a few hundred rows share one multi-row VALUES statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table

from ..extensions import db

PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


class DriverInsert:
    """INSERT INTO `table` (columns) VALUES ..., RETURNING `returning` when given. Rows are
    value sequences in column order. A column left out takes its scalar default, as a Core
    insert would give it; one with a computed (callable or SQL) default must be listed."""

    def __init__(self, table: Table, columns: Sequence[str], returning: Sequence[str] = ()
                 ) -> None:
        self.table, self.returning = table, tuple(returning)
        self.defaults = _scalar_defaults(table, columns)
        self.columns = (*columns, *self.defaults)
        self.dialect: Any = None
        self.processors: list[tuple[int, Any]] = []
        self.statements: dict[int, str] = {}

    def execute(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Insert the rows; the RETURNING rows (in no particular order), else []."""
        connection = db.session.connection()
        self._prepare(connection.dialect)
        width = len(self.columns)
        per_statement = max(1, min(self.dialect.insertmanyvalues_page_size,
                                   self.dialect.insertmanyvalues_max_parameters // width))
        defaults = tuple(self.defaults.values())
        returned: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), per_statement):
            chunk = rows[start:start + per_statement]
            params = self._params(chunk, defaults)
            result = connection.exec_driver_sql(self._sql(len(chunk)), tuple(params))
            if self.returning:
                returned += result.tuples().all()
        return returned

    def _prepare(self, dialect: Any) -> None:
        """The bind processors of this dialect (most columns have none): looked up once."""
        if dialect is self.dialect:
            return
        if dialect.paramstyle not in PLACEHOLDERS:
            # leadapp runs on sqlite3 (qmark) and psycopg (pyformat); refuse any other driver
            # plainly rather than send it placeholders it would misread.
            raise RuntimeError(f"The import's bulk insert supports drivers with ?, %s "
                               f"placeholders; {dialect.driver} uses {dialect.paramstyle}.")
        self.dialect, self.statements = dialect, {}
        self.processors = []
        for index, name in enumerate(self.columns):
            column_type = self.table.c[name].type
            processor = column_type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors.append((index, processor))

    def _params(self, chunk: Sequence[Sequence[Any]], defaults: tuple[Any, ...]) -> list[Any]:
        """The chunk's values, flat and converted (None too: JSON stores it as 'null'). A
        value that is the very object the row before had (the batch's one timestamp, None)
        reuses its conversion."""
        memo: dict[int, tuple[Any, Any]] = {}
        params: list[Any] = []
        for row in chunk:
            values = [*row, *defaults]
            for index, processor in self.processors:
                value = values[index]
                seen = memo.get(index)
                if seen is not None and seen[0] is value:
                    values[index] = seen[1]
                else:
                    values[index] = converted = processor(value)
                    memo[index] = (value, converted)
            params += values
        return params

    def _sql(self, count: int) -> str:
        statement = self.statements.get(count)
        if statement is None:
            preparer = self.dialect.identifier_preparer
            mark = PLACEHOLDERS[self.dialect.paramstyle]
            row = "(" + ", ".join([mark] * len(self.columns)) + ")"
            statement = (f"INSERT INTO {preparer.format_table(self.table)} ("
                         + ", ".join(preparer.format_column(self.table.c[name])
                                     for name in self.columns)
                         + ") VALUES " + ", ".join([row] * count))
            if self.returning:
                statement += " RETURNING " + ", ".join(
                    preparer.format_column(self.table.c[name]) for name in self.returning)
            self.statements[count] = statement
        return statement


def _scalar_defaults(table: Table, columns: Sequence[str]) -> dict[str, Any]:
    defaults = {}
    for column in table.c:
        if column.name in columns or column.default is None:
            continue
        if not column.default.is_scalar:
            raise ValueError(f"DriverInsert: {table.name}.{column.name} has a computed default; "
                             "list it among the columns.")
        defaults[column.name] = column.default.arg
    return defaults
