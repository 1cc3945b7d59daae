"""Triage state in the local store: status, assignee, priority, snooze, tags, notes, history.

Every change writes one triage_events row (who, which field, old and new value, when) in the
same transaction as the change itself, so the history can never disagree with the state.
Undo works from those rows: it reverts exactly the fields a change set, where they still hold
the value it set, and leaves alone what someone (another window, the command line) changed
since.
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
class TriageWrite:
    """What one write did: the mentions whose triage changed, and the history rows that
    record it (an undo reverts exactly those)."""

    mention_ids: list[int]
    event_ids: list[int]


@dataclass(frozen=True, slots=True)
class TriageRevert:
    """What an undo did: what it reverted, and the changes it left alone because the field
    holds another value by now (the event, and the value found)."""

    write: TriageWrite
    kept: list[tuple[TriageEvent, str | None]]


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
        return [_event(row) for row in rows]

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
    ) -> TriageWrite:
        """Set one triage field on several mentions; says which ones' value changed."""
        if field not in FIELDS:
            raise ValueError(f"not a triage field: {field!r}")
        stored = None if value is None else str(value)
        when = to_timestamp(at)
        changed: list[int] = []
        events: list[int] = []
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
                events.append(self._record(mention_id, actor, field, old, stored, when))
                changed.append(mention_id)
        return TriageWrite(changed, events)

    def add_tag(
        self, mention_ids: Sequence[int], tag: str, *, actor: str, at: datetime
    ) -> TriageWrite:
        when = to_timestamp(at)
        changed: list[int] = []
        events: list[int] = []
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
                    events.append(self._record(mention_id, actor, "tag", None, name, when))
                    changed.append(mention_id)
        return TriageWrite(changed, events)

    def remove_tag(
        self, mention_ids: Sequence[int], tag: str, *, actor: str, at: datetime
    ) -> TriageWrite:
        when = to_timestamp(at)
        changed: list[int] = []
        events: list[int] = []
        with self._store.write():
            conn = self._store.conn
            found = conn.execute("SELECT id, name FROM tags WHERE name = ?", [tag]).fetchone()
            if found is None:
                return TriageWrite([], [])
            tag_id, name = found
            for mention_id in dict.fromkeys(mention_ids):
                cursor = conn.execute(
                    "DELETE FROM mention_tags WHERE mention_id = ? AND tag_id = ?",
                    [mention_id, tag_id],
                )
                if cursor.rowcount:
                    events.append(self._record(mention_id, actor, "tag", name, None, when))
                    changed.append(mention_id)
        return TriageWrite(changed, events)

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

    def revert(self, event_ids: Iterable[int], *, actor: str, at: datetime) -> TriageRevert:
        """Undo the changes those history rows record, newest first, in one transaction: a
        field goes back to its old value only where it still holds the value the change
        set; where someone changed it since, it is left as it is and reported. A tag added
        is removed (if still there), a tag removed is put back (if still missing). The undo
        is recorded in the history like any change."""
        wanted = sorted(set(event_ids), reverse=True)
        when = to_timestamp(at)
        changed: list[int] = []
        events: list[int] = []
        kept: list[tuple[TriageEvent, str | None]] = []
        with self._store.write():
            conn = self._store.conn
            for start in range(0, len(wanted), _ID_BATCH):
                batch = wanted[start : start + _ID_BATCH]
                marks = ", ".join("?" * len(batch))
                rows = conn.execute(
                    "SELECT id, mention_id, actor, field, old_value, new_value, at"
                    f" FROM triage_events WHERE id IN ({marks}) ORDER BY id DESC",
                    batch,
                ).fetchall()
                for event in map(_event, rows):
                    reverted: int | None = None  # notes are permanent: never reverted
                    if event.field == "tag":
                        reverted = self._revert_tag(event, actor, when)
                    elif event.field in FIELDS:
                        outcome = self._revert_field(event, actor, when)
                        reverted = outcome.event_id
                        if outcome.changed_since:
                            kept.append((event, outcome.found))
                    if reverted is not None:
                        events.append(reverted)
                        if event.mention_id not in changed:
                            changed.append(event.mention_id)
        return TriageRevert(TriageWrite(changed, events), kept)

    def _revert_field(self, event: TriageEvent, actor: str, when: str) -> _FieldRevert:
        field = event.field
        if field not in FIELDS:  # never built from anything but the fixed set
            raise ValueError(f"not a triage field: {field!r}")
        row = self._store.conn.execute(
            f"SELECT {field} FROM mentions WHERE id = ?", [event.mention_id]
        ).fetchone()
        if row is None:
            return _FieldRevert(None, False, None)  # the mention is gone: nothing to undo
        found = None if row[0] is None else str(row[0])
        if found == event.old_value:
            return _FieldRevert(None, False, found)  # someone put it back already
        if found != event.new_value:
            return _FieldRevert(None, True, found)  # changed since: theirs stays
        value: str | int | None = event.old_value
        if field == "priority":
            value = int(event.old_value or 0)
        self._store.conn.execute(
            f"UPDATE mentions SET {field} = ? WHERE id = ?", [value, event.mention_id]
        )
        event_id = self._record(event.mention_id, actor, field, found, event.old_value, when)
        return _FieldRevert(event_id, False, found)

    def _revert_tag(self, event: TriageEvent, actor: str, when: str) -> int | None:
        conn = self._store.conn
        name = event.new_value if event.new_value is not None else event.old_value
        if name is None:
            return None
        if event.new_value is not None:  # it was added: take it off, if it is still on
            cursor = conn.execute(
                "DELETE FROM mention_tags WHERE mention_id = ?"
                " AND tag_id = (SELECT id FROM tags WHERE name = ?)",
                [event.mention_id, name],
            )
            if not cursor.rowcount:
                return None
            return self._record(event.mention_id, actor, "tag", name, None, when)
        conn.execute("INSERT INTO tags (name) VALUES (?) ON CONFLICT DO NOTHING", [name])
        cursor = conn.execute(
            "INSERT INTO mention_tags (mention_id, tag_id)"
            " SELECT m.id, t.id FROM mentions AS m, tags AS t WHERE m.id = ? AND t.name = ?"
            " ON CONFLICT DO NOTHING",
            [event.mention_id, name],
        )
        if not cursor.rowcount:
            return None
        return self._record(event.mention_id, actor, "tag", None, name, when)

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
    ) -> int:
        row_uuid = str(uuid.uuid4())
        cursor = self._store.conn.execute(
            "INSERT INTO triage_events (mention_id, actor, field, old_value, new_value, at, uuid)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [mention_id, actor, field, old, new, when, row_uuid],
        )
        assert cursor.lastrowid is not None
        if self.journal is not None:
            self.journal.recorded(
                TriageRecord(mention_id, actor, field, old, new, when, row_uuid, note_uuid)
            )
        return cursor.lastrowid


@dataclass(frozen=True, slots=True)
class _FieldRevert:
    event_id: int | None  # the undo's own history row, when the field was put back
    changed_since: bool  # it holds neither value: someone else's change, left alone
    found: str | None  # the value it held


def _event(row: Sequence[object]) -> TriageEvent:
    mention_id, event_id = row[1], row[0]
    assert isinstance(event_id, int)
    assert isinstance(mention_id, int)
    return TriageEvent(
        event_id,
        mention_id,
        str(row[2]),
        str(row[3]),
        None if row[4] is None else str(row[4]),
        None if row[5] is None else str(row[5]),
        from_timestamp(str(row[6])),
    )
