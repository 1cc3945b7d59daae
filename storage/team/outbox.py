"""The team outbox: changes made on this laptop, in order, until the team's stream has them.

A row is written in the same transaction as the change it describes, so a change can never
exist here without its event, nor the other way round. It is `waiting` until the server
acknowledges it (then `published`, with its stream sequence), and it leaves the table when
its event comes back through the stream and is applied. Publishing again a row whose
acknowledgement was lost (a crash, a cut connection) is safe: the event's UUID is its
JetStream message id, and the applier ignores an event it has already applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.records import from_timestamp, to_timestamp
from storage.store import Store


@dataclass(frozen=True, slots=True)
class OutgoingEvent:
    id: int  # publishing order
    uuid: str
    event_type: str
    payload: bytes
    state: str  # waiting, published
    created_at: datetime


class TeamOutboxRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(
        self, uuid: str, event_type: str, payload: bytes, target: str | None, at: datetime
    ) -> None:
        """Inside the transaction of the change itself (callers hold `store.write()`)."""
        self._store.conn.execute(
            "INSERT INTO team_outbox (uuid, event_type, payload, target, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [uuid, event_type, payload, target, to_timestamp(at)],
        )

    def to_publish(self, limit: int = 500, after_id: int = 0) -> list[OutgoingEvent]:
        """Events not yet acknowledged, oldest first."""
        with self._store.guard():
            rows = self._store.conn.execute(
                "SELECT id, uuid, event_type, payload, state, created_at FROM team_outbox"
                " WHERE state = 'waiting' AND id > ? ORDER BY id LIMIT ?",
                [after_id, limit],
            ).fetchall()
        return [
            OutgoingEvent(int(r[0]), r[1], r[2], bytes(r[3]), r[4], from_timestamp(r[5]))
            for r in rows
        ]

    def mark_published(self, acknowledged: list[tuple[str, int]], at: datetime) -> None:
        """The server has these (uuid, stream sequence): one transaction for the batch."""
        if not acknowledged:
            return
        with self._store.write():
            self._store.conn.executemany(
                "UPDATE team_outbox SET state = 'published', seq = ?, published_at = ?"
                " WHERE uuid = ? AND state = 'waiting'",
                [(seq, to_timestamp(at), uuid) for uuid, seq in acknowledged],
            )

    def received(self, uuid: str) -> bool:
        """The event came back through the stream: it leaves the outbox. True if it was ours."""
        cursor = self._store.conn.execute("DELETE FROM team_outbox WHERE uuid = ?", [uuid])
        return cursor.rowcount > 0

    def latest_for(self, target: str) -> str | None:
        """The newest event of ours on `target` (a mention's field) the stream has not
        brought back yet: the version our next change on it is written against."""
        row = self._store.conn.execute(
            "SELECT uuid FROM team_outbox WHERE target = ? ORDER BY id DESC LIMIT 1", [target]
        ).fetchone()
        return None if row is None else str(row[0])

    def has_pending(self, target: str) -> bool:
        row = self._store.conn.execute(
            "SELECT 1 FROM team_outbox WHERE target = ? LIMIT 1", [target]
        ).fetchone()
        return row is not None

    def count_waiting(self) -> int:
        """Changes the team's server does not have yet (what "N changes waiting" says)."""
        with self._store.guard():
            row = self._store.conn.execute(
                "SELECT count(*) FROM team_outbox WHERE state = 'waiting'"
            ).fetchone()
        return int(row[0])

    def count_unconfirmed(self) -> int:
        """Changes of ours not yet back through the stream (published or not)."""
        with self._store.guard():
            row = self._store.conn.execute("SELECT count(*) FROM team_outbox").fetchone()
        return int(row[0])
