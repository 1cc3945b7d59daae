"""What the networks say about stored posts afterwards: an edit, a deletion, a filtered
notification accepted or dismissed; and which posts are due to be looked at again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.mentions.ingest import apply_edit
from storage.records import NewMention, to_timestamp
from storage.store import Store


@dataclass(frozen=True, slots=True)
class LookedAt:
    """What looking at stored posts again changed (local mention ids)."""

    edited: list[int]
    deleted: list[int]


def posts_to_look_at(
    store: Store, account_id: int, *, arrived_since: datetime, checked_before: datetime, limit: int
) -> list[str]:
    """Platform ids of the account's recent open posts not fetched nor looked at since
    `checked_before` (never looked at first): inbox items, not done, not deleted, arrived
    since `arrived_since`. Reads the small partial index of recent posts, not the inbox."""
    with store.guard():
        rows = store.conn.execute(
            "SELECT platform_id FROM mentions INDEXED BY mentions_to_recheck"
            " WHERE account_id = ? AND arrived_at >= ? AND is_own = 0 AND is_context = 0"
            " AND deleted_at IS NULL AND status != 'done'"
            " AND fetched_at < ? AND (checked_at IS NULL OR checked_at < ?)"
            " ORDER BY checked_at IS NOT NULL, checked_at, arrived_at DESC LIMIT ?",
            [
                account_id,
                to_timestamp(arrived_since),
                to_timestamp(checked_before),
                to_timestamp(checked_before),
                limit,
            ],
        ).fetchall()
    return [str(row[0]) for row in rows]


def record_looked_at(
    store: Store,
    account_id: int,
    asked: Sequence[str],
    current: Sequence[NewMention],
    gone: Sequence[str],
    at: datetime,
) -> LookedAt:
    """Store what looking again found: a newer edit replaces the text (and the search
    index); a post no longer there is marked deleted (kept, out of Unanswered). Every post
    asked about is marked looked at. Only edits are taken from `current`: how a post
    reached the inbox (its kind, its filtered mark) stays as it was."""
    when = to_timestamp(at)
    edited: list[int] = []
    deleted: list[int] = []
    with store.write() as db:
        conn = db.conn
        for item in current:
            row = conn.execute(
                "SELECT id, edited_at FROM mentions WHERE account_id = ? AND platform_id = ?",
                [account_id, item.platform_id],
            ).fetchone()
            if row is None:
                continue
            mention_id, edited_at = row
            if item.edited_at is not None and (
                edited_at is None or to_timestamp(item.edited_at) > edited_at
            ):
                apply_edit(conn, int(mention_id), item, item.edited_at)
                edited.append(int(mention_id))
        for platform_id in gone:
            row = conn.execute(
                "UPDATE mentions SET deleted_at = ? WHERE account_id = ? AND platform_id = ?"
                " AND deleted_at IS NULL RETURNING id",
                [when, account_id, platform_id],
            ).fetchone()
            if row is not None:
                deleted.append(int(row[0]))
        for start in range(0, len(asked), 400):
            batch = list(asked[start : start + 400])
            conn.execute(
                f"UPDATE mentions SET checked_at = ? WHERE account_id = ?"
                f" AND platform_id IN ({', '.join('?' * len(batch))})",
                [when, account_id, *batch],
            )
    return LookedAt(edited, deleted)


def set_original_text(store: Store, mention_id: int, text: str) -> None:
    """The text as first written (from the network's edit history), when Heedful first
    stored the post after it was edited."""
    with store.write() as db:
        db.conn.execute(
            "UPDATE mentions SET original_text = ? WHERE id = ? AND original_text IS NULL",
            [text, mention_id],
        )


def filtered_by_author(store: Store, account_id: int, author_platform_id: str) -> list[int]:
    """The author's mentions on this account that wait as a filtered request."""
    with store.guard():
        rows = store.conn.execute(
            "SELECT m.id FROM mentions AS m INDEXED BY mentions_filtered"
            " JOIN authors AS a ON a.id = m.author_id"
            " WHERE m.account_id = ? AND a.platform_id = ? AND m.filtered IS NOT NULL",
            [account_id, author_platform_id],
        ).fetchall()
    return [int(row[0]) for row in rows]


def clear_filtered(store: Store, mention_ids: Sequence[int]) -> None:
    """Their request was accepted: they are in the inbox like any mention now."""
    with store.write() as db:
        for mention_id in mention_ids:
            db.conn.execute("UPDATE mentions SET filtered = NULL WHERE id = ?", [mention_id])


def mark_dismissed(store: Store, mention_ids: Sequence[int], why: str) -> None:
    """Their request was dismissed on the server, which deleted what it held: the mark says
    so (the posts stay, for the record)."""
    with store.write() as db:
        for mention_id in mention_ids:
            db.conn.execute("UPDATE mentions SET filtered = ? WHERE id = ?", [why, mention_id])
