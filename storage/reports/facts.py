"""Per-mention report facts (schema 16): reading what they are computed from, writing them,
and the queue of mentions that changed since the last refresh.

The computing itself is app.reports.facts; this module only moves rows. Instants cross this
boundary as POSIX seconds (floats), converted in SQL from the store's timestamp text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from storage.reports.brands import brand_expression
from storage.store import Store


def epoch(column: str) -> str:
    """SQL turning a stored timestamp (`2026-11-20T14:03:11.123456Z`) into POSIX seconds."""
    return (
        f"(CAST(strftime('%s', {column}) AS INTEGER)"
        f" + CAST(substr({column}, 21, 6) AS INTEGER) / 1000000.0)"
    )


@dataclass(frozen=True, slots=True)
class StatusChange:
    at: float
    old: str | None
    new: str | None
    actor: str


@dataclass(frozen=True, slots=True)
class SentReply:
    """A reply Heedful sent for the mention (the outbox said `sent`)."""

    sent_at: float
    queued_at: float
    agent: str | None  # None: queued before the outbox recorded who wrote it
    platform_id: str | None


@dataclass(frozen=True, slots=True)
class ThreadReply:
    """The brand's own post replying to the mention, found in the thread (sent from Heedful
    or from anywhere else)."""

    created_at: float
    platform_id: str


@dataclass(frozen=True, slots=True)
class MentionHistory:
    """Everything a mention's facts are computed from."""

    mention_id: int
    account_id: int
    brand: str
    network: str
    kind: str
    created_at: float
    status: str  # as it is now
    assignee: str | None
    status_changes: tuple[StatusChange, ...] = ()  # in the order they happened
    actions: tuple[tuple[float, str], ...] = ()  # (when, who) for every triage event, in order
    sent: tuple[SentReply, ...] = ()
    thread_replies: tuple[ThreadReply, ...] = ()


@dataclass(frozen=True, slots=True)
class FactRow:
    """One mention's facts, as report_facts holds them (see the migration for the meaning)."""

    mention_id: int
    brand: str
    day: str  # local date of arrival in the brand's zone, YYYY-MM-DD
    created: float
    hour_of_week: int
    target_seconds: int | None
    sla_state: str  # none met late running paused closed breached
    due_at: float | None
    left_seconds: float | None
    first_response_at: float | None
    response_via: str | None  # heedful | thread
    responder: str | None
    response_seconds: float | None
    response_business_seconds: float | None
    first_done_at: float | None
    done_seconds: float | None
    done_business_seconds: float | None
    reopened: int
    agent: str
    open_intervals: tuple[tuple[float, float | None], ...] = field(default=())
    replies: tuple[tuple[float, str, str], ...] = field(default=())  # (at, agent, via)


_FACT_COLUMNS = (
    "mention_id", "brand", "day", "created", "hour_of_week", "target_seconds", "sla_state",
    "due_at", "left_seconds", "first_response_at", "response_via", "responder",
    "response_seconds", "response_business_seconds", "first_done_at", "done_seconds",
    "done_business_seconds", "reopened", "agent", "timeline",
)  # fmt: skip

_BATCH_TABLE = "temp.report_batch"


class FactRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    # --- the queue of what changed ------------------------------------------------------

    def dirty_count(self) -> int:
        with self._store.guard():
            return int(self._store.conn.execute("SELECT count(*) FROM report_dirty").fetchone()[0])

    def next_dirty(self, limit: int) -> list[int]:
        with self._store.guard():
            rows = self._store.conn.execute(
                "SELECT mention_id FROM report_dirty ORDER BY mention_id LIMIT ?", [limit]
            ).fetchall()
        return [int(row[0]) for row in rows]

    def mark_all_dirty(self, account_ids: Iterable[int] | None = None) -> int:
        """Queue every inbox mention (of these accounts) to be computed again."""
        sql = (
            "INSERT OR IGNORE INTO report_dirty (mention_id)"
            " SELECT id FROM mentions WHERE is_own = 0"
        )
        params: list[Any] = []
        if account_ids is not None:
            chosen = sorted(set(account_ids))
            if not chosen:
                return 0
            sql += f" AND account_id IN ({', '.join('?' * len(chosen))})"
            params = chosen
        with self._store.write() as db:
            return int(db.conn.execute(sql, params).rowcount)

    def forget_dirty(self, mention_ids: Sequence[int]) -> None:
        self._with_batch(mention_ids)
        self._store.conn.execute(
            f"DELETE FROM report_dirty WHERE mention_id IN (SELECT id FROM {_BATCH_TABLE})"
        )

    def dirty_days(self) -> list[tuple[str, str]]:
        with self._store.guard():
            rows = self._store.conn.execute(
                "SELECT brand, day FROM report_dirty_days ORDER BY brand, day"
            ).fetchall()
        return [(str(row[0]), str(row[1])) for row in rows]

    def mark_days_dirty(self, days: Iterable[tuple[str, str]]) -> None:
        self._store.conn.executemany(
            "INSERT OR IGNORE INTO report_dirty_days (brand, day) VALUES (?, ?)", list(days)
        )

    def forget_dirty_days(self, days: Iterable[tuple[str, str]]) -> None:
        self._store.conn.executemany(
            "DELETE FROM report_dirty_days WHERE brand = ? AND day = ?", list(days)
        )

    # --- reading what facts come from ---------------------------------------------------

    def histories(self, mention_ids: Sequence[int]) -> list[MentionHistory]:
        """The histories of those of `mention_ids` that are inbox mentions (the brand's own
        posts and thread context have no facts), in id order. Call inside a transaction."""
        conn = self._store.conn
        self._with_batch(mention_ids)
        batch = f"(SELECT id FROM {_BATCH_TABLE})"
        brand = brand_expression(conn, "ac")
        heads = conn.execute(
            f"SELECT m.id, m.account_id, {brand}, ac.network, m.kind, {epoch('m.created_at')},"
            " m.status, m.assignee FROM mentions AS m JOIN accounts AS ac ON ac.id = m.account_id"
            f" WHERE m.id IN {batch} AND m.is_own = 0 AND m.is_context = 0 ORDER BY m.id"
        ).fetchall()
        changes: dict[int, list[StatusChange]] = {}
        actions: dict[int, list[tuple[float, str]]] = {}
        for mention_id, at, field_name, old, new, actor in conn.execute(
            f"SELECT mention_id, {epoch('at')}, field, old_value, new_value, actor"
            f" FROM triage_events WHERE mention_id IN {batch} ORDER BY mention_id, at, id"
        ):
            actions.setdefault(mention_id, []).append((at, actor))
            if field_name == "status":
                changes.setdefault(mention_id, []).append(StatusChange(at, old, new, actor))
        agent = "o.agent" if self._outbox_has_agent() else "NULL"
        sent: dict[int, list[SentReply]] = {}
        for mention_id, sent_at, queued_at, who, platform_id in conn.execute(
            f"SELECT o.mention_id, {epoch('o.sent_at')}, {epoch('o.created_at')}, {agent},"
            f" o.platform_id FROM outbox AS o WHERE o.mention_id IN {batch}"
            " AND o.state = 'sent' AND o.sent_at IS NOT NULL ORDER BY o.id"
        ):
            sent.setdefault(mention_id, []).append(SentReply(sent_at, queued_at, who, platform_id))
        threads: dict[int, list[ThreadReply]] = {}
        for mention_id, created_at, platform_id in conn.execute(
            f"SELECT p.id, {epoch('r.created_at')}, r.platform_id FROM mentions AS p"
            " JOIN mentions AS r ON r.account_id = p.account_id"
            " AND r.parent_platform_id = p.platform_id AND r.is_own = 1"
            f" WHERE p.id IN {batch}"
        ):
            threads.setdefault(mention_id, []).append(ThreadReply(created_at, platform_id))
        return [
            MentionHistory(
                mention_id=head[0],
                account_id=head[1],
                brand=str(head[2]),
                network=head[3],
                kind=head[4],
                created_at=head[5],
                status=head[6],
                assignee=head[7],
                status_changes=tuple(changes.get(head[0], ())),
                actions=tuple(actions.get(head[0], ())),
                sent=tuple(sent.get(head[0], ())),
                thread_replies=tuple(threads.get(head[0], ())),
            )
            for head in heads
        ]

    def _outbox_has_agent(self) -> bool:
        return any(
            row[1] == "agent" for row in self._store.conn.execute("PRAGMA table_info(outbox)")
        )

    def _with_batch(self, mention_ids: Sequence[int]) -> None:
        conn = self._store.conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS report_batch (id INTEGER PRIMARY KEY)")
        conn.execute(f"DELETE FROM {_BATCH_TABLE}")
        conn.executemany(
            f"INSERT OR IGNORE INTO {_BATCH_TABLE} (id) VALUES (?)", ((i,) for i in mention_ids)
        )

    # --- writing facts ------------------------------------------------------------------

    def days_of(self, mention_ids: Sequence[int]) -> set[tuple[str, str]]:
        """The (brand, day) packs the stored facts of these mentions are in."""
        self._with_batch(mention_ids)
        return {
            (str(row[0]), str(row[1]))
            for row in self._store.conn.execute(
                "SELECT brand, day FROM report_facts"
                f" WHERE mention_id IN (SELECT id FROM {_BATCH_TABLE})"
            )
        }

    def replace(self, mention_ids: Sequence[int], facts: Sequence[FactRow]) -> None:
        """The facts of `mention_ids` become `facts` (ids without one lose theirs). Call
        inside a write transaction."""
        conn = self._store.conn
        self._with_batch(mention_ids)
        conn.execute(
            f"DELETE FROM report_facts WHERE mention_id IN (SELECT id FROM {_BATCH_TABLE})"
        )
        marks = ", ".join("?" * len(_FACT_COLUMNS))
        conn.executemany(
            f"INSERT INTO report_facts ({', '.join(_FACT_COLUMNS)}) VALUES ({marks})",
            (_fact_values(fact) for fact in facts),
        )

    def clear(self) -> None:
        """Forget every fact and pack (a rebuild starts from nothing)."""
        conn = self._store.conn
        for table in ("report_facts", "report_days", "report_columns", "report_dirty_days"):
            conn.execute(f"DELETE FROM {table}")

    def facts_of_day(self, brand: str, day: str) -> Iterator[dict[str, Any]]:
        """The stored facts of one brand's day, joined to the mention, in mention id order."""
        cursor = self._store.conn.execute(
            "SELECT f.*, m.account_id FROM report_facts AS f JOIN mentions AS m"
            " ON m.id = f.mention_id WHERE f.brand = ? AND f.day = ? ORDER BY f.mention_id",
            [brand, day],
        )
        names = [column[0] for column in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))

    def fact(self, mention_id: int) -> dict[str, Any] | None:
        with self._store.guard():
            cursor = self._store.conn.execute(
                "SELECT * FROM report_facts WHERE mention_id = ?", [mention_id]
            )
            row = cursor.fetchone()
            if row is None:
                return None
            return dict(zip([column[0] for column in cursor.description], row, strict=True))

    # --- what the facts were computed with ----------------------------------------------

    def meta(self) -> dict[str, str]:
        with self._store.guard():
            return {
                str(name): str(value)
                for name, value in self._store.conn.execute("SELECT name, value FROM report_meta")
            }

    def set_meta(self, values: dict[str, str]) -> None:
        self._store.conn.executemany(
            "INSERT INTO report_meta (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )


def timeline_json(fact: FactRow) -> str:
    return json.dumps(
        {
            "open": [list(pair) for pair in fact.open_intervals],
            "replies": [list(r) for r in fact.replies],
        },
        separators=(",", ":"),
    )


def read_timeline(text: str) -> tuple[list[list[Any]], list[list[Any]]]:
    """(open intervals, replies) from a stored fact's timeline."""
    parsed = json.loads(text)
    return list(parsed.get("open", [])), list(parsed.get("replies", []))


def _fact_values(fact: FactRow) -> tuple[Any, ...]:
    return (
        fact.mention_id, fact.brand, fact.day, fact.created, fact.hour_of_week,
        fact.target_seconds, fact.sla_state, fact.due_at, fact.left_seconds,
        fact.first_response_at, fact.response_via, fact.responder, fact.response_seconds,
        fact.response_business_seconds, fact.first_done_at, fact.done_seconds,
        fact.done_business_seconds, fact.reopened, fact.agent, timeline_json(fact),
    )  # fmt: skip
