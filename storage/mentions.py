"""Mentions in the local store: ingesting what the networks send, and paging the inbox in SQL."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from storage.records import (
    Author,
    InboxRow,
    Mention,
    MentionKind,
    Network,
    NewAuthor,
    NewMention,
    OutboxState,
    TriageStatus,
    from_timestamp,
    to_timestamp,
    utc_now,
)
from storage.store import Store


@dataclass(frozen=True, slots=True)
class InboxFilter:
    """Which mentions a view shows. Empty sets mean "any"; every set is "one of these",
    except tags: a mention must carry every tag asked for. Times are stored-timestamp text."""

    statuses: frozenset[TriageStatus] = frozenset()
    account_ids: frozenset[int] = frozenset()
    match: str | None = (
        None  # an FTS5 MATCH expression, built by app.inbox.search from what was typed
    )
    networks: frozenset[Network] = frozenset()
    account_handles: frozenset[str] = frozenset()
    kinds: frozenset[MentionKind] = frozenset()
    languages: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    assignees: frozenset[str] = frozenset()
    created_after: str | None = None  # inclusive
    created_before: str | None = None  # exclusive; "waiting longer than X" ends up here too
    # Snoozed mentions are hidden while snoozed_until is later than this moment (they come
    # back by themselves: the caller passes "now" each time it builds the filter).
    awake_at: str | None = None
    snoozed_at: str | None = None  # only mentions snoozed past this moment
    unanswered: bool = False  # no reply from the brand sent, queued, or seen in the thread
    matches_nothing: bool = False  # the view contradicts itself (is:done in an open view)
    after_id: int | None = None  # only mentions stored after this one (what is new since)


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where the last page ended, in inbox order (newest first)."""

    created_at: str
    id: int


@dataclass(frozen=True, slots=True)
class InboxPage:
    ids: list[int]
    next: PageCursor | None  # None: this was the last page


# Badges come from correlated subqueries in the page's own statement: one query per page,
# never one per row. Tag names are joined with the unit separator, which nobody types.
_ROW_SELECT = """
    SELECT m.id, ac.network, ac.handle AS account_handle, au.handle AS author_handle,
           au.display_name AS author_name, m.kind, {text} AS text, m.language, m.created_at,
           m.status, m.assignee, m.is_own, m.snoozed_until,
           (SELECT group_concat(t.name, char(31)) FROM mention_tags AS mt
              JOIN tags AS t ON t.id = mt.tag_id WHERE mt.mention_id = m.id) AS tags,
           EXISTS (SELECT 1 FROM drafts AS d WHERE d.mention_id = m.id) AS has_draft,
           (SELECT o.state FROM outbox AS o WHERE o.mention_id = m.id
              ORDER BY o.id DESC LIMIT 1) AS reply_state,
           EXISTS (SELECT 1 FROM mentions AS r WHERE r.account_id = m.account_id
              AND r.parent_platform_id = m.platform_id AND r.is_own = 1) AS replied_in_thread
    FROM mentions AS m
    JOIN accounts AS ac ON ac.id = m.account_id
    JOIN authors AS au ON au.id = m.author_id
"""

# SQLite's default limit on host parameters is far above this; batches keep statements small.
_ID_BATCH = 500

# A search with few hits sorts them all; with more, the time index is walked in inbox
# order, chunk by chunk (the first chunk at least this long, then 4× each time).
_FEW_HITS = 2_000  # at least; more on a big store (see _search_page)
_WALK_CHUNK = 1_000
_WALK_MARGIN = 4  # the first chunk: this many times what the hits' density needs
_WALK_PER_HIT = 2  # mentions walked, at most, per hit that sorting would have read


class MentionRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    # --- writing ---------------------------------------------------------------------

    def ingest(self, items: Sequence[NewMention]) -> int:
        """Store new mentions in one transaction; ones already stored are left alone.

        Returns how many were new. Authors are created or updated (renames) on the way.
        """
        fetched_at = to_timestamp(utc_now())
        with self._store.write() as db:
            author_ids: dict[tuple[str, str], int] = {}
            for item in items:
                key = (item.author.network.value, item.author.platform_id)
                if key not in author_ids:
                    author_ids[key] = self._upsert_author(item.author, fetched_at)
            cursor = db.conn.executemany(
                "INSERT INTO mentions (account_id, platform_id, platform_cid, url, author_id, kind,"
                " text, html, spoiler_text, language, visibility, created_at, fetched_at,"
                " parent_platform_id, root_platform_id, is_own, raw, status, is_context)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (account_id, platform_id) DO NOTHING",
                (
                    (
                        item.account_id,
                        item.platform_id,
                        item.platform_cid,
                        item.url,
                        author_ids[(item.author.network.value, item.author.platform_id)],
                        item.kind.value,
                        item.text,
                        item.html,
                        item.spoiler_text,
                        item.language,
                        item.visibility,
                        to_timestamp(item.created_at),
                        fetched_at,
                        item.parent_platform_id,
                        item.root_platform_id,
                        int(item.is_own),
                        item.raw,
                        item.status.value,
                        int(item.is_context),
                    )
                    for item in items
                ),
            )
            added = max(cursor.rowcount, 0)
            tagged = [item for item in items if item.tags]
            if tagged:
                self._tag(tagged)
        return added

    def _upsert_author(self, author: NewAuthor, seen_at: str) -> int:
        conn = self._store.conn
        conn.execute(
            "INSERT INTO authors (network, platform_id, handle, display_name, avatar_url,"
            " first_seen_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (network, platform_id) DO UPDATE SET handle = excluded.handle,"
            " display_name = excluded.display_name,"
            " avatar_url = coalesce(excluded.avatar_url, avatar_url)"
            " WHERE handle IS NOT excluded.handle OR display_name IS NOT excluded.display_name"
            " OR (excluded.avatar_url IS NOT NULL AND avatar_url IS NOT excluded.avatar_url)",
            [
                author.network.value,
                author.platform_id,
                author.handle,
                author.display_name,
                author.avatar_url,
                seen_at,
            ],
        )
        row = conn.execute(
            "SELECT id FROM authors WHERE network = ? AND platform_id = ?",
            [author.network.value, author.platform_id],
        ).fetchone()
        return int(row[0])

    def _tag(self, items: Iterable[NewMention]) -> None:
        conn = self._store.conn
        for item in items:
            mention_id = conn.execute(
                "SELECT id FROM mentions WHERE account_id = ? AND platform_id = ?",
                [item.account_id, item.platform_id],
            ).fetchone()[0]
            for tag in item.tags:
                conn.execute("INSERT INTO tags (name) VALUES (?) ON CONFLICT DO NOTHING", [tag])
                conn.execute(
                    "INSERT INTO mention_tags (mention_id, tag_id)"
                    " SELECT ?, id FROM tags WHERE name = ? ON CONFLICT DO NOTHING",
                    [mention_id, tag],
                )

    # --- reading -----------------------------------------------------------------------

    def page(self, view: InboxFilter, after: PageCursor | None, limit: int) -> InboxPage:
        """The next `limit` mention ids of a view, newest first (keyset paging: no OFFSET)."""
        with self._store.guard():
            if view.match and not view.matches_nothing:
                rows = self._search_page(view, after, limit)
            else:
                sql, params = page_query(view, after)
                rows = self._store.conn.execute(sql, [*params, limit]).fetchall()
        ids = [int(row[0]) for row in rows]
        next_cursor = PageCursor(rows[-1][1], ids[-1]) if len(rows) == limit else None
        return InboxPage(ids, next_cursor)

    def _search_page(
        self, view: InboxFilter, after: PageCursor | None, limit: int
    ) -> list[tuple[int, str]]:
        """A page of a search, in inbox order, without reading every hit when there are many.

        Few hits: all of them, joined by primary key and sorted. Many: the time index is
        walked in inbox order in chunks (it holds only the time and the id: no row is read),
        each chunk's ids checked against the hits in that id range (FTS5 seeks a rowid
        range), and only the ids that match are checked against the view, until the page is
        full. A walk that finds too little (the hits are elsewhere: "thank" in the open view,
        mostly done) finishes from the hits after where it stopped. Correct for any id
        order; fastest when ids roughly follow time, as they do for mentions stored as they
        arrive."""
        conn = self._store.conn
        assert view.match is not None
        stored = int(conn.execute("SELECT coalesce(max(id), 0) FROM mentions").fetchone()[0])
        # Sorting every hit costs about as much per hit as walking costs per hit found.
        few = max(_FEW_HITS, math.isqrt(limit * stored))
        hits = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM mentions_fts WHERE mentions_fts MATCH ? LIMIT ?)",
            [view.match, few + 1],
        ).fetchone()[0]
        if hits <= few:
            sql, params = _hits_page_query(view, after)
            return [(int(row[0]), str(row[1])) for row in conn.execute(sql, [*params, limit])]
        found: list[tuple[int, str]] = []
        cursor = after
        walked = 0
        # Enough of the time index, at the hits' density, for a page; then more each time.
        chunk = max(_WALK_CHUNK, _WALK_MARGIN * limit * max(stored, 1) // few)
        while walked < few * _WALK_PER_HIT:
            # The chunk's id range and where it ends, computed in SQL (no rows to Python).
            sql, params = _walk_query(cursor)
            lowest, highest, taken = conn.execute(
                f"SELECT min(id), max(id), count(*) FROM ({sql})", [*params, chunk]
            ).fetchone()
            if not taken:
                return found
            end = conn.execute(
                f"SELECT created_at, id FROM ({sql}) ORDER BY created_at, id LIMIT 1",
                [*params, chunk],
            ).fetchone()
            sql, params = _chunk_page_query(view, cursor, PageCursor(str(end[0]), int(end[1])))
            rows = conn.execute(sql, [*params, lowest, highest, limit - len(found)]).fetchall()
            found += [(int(row[0]), str(row[1])) for row in rows]
            if len(found) == limit or taken < chunk:
                return found
            walked += taken
            cursor = PageCursor(str(end[0]), int(end[1]))
            chunk *= 4
        sql, params = _hits_page_query(view, cursor)
        rest = conn.execute(sql, [*params, limit - len(found)]).fetchall()
        return found + [(int(row[0]), str(row[1])) for row in rest]

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
        for start in range(0, len(ids), _ID_BATCH):
            batch = list(ids[start : start + _ID_BATCH])
            marks = ", ".join("?" * len(batch))
            sql = _ROW_SELECT.format(text=text) + f" WHERE m.id IN ({marks})"
            with self._store.guard():
                for row in self._store.db.query(sql, batch):
                    found[row["id"]] = _inbox_row(row)
        return found

    def get(self, mention_id: int) -> Mention:
        sql = """
            SELECT m.*, ac.network, ac.handle AS account_handle,
                   au.id AS a_id, au.network AS a_network, au.platform_id AS a_platform_id,
                   au.handle AS a_handle, au.display_name AS a_display_name,
                   au.avatar_url AS a_avatar_url, au.first_seen_at AS a_first_seen_at
            FROM mentions AS m
            JOIN accounts AS ac ON ac.id = m.account_id
            JOIN authors AS au ON au.id = m.author_id
            WHERE m.id = ?
        """
        with self._store.guard():
            rows = list(self._store.db.query(sql, [mention_id]))
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
        return _mention(rows[0], tuple(tags))

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


def page_query(
    view: InboxFilter, after: PageCursor | None, *, oldest_first: bool = False
) -> tuple[str, list[Any]]:
    """The SQL (and parameters, less the LIMIT) for one page of a view."""
    where, params = _where(view, for_page=True)
    if after is not None:
        where.append("(m.created_at < ? OR (m.created_at = ? AND m.id < ?))")
        params += [after.created_at, after.created_at, after.id]
    order = "ASC" if oldest_first else "DESC"
    sql = (
        f"SELECT m.id, m.created_at FROM mentions AS m WHERE {' AND '.join(where)}"
        f" ORDER BY m.created_at {order}, m.id {order} LIMIT ?"
    )
    return sql, params


def _walk_query(after: PageCursor | None) -> tuple[str, list[Any]]:
    """Ids in inbox order from the time index alone (every view is a part of it)."""
    where = ["is_own = 0"]
    params: list[Any] = []
    if after is not None:
        where.append("(created_at < ? OR (created_at = ? AND id < ?))")
        params += [after.created_at, after.created_at, after.id]
    sql = (
        "SELECT id, created_at FROM mentions INDEXED BY mentions_inbox_order"
        f" WHERE {' AND '.join(where)} ORDER BY created_at DESC, id DESC LIMIT ?"
    )
    return sql, params


def _chunk_page_query(
    view: InboxFilter, after: PageCursor | None, until: PageCursor
) -> tuple[str, list[Any]]:
    """A search page from one chunk of the time index (after `after`, up to `until`
    included), the hits looked up in the chunk's id range only (parameters: then the
    range's lowest and highest id, and the LIMIT)."""
    where, params = _where(replace(view, match=None), for_page=True)
    if after is not None:
        where.append("(m.created_at < ? OR (m.created_at = ? AND m.id < ?))")
        params += [after.created_at, after.created_at, after.id]
    where.append("(m.created_at > ? OR (m.created_at = ? AND m.id >= ?))")
    params += [until.created_at, until.created_at, until.id]
    sql = (
        "SELECT m.id, m.created_at FROM mentions AS m INDEXED BY mentions_inbox_order"
        f" WHERE {' AND '.join(where)} AND m.id IN (SELECT rowid FROM mentions_fts"
        " WHERE mentions_fts MATCH ? AND rowid BETWEEN ? AND ?)"
        " ORDER BY m.created_at DESC, m.id DESC LIMIT ?"
    )
    return sql, [*params, view.match]


def _hits_page_query(view: InboxFilter, after: PageCursor | None) -> tuple[str, list[Any]]:
    """A search page driven from the hits: each joined by primary key, then sorted (cheap
    while the hits are few; CROSS JOIN keeps SQLite from walking the mentions instead)."""
    where, params = _where(replace(view, match=None), for_page=True)
    if after is not None:
        where.append("(m.created_at < ? OR (m.created_at = ? AND m.id < ?))")
        params += [after.created_at, after.created_at, after.id]
    sql = (
        "SELECT m.id, m.created_at FROM mentions_fts CROSS JOIN mentions AS m"
        f" ON m.id = mentions_fts.rowid WHERE mentions_fts MATCH ? AND {' AND '.join(where)}"
        " ORDER BY m.created_at DESC, m.id DESC LIMIT ?"
    )
    return sql, [view.match, *params]


def count_query(view: InboxFilter) -> tuple[str, list[Any]]:
    where, params = _where(view)
    return f"SELECT count(*) FROM mentions AS m WHERE {' AND '.join(where)}", params


def _where(view: InboxFilter, *, for_page: bool = False) -> tuple[list[str], list[Any]]:
    """The view's conditions. `for_page`: the statement returns a page in inbox order, so
    a condition on several statuses must not lead the planner to the status index (it would
    read every open mention and sort them: 1.5 s at a million); `+` keeps it a filter on
    the time-ordered walk, which stops at the page's end."""
    where = ["m.is_own = 0", "m.is_context = 0"]
    params: list[Any] = []
    if view.matches_nothing:
        where.append("0")

    def one_of(column: str, values: Iterable[str | int]) -> None:
        chosen = sorted(values)
        if chosen:
            where.append(f"{column} IN ({', '.join('?' * len(chosen))})")
            params.extend(chosen)

    if view.match:
        # The matching ids are found once; joining the index into the time-ordered scan
        # would re-run the match for every row (seconds per keystroke on a big store).
        where.append("m.id IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?)")
        params.append(view.match)
    several = for_page and len(view.statuses) > 1
    one_of("+m.status" if several else "m.status", (status.value for status in view.statuses))
    one_of("m.account_id", view.account_ids)
    one_of("m.kind", (kind.value for kind in view.kinds))
    one_of("m.assignee", view.assignees)
    if view.languages:
        one_of("lower(m.language)", (language.lower() for language in view.languages))
    if view.networks or view.account_handles:
        accounts = ["1"]
        if view.networks:
            marks = ", ".join("?" * len(view.networks))
            accounts.append(f"network IN ({marks})")
            params.extend(sorted(network.value for network in view.networks))
        if view.account_handles:
            marks = ", ".join("?" * len(view.account_handles))
            accounts.append(f"lower(handle) IN ({marks})")
            params.extend(sorted(handle.lower() for handle in view.account_handles))
        where.append(f"m.account_id IN (SELECT id FROM accounts WHERE {' AND '.join(accounts)})")
    for tag in sorted(view.tags):
        # From the tag's side: a tag is on few mentions, so its list drives the query.
        where.append(
            "m.id IN (SELECT mt.mention_id FROM tags AS t"
            " JOIN mention_tags AS mt ON mt.tag_id = t.id WHERE t.name = ?)"
        )
        params.append(tag)
    if view.after_id is not None:
        where.append("m.id > ?")
        params.append(view.after_id)
    if view.created_after is not None:
        where.append("m.created_at >= ?")
        params.append(view.created_after)
    if view.created_before is not None:
        where.append("m.created_at < ?")
        params.append(view.created_before)
    if view.awake_at is not None:
        where.append("(m.snoozed_until IS NULL OR m.snoozed_until <= ?)")
        params.append(view.awake_at)
    if view.snoozed_at is not None:
        where.append("m.snoozed_until > ?")
        params.append(view.snoozed_at)
    if view.unanswered:
        where.append(
            "NOT EXISTS (SELECT 1 FROM outbox AS o WHERE o.mention_id = m.id"
            " AND o.state IN ('queued', 'sending', 'unknown', 'check', 'sent'))"
            " AND NOT EXISTS (SELECT 1 FROM mentions AS r WHERE r.account_id = m.account_id"
            " AND r.parent_platform_id = m.platform_id AND r.is_own = 1)"
        )
    return where, params


def _inbox_row(row: dict[str, Any]) -> InboxRow:
    return InboxRow(
        id=row["id"],
        network=Network(row["network"]),
        account_handle=row["account_handle"],
        author_handle=row["author_handle"],
        author_name=row["author_name"],
        kind=MentionKind(row["kind"]),
        text=row["text"],
        language=row["language"],
        created_at=from_timestamp(row["created_at"]),
        status=TriageStatus(row["status"]),
        assignee=row["assignee"],
        is_own=bool(row["is_own"]),
        tags=tuple(sorted(row["tags"].split("\x1f"), key=str.casefold)) if row["tags"] else (),
        has_draft=bool(row["has_draft"]),
        reply_state=None if row["reply_state"] is None else OutboxState(row["reply_state"]),
        answered=row["reply_state"] == OutboxState.SENT.value or bool(row["replied_in_thread"]),
        snoozed_until=None
        if row["snoozed_until"] is None
        else from_timestamp(row["snoozed_until"]),
    )


def _mention(row: dict[str, Any], tags: tuple[str, ...]) -> Mention:
    return Mention(
        id=row["id"],
        account_id=row["account_id"],
        network=Network(row["network"]),
        account_handle=row["account_handle"],
        platform_id=row["platform_id"],
        url=row["url"],
        author=Author(
            id=row["a_id"],
            network=Network(row["a_network"]),
            platform_id=row["a_platform_id"],
            handle=row["a_handle"],
            display_name=row["a_display_name"],
            avatar_url=row["a_avatar_url"],
            first_seen_at=from_timestamp(row["a_first_seen_at"]),
        ),
        kind=MentionKind(row["kind"]),
        text=row["text"],
        html=row["html"],
        spoiler_text=row["spoiler_text"],
        language=row["language"],
        visibility=row["visibility"],
        created_at=from_timestamp(row["created_at"]),
        fetched_at=from_timestamp(row["fetched_at"]),
        parent_platform_id=row["parent_platform_id"],
        root_platform_id=row["root_platform_id"],
        is_own=bool(row["is_own"]),
        status=TriageStatus(row["status"]),
        assignee=row["assignee"],
        tags=tags,
        platform_cid=row["platform_cid"],
        raw=row["raw"],
    )
