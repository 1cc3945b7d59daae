"""Per-day column packs (schema 16): one blob per column per brand and local day, and the codes
their text values are stored as. The blobs' layout belongs to app.reports.packs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from storage.store import Store


@dataclass(frozen=True, slots=True)
class PackDay:
    brand: str
    day: str
    facts: int
    open_until: float | None  # None: some mention of the day is still open work
    replies_until: float | None  # the latest reply to the day's mentions


class PackRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    # --- codes ------------------------------------------------------------------------------

    def codes(self, dimension: str) -> dict[str, int]:
        return {
            str(value): int(code)
            for code, value in self._store.conn.execute(
                "SELECT id, value FROM report_codes WHERE dimension = ?", [dimension]
            )
        }

    def add_codes(self, dimension: str, values: Sequence[str]) -> dict[str, int]:
        """Codes for `values`, new ones created (inside the caller's write transaction)."""
        self._store.conn.executemany(
            "INSERT OR IGNORE INTO report_codes (dimension, value) VALUES (?, ?)",
            [(dimension, value) for value in values],
        )
        return self.codes(dimension)

    def code_values(self, dimension: str) -> dict[int, str]:
        return {code: value for value, code in self.codes(dimension).items()}

    def labels(self, sql: str) -> dict[int, str]:
        """(id, label) pairs from a dimension's own query (accounts, tags)."""
        with self._store.guard():
            return {int(row[0]): str(row[1]) for row in self._store.conn.execute(sql)}

    # --- packing ------------------------------------------------------------------------------

    def day_rows(
        self, brand: str, day: str, values: Mapping[str, str]
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The day's facts with the timeline and the mention's dimension values (`values`: pack
        column → SQL over f, m, ac), in mention id order. Column names, then rows."""
        extra = "".join(f", {sql} AS {name}" for name, sql in values.items())
        cursor = self._store.conn.execute(
            "SELECT f.mention_id, f.created, f.hour_of_week, f.target_seconds, f.sla_state,"
            " f.due_at, f.first_response_at, f.response_via, f.response_seconds,"
            " f.response_business_seconds, f.first_done_at, f.done_seconds,"
            f" f.done_business_seconds, f.reopened, f.timeline{extra}"
            " FROM report_facts AS f JOIN mentions AS m ON m.id = f.mention_id"
            " JOIN accounts AS ac ON ac.id = m.account_id"
            " WHERE f.brand = ? AND f.day = ? ORDER BY f.mention_id",
            [brand, day],
        )
        names = [column[0] for column in cursor.description]
        return names, cursor.fetchall()

    def day_pairs(self, mention_ids: Sequence[int], sql: str) -> list[tuple[int, int]]:
        """(mention_id, value) pairs of a many-valued dimension for the day's mentions."""
        conn = self._store.conn
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS report_batch_day (mention_id INTEGER PRIMARY KEY)"
        )
        conn.execute("DELETE FROM temp.report_batch_day")
        conn.executemany(
            "INSERT INTO temp.report_batch_day (mention_id) VALUES (?)", ((i,) for i in mention_ids)
        )
        return [(int(row[0]), int(row[1])) for row in conn.execute(sql)]

    def write_day(self, day: PackDay, columns: Mapping[str, bytes]) -> None:
        """Replace one day's pack (inside the caller's write transaction)."""
        conn = self._store.conn
        self.delete_day(day.brand, day.day)
        conn.execute(
            "INSERT INTO report_days (brand, day, facts, open_until, replies_until)"
            " VALUES (?, ?, ?, ?, ?)",
            [day.brand, day.day, day.facts, day.open_until, day.replies_until],
        )
        conn.executemany(
            "INSERT INTO report_columns (brand, name, day, data) VALUES (?, ?, ?, ?)",
            [(day.brand, name, day.day, data) for name, data in columns.items()],
        )

    def delete_day(self, brand: str, day: str) -> None:
        conn = self._store.conn
        conn.execute("DELETE FROM report_days WHERE brand = ? AND day = ?", [brand, day])
        conn.execute("DELETE FROM report_columns WHERE brand = ? AND day = ?", [brand, day])

    # --- reading ------------------------------------------------------------------------------

    def days(self, brand: str, first: str | None, last: str | None) -> list[PackDay]:
        """The brand's packed days from `first` to `last` (inclusive; None: open-ended)."""
        where, params = ["brand = ?"], [brand]
        if first is not None:
            where.append("day >= ?")
            params.append(first)
        if last is not None:
            where.append("day <= ?")
            params.append(last)
        with self._store.guard():
            rows = self._store.conn.execute(
                "SELECT brand, day, facts, open_until, replies_until FROM report_days"
                f" WHERE {' AND '.join(where)} ORDER BY day",
                params,
            ).fetchall()
        return [PackDay(str(r[0]), str(r[1]), int(r[2]), r[3], r[4]) for r in rows]

    def brands(self) -> list[str]:
        with self._store.guard():
            return [
                str(row[0])
                for row in self._store.conn.execute("SELECT DISTINCT brand FROM report_days")
            ]

    def column(self, brand: str, name: str, days: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        """(day, blob) of one column for the given days of a brand, in day order."""
        if not days:
            return
        conn = self._store.conn
        if len(days) > 400:  # a long run of days: one range scan, not a long IN list
            rows = conn.execute(
                "SELECT day, data FROM report_columns WHERE brand = ? AND name = ?"
                " AND day BETWEEN ? AND ? ORDER BY day",
                [brand, name, days[0], days[-1]],
            )
            wanted = set(days)
            for day, data in rows:
                if day in wanted:
                    yield str(day), bytes(data)
            return
        marks = ", ".join("?" * len(days))
        for day, data in conn.execute(
            "SELECT day, data FROM report_columns WHERE brand = ? AND name = ?"
            f" AND day IN ({marks}) ORDER BY day",
            [brand, name, *days],
        ):
            yield str(day), bytes(data)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that see one state of the store, even while another process writes."""
        conn = self._store.conn
        if conn.in_transaction:
            yield
            return
        with self._store.guard():
            conn.execute("BEGIN")
            try:
                yield
            finally:
                conn.execute("COMMIT")
