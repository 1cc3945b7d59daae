"""Which brand each account belongs to: the one place that reads `accounts.brand`.

'' is the workspace's one brand. Until the column exists (another migration adds it),
every account belongs to that brand.
"""

from __future__ import annotations

import sqlite3

WORKSPACE_BRAND = ""


def has_brand_column(conn: sqlite3.Connection) -> bool:
    return any(row[1] == "brand" for row in conn.execute("PRAGMA table_info(accounts)"))


def brand_expression(conn: sqlite3.Connection, accounts_alias: str = "accounts") -> str:
    """The SQL for an account's brand, given the alias its row has in the statement."""
    if has_brand_column(conn):
        return f"coalesce({accounts_alias}.brand, '')"
    return "''"


def account_brands(conn: sqlite3.Connection) -> dict[int, str]:
    """Every account's id and its brand."""
    sql = f"SELECT id, {brand_expression(conn, 'accounts')} FROM accounts ORDER BY id"
    return {int(row[0]): str(row[1]) for row in conn.execute(sql)}
