"""Reports at scale: every figure of a report, for each period, over a store with a year of
triage history, against the same figures computed in plain SQL from the raw tables.

    python -m benchmarks.reports [--sizes 10000,1000000] [--quick]   (or: python -m benchmarks)

The store is tests/big_store.py's (two mentions a minute, from 2024-01-01: a million is a
year), given a history in SQL: agents opening, replying (through the outbox, or in the thread
outside Heedful), pausing in Pending, closing and reopening, with reply times from minutes to
hours. The brand works Monday to Friday 08:00–20:00 and Saturday 10:00–16:00 in Oslo, with
Norway's 2024 holidays; targets: direct messages 1 h, public 2 h, public on Bluesky 3 h.

Measured, each after one warm-up run, the median of three:
- a report with every figure (first response, SLA, time to done, reopened, replies per agent,
  volume by day, hour-of-week heatmap, backlog and unanswered at each day's end) for today,
  7, 30, 90 days and all time, and grouped or filtered, beside the plain-SQL baseline: the
  calendar-time figures alone (no business hours, no pauses, no SLA), straight from mentions,
  outbox and triage_events, as one would write them without Heedful's derived tables;
- the refresh after a sync (200 new mentions, 50 triage changes, 20 replies sent), on a copy;
- the inbox's SLA questions (overdue count, due within 30 minutes, the first page by time
  left), beside the inbox's own Unanswered count on the same store;
- the one-off rebuild of every fact, once, when the store is built (reported, no baseline).
Stores are built once and kept under build/benchmarks/ (delete them to rebuild).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.mentions import InboxFilter, MentionRepository
from storage.records import MentionKind, Network, NewAuthor, NewMention, TriageStatus, utc_now
from storage.reports.timers import time_left_page_query
from storage.store import open_store
from storage.triage import TriageRepository

from app.reports.periods import since
from app.reports.query import ReportQuery
from app.reports.service import ReportService
from app.reports.sla import policy_from_json
from app.reports.timers import SlaTimers

from benchmarks import stores
from benchmarks.report import Measure, machine, table
from tests import big_store

AGENTS = ("Kari", "Ola", "Ana", "Jonas")
POLICY = {
    "time_zone": "Europe/Oslo",
    "pause_while_pending": True,
    "targets": [
        {"kind": "direct", "hours": 1},
        {"kind": "public", "hours": 2},
        {"network": "bluesky", "kind": "public", "hours": 3},
    ],
    "hours": {
        **dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), "08:00-20:00"),
        "saturday": "10:00-16:00",
    },
    "holidays": [
        "2024-01-01", "2024-03-28", "2024-03-29", "2024-04-01", "2024-05-01", "2024-05-09",
        "2024-05-17", "2024-05-20", "2024-12-25", "2024-12-26",
    ],
}  # fmt: skip
REPORT_VERSION = 2  # bump when the history below changes: the stores are built again

# n = id − 1 (tests/big_store.py numbers its mentions so); minutes after arrival.
_N = "(m.id - 1)"
_AGENT = f"CASE {_N} % 4 WHEN 0 THEN 'Kari' WHEN 1 THEN 'Ola' WHEN 2 THEN 'Ana' ELSE 'Jonas' END"
_OPEN_AT = f"(3 + ({_N} * 7) % 50)"
_REPLY_AT = f"({_OPEN_AT} + 5 + ({_N} * 37) % 240 + (CASE WHEN {_N} % 9 = 4 THEN 900 ELSE 0 END))"
_DONE_AT = f"(CASE WHEN {_N} % 10 = 9 THEN {_OPEN_AT} + 20 ELSE {_REPLY_AT} + 10 + {_N} % 120 END)"
_ANSWERED = f"({_N} % 10 IN (0, 1, 2, 3, 4, 5, 8))"
_IN_THREAD = f"({_N} % 5 = 4)"
_PAUSED = f"({_N} % 7 = 3 AND {_N} % 10 NOT IN (6, 7, 8, 9))"
_REOPENED = f"({_N} % 20 = 3)"


def _at(minutes: str) -> str:
    return (
        f"strftime('%Y-%m-%dT%H:%M:%f', m.created_at, '+' || ({minutes}) || ' minutes') || '000Z'"
    )


def _event(old: str, new: str, minutes: str, where: str) -> str:
    return (
        "INSERT INTO triage_events (mention_id, actor, field, old_value, new_value, at)"
        f" SELECT m.id, {_AGENT}, 'status', '{old}', '{new}', {_at(minutes)}"
        f" FROM mentions AS m WHERE m.is_own = 0 AND {where} ORDER BY m.id"
    )


_STATUS = (
    f"CASE {_N} % 10 WHEN 6 THEN 'new' WHEN 7 THEN 'open' WHEN 8 THEN 'pending' ELSE 'done' END"
)
_HISTORY = [
    _event("new", "open", _OPEN_AT, f"{_N} % 10 != 6"),
    _event("open", "pending", f"{_REPLY_AT} + 1", f"{_N} % 10 = 8"),
    _event("open", "pending", f"{_REPLY_AT} + 1", _PAUSED),
    _event("pending", "open", f"{_REPLY_AT} + 60 * ({_N} % 30 + 1)", _PAUSED),
    _event(
        "open",
        "done",
        f"{_DONE_AT} + CASE WHEN {_PAUSED} THEN 60 * ({_N} % 30 + 1) ELSE 0 END",
        f"{_N} % 10 IN (0, 1, 2, 3, 4, 5, 9)",
    ),
    _event("done", "open", f"{_DONE_AT} + 60 * 36", _REOPENED),
    _event("open", "done", f"{_DONE_AT} + 60 * 38", _REOPENED),
    # Replies through the outbox (one in 13 queued before the outbox named its agent).
    "INSERT INTO outbox (account_id, mention_id, kind, body, idempotency_key, state, attempts,"
    " platform_id, created_at, sent_at, agent)"
    f" SELECT m.account_id, m.id, CASE WHEN m.kind = 'direct' THEN 'direct' ELSE 'reply' END,"
    f" 'Thanks, on it!', 'bench-' || m.id, 'sent', 1, 'reply-' || m.id,"
    f" {_at(f'{_REPLY_AT} - 1')}, {_at(_REPLY_AT)},"
    f" CASE WHEN {_N} % 13 = 0 THEN NULL ELSE {_AGENT} END"
    f" FROM mentions AS m WHERE m.is_own = 0 AND {_ANSWERED} AND NOT {_IN_THREAD} ORDER BY m.id",
    # A second reply to one in six.
    "INSERT INTO outbox (account_id, mention_id, kind, body, idempotency_key, state, attempts,"
    " platform_id, created_at, sent_at, agent)"
    " SELECT m.account_id, m.id, 'reply', 'Anything else?', 'bench2-' || m.id, 'sent', 1,"
    f" 'reply2-' || m.id, {_at(f'{_REPLY_AT} + 29')}, {_at(f'{_REPLY_AT} + 30')}, 'Kari'"
    f" FROM mentions AS m WHERE m.is_own = 0 AND {_ANSWERED} AND {_N} % 6 = 1 ORDER BY m.id",
]


def _own_replies(brand_author: int) -> str:
    """The brand's answers found in the thread, posted outside Heedful."""
    return (
        "INSERT INTO mentions (account_id, platform_id, author_id, kind, text, language,"
        " created_at, fetched_at, parent_platform_id, is_own, status)"
        f" SELECT m.account_id, 'own-' || m.id, {brand_author}, 'reply', 'Here to help!',"
        f" m.language, {_AT_REPLY}, m.fetched_at, m.platform_id, 1, 'done'"
        f" FROM mentions AS m WHERE m.is_own = 0 AND {_ANSWERED} AND {_IN_THREAD} ORDER BY m.id"
    )


_AT_REPLY = _at(_REPLY_AT)


def home_for(size: int) -> Path:
    """A store of `size` mentions with a year of history, its facts computed (built once)."""
    home = stores.CACHE / f"reports-{size}-schema{stores.schema_version()}-v{REPORT_VERSION}"
    database = home / "heedful.db"
    if database.exists():
        return database
    partial = stores.CACHE / f"building-reports-{size}"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    target = partial / "heedful.db"
    big_store.build(target, size)
    _add_history(target)
    store = open_store(target)
    service = ReportService(store)
    service.settings.save(policy_from_json(POLICY))
    began = time.perf_counter()
    result = service.rebuild()
    (partial / "rebuild-seconds").write_text(f"{time.perf_counter() - began:.1f}\n")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    assert result.rebuilt
    if home.exists():
        shutil.rmtree(home)
    partial.rename(home)
    return database


def _add_history(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -1000000")
        conn.execute("BEGIN")
        # The refresh that follows recomputes everything: no need to queue it row by row.
        queued = conn.execute(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'trigger' AND name LIKE 'report_dirty%'"
        ).fetchall()
        for name, _sql in queued:
            conn.execute(f"DROP TRIGGER {name}")
        # big_store's statuses, as the history below ends them.
        conn.execute(f"UPDATE mentions AS m SET status = {_STATUS} WHERE is_own = 0")
        for statement in _HISTORY:
            conn.execute(statement)
        brand = conn.execute(
            "INSERT INTO authors (network, platform_id, handle, display_name, first_seen_at)"
            " VALUES ('mastodon', 'brand', 'fjellform', 'Fjellform', '2024-01-01T00:00:00.000000Z')"
        ).lastrowid
        conn.execute(_own_replies(int(brand or 0)))
        for _name, sql in queued:
            conn.execute(sql)
        conn.execute("DELETE FROM report_dirty")
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()


# --- the plain-SQL baseline -------------------------------------------------------------------

_FIRST_RESPONSES = """
    SELECT (julianday(min(coalesce(
               (SELECT min(o.sent_at) FROM outbox AS o
                WHERE o.mention_id = m.id AND o.state = 'sent'), '9'),
               coalesce((SELECT min(r.created_at) FROM mentions AS r
                WHERE r.account_id = m.account_id AND r.parent_platform_id = m.platform_id
                  AND r.is_own = 1), '9')))
            - julianday(m.created_at)) * 86400
    FROM mentions AS m
    WHERE m.is_own = 0 AND m.is_context = 0 AND m.created_at >= ? AND m.created_at < ?
"""
_DONE_TIMES = """
    SELECT (julianday(min(e.at)) - julianday(m.created_at)) * 86400
    FROM mentions AS m JOIN triage_events AS e ON e.mention_id = m.id
    WHERE m.is_own = 0 AND m.created_at >= ? AND m.created_at < ?
      AND e.field = 'status' AND e.new_value = 'done'
    GROUP BY m.id
"""
_BY_DAY = """
    SELECT substr(created_at, 1, 10), count(*) FROM mentions
    WHERE is_own = 0 AND is_context = 0 AND created_at >= ? AND created_at < ? GROUP BY 1
"""
_HEATMAP = """
    SELECT strftime('%w', created_at), strftime('%H', created_at), count(*) FROM mentions
    WHERE is_own = 0 AND is_context = 0 AND created_at >= ? AND created_at < ? GROUP BY 1, 2
"""
_REPLIES = """
    SELECT coalesce(agent, ''), count(*) FROM outbox
    WHERE state = 'sent' AND sent_at >= ? AND sent_at < ? GROUP BY 1
"""
_REOPENED = """
    SELECT count(DISTINCT e.mention_id) FROM triage_events AS e JOIN mentions AS m
      ON m.id = e.mention_id
    WHERE e.field = 'status' AND e.old_value = 'done' AND m.created_at >= ? AND m.created_at < ?
"""
_BACKLOG = "SELECT count(*) FROM mentions WHERE is_own = 0 AND is_context = 0 AND status != 'done'"


def plain_sql_report(conn: sqlite3.Connection, start: str, end: str) -> dict[str, object]:
    """The calendar-time figures, straight from the raw tables."""

    def spread(values: list[float]) -> tuple[float | None, float | None, list[int]]:
        values.sort()
        if not values:
            return None, None, [0] * 5
        edges = (3_600, 14_400, 28_800, 86_400)
        buckets = [0] * 5
        for value in values:
            buckets[sum(value >= edge for edge in edges)] += 1
        count = len(values)
        return values[math.ceil(count / 2) - 1], values[math.ceil(0.9 * count) - 1], buckets

    responses = [
        row[0]
        for row in conn.execute(_FIRST_RESPONSES, [start, end])
        if row[0] is not None and row[0] < 1e8
    ]
    done = [row[0] for row in conn.execute(_DONE_TIMES, [start, end])]
    return {
        "first_response": spread(responses),
        "time_to_done": spread(done),
        "by_day": conn.execute(_BY_DAY, [start, end]).fetchall(),
        "heatmap": conn.execute(_HEATMAP, [start, end]).fetchall(),
        "replies": conn.execute(_REPLIES, [start, end]).fetchall(),
        "reopened": conn.execute(_REOPENED, [start, end]).fetchone(),
        "backlog": conn.execute(_BACKLOG).fetchone(),
    }


# --- measuring ------------------------------------------------------------------------------


def _median_ms(work: Callable[[], object], runs: int = 3) -> float:
    return _timed(work, runs)[0]


def _timed(work: Callable[[], object], runs: int = 3) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of `runs` runs after one to warm the page
    cache (the same way for both sides). The CPU time says what the work itself costs on a
    machine whose other jobs stretch the wall clock."""
    work()
    timings, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        work()
        timings.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return statistics.median(timings), statistics.median(cpu)


def _last_moment(database: Path) -> datetime:
    conn = sqlite3.connect(database)
    try:
        latest = conn.execute("SELECT max(created_at) FROM mentions WHERE is_own = 0").fetchone()[0]
    finally:
        conn.close()
    return datetime.fromisoformat(latest).replace(tzinfo=UTC) + timedelta(hours=1)


def report_measures(database: Path, size: int, runs: int) -> list[Measure]:
    now = _last_moment(database)
    store = open_store(database)
    service = ReportService(store, clock=lambda: now)
    policy = policy_from_json(POLICY)
    if service.settings.policy("") != policy:
        service.settings.save(policy)
    began = time.perf_counter()
    result = service.refresh()
    if result.recomputed > size // 2:  # a new version of the rules, or new settings
        seconds = time.perf_counter() - began
        (database.parent / "rebuild-seconds").write_text(f"{seconds:.1f}\n")
    raw = sqlite3.connect(database)
    measures: list[Measure] = []
    cases = [(label, ReportQuery(since(label))) for label in ("today", "7d", "30d", "90d", "all")]
    cases += [
        ("30d by agent", ReportQuery(since("30d"), by="agent")),
        ("all time by agent", ReportQuery(since("all"), by="agent")),
        ("90d by tag", ReportQuery(since("90d"), by="tag")),
        (
            "all time, Bluesky direct messages, by language",
            ReportQuery(
                since("all"),
                filters=(("network", ("bluesky",)), ("kind", ("direct",))),
                by="language",
            ),
        ),
    ]
    try:
        for label, query in cases:
            heedful, cpu = _timed(lambda query=query: service.report(query, refresh=False), runs)
            report = service.report(query, refresh=False)
            first = report.period.first or report.period.last
            midnight = datetime.combine(first, datetime.min.time(), UTC) - timedelta(hours=1)
            window = (midnight.strftime("%Y-%m-%dT%H:%M:%S"), now.strftime("%Y-%m-%dT%H:%M:%S"))
            baseline = _median_ms(lambda window=window: plain_sql_report(raw, *window), runs)
            received = report.total.figures.received
            measures.append(
                Measure(
                    "Reports",
                    f"every figure, {label}, {size:,} mentions ({received:,} in the period)",
                    heedful,
                    "ms",
                    baseline,
                    "plain SQL, calendar figures only",
                    "≤ 1 s",
                    heedful <= 1_000,
                    [f"CPU {cpu:,.0f} ms (load average {os.getloadavg()[0]:.1f})"],
                )
            )
        measures += _inbox_measures(store, service, now, runs, size)
    finally:
        raw.close()
        store.close()
    return measures


def _inbox_measures(
    store: object, service: ReportService, now: datetime, runs: int, size: int
) -> list[Measure]:
    from storage.store import Store

    assert isinstance(store, Store)
    timers = SlaTimers(store, service.settings)
    mentions = MentionRepository(store)
    unanswered = InboxFilter(
        statuses=frozenset({TriageStatus.NEW, TriageStatus.OPEN, TriageStatus.PENDING}),
        unanswered=True,
    )
    baseline = _median_ms(lambda: mentions.count(unanswered), runs)

    def first_page() -> None:
        sql, params = time_left_page_query(["m.is_own = 0", "m.is_context = 0"], [], None)
        rows = store.conn.execute(sql, [*params, 200]).fetchall()
        timers.timers([row[0] for row in rows], now)

    cases: list[tuple[str, Callable[[], object]]] = [
        ("overdue count", lambda: timers.count(timers.overdue(now))),
        ("due within 30 min, count", lambda: timers.count(timers.due_within(now, 1_800, [""]))),
        ("first 200 by time left, with their timers", first_page),
        ("next deadline (when to look again)", lambda: timers.next_deadline(now)),
    ]
    overdue = timers.count(timers.overdue(now))
    measures = []
    for name, work in cases:
        took = _median_ms(work, runs)
        measures.append(
            Measure(
                "SLA timers",
                f"{name}, {size:,} mentions ({overdue:,} overdue)",
                took,
                "ms",
                baseline,
                "the inbox's Unanswered count",
                "≤ 50 ms",
                took <= 50,
            )
        )
    return measures


def refresh_measure(database: Path, size: int, whole: float | None) -> list[Measure]:
    """The refresh after a sync, on a copy of the store (it changes the store)."""
    with tempfile.TemporaryDirectory(dir=stores.CACHE) as folder:
        copy = Path(folder) / "heedful.db"
        shutil.copy2(database, copy)
        store = open_store(copy)
        now = _last_moment(copy)
        service = ReportService(store, clock=lambda: now)
        service.refresh()
        mentions = MentionRepository(store)
        account = int(store.conn.execute("SELECT min(id) FROM accounts").fetchone()[0])
        mentions.ingest(
            [
                NewMention(
                    account_id=account,
                    platform_id=f"fresh-{n}",
                    author=NewAuthor(Network.MASTODON, f"fresh-{n}", f"fresh{n}@example"),
                    kind=MentionKind.MENTION,
                    text="Is the sale still on?",
                    created_at=now - timedelta(minutes=n),
                    language="en",
                )
                for n in range(200)
            ]
        )
        newest = mentions.newest_id()
        TriageRepository(store).set_field(
            list(range(newest - 49, newest + 1)), "status", "open", actor="Kari", at=utc_now()
        )
        with store.write() as db:
            db.execute(
                "UPDATE outbox SET sent_at = ?"
                " WHERE id IN (SELECT id FROM outbox ORDER BY id DESC LIMIT 20)",
                [now.strftime("%Y-%m-%dT%H:%M:%S.000000Z")],
            )
        began = time.perf_counter()
        result = service.refresh()
        took = (time.perf_counter() - began) * 1000
        store.close()
    return [
        Measure(
            "Reports",
            f"refresh after a sync ({result.recomputed} mentions, {result.days_packed} days),"
            f" {size:,} mentions",
            took,
            "ms",
            whole,
            "plain SQL, the longest report",
            "≤ 1 s",
            took <= 1_000,
        )
    ]


def rebuild_measure(database: Path, size: int, whole: float | None) -> list[Measure]:
    """The last time every fact was computed from the store (when the store was built, or a
    later run found the rules' version or the settings changed): minutes at a million, once."""
    seconds_file = database.parent / "rebuild-seconds"
    seconds = float(seconds_file.read_text()) if seconds_file.exists() else math.nan
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds_file.stat().st_mtime))
    return [
        Measure(
            "Reports",
            f"recomputing every fact and pack (once per version), {size:,} mentions",
            seconds * 1000,
            "ms",
            whole,
            "plain SQL, the longest report",
            "",
            None,
            [f"measured {when}"],
        )
    ]


def run(sizes: list[int], runs: int = 3) -> list[Measure]:
    measures: list[Measure] = []
    for size in sizes:
        database = home_for(size)
        reports = report_measures(database, size, runs)  # recomputes first when stale
        # Recomputing and refreshing stand beside one plain-SQL pass over the whole history.
        whole = max((m.baseline for m in reports if m.baseline is not None), default=None)
        measures += rebuild_measure(database, size, whole) + reports
        measures += refresh_measure(database, size, whole)
    return measures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--quick", action="store_true", help="small stores, one run each")
    args = parser.parse_args(argv)
    sizes = [2_000] if args.quick else [int(s.replace("_", "")) for s in args.sizes.split(",")]
    print(machine())
    measures = run(sizes, 1 if args.quick else 3)
    print(table(measures))
    print("\n".join(f"- {m.group}: {m.name}: {note}" for m in measures for note in m.notes))


if __name__ == "__main__":
    main()
