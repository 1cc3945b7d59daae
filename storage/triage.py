"""Triage state in the local store: status, assignee, priority, snooze, tags, notes, history.

Every change writes one triage_events row (who, which field, old and new value, when) in the
same transaction as the change itself, so the history can never disagree with the state.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from storage.records import TriageStatus, from_timestamp, to_timestamp
from storage.store import Store

# The mention columns triage may change (never built from user input: a fixed set).
TriageField = Literal["status", "assignee", "priority", "snoozed_until"]
FIELDS: tuple[TriageField, ...] = ("status", "assignee", "priority", "snoozed_until")

# SQLite's limit on host parameters is far above this; batches keep statements small.
_ID_BATCH = 500


@dataclass(frozen=True, slots=True)
class TriageState:
    """What triage says about one mention, as it was at one moment (undo restores it)."""

    mention_id: int
    status: TriageStatus
    assignee: str | None
    priority: int
    snoozed_until: datetime | None
    tags: tuple[str, ...]

    def value_of(self, field: TriageField) -> str | None:
        """The field as triage_events stores it: text, or None for "not set"."""
        if field == "status":
            return self.status.value
        if field == "assignee":
            return self.assignee
        if field == "priority":
            return str(self.priority)
        return None if self.snoozed_until is None else to_timestamp(self.snoozed_until)


@dataclass(frozen=True, slots=True)
class TriageEvent:
    id: int
    mention_id: int
    actor: str
    field: str  # status, assignee, priority, snoozed_until, tag, note
    old_value: str | None
    new_value: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    mention_id: int
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TriageRecord:
    """One history row as it is written, for a journal that shares it (the team inbox)."""

    mention_id: int
    actor: str
    field: str
    old_value: str | None
    new_value: str | None
    at: str
    uuid: str  # the history row's id, the same on every laptop it reaches
    note_uuid: str | None = None


class TriageJournal(Protocol):
    """Called inside the transaction of each change, with the history row it wrote."""

    def recorded(self, record: TriageRecord) -> None: ...


class TriageRepository:
    def __init__(self, store: Store, journal: TriageJournal | None = None) -> None:
        self._store = store
        self.journal = journal

    # --- reading -----------------------------------------------------------------------

    def states(self, mention_ids: Iterable[int]) -> dict[int, TriageState]:
        ids = list(dict.fromkeys(mention_ids))
        found: dict[int, TriageState] = {}
        with self._store.guard():
            for start in range(0, len(ids), _ID_BATCH):
                batch = ids[start : start + _ID_BATCH]
                marks = ", ".join("?" * len(batch))
                tags: dict[int, list[str]] = {}
                for mention_id, name in self._store.conn.execute(
                    "SELECT mt.mention_id, t.name FROM mention_tags AS mt"
                    f" JOIN tags AS t ON t.id = mt.tag_id WHERE mt.mention_id IN ({marks})"
                    " ORDER BY t.name COLLATE NOCASE",
                    batch,
                ):
                    tags.setdefault(int(mention_id), []).append(str(name))
                for mention_id, status, assignee, priority, snoozed in self._store.conn.execute(
                    "SELECT id, status, assignee, priority, snoozed_until FROM mentions"
                    f" WHERE id IN ({marks})",
                    batch,
                ):
                    found[int(mention_id)] = TriageState(
                        mention_id=int(mention_id),
                        status=TriageStatus(status),
                        assignee=assignee,
                        priority=int(priority),
                        snoozed_until=None if snoozed is None else from_timestamp(snoozed),
                        tags=tuple(tags.get(int(mention_id), ())),
                    )
        return found

    def events(self, mention_id: int) -> list[TriageEvent]:
        """The mention's triage history, oldest first."""
        with self._store.guard():
            rows = self._store.conn.execute(
                "SELECT id, mention_id, actor, field, old_value, new_value, at"
                " FROM triage_events WHERE mention_id = ? ORDER BY at, id",
                [mention_id],
            ).fetchall()
        return [
            TriageEvent(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], from_timestamp(r[6]))
            for r in rows
        ]

    def notes(self, mention_id: int) -> list[Note]:
        with self._store.guard():
            rows = self._store.conn.execute(
                "SELECT id, mention_id, author, body, created_at FROM notes"
                " WHERE mention_id = ? ORDER BY created_at, id",
                [mention_id],
            ).fetchall()
        return [Note(int(r[0]), int(r[1]), r[2], r[3], from_timestamp(r[4])) for r in rows]

    def tag_names(self) -> list[str]:
        """Every tag in use, most used first (what the tag completer offers)."""
        with self._store.guard():
            rows = self._store.conn.execute(
                "SELECT t.name FROM tags AS t LEFT JOIN mention_tags AS mt ON mt.tag_id = t.id"
                " GROUP BY t.id ORDER BY count(mt.mention_id) DESC, t.name COLLATE NOCASE"
            ).fetchall()
        return [str(r[0]) for r in rows]

    def assignees(self) -> list[str]:
        """Names mentions are assigned to now, most used first (what the assign box offers)."""
        with self._store.guard():
            rows = self._store.conn.execute(
                "SELECT assignee FROM mentions WHERE assignee IS NOT NULL"
                " GROUP BY assignee ORDER BY count(*) DESC, assignee"
            ).fetchall()
        return [str(r[0]) for r in rows]

    def next_snooze_end(self, after: datetime) -> datetime | None:
        """The earliest snooze that ends after `after`: when the window should look again."""
        with self._store.guard():
            found = self._store.conn.execute(
                "SELECT min(snoozed_until) FROM mentions WHERE snoozed_until > ?",
                [to_timestamp(after)],
            ).fetchone()[0]
        return None if found is None else from_timestamp(found)

    # --- writing (one transaction each, history included) --------------------------------

    def set_field(
        self,
        mention_ids: Sequence[int],
        field: TriageField,
        value: str | int | None,
        *,
        actor: str,
        at: datetime,
    ) -> list[int]:
        """Set one triage field on several mentions; returns the ids whose value changed."""
        if field not in FIELDS:
            raise ValueError(f"not a triage field: {field!r}")
        stored = None if value is None else str(value)
        when = to_timestamp(at)
        changed: list[int] = []
        with self._store.write():
            for mention_id in dict.fromkeys(mention_ids):
                row = self._store.conn.execute(
                    f"SELECT {field} FROM mentions WHERE id = ?", [mention_id]
                ).fetchone()
                if row is None:
                    continue
                old = None if row[0] is None else str(row[0])
                if old == stored:
                    continue
                self._store.conn.execute(
                    f"UPDATE mentions SET {field} = ? WHERE id = ?", [value, mention_id]
                )
                self._record(mention_id, actor, field, old, stored, when)
                changed.append(mention_id)
        return changed

    def add_tag(
        self, mention_ids: Sequence[int], tag: str, *, actor: str, at: datetime
    ) -> list[int]:
        when = to_timestamp(at)
        changed: list[int] = []
        with self._store.write():
            conn = self._store.conn
            conn.execute("INSERT INTO tags (name) VALUES (?) ON CONFLICT DO NOTHING", [tag])
            tag_id, name = conn.execute(
                "SELECT id, name FROM tags WHERE name = ?", [tag]
            ).fetchone()
            for mention_id in dict.fromkeys(mention_ids):
                cursor = conn.execute(
                    "INSERT INTO mention_tags (mention_id, tag_id) SELECT id, ? FROM mentions"
                    " WHERE id = ? ON CONFLICT DO NOTHING",
                    [tag_id, mention_id],
                )
                if cursor.rowcount:
                    self._record(mention_id, actor, "tag", None, name, when)
                    changed.append(mention_id)
        return changed

    def remove_tag(
        self, mention_ids: Sequence[int], tag: str, *, actor: str, at: datetime
    ) -> list[int]:
        when = to_timestamp(at)
        changed: list[int] = []
        with self._store.write():
            conn = self._store.conn
            found = conn.execute("SELECT id, name FROM tags WHERE name = ?", [tag]).fetchone()
            if found is None:
                return []
            tag_id, name = found
            for mention_id in dict.fromkeys(mention_ids):
                cursor = conn.execute(
                    "DELETE FROM mention_tags WHERE mention_id = ? AND tag_id = ?",
                    [mention_id, tag_id],
                )
                if cursor.rowcount:
                    self._record(mention_id, actor, "tag", name, None, when)
                    changed.append(mention_id)
        return changed

    def add_note(self, mention_id: int, body: str, *, actor: str, at: datetime) -> Note:
        when = to_timestamp(at)
        with self._store.write():
            note_uuid = str(uuid.uuid4())
            cursor = self._store.conn.execute(
                "INSERT INTO notes (mention_id, author, body, created_at, uuid)"
                " SELECT id, ?, ?, ?, ? FROM mentions WHERE id = ?",
                [actor, body, when, note_uuid, mention_id],
            )
            if not cursor.rowcount or cursor.lastrowid is None:
                raise KeyError(mention_id)
            self._record(mention_id, actor, "note", None, body, when, note_uuid=note_uuid)
        return Note(cursor.lastrowid, mention_id, actor, body, from_timestamp(when))

    def restore(self, states: Iterable[TriageState], *, actor: str, at: datetime) -> list[int]:
        """Put mentions back as `states` recorded them (undo); the history records it too."""
        changed: set[int] = set()
        with self._store.write():
            for state in states:
                now = self.states([state.mention_id]).get(state.mention_id)
                if now is None:
                    continue
                for field in FIELDS:
                    if now.value_of(field) != state.value_of(field):
                        value: str | int | None = state.value_of(field)
                        if field == "priority":
                            value = state.priority
                        self.set_field([state.mention_id], field, value, actor=actor, at=at)
                        changed.add(state.mention_id)
                for tag in set(now.tags) - set(state.tags):
                    changed.update(self.remove_tag([state.mention_id], tag, actor=actor, at=at))
                for tag in set(state.tags) - set(now.tags):
                    changed.update(self.add_tag([state.mention_id], tag, actor=actor, at=at))
        return sorted(changed)

    def _record(
        self,
        mention_id: int,
        actor: str,
        field: str,
        old: str | None,
        new: str | None,
        when: str,
        *,
        note_uuid: str | None = None,
    ) -> None:
        row_uuid = str(uuid.uuid4())
        self._store.conn.execute(
            "INSERT INTO triage_events (mention_id, actor, field, old_value, new_value, at, uuid)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [mention_id, actor, field, old, new, when, row_uuid],
        )
        if self.journal is not None:
            self.journal.recorded(
                TriageRecord(mention_id, actor, field, old, new, when, row_uuid, note_uuid)
            )
