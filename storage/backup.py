"""Automatic daily backups of a profile's database (VACUUM INTO), kept N days, and restoring one.

A backup is a complete, consistent, compacted copy made from its own connection while the
app keeps working; it is checked before it counts. Files are the owner's alone.
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

log = logging.getLogger(__name__)

KEEP_DAYS = 7
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


def _is_sound(path: Path) -> bool:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return bool(connection.execute("PRAGMA quick_check").fetchone()[0] == "ok")
        finally:
            connection.close()
    except sqlite3.Error:
        return False


def back_up_if_due(
    database: Path, backup_dir: Path, now: datetime, *, keep_days: int = KEEP_DAYS
) -> Backup | None:
    """Today's backup, made if there is none yet; older ones beyond `keep_days` removed.

    Runs on its own connection (call it from a worker thread: it reads the whole database).
    Returns None when there was nothing to do (no database, or today's backup exists).
    """
    today = now.date()
    if not database.exists():
        return None
    existing = backups(backup_dir)
    if existing and existing[0].day >= today:
        return None
    backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = backup_dir / f"heedful-{today.isoformat()}.db"
    partial = target.with_suffix(".db.partial")
    partial.unlink(missing_ok=True)
    # Created empty and private first (VACUUM INTO accepts an empty file and keeps its mode).
    partial.touch(mode=0o600)
    connection = sqlite3.connect(database)
    try:
        connection.execute("VACUUM INTO ?", [str(partial)])
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise known_error_for(error, database) or error from error
    finally:
        connection.close()
    if not _is_sound(partial):
        partial.unlink(missing_ok=True)
        log.warning("backup of %s failed its check; the previous backups are kept", database)
        return None
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    for old in backups(backup_dir)[keep_days:]:
        old.path.unlink(missing_ok=True)
    log.info("backed up %s to %s", database, target)
    return Backup(target, today)


class RestoreError(StoreError):
    def __init__(self, backup: Path, detail: str) -> None:
        super().__init__(
            f"The backup {backup} cannot be used ({detail}).",
            what_to_do="Choose an older backup, or move the damaged database aside.",
        )


def move_aside(database: Path, now: datetime) -> Path:
    """Keep a damaged database (and its WAL) under a dated name instead of deleting it."""
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
    target = sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    os.chmod(copy, 0o600)
    os.replace(copy, database)
    log.warning("restored %s from the backup of %s", database, backup.day.isoformat())
    return kept
