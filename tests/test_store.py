"""The local store: schema migrations, safety pragmas, ingest without duplicates, inbox paging."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from storage.accounts import AccountRepository
from storage.errors import NewerSchemaError, StoreCorruptError
from storage.mentions import InboxFilter, MentionRepository
from storage.migrations import LATEST_VERSION, MIGRATIONS, Migration
from storage.records import MentionKind, Network, NewAuthor, TriageStatus
from storage.store import Store, open_store

from tests.factories import (
    add_account_as_schema_1,
    author,
    brand_account,
    ingest_as_schema_1,
    mention,
)


@pytest.fixture
def account_id(store: Store) -> int:
    return AccountRepository(store).add(brand_account()).id


def test_new_store_is_at_latest_schema_with_safety_pragmas(store: Store) -> None:
    assert store.schema_version() == LATEST_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_database_file_is_private_to_its_owner(store: Store) -> None:
    mode = stat.S_IMODE(store.path.stat().st_mode)
    assert mode & 0o077 == 0, oct(mode)


def test_store_from_a_newer_heedful_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    open_store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 5}")
    with pytest.raises(NewerSchemaError) as refused:
        open_store(path)
    message = str(refused.value)
    assert "newer version of Heedful" in message
    assert f"schema {LATEST_VERSION + 5}" in message
    # Refusing must not touch the data.
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION + 5


def test_older_store_is_migrated_and_keeps_its_mentions(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = open_store(path, target_version=1)
    assert old.schema_version() == 1
    account_id = add_account_as_schema_1(old, brand_account())
    ingest_as_schema_1(old, [mention(account_id, 1, "Refund still missing for my boots")])
    old.close()

    upgraded = open_store(path)
    assert upgraded.schema_version() == LATEST_VERSION
    repository = MentionRepository(upgraded)
    found = repository.page(InboxFilter(match='"boots"'), None, 10)
    assert len(found.ids) == 1
    assert repository.get(found.ids[0]).text == "Refund still missing for my boots"
    upgraded.close()


def test_a_failing_migration_leaves_the_old_schema_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "half.db"
    open_store(path, target_version=1).close()
    broken = (*MIGRATIONS, Migration(LATEST_VERSION + 1, "broken", ["CREATE TABLE x (", "nope"]))
    monkeypatch.setattr("storage.store.MIGRATIONS", broken)
    monkeypatch.setattr("storage.store.LATEST_VERSION", LATEST_VERSION + 1)
    with pytest.raises(sqlite3.Error):
        open_store(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "mentions_fts" not in tables  # migration 2 was rolled back with the broken one


def test_a_file_that_is_not_a_database_is_reported_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not an SQLite database, just some bytes " * 200)
    with pytest.raises(StoreCorruptError) as refused:
        open_store(path)
    assert "damaged" in str(refused.value)


def test_ingesting_the_same_mentions_twice_stores_them_once(store: Store, account_id: int) -> None:
    repository = MentionRepository(store)
    batch = [mention(account_id, n, f"Problem number {n}") for n in range(30)]
    assert repository.ingest(batch) == 30
    assert repository.ingest(batch) == 0
    assert repository.ingest([*batch[:5], mention(account_id, 99, "new one")]) == 1
    assert repository.count(InboxFilter()) == 31


def test_keyset_pages_cover_the_inbox_newest_first_without_gaps(
    store: Store, account_id: int
) -> None:
    repository = MentionRepository(store)
    # Several mentions share a timestamp: paging must still not skip or repeat any.
    repository.ingest([mention(account_id, n, f"post {n}", minutes=n // 3) for n in range(95)])
    seen: list[int] = []
    cursor = None
    while True:
        page = repository.page(InboxFilter(), cursor, 10)
        seen += page.ids
        if page.next is None:
            break
        cursor = page.next
    assert len(seen) == 95 == len(set(seen))
    rows = repository.rows(seen)
    times = [rows[i].created_at for i in seen]
    assert times == sorted(times, reverse=True)


def test_brand_posts_are_thread_context_not_inbox_work(store: Store, account_id: int) -> None:
    repository = MentionRepository(store)
    brand = NewAuthor(Network.MASTODON, "brand-id", "fjellform", "Fjellform")
    question = mention(account_id, 1, "Do you ship to Tromsø?")
    answer = mention(
        account_id,
        2,
        "Yes, in 2-4 days! – Ingrid",
        by=brand,
        kind=MentionKind.REPLY,
        is_own=True,
        parent_platform_id=question.platform_id,
        root_platform_id=question.platform_id,
    )
    thanks = mention(
        account_id,
        3,
        "Great, thanks!",
        kind=MentionKind.REPLY,
        parent_platform_id=answer.platform_id,
        root_platform_id=question.platform_id,
    )
    repository.ingest([question, answer, thanks])
    inbox = repository.page(InboxFilter(), None, 10).ids
    assert len(inbox) == 2  # the brand's own reply is not in the inbox
    thread = repository.thread(inbox[-1])  # opened from the question
    assert [row.text for row in thread] == [
        "Do you ship to Tromsø?",
        "Yes, in 2-4 days! – Ingrid",
        "Great, thanks!",
    ]
    assert [row.is_own for row in thread] == [False, True, False]
    assert [row.text for row in repository.thread(inbox[0])] == [row.text for row in thread]


def test_status_filter_and_author_history(store: Store, account_id: int) -> None:
    repository = MentionRepository(store)
    ranter = author("angry@toot.example", "Sam Angry")
    repository.ingest(
        [mention(account_id, n, f"Refund? Day {n}", by=ranter) for n in range(12)]
        + [mention(account_id, 50, "Love the new jacket", status=TriageStatus.DONE)]
    )
    open_view = InboxFilter(statuses=frozenset({TriageStatus.NEW}))
    assert repository.count(open_view) == 12
    assert repository.count(InboxFilter(statuses=frozenset({TriageStatus.DONE}))) == 1
    first = repository.page(open_view, None, 1).ids[0]
    history = repository.by_author(repository.get(first).author.id)
    assert len(history) == 12
    assert history[0].text == "Refund? Day 11"


def test_renamed_author_is_found_under_the_new_name(store: Store, account_id: int) -> None:
    repository = MentionRepository(store)
    repository.ingest([mention(account_id, 1, "hello", by=author("kari@toot.example", "Kari"))])
    renamed = NewAuthor(Network.MASTODON, "id-kari@toot.example", "kari@toot.example", "Kari Fjell")
    repository.ingest([mention(account_id, 2, "again", by=renamed)])
    assert repository.count(InboxFilter(match='"Fjell"')) == 2


def test_triage_history_is_append_only(store: Store, account_id: int) -> None:
    MentionRepository(store).ingest([mention(account_id, 1)])
    with store.write() as db:
        db.execute(
            "INSERT INTO triage_events (mention_id, actor, field, old_value, new_value, at)"
            " VALUES (1, 'ingrid', 'status', 'new', 'done', '2026-11-01T10:00:00.000000Z')"
        )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.write() as db:
        db.execute("UPDATE triage_events SET new_value = 'open'")


def test_only_one_sender_can_claim_a_queued_reply(store: Store, account_id: int) -> None:
    from datetime import timedelta

    from storage.outbox import OutboxRepository
    from storage.records import OutboxState, utc_now

    MentionRepository(store).ingest([mention(account_id, 1)])
    outbox = OutboxRepository(store)
    item = outbox.queue(account_id, 1, "reply", "On its way!", "3kabcdefghij2")
    now = utc_now()
    assert [i.id for i in outbox.due(account_id, now)] == [item.id]
    assert outbox.claim(item.id, now)
    assert not outbox.claim(item.id, now)  # a second sync running at the same time
    assert outbox.due(account_id, now) == []
    # A claim left by a sender that died: the next sync's lease finds the outcome unknown,
    # and the reply is looked for on the network (same key) before it may go again.
    later = now + timedelta(minutes=6)
    assert outbox.release_abandoned(account_id) == [item.id]
    assert [i.state.value for i in outbox.due(account_id, later)] == ["unknown"]
    assert not outbox.claim(item.id, later)  # never posted again without the look
    assert outbox.claim(item.id, later, expected=OutboxState.UNKNOWN)
    assert outbox.get(item.id).attempts == 2


def test_migrations_are_numbered_one_after_another() -> None:
    """The store runs the migrations above its user_version in order: a gap or a number out of
    order would let a database skip a migration for ever."""
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
