"""The brand's own accounts on each network (never their secrets: those live in the keyring)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.identity import NaturalKeys, normalize_server
from storage.records import (
    Account,
    AccountState,
    Network,
    NewAccount,
    from_timestamp,
    to_timestamp,
    utc_now,
)
from storage.store import Store

_COLUMNS = (
    "id, network, server, handle, display_name, platform_user_id, state, state_detail,"
    " created_at, last_synced_at, state_until, max_post_length, brand"
)


class AccountRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, account: NewAccount) -> Account:
        with self._store.write() as db:
            cursor = db.execute(
                "INSERT INTO accounts (network, server, handle, display_name, platform_user_id,"
                " brand, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    account.network.value,
                    normalize_server(account.server),  # the spelling natural keys compare
                    account.handle,
                    account.display_name,
                    account.platform_user_id,
                    account.brand,
                    to_timestamp(utc_now()),
                ],
            )
            account_id = cursor.lastrowid
        assert account_id is not None
        return self.get(account_id)

    def get(self, account_id: int) -> Account:
        rows = list(
            self._store.db.query(f"SELECT {_COLUMNS} FROM accounts WHERE id = ?", [account_id])
        )
        if not rows:
            raise KeyError(account_id)
        return _account_from_row(rows[0])

    def all(self) -> list[Account]:
        return [
            _account_from_row(row)
            for row in self._store.db.query(f"SELECT {_COLUMNS} FROM accounts ORDER BY id")
        ]

    def set_state(
        self,
        account_id: int,
        state: AccountState,
        detail: str = "",
        *,
        until: datetime | None = None,
        synced_at: datetime | None = None,
    ) -> None:
        """Record how the account's last sync went (`synced_at` only when it succeeded)."""
        with self._store.write() as db:
            db.execute(
                "UPDATE accounts SET state = ?, state_detail = ?, state_until = ?,"
                " last_synced_at = coalesce(?, last_synced_at) WHERE id = ?",
                [
                    state.value,
                    detail,
                    None if until is None else to_timestamp(until),
                    None if synced_at is None else to_timestamp(synced_at),
                    account_id,
                ],
            )

    def set_max_post_length(self, account_id: int, length: int | None) -> None:
        with self._store.write() as db:
            db.execute("UPDATE accounts SET max_post_length = ? WHERE id = ?", [length, account_id])

    def find(self, network: Network, server: str, handle: str) -> Account | None:
        rows = list(
            self._store.db.query(
                f"SELECT {_COLUMNS} FROM accounts WHERE network = ? AND server = ? AND handle = ?",
                [network.value, server, handle],
            )
        )
        return _account_from_row(rows[0]) if rows else None

    def find_user(self, network: Network, server: str, platform_user_id: str) -> Account | None:
        """The account of this platform user on this server, whatever its handle is now."""
        account_id = NaturalKeys(self._store).account_for(network, server, platform_user_id)
        return None if account_id is None else self.get(account_id)

    def set_address(self, account_id: int, server: str, handle: str) -> Account:
        """The account signed in again under another handle (a Bluesky handle change) or
        another spelling of its server: its sign-in is now filed under these."""
        with self._store.write() as db:
            db.execute(
                "UPDATE accounts SET server = ?, handle = ? WHERE id = ?",
                [normalize_server(server), handle, account_id],
            )
        return self.get(account_id)

    def count(self) -> int:
        return int(self._store.conn.execute("SELECT count(*) FROM accounts").fetchone()[0])


def _account_from_row(row: dict[str, Any]) -> Account:
    return Account(
        id=row["id"],
        network=Network(row["network"]),
        server=row["server"],
        handle=row["handle"],
        display_name=row["display_name"],
        platform_user_id=row["platform_user_id"],
        state=AccountState(row["state"]),
        state_detail=row["state_detail"],
        created_at=from_timestamp(row["created_at"]),
        last_synced_at=_maybe_time(row["last_synced_at"]),
        state_until=_maybe_time(row["state_until"]),
        max_post_length=row["max_post_length"],
        brand=row["brand"],
    )


def _maybe_time(text: str | None) -> datetime | None:
    return None if text is None else from_timestamp(text)


@dataclass(frozen=True, slots=True)
class AccountHealth:
    """What the last syncs of an account learned, beyond its state: for channel health."""

    account_id: int
    fetched_last: int = 0  # new items the last successful fetch stored
    fetched_total: int = 0
    rate_limit: int | None = None
    rate_remaining: int | None = None
    rate_resets_at: datetime | None = None
    token_expires_at: datetime | None = None
    last_attempt_at: datetime | None = None
    # What the brand's server holds back (Mastodon 4.3+ notification policy); None: the
    # server filters nothing, or no sync has asked yet.
    notification_policy: str | None = None  # the policy in a line, for people
    requests_waiting: int | None = None
    notifications_waiting: int | None = None


class AccountHealthRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, account_id: int) -> AccountHealth:
        rows = list(
            self._store.db.query("SELECT * FROM account_health WHERE account_id = ?", [account_id])
        )
        if not rows:
            return AccountHealth(account_id)
        row = rows[0]
        return AccountHealth(
            account_id=account_id,
            fetched_last=row["fetched_last"],
            fetched_total=row["fetched_total"],
            rate_limit=row["rate_limit"],
            rate_remaining=row["rate_remaining"],
            rate_resets_at=_maybe_time(row["rate_resets_at"]),
            token_expires_at=_maybe_time(row["token_expires_at"]),
            last_attempt_at=_maybe_time(row["last_attempt_at"]),
            notification_policy=row["notification_policy"],
            requests_waiting=row["requests_waiting"],
            notifications_waiting=row["notifications_waiting"],
        )

    def record_held_back(
        self, account_id: int, policy: str | None, requests: int | None, notifications: int | None
    ) -> None:
        """What the account's server holds back, as the last sync learned it (None: nothing
        is filtered there)."""
        with self._store.write() as db:
            db.execute(
                "INSERT INTO account_health (account_id) VALUES (?)"
                " ON CONFLICT (account_id) DO NOTHING",
                [account_id],
            )
            db.execute(
                "UPDATE account_health SET notification_policy = ?, requests_waiting = ?,"
                " notifications_waiting = ? WHERE account_id = ?",
                [policy, requests, notifications, account_id],
            )

    def record_attempt(
        self,
        account_id: int,
        at: datetime,
        *,
        fetched: int | None = None,
        rate_limit: int | None = None,
        rate_remaining: int | None = None,
        rate_resets_at: datetime | None = None,
        token_expires_at: datetime | None = None,
    ) -> None:
        """`fetched` only after a fetch that worked; budget and expiry only when known."""
        with self._store.write() as db:
            db.execute(
                "INSERT INTO account_health (account_id) VALUES (?)"
                " ON CONFLICT (account_id) DO NOTHING",
                [account_id],
            )
            db.execute(
                "UPDATE account_health SET last_attempt_at = ?,"
                " fetched_last = coalesce(?, fetched_last),"
                " fetched_total = fetched_total + coalesce(?, 0),"
                " rate_limit = coalesce(?, rate_limit),"
                " rate_remaining = coalesce(?, rate_remaining),"
                " rate_resets_at = coalesce(?, rate_resets_at),"
                " token_expires_at = coalesce(?, token_expires_at)"
                " WHERE account_id = ?",
                [
                    to_timestamp(at),
                    fetched,
                    fetched,
                    rate_limit,
                    rate_remaining,
                    None if rate_resets_at is None else to_timestamp(rate_resets_at),
                    None if token_expires_at is None else to_timestamp(token_expires_at),
                    account_id,
                ],
            )
