"""Opening the local SQLite store: pragmas, migrations, and telling known failures from bugs."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from storage.errors import NewerSchemaError, StoreCorruptError, StoreError, known_error_for
from storage.migrations import LATEST_VERSION, MIGRATIONS, Migration, MigrationError

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)


def _import_sqlite_utils() -> ModuleType:
    """sqlite-utils without its optional numpy support: it imports numpy (installed for
    language detection) only to store numpy values, which Heedful never does, and that
    import is a sixth of a second of start-up. Later imports of numpy are unaffected."""
    hidden = "numpy" not in sys.modules
    if hidden:
        sys.modules["numpy"] = None  # type: ignore[assignment]  # makes its import fail
    try:
        return importlib.import_module("sqlite_utils")
    finally:
        if hidden:
            del sys.modules["numpy"]


# At import, before any worker thread exists: no other thread can import numpy meanwhile.
_sqlite_utils = _import_sqlite_utils()

_BUSY_TIMEOUT_MS = 5_000


class Store:
    """One connection to one profile's database. Each thread opens its own Store."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        # Plugins are for the sqlite-utils command line; loading them costs start-up time.
        self.db: sqlite_utils.Database = _sqlite_utils.Database(connection, execute_plugins=False)

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

    `check_integrity` asks SQLite for the file's header and schema: a truncated file or a
    damaged header is refused here, in constant time at any size. Damage deeper in the file
    is found by `check_integrity()` (SQLite's integrity_check, seconds at a million mentions),
    which the window runs on a worker thread once the inbox is on screen.

    The file itself is only ever touched through SQLite (and stat()): see `_header_problem`.

    `target_version` exists for tests that need a database as an older Heedful left it.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    new = not path.exists()
    try:
        connection = sqlite3.connect(path)  # one connection per thread: Python checks it
    except sqlite3.Error as error:
        raise known_error_for(error, path) or error from error
    if new:
        # Customers' messages are private: SQLite created the file empty, and it becomes the
        # owner's alone before its first byte is written (the WAL and SHM files SQLite makes
        # later take the database's mode). A chmod by name holds no descriptor of the file.
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)
    store = Store(path, connection)
    try:
        with store.guard():
            _configure(store, check_integrity=check_integrity)
            _migrate(store, LATEST_VERSION if target_version is None else target_version)
    except BaseException:
        store.close()
        raise
    return store


class WorkStopped(Exception):  # not an error: the work was asked to stop
    """Long work on the database (the integrity check, a backup) was stopped on request."""


class Stopper:
    """Stops long SQLite work from another thread: `stop()` interrupts, at once, every
    statement running on the connections it watches (`sqlite3.Connection.interrupt`, the one
    call SQLite allows from another thread), and refuses to start any more."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopped = False
        self._connections: set[sqlite3.Connection] = set()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for connection in self._connections:
                connection.interrupt()

    def check(self) -> None:
        """Raise WorkStopped if `stop()` was called (between steps of the work)."""
        if self._stopped:
            raise WorkStopped

    @contextlib.contextmanager
    def watching(self, connection: sqlite3.Connection) -> Iterator[None]:
        """Work on `connection` that `stop()` interrupts; its "interrupted" error (or any
        other error a stop caused) comes out as WorkStopped."""
        with self._lock:
            if self._stopped:
                raise WorkStopped
            self._connections.add(connection)
        try:
            yield
        except sqlite3.Error as error:
            if self._stopped:
                raise WorkStopped from error
            raise
        finally:
            with self._lock:
                self._connections.discard(connection)


def check_integrity(path: Path, stopper: Stopper | None = None) -> None:
    """SQLite's integrity_check of the whole file, on a read-only connection of its own (it
    reads every page: call it from a worker thread). Raises StoreCorruptError on damage and
    WorkStopped when `stopper` stops it (the window closing).

    integrity_check, not quick_check: only the full check compares every index with its
    table, and an index that lost rows (what a deleted WAL leaves) passes quick_check.
    """
    stopper = stopper or Stopper()
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            with stopper.watching(connection):
                problems = [row[0] for row in connection.execute("PRAGMA integrity_check(3)")]
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise StoreCorruptError(path, str(error)) from error
    if problems != ["ok"]:
        raise StoreCorruptError(path, "; ".join(problems)[:300])


def _header_problem(conn: sqlite3.Connection, path: Path) -> str | None:
    """What is wrong with the file's header, if anything: the constant-time check that
    catches a truncated file (the header says how many pages the file holds).

    The header is read by SQLite, never with open(): on POSIX, closing *any* descriptor of
    a file drops *every* lock this process holds on it ("How To Corrupt An SQLite Database
    File", section 2.2), so the next process to close its connection would believe it was
    the last one and delete the WAL under this process's other connections. SQLite refuses
    a file that is not a database and a header with an impossible page size; recent SQLite
    (3.40 here) also refuses a header page count past the end of the file, and the
    comparison below covers the builds that do not. The size comes from stat() alone.
    """
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    if pages == 0:
        return None  # a new, empty file: SQLite writes the header
    # The file alone is the whole database only without a write-ahead log: a checkpoint cut
    # short (a full disk) leaves pages in the log that the next open copies back.
    wal = path.with_name(path.name + "-wal")
    logged = wal.exists() and wal.stat().st_size > 0
    size = path.stat().st_size
    if not logged and pages * page_size > size:
        return f"the file is truncated ({size:,} of {pages * page_size:,} bytes)"
    return None


def _configure(store: Store, *, check_integrity: bool) -> None:
    conn = store.conn
    # A file that is not a database answers the first read with SQLITE_NOTADB.
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        problem = _header_problem(conn, store.path) if check_integrity else None
    except sqlite3.DatabaseError as error:
        raise StoreCorruptError(store.path, str(error)) from error
    if problem is not None:
        raise StoreCorruptError(store.path, problem)
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode != "wal":
        log.warning("SQLite refused WAL mode for %s (journal mode is %s)", store.path, mode)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def _migrate(store: Store, target_version: int) -> None:
    if not _pending(store, target_version):
        return
    conn = store.conn
    # Foreign keys off, outside the transaction (SQLite ignores the pragma inside one): a
    # table rebuild drops the old table, which with them on would cascade away every child.
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        # All pending migrations in one transaction: a crash or a full disk leaves the old
        # schema. The version is read again under the write lock: another process opening
        # the same older database may have migrated it while this one waited.
        with store.write():
            pending = _pending(store, target_version)
            for migration in pending:
                log.info(
                    "migrating %s to schema %d: %s", store.path, migration.version, migration.why
                )
                for statement in migration.statements:
                    conn.execute(statement)
                if migration.run is not None:
                    migration.run(conn)
            broken = conn.execute("PRAGMA foreign_key_check").fetchmany(3)
            if broken:
                raise MigrationError(f"the migrations left rows without their parent: {broken}")
            if pending:
                conn.execute(f"PRAGMA user_version = {pending[-1].version}")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _pending(store: Store, target_version: int) -> list[Migration]:
    found = store.schema_version()
    if found > LATEST_VERSION:
        raise NewerSchemaError(store.path, found, LATEST_VERSION)
    return [m for m in MIGRATIONS if found < m.version <= target_version]


__all__ = ["Stopper", "Store", "StoreError", "WorkStopped", "check_integrity", "open_store"]
