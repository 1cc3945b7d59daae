"""The durable outbox: replies waiting to be sent, and what became of each."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from storage.records import OutboxItem, OutboxState, from_timestamp, to_timestamp, utc_now
from storage.store import Store

# A claim older than this was left by a sender that died: longer than any request takes.
CLAIM_EXPIRES = timedelta(minutes=5)

_OUTBOX_COLUMNS = (
    "id, account_id, mention_id, kind, body, idempotency_key, state, attempts, next_attempt_at,"
    " last_error, platform_id, url, created_at, sent_at"
)


class OutboxRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def queue(
        self, account_id: int, mention_id: int | None, kind: str, body: str, idempotency_key: str
    ) -> OutboxItem:
        with self._store.write() as db:
            cursor = db.execute(
                "INSERT INTO outbox (account_id, mention_id, kind, body, idempotency_key,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [account_id, mention_id, kind, body, idempotency_key, to_timestamp(utc_now())],
            )
        assert cursor.lastrowid is not None
        return self.get(cursor.lastrowid)

    def get(self, item_id: int) -> OutboxItem:
        rows = list(
            self._store.db.query(f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE id = ?", [item_id])
        )
        if not rows:
            raise KeyError(item_id)
        return _item(rows[0])

    def all(self) -> list[OutboxItem]:
        return [
            _item(row)
            for row in self._store.db.query(f"SELECT {_OUTBOX_COLUMNS} FROM outbox ORDER BY id")
        ]

    def due(self, account_id: int, now: datetime) -> list[OutboxItem]:
        """Replies to send now, oldest first, including attempts cut short by a crash
        (claimed long ago, never finished): those go again with the same idempotency key."""
        return [
            _item(row)
            for row in self._store.db.query(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE account_id = ? AND ("
                " (state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= ?))"
                " OR (state = 'sending' AND claimed_at <= ?)) ORDER BY id",
                [account_id, to_timestamp(now), to_timestamp(now - CLAIM_EXPIRES)],
            )
        ]

    def release_abandoned(self, account_id: int) -> int:
        """Replies left "sending" by a sender that is gone (killed mid-send, or failed between
        claim and outcome) go back in the queue. Only the holder of the account's sync lease
        sends, so when a new lease begins every such claim is abandoned; the retry reuses the
        idempotency key, so a post that did reach the network is not doubled."""
        with self._store.write() as db:
            cursor = db.execute(
                "UPDATE outbox SET state = 'queued', claimed_at = NULL, next_attempt_at = NULL"
                " WHERE account_id = ? AND state = 'sending'",
                [account_id],
            )
        return cursor.rowcount

    def claim(self, item_id: int, now: datetime) -> bool:
        """Take a reply for sending. Only one sender (thread or process) wins the claim, so
        two syncs running at once never post it twice."""
        with self._store.write() as db:
            cursor = db.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_at = ?"
                " WHERE id = ? AND (state = 'queued' OR (state = 'sending' AND claimed_at <= ?))",
                [to_timestamp(now), item_id, to_timestamp(now - CLAIM_EXPIRES)],
            )
        return cursor.rowcount == 1

    def mark_sent(self, item_id: int, platform_id: str, url: str | None) -> None:
        with self._store.write() as db:
            db.execute(
                "UPDATE outbox SET state = 'sent', platform_id = ?, url = ?, sent_at = ?,"
                " last_error = NULL WHERE id = ?",
                [platform_id, url, to_timestamp(utc_now()), item_id],
            )

    def mark_retry(self, item_id: int, error: str, next_attempt_at: datetime) -> None:
        with self._store.write() as db:
            db.execute(
                "UPDATE outbox SET state = 'queued', last_error = ?, next_attempt_at = ?"
                " WHERE id = ?",
                [error, to_timestamp(next_attempt_at), item_id],
            )

    def mark_failed(self, item_id: int, error: str) -> None:
        with self._store.write() as db:
            db.execute(
                "UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?", [error, item_id]
            )

    def transaction(self) -> contextlib.AbstractContextManager[object]:
        """Several outbox and draft changes that must commit together."""
        return self._store.write()

    def retry(self, item_id: int) -> bool:
        """Queue a failed reply again, to go at the next sync; False if it was not failed."""
        with self._store.write() as db:
            cursor = db.execute(
                "UPDATE outbox SET state = 'queued', next_attempt_at = NULL, claimed_at = NULL"
                " WHERE id = ? AND state = 'failed'",
                [item_id],
            )
        return cursor.rowcount == 1

    def take_back(self, item_id: int) -> OutboxItem | None:
        """Remove a failed reply from the outbox (its text goes back to the editor); None
        when it is no longer failed (sent or queued again meanwhile)."""
        with self._store.write() as db:
            item = self.get(item_id)
            if item.state is not OutboxState.FAILED:
                return None
            db.execute("DELETE FROM outbox WHERE id = ?", [item_id])
        return item

    def latest_for_mention(self, mention_id: int) -> OutboxItem | None:
        rows = list(
            self._store.db.query(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE mention_id = ?"
                " ORDER BY id DESC LIMIT 1",
                [mention_id],
            )
        )
        return _item(rows[0]) if rows else None

    def count_waiting(self) -> int:
        """Replies not sent yet and not given up on: what the status bar calls queued."""
        row = self._store.conn.execute(
            "SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending')"
        ).fetchone()
        return int(row[0])


def _item(row: dict[str, Any]) -> OutboxItem:
    def time(name: str) -> datetime | None:
        return None if row[name] is None else from_timestamp(row[name])

    return OutboxItem(
        id=row["id"],
        account_id=row["account_id"],
        mention_id=row["mention_id"],
        kind=row["kind"],
        body=row["body"],
        idempotency_key=row["idempotency_key"],
        state=OutboxState(row["state"]),
        attempts=row["attempts"],
        next_attempt_at=time("next_attempt_at"),
        last_error=row["last_error"],
        platform_id=row["platform_id"],
        url=row["url"],
        created_at=from_timestamp(row["created_at"]),
        sent_at=time("sent_at"),
    )
