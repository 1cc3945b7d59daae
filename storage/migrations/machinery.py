"""What a migration is, and the one safe way to change a table SQLite cannot ALTER."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step. `statements` run first, then `run` (for steps SQL alone cannot say,
    such as rebuilding a table or filling a new column from Python). Every pending migration
    runs in one transaction with foreign keys off, then `PRAGMA foreign_key_check` must pass."""

    version: int
    why: str
    statements: Sequence[str] = ()
    run: Callable[[sqlite3.Connection], None] | None = None


class MigrationError(Exception):
    """A migration left the data inconsistent (a bug in the migration: nothing is committed)."""


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def rebuild_table(
    conn: sqlite3.Connection,
    table: str,
    create: str,
    *,
    copy: Sequence[str] | None = None,
    select: Sequence[str] | None = None,
) -> None:
    """Replace `table` by the one `create` makes, keeping its rows, indexes and triggers:
    SQLite's "generalized ALTER TABLE" (https://sqlite.org/lang_altertable.html, section 7),
    for a changed CHECK constraint, column type or default.

    `create` is the full `CREATE TABLE {table} (...)` of the new shape, under the table's own
    name. `copy` names the columns to carry over (default: those both shapes have);
    `select` gives, per column of `copy`, the expression that fills it from the old row
    (default: the same column). Must run inside the migrations' transaction, where foreign
    keys are off: a plain DROP TABLE with them on would cascade away every child row.
    """
    if not _NAME.match(table):
        raise ValueError(f"not a table name: {table!r}")
    if conn.execute("PRAGMA foreign_keys").fetchone()[0]:
        raise MigrationError("rebuild_table needs foreign keys off (the migration runner does it)")
    old_columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    # Indexes and triggers go with the old table: keep their SQL to make them again.
    # (Automatic indexes from UNIQUE/PRIMARY KEY have no SQL: the new CREATE makes them.)
    dependants = [
        str(row[0])
        for row in conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger')"
            " AND sql IS NOT NULL ORDER BY type, name",
            [table],
        )
    ]
    temporary = f"{table}__rebuilt"
    pattern = re.compile(
        rf"(CREATE\s+TABLE\s+)(?:IF\s+NOT\s+EXISTS\s+)?[\"`\[]?{table}[\"`\]]?", re.I
    )
    new_sql, found = pattern.subn(rf"\g<1>{temporary}", create, count=1)
    if not found:
        raise ValueError(f"`create` must be CREATE TABLE {table} (...)")
    conn.execute(new_sql)
    new_columns = [row[1] for row in conn.execute(f"PRAGMA table_info({temporary})")]
    columns = list(copy) if copy is not None else [c for c in new_columns if c in old_columns]
    sources = list(select) if select is not None else columns
    if len(sources) != len(columns):
        raise ValueError("`select` needs one expression per copied column")
    conn.execute(
        f"INSERT INTO {temporary} ({', '.join(columns)}) SELECT {', '.join(sources)} FROM {table}"
    )
    conn.execute(f"DROP TABLE {table}")
    # Legacy renaming leaves other tables' triggers and foreign keys alone: they name the
    # table, which exists again under that name once this statement is done.
    legacy = conn.execute("PRAGMA legacy_alter_table").fetchone()[0]
    conn.execute("PRAGMA legacy_alter_table = ON")
    try:
        conn.execute(f"ALTER TABLE {temporary} RENAME TO {table}")
    finally:
        conn.execute(f"PRAGMA legacy_alter_table = {int(legacy)}")
    for sql in dependants:
        conn.execute(sql)
