"""Where each account's sync got to: one cursor per account and stream."""

from __future__ import annotations

from storage.records import to_timestamp, utc_now
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
