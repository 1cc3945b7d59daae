"""The team's shared state in the local store, by natural key, and its projection onto mentions.

The team tables hold what the stream says (each field's value and version, each tag's adds,
every event, every conflict) whether or not this laptop has fetched the mention yet; the
projection writes it into the mention row, its tags, its notes and its triage history once
the mention is here. Callers (app.team.apply) decide the merge; this module only reads and
writes, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.identity import MentionKey, NaturalKeys
from storage.records import Network, from_timestamp, to_timestamp
from storage.store import Store

# The mention columns a teammate's triage may set (a fixed set, never from the wire).
MENTION_FIELDS = ("status", "assignee", "priority", "snoozed_until")
_NETWORKS = {network.value for network in Network}


@dataclass(frozen=True, slots=True)
class FieldVersion:
    value: str | None
    version: str  # the UUID of the event that set it
    actor: str
    at: datetime
    seq: int


@dataclass(frozen=True, slots=True)
class Conflict:
    """A change that was not applied: someone else had changed the field first."""

    uuid: str  # the event that was not applied
    mkey: str
    field: str
    mine_value: str | None
    mine_actor: str
    mine_user: str
    mine_at: datetime
    theirs_value: str | None
    theirs_actor: str
    theirs_at: datetime
    seq: int
    resolved: bool


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    uuid: str
    event_type: str
    mkey: str | None
    actor: str
    user: str
    at: datetime
    payload: bytes
    outcome: str
    own: bool


class TeamStateRepository:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._keys = NaturalKeys(store)
        # Mentions found once keep their row id (a catch-up names the same ones many times).
        self._found: dict[str, int] = {}

    @property
    def conn(self):  # type: ignore[no-untyped-def]  # sqlite3.Connection
        return self._store.conn

    # --- natural keys ----------------------------------------------------------------------

    def remember_mention(
        self, mkey: str, network: str, server: str, account: str, platform_id: str
    ) -> None:
        self.conn.execute(
            "INSERT INTO team_mentions (mkey, network, server, account, platform_id)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [mkey, network, server, account, platform_id],
        )

    def local_mention(self, mkey: str) -> int | None:
        """This store's row id of the mention the team calls `mkey`, if it has fetched it."""
        if mkey in self._found:
            return self._found[mkey]
        row = self.conn.execute(
            "SELECT network, server, account, platform_id FROM team_mentions WHERE mkey = ?",
            [mkey],
        ).fetchone()
        if row is None or row[0] not in _NETWORKS:
            return None
        found = self._keys.mention_for(MentionKey(Network(row[0]), row[1], row[2], row[3]))
        if found is not None:
            self._found[mkey] = found
        return found

    # --- fields ----------------------------------------------------------------------------

    def field(self, mkey: str, field: str) -> FieldVersion | None:
        row = self.conn.execute(
            "SELECT value, version, actor, at, seq FROM team_fields WHERE mkey = ? AND field = ?",
            [mkey, field],
        ).fetchone()
        if row is None:
            return None
        return FieldVersion(row[0], row[1], row[2], from_timestamp(row[3]), int(row[4]))

    def fields_of(self, mkey: str) -> dict[str, FieldVersion]:
        rows = self.conn.execute(
            "SELECT field, value, version, actor, at, seq FROM team_fields WHERE mkey = ?", [mkey]
        ).fetchall()
        return {r[0]: FieldVersion(r[1], r[2], r[3], from_timestamp(r[4]), int(r[5])) for r in rows}

    def put_field(
        self, mkey: str, field: str, value: str | None, version: str, actor: str, at: str, seq: int
    ) -> None:
        self.conn.execute(
            "INSERT INTO team_fields (mkey, field, value, version, actor, at, seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mkey, field) DO UPDATE SET"
            " value = excluded.value, version = excluded.version, actor = excluded.actor,"
            " at = excluded.at, seq = excluded.seq",
            [mkey, field, value, version, actor, at, seq],
        )

    # --- events ----------------------------------------------------------------------------

    def has_event(self, uuid: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM team_events WHERE uuid = ?", [uuid]).fetchone()
        return row is not None

    def record_event(
        self,
        *,
        seq: int,
        uuid: str,
        event_type: str,
        mkey: str | None,
        actor: str,
        user: str,
        at: str,
        payload: bytes,
        outcome: str,
        own: bool,
        projected: bool,
    ) -> None:
        self.conn.execute(
            "INSERT INTO team_events (seq, uuid, event_type, mkey, actor, user, at, payload,"
            " outcome, own, projected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [seq, uuid, event_type, mkey, actor, user, at, payload, outcome, own, projected],
        )

    def unprojected_mentions(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT mkey FROM team_events WHERE projected = 0 AND mkey IS NOT NULL"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def unprojected_events(self, mkey: str) -> list[StoredEvent]:
        rows = self.conn.execute(
            "SELECT seq, uuid, event_type, mkey, actor, user, at, payload, outcome, own"
            " FROM team_events WHERE mkey = ? AND projected = 0 ORDER BY seq",
            [mkey],
        ).fetchall()
        return [_event(row) for row in rows]

    def mark_projected(self, mkey: str) -> None:
        self.conn.execute(
            "UPDATE team_events SET projected = 1 WHERE mkey = ? AND projected = 0", [mkey]
        )

    def events_of(self, mkey: str) -> list[StoredEvent]:
        rows = self.conn.execute(
            "SELECT seq, uuid, event_type, mkey, actor, user, at, payload, outcome, own"
            " FROM team_events WHERE mkey = ? ORDER BY seq",
            [mkey],
        ).fetchall()
        return [_event(row) for row in rows]

    def event_count(self) -> int:
        with self._store.guard():
            return int(self.conn.execute("SELECT count(*) FROM team_events").fetchone()[0])

    # --- conflicts -------------------------------------------------------------------------

    def record_conflict(self, conflict: Conflict) -> None:
        self.conn.execute(
            "INSERT INTO team_conflicts (uuid, mkey, field, mine_value, mine_actor, mine_user,"
            " mine_at, theirs_value, theirs_actor, theirs_at, seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                conflict.uuid,
                conflict.mkey,
                conflict.field,
                conflict.mine_value,
                conflict.mine_actor,
                conflict.mine_user,
                to_timestamp(conflict.mine_at),
                conflict.theirs_value,
                conflict.theirs_actor,
                to_timestamp(conflict.theirs_at),
                conflict.seq,
            ],
        )

    def conflicts_for(self, mkey: str) -> list[Conflict]:
        with self._store.guard():
            rows = self.conn.execute(
                "SELECT uuid, mkey, field, mine_value, mine_actor, mine_user, mine_at,"
                " theirs_value, theirs_actor, theirs_at, seq, resolved_at FROM team_conflicts"
                " WHERE mkey = ? ORDER BY seq",
                [mkey],
            ).fetchall()
        return [_conflict(row) for row in rows]

    def conflict(self, uuid: str) -> Conflict | None:
        row = self.conn.execute(
            "SELECT uuid, mkey, field, mine_value, mine_actor, mine_user, mine_at,"
            " theirs_value, theirs_actor, theirs_at, seq, resolved_at FROM team_conflicts"
            " WHERE uuid = ?",
            [uuid],
        ).fetchone()
        return None if row is None else _conflict(row)

    def resolve_conflict(self, uuid: str, at: datetime) -> None:
        self.conn.execute(
            "UPDATE team_conflicts SET resolved_at = ? WHERE uuid = ? AND resolved_at IS NULL",
            [to_timestamp(at), uuid],
        )

    # --- tags (an observed-remove set: adds and removes commute) ----------------------------

    def tag_add(self, add_id: str, mkey: str, tag: str) -> None:
        self.conn.execute(
            "INSERT INTO team_tags (add_id, mkey, tag, removed) VALUES (?, ?, ?,"
            " EXISTS (SELECT 1 FROM team_tag_tombstones WHERE add_id = ?)) ON CONFLICT DO NOTHING",
            [add_id, mkey, tag, add_id],
        )

    def tag_remove(self, removes: Iterable[str]) -> None:
        for add_id in removes:
            self.conn.execute("UPDATE team_tags SET removed = 1 WHERE add_id = ?", [add_id])
            self.conn.execute(
                "INSERT INTO team_tag_tombstones (add_id) VALUES (?) ON CONFLICT DO NOTHING",
                [add_id],
            )

    def live_adds(self, mkey: str, tag: str) -> list[str]:
        """The adds of `tag` on the mention that no remove has observed yet."""
        rows = self.conn.execute(
            "SELECT add_id FROM team_tags WHERE mkey = ? AND tag = ? AND removed = 0",
            [mkey, tag],
        ).fetchall()
        return [str(r[0]) for r in rows]

    def team_tags(self, mkey: str) -> dict[str, bool]:
        """Each tag the team has touched on the mention: whether it is on it now."""
        rows = self.conn.execute(
            "SELECT tag, max(removed = 0) FROM team_tags WHERE mkey = ? GROUP BY tag", [mkey]
        ).fetchall()
        return {str(r[0]): bool(r[1]) for r in rows}

    # --- rejected messages -----------------------------------------------------------------

    def record_rejected(self, seq: int, subject: str, reason: str, size: int, at: datetime) -> None:
        self.conn.execute(
            "INSERT INTO team_rejected (seq, subject, reason, size, received_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [seq, subject[:300], reason[:500], size, to_timestamp(at)],
        )

    def rejected(self) -> list[tuple[int, str, str]]:
        with self._store.guard():
            rows = self.conn.execute(
                "SELECT seq, subject, reason FROM team_rejected ORDER BY seq"
            ).fetchall()
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    # --- the projection onto this laptop's mention -----------------------------------------

    def mention_field(self, mention_id: int, field: str) -> str | None:
        if field not in MENTION_FIELDS:
            raise ValueError(f"not a triage field: {field!r}")
        row = self.conn.execute(
            f"SELECT {field} FROM mentions WHERE id = ?", [mention_id]
        ).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def set_mention_field(self, mention_id: int, field: str, value: str | None) -> bool:
        """Write a field as the team has it; True if the row changed."""
        if self.mention_field(mention_id, field) == value:
            return False
        stored: str | int | None = value
        if field == "priority":
            stored = int(value or 0)
        self.conn.execute(f"UPDATE mentions SET {field} = ? WHERE id = ?", [stored, mention_id])
        return True

    def history(
        self,
        mention_id: int,
        actor: str,
        field: str,
        old: str | None,
        new: str | None,
        at: str,
        uuid: str,
    ) -> None:
        """One row of the mention's triage history, filed under the event's UUID."""
        self.conn.execute(
            "INSERT INTO triage_events (mention_id, actor, field, old_value, new_value, at, uuid)"
            " SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS"
            " (SELECT 1 FROM triage_events WHERE uuid = ?)",
            [mention_id, actor, field, old, new, at, uuid, uuid],
        )

    def mention_tags(self, mention_id: int) -> set[str]:
        rows = self.conn.execute(
            "SELECT t.name FROM mention_tags AS mt JOIN tags AS t ON t.id = mt.tag_id"
            " WHERE mt.mention_id = ?",
            [mention_id],
        ).fetchall()
        return {str(r[0]) for r in rows}

    def set_mention_tag(self, mention_id: int, tag: str, present: bool) -> bool:
        """Put the tag on the mention or take it off; True if that changed anything."""
        conn = self.conn
        if present:
            conn.execute("INSERT INTO tags (name) VALUES (?) ON CONFLICT DO NOTHING", [tag])
            cursor = conn.execute(
                "INSERT INTO mention_tags (mention_id, tag_id) SELECT ?, id FROM tags"
                " WHERE name = ? ON CONFLICT DO NOTHING",
                [mention_id, tag],
            )
        else:
            cursor = conn.execute(
                "DELETE FROM mention_tags WHERE mention_id = ? AND tag_id ="
                " (SELECT id FROM tags WHERE name = ?)",
                [mention_id, tag],
            )
        return bool(cursor.rowcount > 0)

    def add_note(self, mention_id: int, uuid: str, author: str, body: str, at: str) -> bool:
        cursor = self.conn.execute(
            "INSERT INTO notes (mention_id, author, body, created_at, uuid)"
            " SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM notes WHERE uuid = ?)",
            [mention_id, author, body, at, uuid, uuid],
        )
        return bool(cursor.rowcount > 0)


def _event(row: tuple[object, ...]) -> StoredEvent:
    return StoredEvent(
        seq=int(row[0]),  # type: ignore[call-overload]
        uuid=str(row[1]),
        event_type=str(row[2]),
        mkey=None if row[3] is None else str(row[3]),
        actor=str(row[4]),
        user=str(row[5]),
        at=from_timestamp(str(row[6])),
        payload=bytes(row[7]),  # type: ignore[call-overload]
        outcome=str(row[8]),
        own=bool(row[9]),
    )


def _conflict(row: tuple[object, ...]) -> Conflict:
    return Conflict(
        uuid=str(row[0]),
        mkey=str(row[1]),
        field=str(row[2]),
        mine_value=None if row[3] is None else str(row[3]),
        mine_actor=str(row[4]),
        mine_user=str(row[5]),
        mine_at=from_timestamp(str(row[6])),
        theirs_value=None if row[7] is None else str(row[7]),
        theirs_actor=str(row[8]),
        theirs_at=from_timestamp(str(row[9])),
        seq=int(row[10]),  # type: ignore[call-overload]
        resolved=row[11] is not None,
    )
