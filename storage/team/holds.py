"""Replies held because a teammate holds the mention's reply claim, and the agent's decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.outbox import OutboxRepository
from storage.records import OutboxItem, from_timestamp, to_timestamp
from storage.store import Store

SEND_ANYWAY = "send_anyway"
WITHOUT_CLAIM = "without_claim"


@dataclass(frozen=True, slots=True)
class ReplyHold:
    outbox_id: int
    holder_actor: str  # "" when the hold is only a decision (send without claim)
    holder_user: str
    claimed_at: datetime | None
    held_at: datetime
    decision: str | None  # None: waiting for the agent; send_anyway; without_claim

    @property
    def waiting_for_agent(self) -> bool:
        return self.decision is None and bool(self.holder_actor)


class ReplyHoldRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, outbox_id: int) -> ReplyHold | None:
        with self._store.guard():
            row = self._store.conn.execute(
                "SELECT outbox_id, holder_actor, holder_user, claimed_at, held_at, decision"
                " FROM team_reply_holds WHERE outbox_id = ?",
                [outbox_id],
            ).fetchone()
        if row is None:
            return None
        return ReplyHold(
            int(row[0]),
            row[1],
            row[2],
            None if row[3] is None else from_timestamp(row[3]),
            from_timestamp(row[4]),
            row[5],
        )

    def all_waiting(self) -> list[ReplyHold]:
        with self._store.guard():
            ids = [
                int(r[0])
                for r in self._store.conn.execute(
                    "SELECT outbox_id FROM team_reply_holds WHERE decision IS NULL"
                    " AND holder_actor != '' ORDER BY held_at"
                )
            ]
        return [hold for hold in map(self.get, ids) if hold is not None]

    def hold(
        self, outbox_id: int, actor: str, user: str, claimed_at: datetime | None, at: datetime
    ) -> None:
        with self._store.write() as db:
            db.execute(
                "INSERT INTO team_reply_holds (outbox_id, holder_actor, holder_user, claimed_at,"
                " held_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (outbox_id) DO UPDATE SET"
                " holder_actor = excluded.holder_actor, holder_user = excluded.holder_user,"
                " claimed_at = excluded.claimed_at, held_at = excluded.held_at, decision = NULL",
                [
                    outbox_id,
                    actor,
                    user,
                    None if claimed_at is None else to_timestamp(claimed_at),
                    to_timestamp(at),
                ],
            )

    def decide(self, outbox_id: int, decision: str, at: datetime) -> None:
        if decision not in (SEND_ANYWAY, WITHOUT_CLAIM):
            raise ValueError(f"not a decision: {decision!r}")
        with self._store.write() as db:
            db.execute(
                "INSERT INTO team_reply_holds (outbox_id, held_at, decision, decided_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (outbox_id) DO UPDATE SET"
                " decision = excluded.decision, decided_at = excluded.decided_at",
                [outbox_id, to_timestamp(at), decision, to_timestamp(at)],
            )

    def take_out(self, outbox_id: int) -> OutboxItem | None:
        """Remove a reply that is still queued from the outbox (its hold goes with it)."""
        with self._store.write() as db:
            row = db.execute("SELECT state FROM outbox WHERE id = ?", [outbox_id]).fetchone()
            if row is None or row[0] != "queued":
                return None
            item = OutboxRepository(self._store).get(outbox_id)
            db.execute("DELETE FROM team_reply_holds WHERE outbox_id = ?", [outbox_id])
            db.execute("DELETE FROM outbox WHERE id = ?", [outbox_id])
        return item

    def clear(self, outbox_id: int) -> None:
        with self._store.write() as db:
            db.execute("DELETE FROM team_reply_holds WHERE outbox_id = ?", [outbox_id])
