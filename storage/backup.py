"""Automatic daily backups of a profile's database, kept N days, and restoring one.

A backup is a complete, consistent copy of one moment of the database (SQLite's online
backup, in steps that a `Stopper` can end), made from its own connection while the app keeps
working; it is checked before it counts. Files are the owner's alone. The live database and
its -wal and -shm files are only ever read through SQLite: a plain open() and close() of them
would drop this process's locks (see `storage.store._header_problem`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from storage.errors import StoreError, known_error_for
from storage.store import Stopper, WorkStopped

log = logging.getLogger(__name__)

KEEP_DAYS = 7
# Pages copied per backup step (4 MiB at the default page size): a stop waits for one step.
PAGES_PER_STEP = 1024
_NAME = re.compile(r"^heedful-(\d{4}-\d{2}-\d{2})\.db$")


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    day: date


def backups(backup_dir: Path) -> list[Backup]:
    """Every backup in the folder, newest first."""
    found = []
    for path in backup_dir.glob("heedful-*.db") if backup_dir.is_dir() else []:
        match = _NAME.match(path.name)
        if match:
            with contextlib.suppress(ValueError):
                found.append(Backup(path, date.fromisoformat(match.group(1))))
    return sorted(found, key=lambda backup: backup.day, reverse=True)


def latest_backup(backup_dir: Path) -> Backup | None:
    found = backups(backup_dir)
    return found[0] if found else None


def _is_sound(path: Path, stopper: Stopper | None = None) -> bool:
    """Whether a copy (never the live database) passes SQLite's quick_check; WorkStopped
    when `stopper` ends it first."""
    stopper = stopper or Stopper()
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            with stopper.watching(connection):
                return bool(connection.execute("PRAGMA quick_check").fetchone()[0] == "ok")
        finally:
            connection.close()
    except sqlite3.Error:
        return False


def _copy(database: Path, target: Path, stopper: Stopper) -> None:
    """The database as it is at this moment, page by page into `target` (a new file), in
    steps; `stopper` ends it between two steps."""
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)  # a backup never writes
    try:
        copy = sqlite3.connect(target)
        try:
            os.chmod(target, 0o600)  # before the first page is in it
            with stopper.watching(source), stopper.watching(copy):
                # One read transaction for every step: the copy is of one moment, and a
                # write elsewhere (the sync, the command line) never restarts it.
                source.execute("BEGIN")
                source.execute("SELECT count(*) FROM sqlite_master").fetchone()
                source.backup(copy, pages=PAGES_PER_STEP, progress=lambda *_steps: stopper.check())
                source.rollback()
                # The copy took the live file's WAL mode: a file on its own needs none (and
                # a read-only open of a WAL file without its -shm can fail).
                copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
    finally:
        source.close()


def back_up_if_due(
    database: Path,
    backup_dir: Path,
    now: datetime,
    *,
    keep_days: int = KEEP_DAYS,
    stopper: Stopper | None = None,
) -> Backup | None:
    """Today's backup, made if there is none yet; older ones beyond `keep_days` removed.

    Runs on its own connection (call it from a worker thread: it reads the whole database).
    Returns None when there was nothing to do (no database, or today's backup exists).
    Raises WorkStopped when `stopper` ends it (the window closing): nothing is left behind.
    """
    stopper = stopper or Stopper()
    today = now.date()
    if not database.exists():
        return None
    existing = backups(backup_dir)
    if existing and existing[0].day >= today:
        return None
    backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = backup_dir / f"heedful-{today.isoformat()}.db"
    partial = target.with_suffix(".db.partial")
    _remove_partial(partial)
    try:
        _copy(database, partial, stopper)
        sound = _is_sound(partial, stopper)
    except WorkStopped:
        _remove_partial(partial)
        log.info("the backup of %s was stopped; it is made again next time", database)
        raise
    except sqlite3.Error as error:
        _remove_partial(partial)
        raise known_error_for(error, database) or error from error
    if not sound:
        _remove_partial(partial)
        log.warning("backup of %s failed its check; the previous backups are kept", database)
        return None
    os.replace(partial, target)
    for old in backups(backup_dir)[keep_days:]:
        old.path.unlink(missing_ok=True)
    log.info("backed up %s to %s", database, target)
    return Backup(target, today)


def _remove_partial(partial: Path) -> None:
    """A copy cut short, with the journal its last step may have left."""
    for leftover in (partial, partial.with_name(partial.name + "-journal")):
        leftover.unlink(missing_ok=True)


class RestoreError(StoreError):
    def __init__(self, backup: Path, detail: str) -> None:
        super().__init__(
            f"The backup {backup} cannot be used ({detail}).",
            what_to_do="Choose an older backup, or move the damaged database aside.",
        )


class DatabaseInUseError(StoreError):
    def __init__(self, database: Path) -> None:
        super().__init__(
            f"Another Heedful is still using {database} (a window, or a command such as "
            "`heedful sync`), so it cannot be replaced now.",
            what_to_do="Close the other window or wait for the command to finish, then try again.",
        )


def _in_use_elsewhere(database: Path) -> bool:
    """Whether another connection holds the database open. In WAL mode every open connection
    holds a shared lock on the file for as long as it is open, so an exclusive lock is
    granted only to the last one. Asked through SQLite (never open() on the file: see the
    module's docstring); a file SQLite cannot read at all counts as not in use."""
    probe = sqlite3.connect(database, timeout=0.5)
    try:
        probe.execute("PRAGMA locking_mode = EXCLUSIVE")
        probe.execute("BEGIN EXCLUSIVE")
        probe.rollback()
    except sqlite3.OperationalError as error:
        return getattr(error, "sqlite_errorname", "").startswith("SQLITE_BUSY")
    except sqlite3.DatabaseError:
        return False  # damaged past reading: nobody can be using it either
    finally:
        probe.close()
    return False


def move_aside(database: Path, now: datetime) -> Path:
    """Keep a damaged database (and its WAL) under a dated name instead of deleting it.
    Renamed, never opened (only SQLite opens a database); refused while another process
    has it open: its connection would go on in the renamed file and, when it closes, delete
    the WAL of the database put in its place."""
    if _in_use_elsewhere(database):
        raise DatabaseInUseError(database)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    kept = database.with_name(f"{database.name}.damaged-{stamp}")
    os.replace(database, kept)
    for suffix in ("-wal", "-shm"):
        companion = database.with_name(database.name + suffix)
        if companion.exists():
            os.replace(companion, kept.with_name(kept.name + suffix))
    return kept


def restore(backup: Backup, database: Path, now: datetime) -> Path | None:
    """Put `backup` in place of `database` (which is moved aside, not deleted). Returns where
    the damaged one was kept, if there was one. Only call while no connection is open."""
    if not _is_sound(backup.path):
        raise RestoreError(backup.path, "it is damaged too")
    kept = move_aside(database, now) if database.exists() else None
    copy = database.with_name(database.name + ".restoring")
    copy.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{backup.path}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(copy)
        try:
            os.chmod(copy, 0o600)  # before the first page is in it
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()
    os.replace(copy, database)
    log.warning("restored %s from the backup of %s", database, backup.day.isoformat())
    return kept
