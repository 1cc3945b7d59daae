"""SQL for the inbox's service-level timers: which mentions are overdue or due soon, their
deadlines for a page of rows, and paging a view in order of time left.

Every condition is a fragment over the mention alias `m` (as storage.mentions builds its views)
with its parameters, served by report_facts' partial indexes: cheap at a million mentions.
Instants are POSIX seconds. The facts must be fresh (app.reports.refresh) for exact answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from storage.store import Store

Condition = tuple[str, list[Any]]


def overdue_condition(now: float) -> Condition:
    """Not answered and past the deadline: the clock still running past it, or stopped (pending,
    closed) after it passed."""
    return (
        "m.id IN (SELECT mention_id FROM report_facts INDEXED BY report_facts_running"
        " WHERE sla_state = 'running' AND due_at <= ?"
        " UNION ALL SELECT mention_id FROM report_facts INDEXED BY report_facts_breached"
        " WHERE sla_state = 'breached')",
        [now],
    )


def breached_condition(now: float) -> Condition:
    """Overdue, or answered after the deadline had passed."""
    sql, params = overdue_condition(now)
    return (
        f"({sql} OR m.id IN (SELECT mention_id FROM report_facts WHERE sla_state = 'late'))",
        params,
    )


def due_within_condition(now: float, thresholds: Mapping[str, float]) -> Condition:
    """Running and due after `now` but by each brand's threshold (the moment its business
    clock shows the asked-for time left: app.reports.timers computes them)."""
    if not thresholds:
        return ("0", [])
    parts, params = [], []
    for brand, until in sorted(thresholds.items()):
        parts.append("(brand = ? AND due_at <= ?)")
        params += [brand, until]
    return (
        "m.id IN (SELECT mention_id FROM report_facts INDEXED BY report_facts_running"
        f" WHERE sla_state = 'running' AND due_at > ? AND ({' OR '.join(parts)}))",
        [now, *params],
    )


def paused_condition() -> Condition:
    """Within the target, the clock stopped while the mention is Pending."""
    return (
        "m.id IN (SELECT mention_id FROM report_facts INDEXED BY report_facts_paused"
        " WHERE sla_state = 'paused')",
        [],
    )


def running_condition() -> Condition:
    """A first-response clock is running (no answer yet, a target, not paused)."""
    return (
        "m.id IN (SELECT mention_id FROM report_facts INDEXED BY report_facts_running"
        " WHERE sla_state = 'running')",
        [],
    )


@dataclass(frozen=True, slots=True)
class TimeLeftCursor:
    """Where a page in order of time left ended."""

    due_at: float
    mention_id: int


def time_left_page_query(
    where: Sequence[str], params: Sequence[Any], after: TimeLeftCursor | None
) -> tuple[str, list[Any]]:
    """A page (parameters: then the LIMIT) of a view's mentions with a running clock, soonest
    due first: walks the deadline index, checking the view's conditions on each row (`where`:
    fragments over `m`, as the inbox's views are built). Mentions without a running clock
    are not in it: the inbox lists them after, in its usual order."""
    conditions = ["f.sla_state = 'running'", *where]
    values = list(params)
    if after is not None:
        conditions.append("(f.due_at > ? OR (f.due_at = ? AND f.mention_id > ?))")
        values += [after.due_at, after.due_at, after.mention_id]
    sql = (
        "SELECT f.mention_id, f.due_at FROM report_facts AS f INDEXED BY report_facts_running"
        " CROSS JOIN mentions AS m ON m.id = f.mention_id"
        f" WHERE {' AND '.join(conditions)} ORDER BY f.due_at, f.mention_id LIMIT ?"
    )
    return sql, values


@dataclass(frozen=True, slots=True)
class StoredTimer:
    mention_id: int
    brand: str
    sla_state: str
    target_seconds: int | None
    due_at: float | None
    left_seconds: float | None
    first_response_at: float | None


class TimerRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def timers(self, mention_ids: Sequence[int]) -> dict[int, StoredTimer]:
        """The SLA facts of a page of mentions (one statement)."""
        ids = list(dict.fromkeys(mention_ids))
        found: dict[int, StoredTimer] = {}
        with self._store.guard():
            for start in range(0, len(ids), 500):
                batch = ids[start : start + 500]
                for row in self._store.conn.execute(
                    "SELECT mention_id, brand, sla_state, target_seconds, due_at, left_seconds,"
                    " first_response_at FROM report_facts"
                    f" WHERE mention_id IN ({', '.join('?' * len(batch))})",
                    batch,
                ):
                    found[int(row[0])] = StoredTimer(*row)
        return found

    def next_deadline(self, after: float) -> float | None:
        """The earliest deadline of a running clock later than `after` (when the next mention
        becomes overdue: when a view or a notice should look again)."""
        with self._store.guard():
            found = self._store.conn.execute(
                "SELECT min(due_at) FROM report_facts INDEXED BY report_facts_running"
                " WHERE sla_state = 'running' AND due_at > ?",
                [after],
            ).fetchone()[0]
        return None if found is None else float(found)

    def count(self, condition: Condition) -> int:
        sql, params = condition
        with self._store.guard():
            return int(
                self._store.conn.execute(
                    f"SELECT count(*) FROM mentions AS m WHERE {sql}", params
                ).fetchone()[0]
            )
