"""Storing what the networks send: new mentions, their authors (and renames), their tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from storage.records import NewAuthor, NewMention, to_timestamp, utc_now
from storage.store import Store


def ingest(store: Store, items: Sequence[NewMention]) -> int:
    """Store new mentions in one transaction; ones already stored are left alone.

    Returns how many were new. Authors are created or updated (renames) on the way.
    """
    fetched_at = to_timestamp(utc_now())
    with store.write() as db:
        author_ids: dict[tuple[str, str], int] = {}
        for item in items:
            key = (item.author.network.value, item.author.platform_id)
            if key not in author_ids:
                author_ids[key] = _upsert_author(store, item.author, fetched_at)
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
            _tag(store, tagged)
    return added


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
