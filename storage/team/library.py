"""The team's shared library in the local store: each snippet, team view and the brand profile as
the team's stream has it (version, name, document), and the saves that were not applied.

A thing is filed under its target: `snippet:<uuid>`, `view:<uuid>`, `brand`, `sla:<brand>`.
Callers (app.team.library) decide the merge; this module only reads and writes, inside the
caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.records import from_timestamp, to_timestamp
from storage.store import Store

KINDS = ("snippet", "view", "brand", "sla")


@dataclass(frozen=True, slots=True)
class LibraryRecord:
    target: str
    kind: str
    version: str  # the UUID of the event that last wrote it
    deleted: bool
    name: str | None  # a snippet's shortcut, a view's name, as the team has it
    actor: str
    user: str
    at: datetime
    seq: int
    document: dict[str, Any]  # what the event said (without its ids), the name as the team has it


@dataclass(frozen=True, slots=True)
class LibraryConflict:
    """A save or delete written against a version someone else had replaced: theirs stands."""

    id: int
    uuid: str  # the event that was not applied
    target: str
    kind: str
    operation: str  # save, delete
    mine_user: str
    mine_actor: str
    mine_at: datetime
    mine_document: dict[str, Any]
    base_document: dict[str, Any] | None  # the version the author had started from, if known
    theirs_version: str
    theirs_actor: str
    theirs_at: datetime
    theirs_deleted: bool
    seq: int
    resolved: bool
    resolution: str | None


class TeamLibraryRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def conn(self):  # type: ignore[no-untyped-def]  # sqlite3.Connection
        return self._store.conn

    # --- the team's version of each thing ------------------------------------------------------

    def get(self, target: str) -> LibraryRecord | None:
        row = self.conn.execute(
            f"SELECT {_RECORD} FROM team_library WHERE target = ?", [target]
        ).fetchone()
        return None if row is None else _record(row)

    def all(self, kind: str) -> list[LibraryRecord]:
        with self._store.guard():
            rows = self.conn.execute(
                f"SELECT {_RECORD} FROM team_library WHERE kind = ? ORDER BY seq", [kind]
            ).fetchall()
        return [_record(row) for row in rows]

    def put(self, record: LibraryRecord) -> None:
        if record.kind not in KINDS:
            raise ValueError(f"not a kind of shared thing: {record.kind!r}")
        self.conn.execute(
            "INSERT INTO team_library (target, kind, version, deleted, name, actor, user, at, seq,"
            " document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (target) DO UPDATE SET"
            " version = excluded.version, deleted = excluded.deleted, name = excluded.name,"
            " actor = excluded.actor, user = excluded.user, at = excluded.at,"
            " seq = excluded.seq, document = excluded.document",
            [
                record.target,
                record.kind,
                record.version,
                int(record.deleted),
                record.name,
                record.actor,
                record.user,
                to_timestamp(record.at),
                record.seq,
                json.dumps(record.document, ensure_ascii=False),
            ],
        )

    def holder_of(self, kind: str, name: str, other_than: str) -> LibraryRecord | None:
        """The live thing of `kind` the team files under `name` (without case), if another."""
        row = self.conn.execute(
            f"SELECT {_RECORD} FROM team_library WHERE kind = ? AND deleted = 0 AND name = ?"
            " AND target != ? ORDER BY seq LIMIT 1",
            [kind, name, other_than],
        ).fetchone()
        return None if row is None else _record(row)

    def taken_names(self, kind: str, other_than: str = "") -> set[str]:
        rows = self.conn.execute(
            "SELECT name FROM team_library WHERE kind = ? AND deleted = 0 AND name IS NOT NULL"
            " AND target != ?",
            [kind, other_than],
        ).fetchall()
        return {str(row[0]).casefold() for row in rows}

    def event(self, uuid: str) -> tuple[bytes, str] | None:
        """An event of the stream as this store applied it: (payload, outcome)."""
        row = self.conn.execute(
            "SELECT payload, outcome FROM team_events WHERE uuid = ?", [uuid]
        ).fetchone()
        return None if row is None else (bytes(row[0]), str(row[1]))

    # --- conflicts -----------------------------------------------------------------------------

    def add_conflict(self, conflict: LibraryConflict) -> None:
        self.conn.execute(
            "INSERT INTO team_library_conflicts (uuid, target, kind, operation, mine_user,"
            " mine_actor, mine_at, mine_document, base_document, theirs_version, theirs_actor,"
            " theirs_at, theirs_deleted, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (uuid) DO NOTHING",
            [
                conflict.uuid,
                conflict.target,
                conflict.kind,
                conflict.operation,
                conflict.mine_user,
                conflict.mine_actor,
                to_timestamp(conflict.mine_at),
                json.dumps(conflict.mine_document, ensure_ascii=False),
                None
                if conflict.base_document is None
                else json.dumps(conflict.base_document, ensure_ascii=False),
                conflict.theirs_version,
                conflict.theirs_actor,
                to_timestamp(conflict.theirs_at),
                int(conflict.theirs_deleted),
                conflict.seq,
            ],
        )

    def conflicts(
        self, *, user: str | None = None, open_only: bool = True
    ) -> list[LibraryConflict]:
        where = ["1 = 1"]
        params: list[object] = []
        if user is not None:
            where.append("mine_user = ?")
            params.append(user)
        if open_only:
            where.append("resolved_at IS NULL")
        with self._store.guard():
            rows = self.conn.execute(
                f"SELECT {_CONFLICT} FROM team_library_conflicts WHERE {' AND '.join(where)}"
                " ORDER BY seq",
                params,
            ).fetchall()
        return [_conflict(row) for row in rows]

    def conflict(self, conflict_id: int) -> LibraryConflict | None:
        row = self.conn.execute(
            f"SELECT {_CONFLICT} FROM team_library_conflicts WHERE id = ?", [conflict_id]
        ).fetchone()
        return None if row is None else _conflict(row)

    def resolve(self, conflict_id: int, resolution: str, at: datetime) -> None:
        self.conn.execute(
            "UPDATE team_library_conflicts SET resolved_at = ?, resolution = ?"
            " WHERE id = ? AND resolved_at IS NULL",
            [to_timestamp(at), resolution, conflict_id],
        )

    def resolve_target(self, target: str, resolution: str, at: datetime) -> None:
        """Every open conflict on `target` is settled (a newer save of it went out)."""
        self.conn.execute(
            "UPDATE team_library_conflicts SET resolved_at = ?, resolution = ?"
            " WHERE target = ? AND resolved_at IS NULL",
            [to_timestamp(at), resolution, target],
        )


_RECORD = "target, kind, version, deleted, name, actor, user, at, seq, document"
_CONFLICT = (
    "id, uuid, target, kind, operation, mine_user, mine_actor, mine_at, mine_document,"
    " base_document, theirs_version, theirs_actor, theirs_at, theirs_deleted, seq, resolved_at,"
    " resolution"
)


def _record(row: tuple[Any, ...]) -> LibraryRecord:
    return LibraryRecord(
        target=str(row[0]),
        kind=str(row[1]),
        version=str(row[2]),
        deleted=bool(row[3]),
        name=None if row[4] is None else str(row[4]),
        actor=str(row[5]),
        user=str(row[6]),
        at=from_timestamp(str(row[7])),
        seq=int(row[8]),
        document=dict(json.loads(row[9])),
    )


def _conflict(row: tuple[Any, ...]) -> LibraryConflict:
    return LibraryConflict(
        id=int(row[0]),
        uuid=str(row[1]),
        target=str(row[2]),
        kind=str(row[3]),
        operation=str(row[4]),
        mine_user=str(row[5]),
        mine_actor=str(row[6]),
        mine_at=from_timestamp(str(row[7])),
        mine_document=dict(json.loads(row[8])),
        base_document=None if row[9] is None else dict(json.loads(row[9])),
        theirs_version=str(row[10]),
        theirs_actor=str(row[11]),
        theirs_at=from_timestamp(str(row[12])),
        theirs_deleted=bool(row[13]),
        seq=int(row[14]),
        resolved=row[15] is not None,
        resolution=None if row[16] is None else str(row[16]),
    )
