"""Search speed at scale: Heedful's search against the same FTS5 work in plain sqlite3.

    python -m benchmarks.search [--mentions 1000000] [--quick]   (or all: python -m benchmarks)

20 queries people type, each timed as Heedful runs it when a person types in the search
box: the first page of the Open view, newest first (the window waits for it on the GUI
thread), and apart, the count for each view tab (InboxService, the same calls the window
makes; the window counts on a worker and shows the counts when they are ready). The
baseline is plain sqlite3 doing the same FTS5 work on its own connection, in its plainest
form (the matching ids once, the view's rows among them, sorted; the counts of three
views). Each query runs once to warm the page cache the same way for both, then once
timed. Benchmarks report; they never fail on a number.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from pathlib import Path

from storage.mentions import MentionRepository
from storage.store import open_store

from app.inbox.search import match_expression
from app.inbox.service import InboxService, InboxView, inbox_filter

from benchmarks import stores
from benchmarks.report import Measure, machine, table

QUERIES = [
    "refund", "order", "checkout", "site down", "pakke", "levering", "bestilling", "Versand",
    "pedido", "commande", "jacket", "boots", "app crash", "login", "kari", "@dan", "ff-",
    "size", "thank", "retur",
]  # fmt: skip

_OPEN = ("new", "open", "pending")
# The fastest plain form found for "matching mentions of a view": the matching ids once,
# then the view's rows among them (a join re-runs the match per row on some plans).
_RAW_PAGE = """
    SELECT m.id, m.created_at FROM mentions AS m
    WHERE m.id IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?)
      AND m.is_own = 0 AND m.is_context = 0 AND m.status IN (?, ?, ?)
    ORDER BY m.created_at DESC, m.id DESC LIMIT 200
"""
_RAW_COUNT = """
    SELECT count(*) FROM mentions AS m
    WHERE m.id IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?)
      AND m.is_own = 0 AND m.is_context = 0 {status}
"""


def _ms(began: float) -> float:
    return (time.perf_counter() - began) * 1000


def percentile_95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def measure(database: Path) -> dict[str, tuple[list[float], list[float]]]:
    """Milliseconds per query, (Heedful, raw sqlite3), for the first page (what the window
    waits for on the GUI thread after a keystroke) and for the view tabs' counts (counted
    on a worker, shown when ready)."""
    store = open_store(database)
    inbox = InboxService(MentionRepository(store))
    raw = sqlite3.connect(database)
    timings: dict[str, tuple[list[float], list[float]]] = {"page": ([], []), "counts": ([], [])}
    try:
        for typed in QUERIES:
            match = match_expression(typed)

            def heedful_page(typed: str = typed) -> None:
                inbox.page(inbox_filter(InboxView.OPEN, typed), None, 200)

            def heedful_counts(typed: str = typed) -> None:
                inbox.counts({each: inbox_filter(each, typed) for each in InboxView})

            def raw_page(match: str | None = match) -> None:
                raw.execute(_RAW_PAGE, [match, *_OPEN]).fetchall()

            def raw_counts(match: str | None = match) -> None:
                open_status = "AND m.status IN (?, ?, ?)"
                raw.execute(_RAW_COUNT.format(status=open_status), [match, *_OPEN]).fetchone()
                raw.execute(_RAW_COUNT.format(status=""), [match]).fetchone()
                raw.execute(
                    _RAW_COUNT.format(status="AND m.status = ?"), [match, "done"]
                ).fetchone()

            for name, heedful, plain in (
                ("page", heedful_page, raw_page),
                ("counts", heedful_counts, raw_counts),
            ):
                heedful()
                plain()
                began = time.perf_counter()
                heedful()
                timings[name][0].append(_ms(began))
                began = time.perf_counter()
                plain()
                timings[name][1].append(_ms(began))
    finally:
        raw.close()
        store.close()
    return timings


def run(database: Path, mentions: int) -> list[Measure]:
    timings = measure(database)
    label = f"{len(QUERIES)} queries, {mentions:,} mentions"
    heedful_ms, raw_ms = timings["page"]
    median, raw_median = statistics.median(heedful_ms), statistics.median(raw_ms)
    p95, raw_p95 = percentile_95(heedful_ms), percentile_95(raw_ms)
    counts_ms, raw_counts_ms = timings["counts"]
    return [
        Measure(
            "Search",
            f"first page, median, {label}",
            median,
            "ms",
            raw_median,
            "sqlite3 FTS5, same page",
            "≤ 20 ms and ≤ 1.5×",
            median <= 20 and median <= 1.5 * raw_median,
        ),
        Measure(
            "Search", f"first page, p95, {label}", p95, "ms", raw_p95, "sqlite3 FTS5, same page"
        ),
        Measure(
            "Search",
            f"view counts (on a worker), median, {label}",
            statistics.median(counts_ms),
            "ms",
            statistics.median(raw_counts_ms),
            "sqlite3 FTS5, 3 counts",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="a small store, to prove it runs")
    args = parser.parse_args()
    count = 2_000 if args.quick else args.mentions
    database = stores.database_for(count)
    print(machine())
    print(table(run(database, count)))


if __name__ == "__main__":
    main()
