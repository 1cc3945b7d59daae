"""Storing what the networks send: new mentions, their authors (and renames), their tags, and
what changed about posts already stored (a context post that turns out to be a mention, an
edit, a filtered notification accepted or a deleted post)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.records import NewAuthor, NewMention, to_timestamp, utc_now
from storage.store import Store

_INSERT = (
    "INSERT INTO mentions (account_id, platform_id, platform_cid, url, author_id, kind,"
    " text, html, spoiler_text, language, visibility, created_at, fetched_at,"
    " parent_platform_id, root_platform_id, is_own, raw, status, is_context, arrived_at,"
    " filtered, edited_at, languages, language_source)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (account_id, platform_id) DO NOTHING"
)
# SQLite's limit on bound parameters is far above this; lookups stay small statements.
_LOOKUP_BATCH = 400
# Tables whose rows belong to one mention, moved with it when a promoted post is renumbered.
_CHILD_TABLES = ("notes", "drafts", "outbox", "snippet_uses", "mention_tags")


@dataclass(frozen=True, slots=True)
class _Stored:
    id: int
    is_context: bool
    is_own: bool
    edited_at: str | None
    filtered: str | None


def ingest(store: Store, items: Sequence[NewMention]) -> int:
    """Store new mentions in one transaction; returns how many are new to the inbox.

    A post already stored is left as it is, except that: a post stored as thread context
    whose own notification arrives becomes inbox work (new, notified, counted here); a newer
    edit replaces its text; and an inbox item's filtered mark follows what the network says
    (set while its notification request waits, cleared once it reached the inbox).
    Authors are created or updated (renames) on the way.
    """
    fetched_at = to_timestamp(utc_now())
    with store.write() as db:
        conn = db.conn
        author_ids: dict[tuple[str, str], int] = {}
        for item in items:
            key = (item.author.network.value, item.author.platform_id)
            if key not in author_ids:
                author_ids[key] = _upsert_author(store, item.author, fetched_at)
        firsts: dict[tuple[int, str], NewMention] = {}
        for item in items:  # the first copy in a page wins, as a plain insert would
            firsts.setdefault((item.account_id, item.platform_id), item)
        stored = _already_stored(conn, list(firsts))
        fresh = [item for key, item in firsts.items() if key not in stored]
        cursor = conn.executemany(
            _INSERT,
            (
                _row(item, author_ids[(item.author.network.value, item.author.platform_id)],
                     fetched_at)
                for item in fresh
            ),
        )  # fmt: skip
        added = max(cursor.rowcount, 0)
        for mention_key, existing in stored.items():
            added += _update(conn, existing, firsts[mention_key], fetched_at)
        tagged = [item for item in items if item.tags]
        if tagged:
            _tag(store, tagged)
    return added


def _row(item: NewMention, author_id: int, fetched_at: str) -> tuple[object, ...]:
    return (
        item.account_id,
        item.platform_id,
        item.platform_cid,
        item.url,
        author_id,
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
        _arrival(item, fetched_at),
        None if item.is_context or item.is_own else item.filtered,
        None if item.edited_at is None else to_timestamp(item.edited_at),
        ",".join(item.languages) or (item.language or ""),
        item.language_source,
    )


def _arrival(item: NewMention, fetched_at: str) -> str:
    """When it reached the brand: never later than Heedful first saw it (a clock ahead of
    the world's would pin it to the top of the inbox)."""
    moment = item.arrived_at or item.created_at
    return min(to_timestamp(moment), fetched_at)


def _already_stored(
    conn: sqlite3.Connection, keys: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], _Stored]:
    by_account: dict[int, list[str]] = {}
    for account_id, platform_id in keys:
        by_account.setdefault(account_id, []).append(platform_id)
    found: dict[tuple[int, str], _Stored] = {}
    for account_id, platform_ids in by_account.items():
        for start in range(0, len(platform_ids), _LOOKUP_BATCH):
            batch = platform_ids[start : start + _LOOKUP_BATCH]
            rows = conn.execute(
                "SELECT platform_id, id, is_context, is_own, edited_at, filtered FROM mentions"
                f" WHERE account_id = ? AND platform_id IN ({', '.join('?' * len(batch))})",
                [account_id, *batch],
            )
            for platform_id, row_id, is_context, is_own, edited_at, filtered in rows:
                found[(account_id, platform_id)] = _Stored(
                    row_id, bool(is_context), bool(is_own), edited_at, filtered
                )
    return found


def _update(conn: sqlite3.Connection, stored: _Stored, item: NewMention, now: str) -> int:
    """What a second copy of a stored post changes; 1 when it became inbox work."""
    inbox_item = not item.is_context and not item.is_own
    if stored.is_context and inbox_item:
        _promote(conn, stored.id, item, now)
        return 1
    if item.edited_at is not None and (
        stored.edited_at is None or to_timestamp(item.edited_at) > stored.edited_at
    ):
        apply_edit(conn, stored.id, item, item.edited_at)
    if inbox_item and not stored.is_context and item.filtered != stored.filtered:
        conn.execute("UPDATE mentions SET filtered = ? WHERE id = ?", [item.filtered, stored.id])
    return 0


def apply_edit(conn: sqlite3.Connection, mention_id: int, item: NewMention, at: datetime) -> None:
    """The author's edit replaces what is shown and searched (the search index follows its
    trigger); the text first stored is kept once, for the detail pane."""
    conn.execute(
        "UPDATE mentions SET original_text = coalesce(original_text, text), text = ?,"
        " html = ?, spoiler_text = ?, edited_at = ? WHERE id = ?",
        [item.text, item.html, item.spoiler_text, to_timestamp(at), mention_id],
    )


def _promote(conn: sqlite3.Connection, old_id: int, item: NewMention, now: str) -> None:
    """A post first stored as thread context whose own notification has arrived: it becomes
    inbox work, as if it had arrived just now. It takes a new id (ids only grow), so it counts
    as new and "what is new since" notifies it like any mention; what belongs to it moves
    along. Triage history is append-only: a post that has some keeps its id."""
    history = conn.execute(
        "SELECT 1 FROM triage_events WHERE mention_id = ? LIMIT 1", [old_id]
    ).fetchone()
    new_id = old_id
    if history is None:
        new_id = int(conn.execute("SELECT max(id) FROM mentions").fetchone()[0]) + 1
        # The children follow within this transaction; their references are checked at commit.
        conn.execute("PRAGMA defer_foreign_keys = ON")
    # Setting `text` fires the search index's update trigger, which re-files the row under
    # its new id.
    conn.execute(
        "UPDATE mentions SET id = ?, is_context = 0, kind = ?, text = ?, html = coalesce(?, html),"
        " raw = coalesce(?, raw), arrived_at = ?, filtered = ?, status = 'new',"
        " platform_cid = coalesce(platform_cid, ?), url = coalesce(url, ?),"
        " languages = CASE WHEN ? = '' THEN languages ELSE ? END,"
        " language = coalesce(?, language), language_source = ? WHERE id = ?",
        [
            new_id,
            item.kind.value,
            item.text,
            item.html,
            item.raw,
            _arrival(item, now),
            item.filtered,
            item.platform_cid,
            item.url,
            ",".join(item.languages),
            ",".join(item.languages),
            item.language,
            item.language_source,
            old_id,
        ],
    )
    if new_id != old_id:
        for table in _CHILD_TABLES:
            conn.execute(
                f"UPDATE {table} SET mention_id = ? WHERE mention_id = ?", [new_id, old_id]
            )


def _upsert_author(store: Store, author: NewAuthor, seen_at: str) -> int:
    conn = store.conn
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


def _tag(store: Store, items: Iterable[NewMention]) -> None:
    conn = store.conn
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
