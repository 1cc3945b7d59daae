"""Migration 14: X as a network, and what metered networks cost (reads, posts, a budget)."""

from __future__ import annotations

import re
import sqlite3

from storage.migrations.machinery import Migration, MigrationError, rebuild_table

_NETWORK_CHECK = re.compile(r"CHECK\s*\(\s*network\s+IN\s*\(([^)]*)\)\s*\)", re.IGNORECASE)


def _allow_x(conn: sqlite3.Connection) -> None:
    """accounts.network's CHECK gains 'x'. The table's current shape is read from the
    database rather than written out here, so columns other migrations added stay as they
    are; only the list of networks changes."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'accounts'")
    found = row.fetchone()
    if found is None:
        raise MigrationError("no accounts table to let X accounts into")
    create = str(found[0])
    match = _NETWORK_CHECK.search(create)
    if match is None:
        raise MigrationError("accounts.network has no CHECK listing the networks")
    names = [name.strip().strip("'") for name in match.group(1).split(",") if name.strip()]
    if "x" in names:
        return
    listed = ", ".join(f"'{name}'" for name in [*names, "x"])
    rebuild_table(conn, "accounts", _NETWORK_CHECK.sub(f"CHECK (network IN ({listed}))", create, 1))


_USAGE_TABLES = [
    # What a metered network (X bills each post read and each post made) was asked for, per
    # account and UTC day (X's billing day). Written as each request is answered.
    """
    CREATE TABLE network_usage (
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        day TEXT NOT NULL,
        post_reads INTEGER NOT NULL DEFAULT 0,
        user_reads INTEGER NOT NULL DEFAULT 0,
        dm_reads INTEGER NOT NULL DEFAULT 0,
        posts_created INTEGER NOT NULL DEFAULT 0,
        posts_with_link INTEGER NOT NULL DEFAULT 0,
        dms_created INTEGER NOT NULL DEFAULT 0,
        requests INTEGER NOT NULL DEFAULT 0,
        last_read_at TEXT,
        PRIMARY KEY (account_id, day)
    ) WITHOUT ROWID
    """,
    # What the person set for an account: a daily read budget (NULL: none), unit prices other
    # than X's published ones (JSON, NULL: the defaults); and what the network let it reach
    # (X serves only the ~800 most recent mentions: when a backfill hit that wall).
    """
    CREATE TABLE network_account_limits (
        account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
        daily_read_budget INTEGER CHECK (daily_read_budget IS NULL OR daily_read_budget >= 0),
        unit_prices TEXT,
        history_wall_at TEXT,
        history_wall_note TEXT
    )
    """,
    # Renewing a sign-in whose refresh token rotates (X: each refresh token works once): one
    # process at a time per keyring secret, so two never spend the same refresh token and
    # sign the account out. A row is held for the length of one token request.
    """
    CREATE TABLE token_refresh_leases (
        secret_name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at TEXT NOT NULL
    ) WITHOUT ROWID
    """,
]

MIGRATION = Migration(
    14,
    "X accounts; reads, posts and a read budget per account and day; token refresh leases",
    statements=_USAGE_TABLES,
    run=_allow_x,
)
