"""Opening the local SQLite store: pragmas, migrations, and telling known failures from bugs."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from storage.errors import NewerSchemaError, StoreCorruptError, StoreError, known_error_for
from storage.migrations import LATEST_VERSION, MIGRATIONS

log = logging.getLogger(__name__)

_BUSY_TIMEOUT_MS = 5_000


class Store:
    """One connection to one profile's database. Each thread opens its own Store."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        # Plugins are for the sqlite-utils command line; loading them costs start-up time.
        self.db = sqlite_utils.Database(connection, execute_plugins=False)

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Turn SQLite's known failures (full disk, locked, corrupt) into StoreError."""
        try:
            yield
        except sqlite3.Error as error:
            known = known_error_for(error, self.path)
            if known is None:
                raise
            raise known from error

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One transaction that takes the write lock up front (no deadlock between threads)."""
        with self.guard():
            if self.conn.in_transaction:
                with self.db.atomic():
                    yield self.db
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.conn.rollback()
                raise
            self.conn.commit()

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])


def open_store(
    path: Path, *, target_version: int | None = None, check_integrity: bool = True
) -> Store:
    """Open (creating if needed) the database at `path` and bring its schema up to date.

    `check_integrity` runs SQLite's quick_check (about 7 ms for the demo workspace, half a
    second at 100,000 mentions): once per start, not for each worker thread's connection.

    `target_version` exists for tests that need a database as an older Heedful left it.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        # Customers' messages are private: the file is the owner's alone from its first byte.
        path.touch(mode=0o600)
    try:
        connection = sqlite3.connect(path)  # one connection per thread: Python checks it
    except sqlite3.Error as error:
        raise known_error_for(error, path) or error from error
    store = Store(path, connection)
    try:
        with store.guard():
            _configure(store, check_integrity=check_integrity)
            _migrate(store, LATEST_VERSION if target_version is None else target_version)
    except BaseException:
        store.close()
        raise
    return store


def _configure(store: Store, *, check_integrity: bool) -> None:
    conn = store.conn
    # A file that is not a database answers the first read with SQLITE_NOTADB.
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        # A truncated file or a damaged page opens fine and fails later, in the middle of
        # work: check the structure now (quick_check skips only the slow index checks).
        problems = (
            [row[0] for row in conn.execute("PRAGMA quick_check(3)")] if check_integrity else ["ok"]
        )
    except sqlite3.DatabaseError as error:
        raise StoreCorruptError(store.path, str(error)) from error
    if problems != ["ok"]:
        raise StoreCorruptError(store.path, "; ".join(problems)[:300])
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode != "wal":
        log.warning("SQLite refused WAL mode for %s (journal mode is %s)", store.path, mode)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def _migrate(store: Store, target_version: int) -> None:
    found = store.schema_version()
    if found > LATEST_VERSION:
        raise NewerSchemaError(store.path, found, LATEST_VERSION)
    pending = [m for m in MIGRATIONS if found < m.version <= target_version]
    if not pending:
        return
    # All pending migrations in one transaction: a crash or a full disk leaves the old schema.
    with store.write():
        for migration in pending:
            log.info("migrating %s to schema %d: %s", store.path, migration.version, migration.why)
            for statement in migration.statements:
                store.conn.execute(statement)
        store.conn.execute(f"PRAGMA user_version = {pending[-1].version}")


__all__ = ["Store", "StoreError", "open_store"]
