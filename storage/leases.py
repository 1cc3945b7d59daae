"""One sync per account at a time, across threads and processes: leases in the store."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from storage.errors import StoreError
from storage.records import to_timestamp
from storage.store import Store

# How long a sync may hold an account without renewing: longer than any request takes,
# short enough that a sync killed with its process frees the account soon. The holder renews
# it after every page and reply, and from inside long waits (a rate-limit pause of minutes).
LEASE_SECONDS = 120


class LeaseLost(StoreError):
    """Another sync (a window, `heedful sync`) holds the account now: this one stopped
    before its next step, leaving nothing half-done."""

    def __init__(self, account_id: int) -> None:
        super().__init__(
            f"Another Heedful sync took over account {account_id} while this one waited.",
            what_to_do="Nothing was left half-done; the other sync carries on from here.",
        )
        self.account_id = account_id


class SyncLeases:
    """One sync per account at a time, across threads and processes. A lease is a row with a
    holder and an expiry, taken in a write transaction (BEGIN IMMEDIATE, so two takers are
    serialised by SQLite); an expired lease is taken over."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def take(
        self, account_id: int, holder: str, now: datetime, *, seconds: float = LEASE_SECONDS
    ) -> bool:
        """Take or renew the account's lease. Refused while another holder's lease runs,
        unless that holder was a process on this machine that no longer exists (killed):
        its lease is taken over at once rather than after it expires."""
        expires = to_timestamp(now + timedelta(seconds=seconds))
        with self._store.write() as db:
            row = db.execute(
                "SELECT holder, expires_at FROM sync_leases WHERE account_id = ?", [account_id]
            ).fetchone()
            held = row is not None and row[0] != holder and row[1] > to_timestamp(now)
            if held and not _holder_is_gone(str(row[0])):
                return False
            db.execute(
                "INSERT INTO sync_leases (account_id, holder, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (account_id) DO UPDATE SET holder = excluded.holder,"
                " expires_at = excluded.expires_at",
                [account_id, holder, expires],
            )
        return True

    def renew(
        self, account_id: int, holder: str, now: datetime, *, seconds: float = LEASE_SECONDS
    ) -> None:
        """Extend `holder`'s lease. Raises LeaseLost unless the lease is still this holder's
        own row: once another sync has taken it (even if it has finished and let go since),
        what this one had in hand may be stale, and it must stop."""
        expires = to_timestamp(now + timedelta(seconds=seconds))
        with self._store.write() as db:
            cursor = db.execute(
                "UPDATE sync_leases SET expires_at = ? WHERE account_id = ? AND holder = ?",
                [expires, account_id, holder],
            )
        if cursor.rowcount != 1:
            raise LeaseLost(account_id)

    def holds(self, account_id: int, holder: str) -> bool:
        """Whether the account's lease is still `holder`'s own row (see `renew`)."""
        row = self._store.conn.execute(
            "SELECT 1 FROM sync_leases WHERE account_id = ? AND holder = ?", [account_id, holder]
        ).fetchone()
        return row is not None

    @staticmethod
    def new_holder() -> str:
        """A holder name unique to one sync service: machine, process, and a random part."""
        return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def release(self, account_id: int, holder: str) -> None:
        with self._store.write() as db:
            db.execute(
                "DELETE FROM sync_leases WHERE account_id = ? AND holder = ?", [account_id, holder]
            )

    def holder(self, account_id: int, now: datetime) -> str | None:
        row = self._store.conn.execute(
            "SELECT holder FROM sync_leases WHERE account_id = ? AND expires_at > ?",
            [account_id, to_timestamp(now)],
        ).fetchone()
        return None if row is None else str(row[0])


def _holder_is_gone(holder: str) -> bool:
    """Whether a holder named by `new_holder` was a process on this machine that has ended."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists but belongs to someone else
        return False
    return False
