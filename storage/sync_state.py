"""Where each account's sync got to (cursors), and the durable outbox of replies to send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.records import OutboxItem, OutboxState, from_timestamp, to_timestamp, utc_now
from storage.store import Store


class CursorRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, account_id: int, stream: str) -> str | None:
        row = self._store.conn.execute(
            "SELECT cursor FROM sync_cursors WHERE account_id = ? AND stream = ?",
            [account_id, stream],
        ).fetchone()
        return None if row is None else str(row[0])

    def put(self, account_id: int, stream: str, cursor: str) -> None:
        """Call inside the transaction that stored the page: the two commit together."""
        with self._store.write() as db:
            db.execute(
                "INSERT INTO sync_cursors (account_id, stream, cursor, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (account_id, stream)"
                " DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
                [account_id, stream, cursor, to_timestamp(utc_now())],
            )


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
        """Replies to send now, oldest first. 'sending' ones are from an attempt cut short
        (a crash): they are sent again with the same idempotency key."""
        return [
            _item(row)
            for row in self._store.db.query(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE account_id = ?"
                " AND state IN ('queued', 'sending')"
                " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id",
                [account_id, to_timestamp(now)],
            )
        ]

    def mark_sending(self, item_id: int) -> None:
        with self._store.write() as db:
            db.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?",
                [item_id],
            )

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
