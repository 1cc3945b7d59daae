"""The durable outbox: replies waiting to be sent, and what became of each.

A reply moves queued → sending → sent, or → failed when the network refuses it. A request
that went out with no clear answer (a timeout, a cut connection, an error after the server
may have acted, a crash mid-send) leaves it "unknown"; a restored backup leaves every reply
not yet sent at "check". Both are looked for on the network before they are posted again
(app/sync/sending.py): the network's own idempotency window is short (Mastodon: one hour).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from storage.records import OutboxItem, OutboxState, from_timestamp, to_timestamp, utc_now
from storage.store import Store

# Kept for callers that reason about a dead sender's claim: longer than any request takes.
# (Claims are no longer waited out: a new sync lease turns every claim left behind into an
# outcome unknown at once.)
CLAIM_EXPIRES = timedelta(minutes=5)

_OUTBOX_COLUMNS = (
    "id, account_id, mention_id, kind, body, idempotency_key, state, attempts, next_attempt_at,"
    " last_error, platform_id, url, created_at, sent_at"
)
# What a sync posts, or looks for first, when due.
_DUE_STATES = (OutboxState.QUEUED, OutboxState.UNKNOWN, OutboxState.CHECK)
_DUE_SQL = "('queued', 'unknown', 'check')"
# Not sent yet and not given up on (OutboxState.waiting).
_WAITING_SQL = "('queued', 'sending', 'unknown', 'check')"
# The only writer of a reply's outcome is the holder of its claim (or anyone, when no sync is
# posting it): a sync that lost its lease mid-wait writes nothing over the next one's work.
_NOT_ANOTHERS = "state != 'sent' AND (state != 'sending' OR claimed_by IS ?)"


class OutboxRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def queue(
        self, account_id: int, mention_id: int | None, kind: str, body: str, idempotency_key: str
    ) -> OutboxItem:
        with self._store.write() as db:
            cursor = db.execute(
                "INSERT INTO outbox (account_id, mention_id, kind, body, idempotency_key,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [account_id, mention_id, kind, body, idempotency_key, to_timestamp(utc_now())],
            )
            assert cursor.lastrowid is not None
            return self.get(cursor.lastrowid)

    def get(self, item_id: int) -> OutboxItem:
        rows = list(
            self._store.db.query(f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE id = ?", [item_id])
        )
        if not rows:
            raise KeyError(item_id)
        return _item(rows[0])

    def all(self) -> list[OutboxItem]:
        return [
            _item(row)
            for row in self._store.db.query(f"SELECT {_OUTBOX_COLUMNS} FROM outbox ORDER BY id")
        ]

    def due(self, account_id: int, now: datetime) -> list[OutboxItem]:
        """Replies to send now, or to look for first (unknown, check), oldest first."""
        return [
            _item(row)
            for row in self._store.db.query(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE account_id = ?"
                f" AND state IN {_DUE_SQL} AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
                " ORDER BY id",
                [account_id, to_timestamp(now)],
            )
        ]

    def release_abandoned(self, account_id: int) -> list[int]:
        """Replies left "sending" by a sync that is gone (killed mid-send, or failed between
        claim and outcome) become "unknown": the post may be on the network, and is looked for
        before it goes again. Only the holder of the account's sync lease sends, so when a new
        lease begins every such claim is abandoned. Returns their ids."""
        with self._store.write() as db:
            ids = [
                int(row[0])
                for row in db.execute(
                    "SELECT id FROM outbox WHERE account_id = ? AND state = 'sending'",
                    [account_id],
                )
            ]
            db.execute(
                "UPDATE outbox SET state = 'unknown', claimed_at = NULL, claimed_by = NULL,"
                " next_attempt_at = NULL WHERE account_id = ? AND state = 'sending'",
                [account_id],
            )
        return ids

    def hold_all_for_check(self) -> list[int]:
        """After a backup is restored: every reply the backup has as not sent yet may have
        gone out since the backup was made. Each becomes "check", looked for on the
        network before any send. Returns their ids."""
        with self._store.write() as db:
            ids = [
                int(row[0])
                for row in db.execute(f"SELECT id FROM outbox WHERE state IN {_WAITING_SQL}")
            ]
            db.execute(
                "UPDATE outbox SET state = 'check', claimed_at = NULL, claimed_by = NULL,"
                f" next_attempt_at = NULL WHERE state IN {_WAITING_SQL}"
            )
        return ids

    def claim(
        self,
        item_id: int,
        now: datetime,
        *,
        by: str | None = None,
        expected: OutboxState = OutboxState.QUEUED,
    ) -> bool:
        """Take a reply for posting, from the state the sender saw it in (queued; unknown or
        check once looking for it found nothing). Only one sender (thread or process) wins,
        so two syncs running at once never post it twice. `by` names the sender: only it may
        write the outcome."""
        if expected not in _DUE_STATES:
            raise ValueError(f"a {expected.value} reply cannot be claimed for sending")
        with self._store.write() as db:
            cursor = db.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_at = ?,"
                " claimed_by = ? WHERE id = ? AND state = ?",
                [to_timestamp(now), by, item_id, expected.value],
            )
        return cursor.rowcount == 1

    def mark_sent(self, item_id: int, platform_id: str, url: str | None) -> bool:
        """The network has the post: recorded at once, on its own, whoever asked (a reply the
        network has is sent, whatever any sync thinks). False if it was recorded already."""
        with self._store.write() as db:
            cursor = db.execute(
                "UPDATE outbox SET state = 'sent', platform_id = ?, url = ?, sent_at = ?,"
                " last_error = NULL, next_attempt_at = NULL, claimed_at = NULL,"
                " claimed_by = NULL WHERE id = ? AND state != 'sent'",
                [platform_id, url, to_timestamp(utc_now()), item_id],
            )
        return cursor.rowcount == 1

    def mark_retry(
        self, item_id: int, error: str, next_attempt_at: datetime, *, by: str | None = None
    ) -> bool:
        """Not sent, certainly (refused for now, never reached the network): queued again."""
        return self._finish(item_id, "queued", error, next_attempt_at, by)

    def mark_unknown(
        self, item_id: int, error: str, next_attempt_at: datetime, *, by: str | None = None
    ) -> bool:
        """The request went out and no clear answer came back: look for it before posting."""
        return self._finish(item_id, "unknown", error, next_attempt_at, by)

    def mark_failed(self, item_id: int, error: str, *, by: str | None = None) -> bool:
        """The network refused it for good; the text stays for Retry or Edit again."""
        return self._finish(item_id, "failed", error, None, by)

    def postpone_check(self, item_id: int, error: str, next_attempt_at: datetime) -> bool:
        """Looking for an unknown or restored reply did not get an answer: it stays as it is
        (never posted without the look), and is looked for again at `next_attempt_at`."""
        with self._store.write() as db:
            cursor = db.execute(
                "UPDATE outbox SET last_error = ?, next_attempt_at = ?"
                " WHERE id = ? AND state IN ('unknown', 'check')",
                [error, to_timestamp(next_attempt_at), item_id],
            )
        return cursor.rowcount == 1

    def _finish(
        self, item_id: int, state: str, error: str, when: datetime | None, by: str | None
    ) -> bool:
        with self._store.write() as db:
            cursor = db.execute(
                "UPDATE outbox SET state = ?, last_error = ?, next_attempt_at = ?,"
                f" claimed_at = NULL, claimed_by = NULL WHERE id = ? AND {_NOT_ANOTHERS}",
                [state, error, None if when is None else to_timestamp(when), item_id, by],
            )
        return cursor.rowcount == 1

    def transaction(self) -> contextlib.AbstractContextManager[object]:
        """Several outbox and draft changes that must commit together."""
        return self._store.write()

    def retry(self, item_id: int) -> bool:
        """Queue a failed reply again, to go at the next sync; False if it was not failed."""
        with self._store.write() as db:
            cursor = db.execute(
                "UPDATE outbox SET state = 'queued', next_attempt_at = NULL, claimed_at = NULL,"
                " claimed_by = NULL WHERE id = ? AND state = 'failed'",
                [item_id],
            )
        return cursor.rowcount == 1

    def take_back(self, item_id: int) -> OutboxItem | None:
        """Remove a failed reply from the outbox (its text goes back to the editor); None
        when it is no longer failed (sent or queued again meanwhile)."""
        with self._store.write() as db:
            item = self.get(item_id)
            if item.state is not OutboxState.FAILED:
                return None
            db.execute("DELETE FROM outbox WHERE id = ?", [item_id])
        return item

    def latest_for_mention(self, mention_id: int) -> OutboxItem | None:
        rows = list(
            self._store.db.query(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE mention_id = ?"
                " ORDER BY id DESC LIMIT 1",
                [mention_id],
            )
        )
        return _item(rows[0]) if rows else None

    def sent_platform_ids(self, mention_id: int) -> frozenset[str]:
        """The posts already recorded for replies to this mention: looking for another
        reply's post must not take one of these for it (the same text sent twice)."""
        rows = self._store.conn.execute(
            "SELECT platform_id FROM outbox WHERE mention_id = ? AND state = 'sent'"
            " AND platform_id IS NOT NULL",
            [mention_id],
        ).fetchall()
        return frozenset(str(row[0]) for row in rows)

    def mention_ids(self, item_ids: Sequence[int]) -> frozenset[int]:
        """The mentions these replies answer (their rows' badges change with them)."""
        if not item_ids:
            return frozenset()
        marks = ", ".join("?" * len(item_ids))
        rows = self._store.conn.execute(
            f"SELECT mention_id FROM outbox WHERE id IN ({marks}) AND mention_id IS NOT NULL",
            list(item_ids),
        ).fetchall()
        return frozenset(int(row[0]) for row in rows)

    def count_waiting(self) -> int:
        """Replies not sent yet and not given up on: what the status bar calls queued."""
        row = self._store.conn.execute(
            f"SELECT count(*) FROM outbox WHERE state IN {_WAITING_SQL}"
        ).fetchone()
        return int(row[0])


def _item(row: dict[str, Any]) -> OutboxItem:
    def time(name: str) -> datetime | None:
        return None if row[name] is None else from_timestamp(row[name])

    return OutboxItem(
        id=row["id"],
        account_id=row["account_id"],
        mention_id=row["mention_id"],
        kind=row["kind"],
        body=row["body"],
        idempotency_key=row["idempotency_key"],
        state=OutboxState(row["state"]),
        attempts=row["attempts"],
        next_attempt_at=time("next_attempt_at"),
        last_error=row["last_error"],
        platform_id=row["platform_id"],
        url=row["url"],
        created_at=from_timestamp(row["created_at"]),
        sent_at=time("sent_at"),
    )
