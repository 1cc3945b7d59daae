"""Which team this workspace belongs to, how far it has read the team's stream, last exchange."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.records import from_timestamp, to_timestamp
from storage.store import Store


@dataclass(frozen=True, slots=True)
class Membership:
    server: str  # nats://host:4222 or tls://host:4222
    team: str
    user: str
    joined_at: datetime
    applied_seq: int  # the last stream sequence whose event is in this store
    last_exchange_at: datetime | None  # the last time the server answered
    last_error: str  # why the last attempt failed ('' when it did not)


class MembershipRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self) -> Membership | None:
        with self._store.guard():
            row = self._store.conn.execute(
                "SELECT server, team, user, joined_at, applied_seq, last_exchange_at, last_error"
                " FROM team_membership WHERE id = 1"
            ).fetchone()
        if row is None:
            return None
        return Membership(
            server=row[0],
            team=row[1],
            user=row[2],
            joined_at=from_timestamp(row[3]),
            applied_seq=int(row[4]),
            last_exchange_at=None if row[5] is None else from_timestamp(row[5]),
            last_error=row[6],
        )

    def join(self, server: str, team: str, user: str, at: datetime) -> Membership:
        """Join (or re-join) a team. Joining another team or server starts its state afresh:
        what this store knew of the old team is not the new team's."""
        with self._store.write() as db:
            old = self.get()
            same = old is not None and (old.server, old.team) == (server, team)
            if not same:
                for table in (
                    "team_outbox",
                    "team_mentions",
                    "team_fields",
                    "team_tags",
                    "team_tag_tombstones",
                    "team_events",
                    "team_conflicts",
                    "team_rejected",
                ):
                    db.execute(f"DELETE FROM {table}")
            db.execute(
                "INSERT INTO team_membership (id, server, team, user, joined_at, applied_seq)"
                " VALUES (1, ?, ?, ?, ?, 0) ON CONFLICT (id) DO UPDATE SET"
                " server = excluded.server, team = excluded.team, user = excluded.user,"
                " last_error = '',"
                " applied_seq = CASE WHEN ? THEN applied_seq ELSE 0 END,"
                " joined_at = CASE WHEN ? THEN joined_at ELSE excluded.joined_at END",
                [server, team, user, to_timestamp(at), same, same],
            )
        membership = self.get()
        assert membership is not None
        return membership

    def leave(self) -> None:
        with self._store.write() as db:
            db.execute("DELETE FROM team_membership")

    def set_applied(self, seq: int) -> None:
        """Inside the transaction that applied the events up to `seq`."""
        self._store.conn.execute(
            "UPDATE team_membership SET applied_seq = max(applied_seq, ?) WHERE id = 1", [seq]
        )

    def note_exchange(self, at: datetime, error: str = "") -> None:
        """The server answered at `at` (error ''), or the attempt at `at` failed (why)."""
        with self._store.write() as db:
            if error:
                db.execute("UPDATE team_membership SET last_error = ? WHERE id = 1", [error])
            else:
                db.execute(
                    "UPDATE team_membership SET last_exchange_at = ?, last_error = '' WHERE id = 1",
                    [to_timestamp(at)],
                )
