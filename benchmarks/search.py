"""Search speed at scale: Heedful's search against the same FTS5 query in plain sqlite3.

    python -m benchmarks.search [--mentions 100000] [--quick]

Builds a store of realistic mentions (the demo workspace's texts, repeated with new ids and
times), then times 20 queries people type, each as Heedful runs it (first page of the Open
view, newest first, plus the view counts) and as a bare FTS5 query. Prints a table with the
ratio beside each number. Benchmarks report; they never fail on a number.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.accounts import AccountRepository
from storage.mentions import MentionRepository
from storage.store import open_store

from app import __version__
from app.demo import demo_accounts, demo_mentions
from app.inbox import InboxService, InboxView, inbox_filter
from app.search import match_expression

QUERIES = [
    "refund", "order", "checkout", "site down", "pakke", "levering", "bestilling", "Versand",
    "pedido", "commande", "jacket", "boots", "app crash", "login", "kari", "@dan", "ff-",
    "size", "thank", "retur",
]  # fmt: skip


def build_store(path: Path, mentions: int) -> None:
    store = open_store(path)
    accounts = AccountRepository(store)
    ids = {account.handle: accounts.add(account).id for account in demo_accounts()}
    repository = MentionRepository(store)
    base = demo_mentions(ids, datetime(2026, 11, 20, tzinfo=UTC))
    made, round_number = 0, 0
    while made < mentions:
        shift = timedelta(days=30 * round_number)
        batch = [
            dataclasses.replace(
                item,
                platform_id=f"{item.platform_id}-{round_number}",
                created_at=item.created_at - shift,
                parent_platform_id=None,
            )
            for item in base[: mentions - made]
        ]
        repository.ingest(batch)
        made += len(batch)
        round_number += 1
    store.close()


def timed(function: object) -> float:
    began = time.perf_counter()
    function()  # type: ignore[operator]
    return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="a small store, to prove it runs")
    args = parser.parse_args()
    count = 2_000 if args.quick else args.mentions
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        began = time.perf_counter()
        build_store(path, count)
        print(f"store: {count:,} mentions built in {time.perf_counter() - began:.1f} s")
        store = open_store(path)
        inbox = InboxService(MentionRepository(store))
        raw = sqlite3.connect(path)
        heedful_ms, raw_ms = [], []
        for typed in QUERIES:
            view = inbox_filter(InboxView.OPEN, typed)

            def heedful_search(view: object = view, typed: str = typed) -> None:
                inbox.page(view, None, 200)  # type: ignore[arg-type]
                for each in InboxView:
                    inbox.count(inbox_filter(each, typed))

            def raw_search(typed: str = typed) -> None:
                raw.execute(
                    "SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ? LIMIT 200",
                    [match_expression(typed)],
                ).fetchall()

            heedful_search()  # warm the page cache the same way for both
            raw_search()
            heedful_ms.append(timed(heedful_search))
            raw_ms.append(timed(raw_search))
        store.close()
        raw.close()
    print(
        f"Heedful {__version__} · Python {platform.python_version()} · SQLite "
        f"{sqlite3.sqlite_version} · {platform.machine()} · {platform.processor() or ''}"
    )
    print(f"{'':24}{'median ms':>12}{'p95 ms':>10}")
    for name, values in (("heedful search+counts", heedful_ms), ("raw FTS5 match", raw_ms)):
        p95 = sorted(values)[int(len(values) * 0.95) - 1]
        print(f"{name:24}{statistics.median(values):12.2f}{p95:10.2f}")
    ratio = statistics.median(heedful_ms) / max(statistics.median(raw_ms), 1e-6)
    print(f"ratio (median, Heedful / raw): {ratio:.1f}x")


if __name__ == "__main__":
    main()
