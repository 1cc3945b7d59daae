"""Small builders for records in tests (realistic defaults, override what a test is about)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.records import MentionKind, Network, NewAccount, NewAuthor, NewMention, to_timestamp
from storage.store import Store

BASE_TIME = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def brand_account(network: Network = Network.MASTODON) -> NewAccount:
    if network is Network.MASTODON:
        return NewAccount(network, "https://social.example", "fjellform", "Fjellform")
    return NewAccount(network, "https://bsky.example", "fjellform.bsky.social", "Fjellform")


def author(handle: str = "kari@toot.example", name: str = "Kari Nordmann") -> NewAuthor:
    return NewAuthor(Network.MASTODON, platform_id=f"id-{handle}", handle=handle, display_name=name)


def mention(
    account_id: int,
    number: int,
    text: str = "Where is my order? It has been two weeks.",
    *,
    by: NewAuthor | None = None,
    minutes: int | None = None,
    **overrides: object,
) -> NewMention:
    fields: dict[str, object] = {
        "account_id": account_id,
        "platform_id": f"1133{number:014d}",
        "author": by or author(),
        "kind": MentionKind.MENTION,
        "text": text,
        "created_at": BASE_TIME + timedelta(minutes=number if minutes is None else minutes),
        "language": "en",
    }
    fields.update(overrides)
    return NewMention(**fields)  # type: ignore[arg-type]


def add_account_as_schema_1(store: Store, account: NewAccount) -> int:
    """Insert an account the way the first schema's Heedful did (for migration tests)."""
    cursor = store.conn.execute(
        "INSERT INTO accounts (network, server, handle, display_name, created_at)"
        " VALUES (?, ?, ?, ?, '2026-10-01T00:00:00.000000Z')",
        [account.network.value, account.server, account.handle, account.display_name],
    )
    store.conn.commit()
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def ingest_as_schema_1(store: Store, mentions: list[NewMention]) -> None:
    """Insert mentions with only the columns the first schema had (for migration tests)."""
    for item in mentions:
        store.conn.execute(
            "INSERT OR IGNORE INTO authors (network, platform_id, handle, display_name,"
            " first_seen_at) VALUES (?, ?, ?, ?, '2026-10-01T00:00:00.000000Z')",
            [item.author.network.value, item.author.platform_id, item.author.handle,
             item.author.display_name],
        )  # fmt: skip
        store.conn.execute(
            "INSERT INTO mentions (account_id, platform_id, author_id, kind, text, language,"
            " created_at, fetched_at, parent_platform_id, root_platform_id, is_own, status)"
            " SELECT ?, ?, id, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM authors"
            " WHERE network = ? AND platform_id = ?",
            [item.account_id, item.platform_id, item.kind.value, item.text, item.language,
             to_timestamp(item.created_at), to_timestamp(item.created_at),
             item.parent_platform_id, item.root_platform_id, int(item.is_own), item.status.value,
             item.author.network.value, item.author.platform_id],
        )  # fmt: skip
    store.conn.commit()
