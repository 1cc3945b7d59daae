"""Drafts: what was typed and not sent yet, per mention, with its public/DM mode."""

from __future__ import annotations

from storage.records import to_timestamp, utc_now
from storage.store import Store

# What a draft is: a reply in the thread, or a private message.
DRAFT_MODES = ("public", "direct")


class DraftRepository:
    """What was typed and not sent yet, per mention: saved as it is typed, kept across
    crashes and restarts, removed once the reply is in the outbox."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, mention_id: int) -> str:
        row = self._store.conn.execute(
            "SELECT body FROM drafts WHERE mention_id = ?", [mention_id]
        ).fetchone()
        return "" if row is None else str(row[0])

    def mode(self, mention_id: int) -> str:
        """'direct' when the draft is a private message, else 'public' (also with no draft)."""
        row = self._store.conn.execute(
            "SELECT mode FROM drafts WHERE mention_id = ?", [mention_id]
        ).fetchone()
        return "public" if row is None else str(row[0])

    def save(self, mention_id: int, body: str, mode: str | None = None) -> None:
        """Keep `body` as the mention's draft; `mode` ('public' | 'direct') goes with it, and
        when it is not given the draft keeps the mode it had (a new one is public)."""
        if mode not in (None, *DRAFT_MODES):
            raise ValueError(f"a draft is {' or '.join(DRAFT_MODES)}, not {mode!r}")
        with self._store.write() as db:
            if body.strip():
                db.execute(
                    "INSERT INTO drafts (mention_id, mode, body, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (mention_id) DO UPDATE SET body = excluded.body,"
                    " mode = coalesce(?, drafts.mode), updated_at = excluded.updated_at",
                    [mention_id, mode or "public", body, to_timestamp(utc_now()), mode],
                )
            else:
                db.execute("DELETE FROM drafts WHERE mention_id = ?", [mention_id])
