"""Schema 10: global ids and natural keys, for state that leaves the laptop (the team inbox).

Triage events, notes, snippets, snippet variants and saved views get a UUID each (version
4, made by SQLite itself, so every INSERT written before this one goes on working); a brand
account is known by (network, server, platform user id); an account says which brand it
speaks for.
"""

from __future__ import annotations

import logging
import sqlite3

from storage.migrations.machinery import Migration, rebuild_table

log = logging.getLogger(__name__)

# A random (version 4, RFC 4122 variant) UUID in its usual text form, from SQLite's own
# randomness: `xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx` with V one of 8, 9, a, b.
UUID_V4 = (
    "(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'"
    " || substr(lower(hex(randomblob(2))), 2) || '-'"
    " || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2)"
    " || '-' || lower(hex(randomblob(6))))"
)
_UUID = f"uuid TEXT NOT NULL UNIQUE DEFAULT {UUID_V4}"

# The tables as schema 9 left them, with the UUID as their last column. Their indexes and
# triggers (the append-only trigger of triage_events among them) come back with them.
_WITH_UUIDS = {
    "triage_events": f"""
    CREATE TABLE triage_events (
        id INTEGER PRIMARY KEY,
        mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
        actor TEXT NOT NULL,
        field TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT,
        at TEXT NOT NULL,
        {_UUID}
    )
    """,
    "notes": f"""
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
        author TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        {_UUID}
    )
    """,
    "snippets": f"""
    CREATE TABLE snippets (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        shortcut TEXT UNIQUE COLLATE NOCASE,
        body TEXT NOT NULL,
        folder TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        is_shared INTEGER NOT NULL DEFAULT 0 CHECK (is_shared IN (0, 1)),
        usage_count INTEGER NOT NULL DEFAULT 0,
        last_used_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        {_UUID}
    )
    """,
    "snippet_variants": f"""
    CREATE TABLE snippet_variants (
        id INTEGER PRIMARY KEY,
        snippet_id INTEGER NOT NULL REFERENCES snippets (id) ON DELETE CASCADE,
        language TEXT NOT NULL DEFAULT '',
        network TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL,
        {_UUID},
        UNIQUE (snippet_id, language, network)
    )
    """,
    "saved_views": f"""
    CREATE TABLE saved_views (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        query TEXT NOT NULL,
        notify INTEGER NOT NULL DEFAULT 0 CHECK (notify IN (0, 1)),
        position INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        {_UUID}
    )
    """,
}


def _give_rows_uuids(conn: sqlite3.Connection) -> None:
    for table, create in _WITH_UUIDS.items():
        rebuild_table(conn, table, create)  # each existing row gets a fresh UUID


def _key_accounts(conn: sqlite3.Connection) -> None:
    """One account row per platform user on a server. An account re-added after a handle
    change (schema 9 keyed accounts by handle) left an older row with the same user id:
    the newest keeps the id, the older ones lose it (they are asked to sign in again).
    Stored server addresses keep their spelling: the keyring entries of their sign-ins are
    filed under it (storage.identity compares addresses in one spelling instead)."""
    duplicates = conn.execute(
        "SELECT id, handle FROM accounts AS a WHERE platform_user_id IS NOT NULL AND EXISTS ("
        " SELECT 1 FROM accounts AS b WHERE b.network = a.network AND b.server = a.server"
        " AND b.platform_user_id = a.platform_user_id AND b.id > a.id)"
    ).fetchall()
    for account_id, handle in duplicates:
        log.warning("account %d (%s) was added again under a new handle", account_id, handle)
        conn.execute("UPDATE accounts SET platform_user_id = NULL WHERE id = ?", [account_id])
    conn.execute(
        "CREATE UNIQUE INDEX accounts_by_platform_user"
        " ON accounts (network, server, platform_user_id) WHERE platform_user_id IS NOT NULL"
    )


def _run(conn: sqlite3.Connection) -> None:
    _give_rows_uuids(conn)
    _key_accounts(conn)


MIGRATION = Migration(
    10,
    "UUIDs for triage events, notes, snippets and views; accounts keyed by platform user; brands",
    statements=[
        # Which brand an account speaks for ('' = the workspace's brand): reports and care
        # analysis group by it.
        "ALTER TABLE accounts ADD COLUMN brand TEXT NOT NULL DEFAULT ''",
    ],
    run=_run,
)
