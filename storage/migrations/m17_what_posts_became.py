"""Schema 17: what the networks say about a post after it arrived, and when it arrived.

- `arrived_at`: when the post reached the brand, the inbox's order and age. The network's
  own time for it (a Mastodon notification's time, Bluesky's `sortAt`), or when Heedful
  first saw it for a post that turned up below what earlier syncs had read (a backdated
  Bluesky post). `created_at` stays what the post says about itself.
- `filtered`: why the brand's server filtered the notification (Mastodon 4.3+ notification
  policy), while it waits as a notification request; NULL when it reached the inbox.
- `edited_at`, `original_text`: the author's latest edit, and the text first stored.
- `deleted_at`: when Heedful learned the author deleted it (kept for the record).
- `checked_at`: when the post was last looked up again for edits and deletion.
- `languages`: every language the post is tagged with (comma-separated), and
  `language_source`: whether `language` is the network's tag or what on-device detection
  found instead (when it was confident and the tag disagreed).
- The brand account's notification policy and how many requests wait, for channel health.
"""

from __future__ import annotations

import re
import sqlite3

from storage.migrations.machinery import Migration

# Triggers that fire on any change of a mention (the reports' "look at it again" mark).
_ANY_UPDATE = re.compile(r"AFTER\s+UPDATE\s+ON\s+mentions\b", re.IGNORECASE)


def _fill_new_columns(conn: sqlite3.Connection) -> None:
    """Each mention's inbox time is its own time, its languages its tag. New columns filled
    in, not a change of what the mention says: the triggers that mark a changed mention for
    the reports are held off meanwhile, or a million mentions would all be looked at again
    for nothing."""
    held = [
        (str(name), str(sql))
        for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'mentions'"
        )
        if _ANY_UPDATE.search(str(sql))
    ]
    for name, _sql in held:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE mentions SET arrived_at = created_at")
    conn.execute(
        "UPDATE mentions SET languages = coalesce(language, '') WHERE language IS NOT NULL"
    )
    for _name, sql in held:
        conn.execute(sql)


MIGRATION = Migration(
    17,
    "arrival time, filtered notifications, edits, deletions, all languages; notification policy",
    run=_fill_new_columns,
    statements=[
        "ALTER TABLE mentions ADD COLUMN arrived_at TEXT NOT NULL DEFAULT ''",
        # A writer that does not know the column yet (an older tool, a bulk loader) still
        # gets a sensible order: the post's own time.
        """
        CREATE TRIGGER mentions_arrived_at_default AFTER INSERT ON mentions
        WHEN new.arrived_at = ''
        BEGIN UPDATE mentions SET arrived_at = new.created_at WHERE id = new.id; END
        """,
        "ALTER TABLE mentions ADD COLUMN filtered TEXT",
        "ALTER TABLE mentions ADD COLUMN edited_at TEXT",
        "ALTER TABLE mentions ADD COLUMN original_text TEXT",
        "ALTER TABLE mentions ADD COLUMN deleted_at TEXT",
        "ALTER TABLE mentions ADD COLUMN checked_at TEXT",
        "ALTER TABLE mentions ADD COLUMN languages TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE mentions ADD COLUMN language_source TEXT NOT NULL DEFAULT 'network'"
        " CHECK (language_source IN ('network', 'detected'))",
        "ALTER TABLE account_health ADD COLUMN notification_policy TEXT",  # JSON, as served
        "ALTER TABLE account_health ADD COLUMN requests_waiting INTEGER",
        "ALTER TABLE account_health ADD COLUMN notifications_waiting INTEGER",
    ],
)
