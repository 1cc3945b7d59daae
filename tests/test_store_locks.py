"""The database file is touched only through SQLite: on POSIX, closing any descriptor of a file
drops every lock the process holds on it, and the next process to close its connection then
deletes the WAL under this one ("How To Corrupt An SQLite Database File", section 2.2)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from storage.backup import backups
from storage.errors import StoreCorruptError
from storage.mentions import InboxFilter
from storage.records import utc_now
from storage.store import open_store

from app.bootstrap import StartupOptions, build_workspace
from app.inbox.service import snapshot_on_own_connection
from app.recovery import daily_backup, offer_for, restore_latest, start_empty

from tests.factories import brand_account, mention

_COUNT_IN_ANOTHER_PROCESS = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
print(connection.execute("SELECT count(*) FROM notes_seen").fetchone()[0])
connection.close()
"""


def _count_elsewhere(path: Path) -> int:
    """Another process (the command line) opens the file, reads, and closes its connection."""
    done = subprocess.run(
        [sys.executable, "-c", _COUNT_IN_ANOTHER_PROCESS, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return int(done.stdout)


def test_opening_the_store_again_keeps_what_this_process_writes_visible_to_others(
    tmp_path: Path,
) -> None:
    path = tmp_path / "heedful.db"
    window = open_store(path)  # the window's own connection, open all day
    try:
        with window.write() as db:
            db.execute("CREATE TABLE notes_seen (body TEXT)")
            db.execute("INSERT INTO notes_seen VALUES ('first')")
        # What the window's counts worker does every few seconds, beside it.
        open_store(path).close()
        assert _count_elsewhere(path) == 1  # a command that reads, and closes
        with window.write() as db:
            db.execute("INSERT INTO notes_seen VALUES ('second')")
        # The command line sees the window's latest write: its WAL is still the one in use.
        assert _count_elsewhere(path) == 2
        assert path.with_name("heedful.db-wal").exists()
    finally:
        window.close()
    assert _count_elsewhere(path) == 2


# --- every path of the app that works on the file, watched for plain opens ----------------------

_watched: list[set[str]] = []
_opened: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event != "open" or not _watched or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    name = os.fsdecode(args[0])
    if os.path.realpath(name) in _watched[-1]:
        _opened.append(name)


sys.addaudithook(_audit)  # Python cannot remove one; it does nothing while nothing is watched


@contextlib.contextmanager
def plain_opens_of(database: Path) -> Iterator[list[str]]:
    """Every open() (builtins, io, os) of the database or its companions made by Python code
    meanwhile. SQLite's own opens, in C, are not seen: they are the ones allowed."""
    names = {database.name + suffix for suffix in ("", "-wal", "-shm", "-journal")}
    _watched.append({os.path.realpath(database.with_name(name)) for name in names})
    _opened.clear()
    try:
        yield _opened
    finally:
        _watched.pop()


def test_nothing_but_sqlite_opens_the_database_on_any_path_of_the_app(
    heedful_home: Path,
) -> None:
    from ui import launcher

    tomorrow = utc_now() + timedelta(days=1)
    probe = build_workspace(StartupOptions())
    database = probe.profile.database
    probe.close()
    database.unlink()  # so that creating it is watched too
    with plain_opens_of(database) as opened:
        workspace = build_workspace(StartupOptions())  # creates the file
        try:
            account = workspace.accounts.add(brand_account())
            workspace.mentions.ingest([mention(account.id, n) for n in range(20)])
            beside = build_workspace(StartupOptions())  # the window's start, and its workers
            worker = workspace.open_again()
            snapshot_on_own_connection(database, {"all": InboxFilter()}, {}, None)
            assert launcher._check_then_back_up(database) is None  # integrity check, backup
            assert daily_backup(database, tomorrow) is not None
            worker.close()
            beside.close()
        finally:
            workspace.close()
        # Recovery: restore the latest backup, then keep the file aside and start empty.
        offer = offer_for(StoreCorruptError(database, "as a test says"))
        assert restore_latest(offer, tomorrow + timedelta(hours=1)) is not None
        start_empty(offer, tomorrow + timedelta(hours=2))
        open_store(database).close()
    assert opened == []
    assert len(backups(database.parent / "backups")) == 2


def test_a_database_made_by_sqlite_is_still_the_owners_alone(tmp_path: Path) -> None:
    path = tmp_path / "private" / "heedful.db"
    store = open_store(path)
    try:
        with store.write() as db:
            db.execute("CREATE TABLE t (x)")
        for name in ("heedful.db", "heedful.db-wal", "heedful.db-shm"):
            mode = path.with_name(name).stat().st_mode & 0o777
            assert mode & 0o077 == 0, f"{name} is {oct(mode)}"
    finally:
        store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
