"""`MentionRepository`: the one object callers hold for mentions (ingest, pages, rows)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.mentions import afterwards
from storage.mentions import ingest as ingesting
from storage.mentions import rows as reading
from storage.mentions.filters import InboxFilter, InboxPage, PageCursor
from storage.mentions.fts_planner import search_page
from storage.mentions.query import count_query, page_query
from storage.records import InboxRow, Mention, NewMention, from_timestamp
from storage.store import Store


class MentionRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    # --- writing ---------------------------------------------------------------------

    def ingest(self, items: Sequence[NewMention]) -> int:
        """Store new mentions in one transaction; ones already stored are left alone.

        Returns how many were new. Authors are created or updated (renames) on the way.
        """
        return ingesting.ingest(self._store, items)

    # --- what the networks say afterwards ------------------------------------------------

    def posts_to_look_at(
        self, account_id: int, *, arrived_since: datetime, checked_before: datetime, limit: int
    ) -> list[str]:
        """Recent open posts due to be looked at again for edits and deletions."""
        return afterwards.posts_to_look_at(
            self._store,
            account_id,
            arrived_since=arrived_since,
            checked_before=checked_before,
            limit=limit,
        )

    def record_looked_at(
        self,
        account_id: int,
        asked: Sequence[str],
        current: Sequence[NewMention],
        gone: Sequence[str],
        at: datetime,
    ) -> afterwards.LookedAt:
        """Edits replace the text; posts no longer there are marked deleted."""
        return afterwards.record_looked_at(self._store, account_id, asked, current, gone, at)

    def set_original_text(self, mention_id: int, text: str) -> None:
        afterwards.set_original_text(self._store, mention_id, text)

    def filtered_by_author(self, account_id: int, author_platform_id: str) -> list[int]:
        return afterwards.filtered_by_author(self._store, account_id, author_platform_id)

    def clear_filtered(self, mention_ids: Sequence[int]) -> None:
        afterwards.clear_filtered(self._store, mention_ids)

    def mark_dismissed(self, mention_ids: Sequence[int], why: str) -> None:
        afterwards.mark_dismissed(self._store, mention_ids, why)

    def ids_of(
        self, account_id: int, platform_ids: Sequence[str], *, inbox: bool = False
    ) -> dict[str, int]:
        """Local ids of these posts of the account, where stored (`inbox`: only those stored
        as inbox work, not as thread context or the brand's own)."""
        found: dict[str, int] = {}
        only = " AND is_context = 0 AND is_own = 0" if inbox else ""
        for start in range(0, len(platform_ids), 400):
            batch = list(platform_ids[start : start + 400])
            with self._store.guard():
                rows = self._store.conn.execute(
                    "SELECT platform_id, id FROM mentions WHERE account_id = ?"
                    f" AND platform_id IN ({', '.join('?' * len(batch))}){only}",
                    [account_id, *batch],
                ).fetchall()
            found.update({str(row[0]): int(row[1]) for row in rows})
        return found

    def waiting_filtered(self, *, limit: int = 500) -> list[int]:
        """Mentions that wait as a filtered notification request (not dismissed), newest
        arrival first."""
        with self._store.guard():
            rows = self._store.conn.execute(
                "SELECT id FROM mentions INDEXED BY mentions_filtered"
                " WHERE filtered IS NOT NULL AND filtered NOT LIKE 'Dismissed%'"
                " ORDER BY arrived_at DESC, id DESC LIMIT ?",
                [limit],
            ).fetchall()
        return [int(row[0]) for row in rows]

    # --- reading -----------------------------------------------------------------------

    def page(self, view: InboxFilter, after: PageCursor | None, limit: int) -> InboxPage:
        """The next `limit` mention ids of a view, newest first (keyset paging: no OFFSET)."""
        with self._store.guard():
            if view.match and not view.matches_nothing:
                rows = search_page(self._store.conn, view, after, limit)
            else:
                sql, params = page_query(view, after)
                rows = self._store.conn.execute(sql, [*params, limit]).fetchall()
        ids = [int(row[0]) for row in rows]
        next_cursor = PageCursor(rows[-1][1], ids[-1]) if len(rows) == limit else None
        return InboxPage(ids, next_cursor)

    def last_page(self, view: InboxFilter, limit: int) -> list[int]:
        """The view's `limit` oldest mention ids, in inbox order: jumping to the end of a
        long list walks the same index backwards instead of paging through all of it."""
        sql, params = page_query(view, None, oldest_first=True)
        with self._store.guard():
            rows = self._store.conn.execute(sql, [*params, limit]).fetchall()
        return [int(row[0]) for row in reversed(rows)]

    def count(self, view: InboxFilter) -> int:
        sql, params = count_query(view)
        with self._store.guard():
            return int(self._store.conn.execute(sql, params).fetchone()[0])

    def newest_id(self) -> int:
        """The id of the latest stored mention (ids only grow): a mark for "new since"."""
        with self._store.guard():
            return int(
                self._store.conn.execute("SELECT coalesce(max(id), 0) FROM mentions").fetchone()[0]
            )

    def filter_choices(self) -> dict[str, list[str]]:
        """Accounts, tags and assignees to offer as filters. Each comes from a small table
        or a partial index, never from scanning the mentions."""
        conn = self._store.conn
        with self._store.guard():
            accounts = [
                str(r[0]) for r in conn.execute("SELECT handle FROM accounts ORDER BY handle")
            ]
            tags = [str(r[0]) for r in conn.execute("SELECT name FROM tags ORDER BY name")]
            assignees = [
                str(r[0])
                for r in conn.execute(
                    "SELECT DISTINCT assignee FROM mentions INDEXED BY mentions_by_assignee"
                    " WHERE is_own = 0 AND assignee IS NOT NULL ORDER BY assignee"
                )
            ]
        return {"account": accounts, "tag": tags, "assignee": assignees}

    def rows(self, ids: Sequence[int], *, preview_chars: int | None = None) -> dict[int, InboxRow]:
        """Inbox rows by id. `preview_chars` cuts the text in SQL (posts can be megabytes)."""
        text = "m.text" if preview_chars is None else f"substr(m.text, 1, {int(preview_chars)})"
        found: dict[int, InboxRow] = {}
        for start in range(0, len(ids), reading.ID_BATCH):
            batch = list(ids[start : start + reading.ID_BATCH])
            marks = ", ".join("?" * len(batch))
            sql = reading.ROW_SELECT.format(text=text) + f" WHERE m.id IN ({marks})"
            with self._store.guard():
                for row in self._store.db.query(sql, batch):
                    found[row["id"]] = reading.inbox_row(row)
        return found

    def get(self, mention_id: int) -> Mention:
        with self._store.guard():
            rows = list(self._store.db.query(reading.MENTION_SELECT, [mention_id]))
            if not rows:
                raise KeyError(mention_id)
            tags = [
                str(r[0])
                for r in self._store.conn.execute(
                    "SELECT t.name FROM mention_tags AS mt JOIN tags AS t ON t.id = mt.tag_id"
                    " WHERE mt.mention_id = ? ORDER BY t.name",
                    [mention_id],
                )
            ]
        return reading.mention(rows[0], tuple(tags))

    def thread(self, mention_id: int) -> list[InboxRow]:
        """The conversation around a mention: its parents and every reply below it, in order.

        Only what is in the store; the sync thread fetches missing parents separately.
        """
        sql = """
            WITH RECURSIVE
            start AS (SELECT id, account_id, platform_id, parent_platform_id
                      FROM mentions WHERE id = :id),
            up (id, parent, depth) AS (
                SELECT id, parent_platform_id, 0 FROM start
                UNION ALL
                SELECT m.id, m.parent_platform_id, up.depth + 1
                FROM up JOIN mentions AS m
                  ON m.account_id = (SELECT account_id FROM start) AND m.platform_id = up.parent
                WHERE up.depth < :max_depth
            ),
            down (id, platform_id, depth) AS (
                SELECT id, platform_id, 0 FROM start
                UNION ALL
                SELECT m.id, m.platform_id, down.depth + 1
                FROM down JOIN mentions AS m
                  ON m.account_id = (SELECT account_id FROM start)
                 AND m.parent_platform_id = down.platform_id
                WHERE down.depth < :max_depth
            )
            SELECT id FROM up UNION SELECT id FROM down
        """
        with self._store.guard():
            ids = [
                int(r[0])
                for r in self._store.conn.execute(sql, {"id": mention_id, "max_depth": 50})
            ]
        rows = self.rows(ids)
        return sorted(rows.values(), key=lambda row: (row.created_at, row.id))

    def by_author(self, author_id: int, *, limit: int = 50) -> list[InboxRow]:
        """The author's mentions, newest first: a customer repeating a complaint shows up here."""
        with self._store.guard():
            ids = [
                int(r[0])
                for r in self._store.conn.execute(
                    "SELECT id FROM mentions WHERE author_id = ? AND is_own = 0 AND is_context = 0"
                    " ORDER BY created_at DESC, id DESC LIMIT ?",
                    [author_id, limit],
                )
            ]
        rows = self.rows(ids)
        return [rows[i] for i in ids if i in rows]

    def is_stored(self, account_id: int, platform_id: str) -> bool:
        found = self._store.conn.execute(
            "SELECT 1 FROM mentions WHERE account_id = ? AND platform_id = ?",
            [account_id, platform_id],
        ).fetchone()
        return found is not None

    def author_first_seen(self, author_id: int) -> datetime | None:
        """When the author first wrote to the brand, as far as the store knows."""
        with self._store.guard():
            found = self._store.conn.execute(
                "SELECT min(created_at) FROM mentions WHERE author_id = ?", [author_id]
            ).fetchone()[0]
        return None if found is None else from_timestamp(found)
