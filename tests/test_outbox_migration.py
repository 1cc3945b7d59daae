"""Schema 11 rebuilds the outbox for its new states: every row, index and child kept, and a
reply an older Heedful left "sending" is an outcome unknown, looked for before it goes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.outbox import OutboxRepository
from storage.records import OutboxState, utc_now
from storage.store import open_store

from tests.factories import add_account_as_schema_1, brand_account, ingest_as_schema_1, mention

BEFORE = 9  # the last schema without the outbox's new states (10 is another change)


def test_upgrading_keeps_every_reply_and_makes_a_cut_short_send_an_outcome_unknown(
    tmp_path: Path,
) -> None:
    path = tmp_path / "heedful.db"
    old = open_store(path, target_version=BEFORE)
    account_id = add_account_as_schema_1(old, brand_account())
    # Written as that schema's Heedful wrote them (today's ingest knows later columns).
    ingest_as_schema_1(old, [mention(account_id, n) for n in range(4)])
    mention_ids = [int(r[0]) for r in old.conn.execute("SELECT id FROM mentions ORDER BY id")]
    for number, (mention_id, state) in enumerate(
        zip(mention_ids, ["queued", "sending", "sent", "failed"], strict=True)
    ):
        old.conn.execute(
            "INSERT INTO outbox (account_id, mention_id, kind, body, idempotency_key, state,"
            " attempts, claimed_at, created_at) VALUES (?, ?, 'reply', ?, ?, ?, 1, ?, ?)",
            [account_id, mention_id, f"reply {number}", f"key-{number}", state,
             "2026-11-01T09:00:00.000000Z" if state == "sending" else None,
             "2026-11-01T08:00:00.000000Z"],
        )  # fmt: skip
    old.conn.commit()
    indexes_before = {
        row[0] for row in old.conn.execute("SELECT name FROM sqlite_master WHERE type='index'")
    }
    old.close()

    store = open_store(path)
    try:
        outbox = OutboxRepository(store)
        items = outbox.all()
        assert [(i.body, i.state) for i in items] == [
            ("reply 0", OutboxState.QUEUED),
            ("reply 1", OutboxState.UNKNOWN),  # was it posted? looked for first
            ("reply 2", OutboxState.SENT),
            ("reply 3", OutboxState.FAILED),
        ]
        assert [i.mention_id for i in items] == mention_ids
        assert [i.idempotency_key for i in items] == ["key-0", "key-1", "key-2", "key-3"]
        indexes_after = {
            row[0]
            for row in store.conn.execute("SELECT name FROM sqlite_master WHERE type='index'")
        }
        assert indexes_before <= indexes_after  # the outbox's among them, after its rebuild
        assert store.conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # The new states are allowed now, and nothing else is.
        assert [i.id for i in outbox.due(account_id, utc_now())] == [items[0].id, items[1].id]
        assert outbox.hold_all_for_check() == [items[0].id, items[1].id]
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint"):
            store.conn.execute("UPDATE outbox SET state = 'lost' WHERE id = ?", [items[0].id])
    finally:
        store.close()
