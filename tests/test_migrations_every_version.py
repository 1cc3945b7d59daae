"""Upgrading from every earlier schema version, with data in every table that version has:
each row survives with every value it had and its children, the file passes integrity_check
and foreign_key_check, and the search index finds every mention.

A database "as version v left it" is made by running migrations 1..v (they never change
once shipped) and filled through SQL with the columns that version had.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from storage.mentions import InboxFilter, MentionRepository
from storage.migrations import LATEST_VERSION, MIGRATIONS
from storage.snippets import SnippetRepository
from storage.store import open_store

T0 = "2026-10-0{}T09:{:02d}:00.000000Z"


def at(day: int, minute: int = 0) -> str:
    return T0.format(day, minute)


# Every column any version had, per table, in parent-before-child order; a version gets the
# columns its tables have. Ids are given so that children name their parents.
_ACCOUNTS = [
    {"id": 1, "network": "mastodon", "server": "https://social.example", "handle": "fjellform",
     "display_name": "Fjellform", "platform_user_id": "109348", "state": "ok",
     "state_detail": "", "created_at": at(1), "last_synced_at": at(5, 30),
     "max_post_length": 500},
    {"id": 2, "network": "bluesky", "server": "https://bsky.social",
     "handle": "fjellform.bsky.social", "display_name": "Fjellform ⛰", "state": "rate_limited",
     "platform_user_id": "did:plc:fjellform2x7", "state_detail": "rate limit until 10:05",
     "created_at": at(1, 5), "state_until": at(5, 35)},
    {"id": 3, "network": "mastodon", "server": "https://fosstodon.example",
     "handle": "fjellform_de", "display_name": "", "platform_user_id": None,
     "state": "needs_sign_in", "state_detail": "token revoked", "created_at": at(2)},
]  # fmt: skip
_AUTHORS = [
    {"id": 1, "network": "mastodon", "platform_id": "1001", "handle": "kari@toot.example",
     "display_name": "Kari Nordmann", "avatar_url": "https://toot.example/a/1.png",
     "first_seen_at": at(1)},
    {"id": 2, "network": "mastodon", "platform_id": "1002", "handle": "ingrid@fjell.example",
     "display_name": "Ingrid Å. Øverby 🌲", "first_seen_at": at(1)},
    {"id": 3, "network": "bluesky", "platform_id": "did:plc:maryam", "handle": "maryam.bsky.social",
     "display_name": "مريم\u200f", "first_seen_at": at(2)},
    {"id": 4, "network": "mastodon", "platform_id": "109348", "handle": "fjellform@social.example",
     "display_name": "Fjellform", "first_seen_at": at(1)},
]  # fmt: skip
# (id, account, author, kind, a word only this mention has, status, extras)
_MENTION_ROWS: list[tuple[int, int, int, str, str, str, dict[str, Any]]] = [
    (1, 1, 1, "mention", "zipper", "new", {"language": "nb"}),
    (2, 1, 1, "reply", "refund", "open", {"assignee": "Ingrid", "priority": 2,
                                          "parent_platform_id": "110000000000000001",
                                          "root_platform_id": "110000000000000001"}),
    (3, 1, 4, "reply", "sorted", "done", {"is_own": 1, "parent_platform_id": "110000000000000002",
                                          "root_platform_id": "110000000000000001"}),
    (4, 1, 2, "direct", "ordernumber", "pending", {"visibility": "direct",
                                                   "snoozed_until": at(9)}),
    (5, 2, 3, "mention", "sizing", "new", {"language": "ar",
                                           "platform_cid": "bafyreib2rxk3rh6kzwq"}),
    (6, 2, 3, "quote", "gaiters", "done", {"spoiler_text": "long rant"}),
    (7, 3, 2, "mention", "tromsø", "new", {"is_context": 1}),
    (8, 1, 2, "mention", "café", "open", {"html": "<p>A <b>café</b> <script>x</script></p>",
                                          "raw": '{"id": "8", "content": "<p>…</p>"}'}),
]  # fmt: skip


def _mentions() -> list[dict[str, Any]]:
    rows = []
    for number, account, author, kind, word, status, extra in _MENTION_ROWS:
        rows.append({
            "id": number, "account_id": account, "platform_id": f"11000000000000000{number}",
            "url": f"https://social.example/@x/11000000000000000{number}", "author_id": author,
            "kind": kind, "text": f"Hei! Question {number} about the {word}, please?",
            "language": "en", "visibility": "public", "created_at": at(3, number),
            "fetched_at": at(3, number + 1), "is_own": 0, "status": status, "priority": 0,
            "is_context": 0, **extra,
        })  # fmt: skip
    return rows


_ROWS: dict[str, list[dict[str, Any]]] = {
    "accounts": _ACCOUNTS,
    "authors": _AUTHORS,
    "mentions": _mentions(),
    "triage_events": [
        {"id": 1, "mention_id": 2, "actor": "Ingrid", "field": "status", "old_value": "new",
         "new_value": "open", "at": at(4, 1)},
        {"id": 2, "mention_id": 2, "actor": "Ingrid", "field": "assignee", "old_value": None,
         "new_value": "Ingrid", "at": at(4, 2)},
        {"id": 3, "mention_id": 6, "actor": "Ola", "field": "status", "old_value": "new",
         "new_value": "done", "at": at(4, 3)},
        {"id": 4, "mention_id": 4, "actor": "cli", "field": "snoozed_until", "old_value": None,
         "new_value": at(9), "at": at(4, 4)},
    ],
    "tags": [{"id": 1, "name": "billing"}, {"id": 2, "name": "Größe"}, {"id": 3, "name": "vip"}],
    "mention_tags": [{"mention_id": 2, "tag_id": 1}, {"mention_id": 5, "tag_id": 2},
                     {"mention_id": 2, "tag_id": 3}],
    "notes": [
        {"id": 1, "mention_id": 2, "author": "Ingrid", "body": "Called her; refund on Monday.",
         "created_at": at(4, 5)},
        {"id": 2, "mention_id": 4, "author": "Ola", "body": "Order FF-102934 — ask the shop",
         "created_at": at(4, 6)},
    ],
    "drafts": [
        {"mention_id": 1, "mode": "public", "body": "Hei Kari! Glidelåsen …", "updated_at": at(4)},
        {"mention_id": 4, "mode": "direct", "body": "Can you send the order number here?",
         "updated_at": at(4, 9)},
    ],
    "outbox": [
        {"id": 1, "account_id": 1, "mention_id": 2, "kind": "reply", "body": "On its way! – I",
         "idempotency_key": "3kxqv8ayh2b01", "state": "sent", "attempts": 1,
         "platform_id": "110000000000000003", "url": "https://social.example/@fjellform/3",
         "created_at": at(4, 10), "sent_at": at(4, 11)},
        {"id": 2, "account_id": 1, "mention_id": 8, "kind": "reply", "body": "The café one!",
         "idempotency_key": "3kxqv8ayh2b02", "state": "queued", "attempts": 0,
         "created_at": at(4, 12)},
        {"id": 3, "account_id": 2, "mention_id": 5, "kind": "reply", "body": "Størrelse M?",
         "idempotency_key": "3kxqv8ayh2b03", "state": "failed", "attempts": 3,
         "last_error": "rate limited", "next_attempt_at": at(5), "created_at": at(4, 13)},
        {"id": 4, "account_id": 1, "mention_id": 4, "kind": "direct", "body": "DM the number",
         "idempotency_key": "3kxqv8ayh2b04", "state": "sending", "attempts": 1,
         "created_at": at(4, 14), "claimed_at": at(4, 15)},
    ],
    "snippets": [
        {"id": 1, "title": "Sorry for the wait", "shortcut": "wait",
         "body": "Sorry for the wait, {customer.first_name}! – {agent.name}",
         "folder": "Delivery", "tags": '["delivery", "apology"]', "is_shared": 1,
         "usage_count": 4, "last_used_at": at(4), "created_at": at(1), "updated_at": at(2)},
        {"id": 2, "title": "Move to DM", "shortcut": None, "body": "Send us a DM 🙂",
         "created_at": at(1), "updated_at": at(1)},
    ],
    "snippet_variants": [
        {"id": 1, "snippet_id": 1, "language": "nb", "network": "",
         "body": "Beklager ventetiden, {customer.first_name}!"},
        {"id": 2, "snippet_id": 1, "language": "", "network": "bluesky", "body": "Sorry! 🙏"},
        {"id": 3, "snippet_id": 2, "language": "de", "network": "", "body": "Schreib uns per DM"},
    ],
    "sync_cursors": [
        {"account_id": 1, "stream": "notifications", "cursor": "110000000000000008",
         "updated_at": at(5)},
        {"account_id": 2, "stream": "notifications", "cursor": "3kxqv8ayh2b2c",
         "updated_at": at(5)},
    ],
    "sync_leases": [{"account_id": 1, "holder": "window:4242", "expires_at": at(5, 40)}],
    "account_health": [
        {"account_id": 1, "fetched_last": 3, "fetched_total": 812, "rate_limit": 300,
         "rate_remaining": 287, "rate_resets_at": at(5, 35), "last_attempt_at": at(5, 30)},
    ],
    "saved_views": [
        {"id": 1, "name": "Billing", "query": "tag:billing status:open", "notify": 1,
         "position": 0, "created_at": at(2)},
        {"id": 2, "name": "Norsk", "query": "lang:nb", "position": 1, "created_at": at(2)},
    ],
    "snippet_uses": [{"id": 1, "snippet_id": 1, "mention_id": 2, "used_at": at(4, 10)},
                     {"id": 2, "snippet_id": 2, "mention_id": None, "used_at": at(4, 11)}],
    "brand_profile": [{"id": 1, "body": '{"name": "Fjellform", "sign_off": "– {agent.name}"}',
                       "updated_at": at(2)}],
    "team_membership": [{"id": 1, "server": "nats://team.example:4222", "team": "care",
                         "user": "kari", "joined_at": at(1), "applied_seq": 7}],
    "team_outbox": [{"id": 1, "uuid": "0f6b3c1e-1d1c-4f55-9d3e-1c2b3a4d5e6f",
                     "event_type": "triage.set", "payload": b'{"v":1}', "target": "k|status",
                     "created_at": at(5)}],
    "team_mentions": [{"mkey": "k", "network": "mastodon", "server": "https://social.example",
                       "account": "4242", "platform_id": "1133"}],
    "team_fields": [{"mkey": "k", "field": "status", "value": "open", "actor": "Ola",
                     "version": "1b6b3c1e-1d1c-4f55-9d3e-1c2b3a4d5e6f", "at": at(4), "seq": 3}],
    "team_tags": [{"add_id": "2b6b3c1e-1d1c-4f55-9d3e-1c2b3a4d5e6f", "mkey": "k",
                   "tag": "billing"}],
    "team_events": [{"seq": 3, "uuid": "1b6b3c1e-1d1c-4f55-9d3e-1c2b3a4d5e6f",
                     "event_type": "triage.set", "mkey": "k", "actor": "Ola", "user": "ola",
                     "at": at(4), "payload": b'{"v":1}', "outcome": "applied"}],
    "team_conflicts": [{"uuid": "3b6b3c1e-1d1c-4f55-9d3e-1c2b3a4d5e6f", "mkey": "k",
                        "field": "status", "mine_value": "done", "mine_actor": "Kari",
                        "mine_user": "kari", "mine_at": at(4), "theirs_value": "open",
                        "theirs_actor": "Ola", "theirs_at": at(4), "seq": 4}],
    "team_rejected": [{"seq": 5, "subject": "heedful.care.ev.x", "reason": "not JSON",
                       "size": 3, "received_at": at(4)}],
    "team_reply_holds": [{"outbox_id": 1, "holder_actor": "Ola", "holder_user": "ola",
                          "held_at": at(5)}],
    "skipped_items": [
        {"id": 1, "account_id": 2, "platform_id": "at://did:plc:x/app.bsky.feed.post/1",
         "reason": "malformed record", "skipped_at": at(3)},
        {"id": 2, "account_id": 1, "platform_id": None, "reason": "no id", "skipped_at": at(3)},
    ],
}  # fmt: skip


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not row[0].startswith(("sqlite_", "mentions_fts"))
    }


def fill_as_of(conn: sqlite3.Connection, version: int) -> None:
    """Rows in every table the schema has, with the columns it has (what that version's
    Heedful could have written)."""
    tables = _tables(conn)
    with conn:
        for table, rows in _ROWS.items():
            if table not in tables:
                continue
            known = set(_columns(conn, table))
            for row in rows:
                values = {column: value for column, value in row.items() if column in known}
                conn.execute(
                    f"INSERT INTO {table} ({', '.join(values)})"
                    f" VALUES ({', '.join('?' * len(values))})",
                    list(values.values()),
                )
    assert conn.execute("PRAGMA user_version").fetchone()[0] == version


def _as_migrated(
    table: str, columns: list[str], rows: list[tuple[Any, ...]], version: int
) -> list[tuple[Any, ...]]:
    """The rows as the later migrations mean to leave them: every value kept, except the ones
    a migration changes on purpose (each listed here with the migration that does it)."""
    if table == "outbox" and version < 11:
        # 11: a reply left "sending" was cut short; whether it reached the network is not
        # known, so it becomes "unknown" (looked for before it goes again), its claim dropped.
        state = columns.index("state")
        claimed = columns.index("claimed_at") if "claimed_at" in columns else None
        changed = []
        for row in rows:
            values = list(row)
            if values[state] == "sending":
                values[state] = "unknown"
            if claimed is not None:
                values[claimed] = None
            changed.append(tuple(values))
        rows = changed
    return sorted(rows, key=repr)


def _snapshot(conn: sqlite3.Connection) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every row of every table, in the columns it has now, in a stable order."""
    found = {}
    for table in sorted(_tables(conn)):
        columns = _columns(conn, table)
        rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
        found[table] = (columns, sorted(rows, key=repr))
    return found


# Every schema a Heedful shipped or a branch added (versions may skip numbers until merged).
@pytest.mark.parametrize("version", [m.version for m in MIGRATIONS if m.version < LATEST_VERSION])
def test_upgrading_from_each_version_keeps_every_row_and_finds_every_mention(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "heedful.db"
    old = open_store(path, target_version=version)
    fill_as_of(old.conn, version)
    before = _snapshot(old.conn)
    assert sum(len(rows) for _columns, rows in before.values()) >= 30
    old.close()

    upgraded = open_store(path)
    try:
        conn = upgraded.conn
        assert upgraded.schema_version() == LATEST_VERSION
        after = _snapshot(conn)
        for table, (columns, rows) in before.items():
            now_columns, _rows = after[table]
            assert set(columns) <= set(now_columns), table
            kept = conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            expected = _as_migrated(table, columns, rows, version)
            assert sorted(kept, key=repr) == expected, f"{table} changed from schema {version}"
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('integrity-check')")
        # The search index holds every mention, whichever version wrote it.
        mentions = MentionRepository(upgraded)
        for number, _account, _author, _kind, word, _status, extra in _MENTION_ROWS:
            hits = conn.execute(
                "SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?", [f'"{word}"']
            ).fetchall()
            assert hits == [(number,)], word
            if not extra.get("is_own") and not extra.get("is_context"):
                assert mentions.page(InboxFilter(match=f'"{word}"'), None, 5).ids == [number]
        by_author = conn.execute(
            "SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH 'author:Øverby'"
        ).fetchall()
        assert sorted(by_author) == [(4,), (7,), (8,)]
        # The app reads what the old version wrote: snippets with their variants.
        sorry = SnippetRepository(upgraded).get(1)
        assert {(v.language, v.network) for v in sorry.variants} == {("nb", ""), ("", "bluesky")}
    finally:
        upgraded.close()
