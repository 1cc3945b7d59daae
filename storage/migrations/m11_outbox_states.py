"""Schema 11: the outbox's states "unknown" and "check", and who holds a reply's claim."""

from __future__ import annotations

import sqlite3

from storage.migrations.machinery import Migration, rebuild_table

# The outbox as schema 11 has it. A new state changes the CHECK constraint, which SQLite
# cannot ALTER: the table is rebuilt (its rows and indexes kept).
OUTBOX = """
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    mention_id INTEGER REFERENCES mentions (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('reply', 'direct')),
    body TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sending', 'unknown', 'check', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    platform_id TEXT,
    url TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    -- A sender's claim while it posts: when, and which sync (its lease holder). Outcomes
    -- are written only by the claim's holder, so a sync that lost the account writes nothing.
    claimed_at TEXT,
    claimed_by TEXT
)
"""

# Every column of the schema 10 outbox, carried over.
_COLUMNS = ["id", "account_id", "mention_id", "kind", "body", "idempotency_key", "state",
            "attempts", "next_attempt_at", "last_error", "platform_id", "url", "created_at",
            "sent_at", "claimed_at"]  # fmt: skip


def _rebuild_outbox(conn: sqlite3.Connection) -> None:
    # A reply an older Heedful left "sending" was cut short (killed, or still waiting for an
    # answer that never came): whether it reached the network is not known, and the
    # network's idempotency key may have expired since. It is looked for before it goes.
    select = [
        "CASE state WHEN 'sending' THEN 'unknown' ELSE state END" if column == "state" else
        "NULL" if column == "claimed_at" else column
        for column in _COLUMNS
    ]  # fmt: skip
    rebuild_table(conn, "outbox", OUTBOX, copy=_COLUMNS, select=select)


MIGRATION = Migration(
    11,
    "the outbox knows an outcome unknown from queued, and holds restored replies for a check",
    run=_rebuild_outbox,
)
