"""Rebuilding a table (a changed CHECK constraint) keeps its rows, its children and its indexes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.accounts import AccountRepository
from storage.mentions import InboxFilter, MentionRepository
from storage.migrations import LATEST_VERSION, MIGRATIONS, Migration, MigrationError, rebuild_table
from storage.records import TriageStatus, utc_now
from storage.store import open_store
from storage.triage import TriageRepository

from tests.factories import brand_account, mention


def _widen_kinds(conn: sqlite3.Connection) -> None:
    create = next(
        str(row[0]) for row in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'mentions'")
    )
    widened = create.replace("'quote', 'direct')", "'quote', 'direct', 'story')")
    assert widened != create
    rebuild_table(conn, "mentions", widened)


def test_rebuilding_the_mentions_table_keeps_every_child_row_and_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rebuild.db"
    store = open_store(path)
    account_id = AccountRepository(store).add(brand_account()).id
    MentionRepository(store).ingest([mention(account_id, n, f"boots {n}") for n in range(5)])
    ids = MentionRepository(store).page(InboxFilter(), None, 10).ids
    TriageRepository(store).set_field(
        ids[:2], "status", TriageStatus.DONE.value, actor="Kari", at=utc_now()
    )
    TriageRepository(store).add_note(ids[0], "called back", actor="Kari", at=utc_now())
    children = "SELECT (SELECT count(*) FROM triage_events), (SELECT count(*) FROM notes)"
    children_before = store.conn.execute(children).fetchone()
    assert children_before[0] >= 2
    indexes_before = sorted(
        row[0] for row in store.conn.execute("SELECT name FROM sqlite_master WHERE type='index'")
    )
    store.close()

    step = Migration(LATEST_VERSION + 1, "a new kind", run=_widen_kinds)
    monkeypatch.setattr("storage.store.MIGRATIONS", (*MIGRATIONS, step))
    monkeypatch.setattr("storage.store.LATEST_VERSION", LATEST_VERSION + 1)
    upgraded = open_store(path)
    conn = upgraded.conn
    assert conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == 5
    assert conn.execute(children).fetchone() == children_before
    indexes_after = sorted(
        row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")
    )
    assert indexes_after == indexes_before
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    # The search index's triggers came back with the table.
    MentionRepository(upgraded).ingest([mention(account_id, 9, "gaiters")])
    assert len(MentionRepository(upgraded).page(InboxFilter(match='"gaiters"'), None, 5).ids) == 1
    upgraded.close()


def test_a_migration_that_orphans_rows_is_refused_and_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "orphans.db"
    store = open_store(path)
    account_id = AccountRepository(store).add(brand_account()).id
    MentionRepository(store).ingest([mention(account_id, 1)])
    store.close()
    step = Migration(LATEST_VERSION + 1, "careless", ["DELETE FROM accounts"])
    monkeypatch.setattr("storage.store.MIGRATIONS", (*MIGRATIONS, step))
    monkeypatch.setattr("storage.store.LATEST_VERSION", LATEST_VERSION + 1)
    with pytest.raises(MigrationError):
        open_store(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == 1
