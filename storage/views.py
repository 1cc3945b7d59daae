"""Saved inbox views: a name, the query that defines it, and whether new mentions notify."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from storage.records import to_timestamp, utc_now
from storage.store import Store


@dataclass(frozen=True, slots=True)
class SavedView:
    id: int
    name: str
    query: str  # what the search box would hold: qualifiers and words (app.inbox.search reads it)
    notify: bool


class DuplicateViewNameError(ValueError):
    """A saved view with this name exists already (names ignore case)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"A saved view called “{name}” exists already; choose another name.")
        self.name = name


class SavedViewRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def all(self) -> list[SavedView]:
        with self._store.guard():
            rows = self._store.conn.execute(
                "SELECT id, name, query, notify FROM saved_views ORDER BY position, id"
            ).fetchall()
        return [SavedView(int(r[0]), str(r[1]), str(r[2]), bool(r[3])) for r in rows]

    def add(self, name: str, query: str, *, notify: bool = False) -> SavedView:
        try:
            with self._store.write() as db:
                cursor = db.conn.execute(
                    "INSERT INTO saved_views (name, query, notify, position, created_at)"
                    " VALUES (?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM saved_views),"
                    " ?)",
                    [name, query, int(notify), to_timestamp(utc_now())],
                )
        except sqlite3.IntegrityError as error:
            raise DuplicateViewNameError(name) from error
        assert cursor.lastrowid is not None
        return SavedView(cursor.lastrowid, name, query, notify)

    def update(self, view: SavedView) -> None:
        try:
            with self._store.write() as db:
                db.conn.execute(
                    "UPDATE saved_views SET name = ?, query = ?, notify = ? WHERE id = ?",
                    [view.name, view.query, int(view.notify), view.id],
                )
        except sqlite3.IntegrityError as error:
            raise DuplicateViewNameError(view.name) from error

    def remove(self, view_id: int) -> None:
        with self._store.write() as db:
            db.conn.execute("DELETE FROM saved_views WHERE id = ?", [view_id])
