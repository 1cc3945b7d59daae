"""Items a network sent that Heedful could not store safely: why, and how many per account."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from storage.records import to_timestamp, utc_now
from storage.store import Store


class SkippedItemRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def record(
        self, account_id: int, reasons: Iterable[str], *, at: datetime | None = None
    ) -> None:
        """Each reason reads `<platform id>: <why>` (`?` when the item had no id). The same
        item skipped again for the same reason (a page fetched twice) is counted once."""
        moment = to_timestamp(at or utc_now())
        rows = []
        for reason in reasons:
            platform_id, _, why = reason.partition(": ")
            if not why:
                platform_id, why = "?", reason
            rows.append(
                (account_id, None if platform_id == "?" else platform_id, why[:1000], moment)
            )
        if not rows:
            return
        with self._store.write() as db:
            db.conn.executemany(
                "INSERT OR IGNORE INTO skipped_items (account_id, platform_id, reason, skipped_at)"
                " VALUES (?, ?, ?, ?)",
                rows,
            )

    def count(self, account_id: int, *, except_reason: str | None = None) -> int:
        row = self._store.conn.execute(
            "SELECT count(*) FROM skipped_items WHERE account_id = ? AND reason IS NOT ?",
            [account_id, except_reason],
        ).fetchone()
        return int(row[0])

    def count_of(self, account_id: int, reason: str) -> int:
        row = self._store.conn.execute(
            "SELECT count(*) FROM skipped_items WHERE account_id = ? AND reason = ?",
            [account_id, reason],
        ).fetchone()
        return int(row[0])

    def recent(
        self, account_id: int, limit: int = 20, *, except_reason: str | None = None
    ) -> list[tuple[str | None, str]]:
        """(platform id, reason), newest first: what channel health can list."""
        rows = self._store.conn.execute(
            "SELECT platform_id, reason FROM skipped_items WHERE account_id = ?"
            " AND reason IS NOT ? ORDER BY id DESC LIMIT ?",
            [account_id, except_reason, limit],
        ).fetchall()
        return [(row[0], row[1]) for row in rows]
