"""Known storage failures: each one is a clear message for the user, never a crash report."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class StoreError(Exception):
    """A failure the user can understand and act on (as opposed to a bug)."""

    def __init__(self, message: str, *, what_to_do: str) -> None:
        super().__init__(message)
        self.message = message
        self.what_to_do = what_to_do

    def __str__(self) -> str:
        return f"{self.message} {self.what_to_do}"


class NewerSchemaError(StoreError):
    def __init__(self, path: Path, found: int, known: int) -> None:
        super().__init__(
            f"The data in {path} was written by a newer version of Heedful "
            f"(schema {found}; this version understands up to {known}).",
            what_to_do="Install the newer Heedful again, or open a different profile with --home.",
        )
        self.found = found
        self.known = known


class StoreCorruptError(StoreError):
    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"The database {path} is damaged ({detail}).",
            what_to_do="Restore it from a backup, or move it aside to start with an empty one.",
        )
        self.path = path
        self.detail = detail


class StoreFullError(StoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The disk holding {path} is full; nothing new could be saved.",
            what_to_do="Free some space; what was saved before is intact.",
        )


class StoreLockedError(StoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The database {path} is busy in another program.",
            what_to_do="Close the other Heedful window or command and try again.",
        )


class StoreUnwritableError(StoreError):
    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"Heedful cannot write to {path} ({detail}).",
            what_to_do="Check the folder's permissions, or choose another one with --home.",
        )


def known_error_for(error: sqlite3.Error, path: Path) -> StoreError | None:
    """Map SQLite's error codes to the failures a user can act on; None means a bug."""
    code = getattr(error, "sqlite_errorcode", None)
    name = getattr(error, "sqlite_errorname", "")
    if code == sqlite3.SQLITE_FULL or name == "SQLITE_FULL":
        return StoreFullError(path)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreLockedError(path)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StoreCorruptError(path, str(error))
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")):
        return StoreUnwritableError(path, str(error))
    return None
