"""One process at a time renews a sign-in whose refresh token works only once (X rotates it):
leases in the store, keyed by the keyring secret's name."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.leases import SyncLeases
from storage.leases import _holder_is_gone as holder_is_gone  # the same test as sync leases
from storage.records import to_timestamp
from storage.store import Store

# Longer than one token request may take (its timeout is 20 s); short enough that a holder
# killed mid-request frees it soon (a holder on this machine that is gone frees it at once).
REFRESH_LEASE_SECONDS = 60


class TokenRefreshLeases:
    """A lease is a row with a holder and an expiry, taken in a write transaction (BEGIN
    IMMEDIATE: two takers are serialised by SQLite), never held across the network request
    itself: the token request runs between `take` and `release`, outside any transaction."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def take(
        self,
        secret_name: str,
        holder: str,
        now: datetime,
        *,
        seconds: float = REFRESH_LEASE_SECONDS,
    ) -> bool:
        """Take the lease on renewing `secret_name`; False while another holder's runs."""
        with self._store.write() as db:
            row = db.execute(
                "SELECT holder, expires_at FROM token_refresh_leases WHERE secret_name = ?",
                [secret_name],
            ).fetchone()
            held = row is not None and row[0] != holder and row[1] > to_timestamp(now)
            if held and not holder_is_gone(str(row[0])):
                return False
            db.execute(
                "INSERT INTO token_refresh_leases (secret_name, holder, expires_at)"
                " VALUES (?, ?, ?) ON CONFLICT (secret_name) DO UPDATE SET"
                " holder = excluded.holder, expires_at = excluded.expires_at",
                [secret_name, holder, to_timestamp(now + timedelta(seconds=seconds))],
            )
        return True

    def release(self, secret_name: str, holder: str) -> None:
        with self._store.write() as db:
            db.execute(
                "DELETE FROM token_refresh_leases WHERE secret_name = ? AND holder = ?",
                [secret_name, holder],
            )

    @staticmethod
    def new_holder() -> str:
        return SyncLeases.new_holder()
