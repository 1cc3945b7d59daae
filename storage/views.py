"""Saved inbox views: a name, the query that defines it, whether new mentions notify, and whether
the whole team has it (a team view is on every teammate's laptop)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Protocol
from uuid import uuid4

from storage.records import to_timestamp, utc_now
from storage.store import Store


@dataclass(frozen=True, slots=True)
class SavedView:
    id: int
    name: str
    query: str  # what the search box would hold: qualifiers and words (app.inbox.search reads it)
    notify: bool
    team: bool = False  # shared: every teammate's laptop has it (notify stays each one's own)
    uuid: str = field(default="", compare=False)  # what the team knows it by


class ViewJournal(Protocol):
    """Told of each change to a view inside its transaction (the team inbox shares team ones;
    `was_team`: it was a team view before this change)."""

    def view_saved(self, view: SavedView, was_team: bool) -> None: ...

    def view_removed(self, view: SavedView) -> None: ...


class DuplicateViewNameError(ValueError):
    """A saved view with this name exists already (names ignore case)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"A saved view called “{name}” exists already; choose another name.")
        self.name = name


_COLUMNS = "id, name, query, notify, team, uuid"


class SavedViewRepository:
    def __init__(self, store: Store, journal: ViewJournal | None = None) -> None:
        self._store = store
        self.journal = journal  # None for the team applying a teammate's change

    def all(self) -> list[SavedView]:
        with self._store.guard():
            rows = self._store.conn.execute(
                f"SELECT {_COLUMNS} FROM saved_views ORDER BY position, id"
            ).fetchall()
        return [_view(row) for row in rows]

    def get(self, view_id: int) -> SavedView | None:
        row = self._store.conn.execute(
            f"SELECT {_COLUMNS} FROM saved_views WHERE id = ?", [view_id]
        ).fetchone()
        return None if row is None else _view(row)

    def by_uuid(self, uuid: str) -> SavedView | None:
        row = self._store.conn.execute(
            f"SELECT {_COLUMNS} FROM saved_views WHERE uuid = ?", [uuid]
        ).fetchone()
        return None if row is None else _view(row)

    def add(
        self, name: str, query: str, *, notify: bool = False, team: bool = False, uuid: str = ""
    ) -> SavedView:
        try:
            with self._store.write() as db:
                cursor = db.conn.execute(
                    "INSERT INTO saved_views (name, query, notify, team, position, created_at,"
                    " uuid) VALUES (?, ?, ?, ?,"
                    " (SELECT coalesce(max(position), 0) + 1 FROM saved_views), ?, ?)",
                    [name, query, int(notify), int(team), to_timestamp(utc_now()),
                     uuid or str(uuid4())],
                )  # fmt: skip
                assert cursor.lastrowid is not None
                view = self.get(cursor.lastrowid)
                assert view is not None
                if self.journal is not None:
                    self.journal.view_saved(view, was_team=False)
        except sqlite3.IntegrityError as error:
            raise DuplicateViewNameError(name) from error
        return view

    def update(self, view: SavedView) -> None:
        try:
            with self._store.write() as db:
                before = self.get(view.id)
                db.conn.execute(
                    "UPDATE saved_views SET name = ?, query = ?, notify = ?, team = ? WHERE id = ?",
                    [view.name, view.query, int(view.notify), int(view.team), view.id],
                )
                after = self.get(view.id)
                if self.journal is not None and before is not None and after is not None:
                    self.journal.view_saved(after, was_team=before.team)
        except sqlite3.IntegrityError as error:
            raise DuplicateViewNameError(view.name) from error

    def remove(self, view_id: int) -> None:
        with self._store.write() as db:
            view = self.get(view_id)
            db.conn.execute("DELETE FROM saved_views WHERE id = ?", [view_id])
            if self.journal is not None and view is not None:
                self.journal.view_removed(view)


def _view(row: tuple[object, ...]) -> SavedView:
    return SavedView(
        int(row[0]),  # type: ignore[call-overload]
        str(row[1]),
        str(row[2]),
        bool(row[3]),
        team=bool(row[4]),
        uuid=str(row[5]),
    )
