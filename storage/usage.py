"""What metered networks (X) were asked for, per account and day, and the limits set on it."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date, datetime

from storage.records import from_timestamp, to_timestamp
from storage.store import Store

_COUNTS = (
    "post_reads",
    "user_reads",
    "dm_reads",
    "posts_created",
    "posts_with_link",
    "dms_created",
)


@dataclass(frozen=True, slots=True)
class UsageCounts:
    """Resources read and things made: what X bills for."""

    post_reads: int = 0
    user_reads: int = 0
    dm_reads: int = 0
    posts_created: int = 0
    posts_with_link: int = 0  # of posts_created: X bills a post with a link more
    dms_created: int = 0
    requests: int = 0

    @property
    def reads(self) -> int:
        """Every resource read, whatever its kind: what the daily read budget counts."""
        return self.post_reads + self.user_reads + self.dm_reads

    def __add__(self, other: UsageCounts) -> UsageCounts:
        return UsageCounts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


@dataclass(frozen=True, slots=True)
class AccountLimits:
    daily_read_budget: int | None = None  # None: no budget
    unit_prices: dict[str, float] | None = None  # None: the network's published prices
    history_wall_at: datetime | None = None
    history_wall_note: str = ""


class UsageRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def store(self) -> Store:
        return self._store

    def add(
        self, account_id: int, day: date, counts: UsageCounts, *, read_at: datetime | None = None
    ) -> None:
        """Count what one request used (its own small transaction: spend is spend, whether
        or not what was read gets stored)."""
        with self._store.write() as db:
            db.execute(
                "INSERT INTO network_usage (account_id, day, post_reads, user_reads, dm_reads,"
                " posts_created, posts_with_link, dms_created, requests, last_read_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (account_id, day) DO UPDATE SET"
                " post_reads = post_reads + excluded.post_reads,"
                " user_reads = user_reads + excluded.user_reads,"
                " dm_reads = dm_reads + excluded.dm_reads,"
                " posts_created = posts_created + excluded.posts_created,"
                " posts_with_link = posts_with_link + excluded.posts_with_link,"
                " dms_created = dms_created + excluded.dms_created,"
                " requests = requests + excluded.requests,"
                " last_read_at = coalesce(excluded.last_read_at, last_read_at)",
                [
                    account_id,
                    day.isoformat(),
                    *(getattr(counts, name) for name in _COUNTS),
                    counts.requests,
                    None if read_at is None else to_timestamp(read_at),
                ],
            )

    def day(self, account_id: int, day: date) -> UsageCounts:
        return self._sum(account_id, day.isoformat(), day.isoformat())

    def month(self, account_id: int, day: date) -> UsageCounts:
        """From the first of `day`'s month to `day`."""
        return self._sum(account_id, day.replace(day=1).isoformat(), day.isoformat())

    def _sum(self, account_id: int, first: str, last: str) -> UsageCounts:
        row = self._store.conn.execute(
            "SELECT "
            + ", ".join(f"coalesce(sum({n}), 0)" for n in (*_COUNTS, "requests"))
            + " FROM network_usage WHERE account_id = ? AND day BETWEEN ? AND ?",
            [account_id, first, last],
        ).fetchone()
        return UsageCounts(*(int(value) for value in row))

    def last_read_at(self, account_id: int, day: date) -> datetime | None:
        row = self._store.conn.execute(
            "SELECT last_read_at FROM network_usage WHERE account_id = ? AND day = ?",
            [account_id, day.isoformat()],
        ).fetchone()
        return None if row is None or row[0] is None else from_timestamp(str(row[0]))

    # --- what the person set, and what the network allowed ------------------------------------

    def limits(self, account_id: int) -> AccountLimits:
        row = self._store.conn.execute(
            "SELECT daily_read_budget, unit_prices, history_wall_at, history_wall_note"
            " FROM network_account_limits WHERE account_id = ?",
            [account_id],
        ).fetchone()
        if row is None:
            return AccountLimits()
        prices = None
        if row[1]:
            try:
                loaded = json.loads(row[1])
                prices = {str(k): float(v) for k, v in loaded.items()}
            except (ValueError, AttributeError, TypeError):
                prices = None
        return AccountLimits(
            daily_read_budget=None if row[0] is None else int(row[0]),
            unit_prices=prices,
            history_wall_at=None if row[2] is None else from_timestamp(str(row[2])),
            history_wall_note=str(row[3] or ""),
        )

    def set_daily_read_budget(self, account_id: int, budget: int | None) -> None:
        self._upsert(account_id, "daily_read_budget", budget)

    def set_unit_prices(self, account_id: int, prices: dict[str, float] | None) -> None:
        self._upsert(account_id, "unit_prices", None if prices is None else json.dumps(prices))

    def note_history_wall(self, account_id: int, at: datetime, note: str) -> None:
        with self._store.write() as db:
            db.execute(
                "INSERT INTO network_account_limits (account_id, history_wall_at,"
                " history_wall_note) VALUES (?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET"
                " history_wall_at = excluded.history_wall_at,"
                " history_wall_note = excluded.history_wall_note",
                [account_id, to_timestamp(at), note],
            )

    def _upsert(self, account_id: int, column: str, value: object) -> None:
        assert column in ("daily_read_budget", "unit_prices")
        with self._store.write() as db:
            db.execute(
                f"INSERT INTO network_account_limits (account_id, {column}) VALUES (?, ?)"
                f" ON CONFLICT (account_id) DO UPDATE SET {column} = excluded.{column}",
                [account_id, value],
            )
