"""Heedful's benchmark suite: one command, one table, every number beside its baseline.

    python -m benchmarks                   the full run (stores of 10k, 100k and 1M mentions)
    python -m benchmarks --quick           tiny sizes, only to prove every benchmark still runs
    python -m benchmarks --binary dist/heedful/heedful    also time the packaged binary
    python -m benchmarks --only care       care analysis on the labelled set (not in the full run)
    python -m benchmarks --only team       the team inbox over a local NATS server

Each baseline is measured in the same run, on the same machine, right beside what it is
compared with: a bare PySide6 window (start-up, memory), plain sqlite3 (search, paging,
ingest), plain Mastodon.py (sync), raw nats-py (team). Benchmarks report; they never fail
on a number. Stores are built once and kept under build/benchmarks/ (delete it to rebuild
them).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks import stores
from benchmarks.report import Measure, machine, table

SECTIONS = ("startup", "search", "paging", "ingest", "sync", "reports", "team", "care")
# Care scores quality rather than speed, in a table of its own: it runs when asked for.
DEFAULT_SECTIONS = ("startup", "search", "paging", "ingest", "sync", "reports", "team")
STORE_SECTIONS = {"startup", "search", "paging", "ingest"}


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes are positive whole numbers, e.g. 10000,1000000")
    return sizes


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run each")
    parser.add_argument(
        "--sizes", type=_sizes, help="store sizes (default 10000,100000,1000000; quick 500,2000)"
    )
    parser.add_argument("--binary", type=Path, help="the packaged heedful executable to time too")
    parser.add_argument(
        "--only",
        default=",".join(DEFAULT_SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)}",
    )
    parser.add_argument("--repeat", type=int, help="start-up runs per case (default 5; quick 1)")
    parser.add_argument("--sync-mentions", type=int, help="default 2000; quick 100")
    parser.add_argument("--output", type=Path, help="also write the table (Markdown) here")
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    args.sections = [section for section in SECTIONS if section in args.only.split(",")]
    args.sizes = args.sizes or ([500, 2_000] if args.quick else [10_000, 100_000, 1_000_000])
    args.repeat = args.repeat or (1 if args.quick else 5)
    args.sync_mentions = args.sync_mentions or (100 if args.quick else 2_000)
    return args


def say(text: str) -> None:
    print(f"… {text}", file=sys.stderr, flush=True)


def startup_measures(args: argparse.Namespace, homes: dict[int, Path]) -> list[Measure]:
    from benchmarks import startup

    variants: list[tuple[str, Path | None, Path | None]] = [("from source", None, None)]
    if args.binary:
        say("building the bare window as a binary (the packaged baseline)")
        variants.append(("packaged binary", args.binary.resolve(), startup.build_bare_binary()))
    measures: list[Measure] = []
    for label, binary, bare_binary in variants:
        ready: dict[int, float] = {}
        for size, home in homes.items():
            say(f"start-up {label}, {size:,} mentions ({args.repeat} runs)")
            app, bare = startup.compare(
                home, repeat=args.repeat, binary=binary, bare_binary=bare_binary
            )
            ready[size] = app.milliseconds
            measures.append(
                Measure(
                    "Start-up",
                    f"{label}, {size:,} mentions",
                    app.milliseconds,
                    "ms",
                    bare.milliseconds,
                    "bare PySide6 window",
                    "≤ 1.5×",
                    app.milliseconds <= 1.5 * bare.milliseconds,
                )
            )
            if size == max(homes) and app.peak_rss_mb is not None and bare.peak_rss_mb:
                measures.append(
                    Measure(
                        "Memory",
                        f"peak RSS, inbox open, {label}, {size:,} mentions",
                        app.peak_rss_mb,
                        "MB",
                        bare.peak_rss_mb,
                        "bare PySide6 window",
                        "≤ +80 MB",
                        app.peak_rss_mb - bare.peak_rss_mb <= 80,
                    )
                )
        smallest, largest = min(ready), max(ready)
        if largest != smallest:
            measures.append(
                Measure(
                    "Start-up",
                    f"{label}: {largest:,} vs {smallest:,} mentions",
                    ready[largest],
                    "ms",
                    ready[smallest],
                    f"at {smallest:,}",
                    "≈ 1× (≤ 1.2×)",
                    ready[largest] <= 1.2 * ready[smallest],
                )
            )
    return measures


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    began = time.perf_counter()
    print(machine(), flush=True)
    homes: dict[int, Path] = {}
    largest = max(args.sizes)
    measures: list[Measure] = []
    if STORE_SECTIONS & set(args.sections):
        for size in args.sizes:
            say(f"store of {size:,} mentions (built once, then kept under {stores.CACHE})")
            homes[size] = stores.home_for(size)
        database = stores.database_for(largest)
    if "startup" in args.sections:
        measures += startup_measures(args, homes)
    if "search" in args.sections:
        from benchmarks import search

        say(f"search, {largest:,} mentions")
        measures += search.run(database, largest)
    if "paging" in args.sections:
        from benchmarks import paging

        say(f"paging, {largest:,} mentions")
        measures += paging.run(database, largest, jump_limit_s=5 if args.quick else 60)
    if "ingest" in args.sections:
        from benchmarks import ingest

        size = min(args.sizes)
        batch = 1_000 if args.quick else 20_000
        say(f"ingest of {batch:,} mentions into {size:,}")
        measures += ingest.run(
            stores.database_for(size), size, batch, repeat=1 if args.quick else 5
        )
    if "sync" in args.sections:
        from benchmarks import sync

        say(f"sync of {args.sync_mentions:,} mentions from a local Mastodon server")
        measures += sync.run(args.sync_mentions, repeat=1 if args.quick else 2)
    if "reports" in args.sections:
        from benchmarks import reports

        ends = sorted({min(args.sizes), largest})
        say(
            f"reports, {' and '.join(f'{size:,}' for size in ends)} mentions with a year of history"
        )
        measures += reports.run(ends, runs=1 if args.quick else 3)
    if "team" in args.sections:
        from benchmarks import team

        say("team inbox: laptop to laptop through a local NATS server, and a day's catch-up")
        measures += team.run(quick=args.quick)
    result = table(measures) if measures else ""
    notes = [f"- {m.group}: {m.name}: {note}" for m in measures for note in m.notes]
    if "care" in args.sections:
        from benchmarks import care

        say("care analysis: `heedful analyse` on the labelled evaluation set")
        result = "\n\n".join(part for part in (result, "\n".join(notes), care.report()) if part)
        notes = []
    print(result)
    if notes:
        print("\n".join(notes))
    print(f"({'quick mode, ' if args.quick else ''}{time.perf_counter() - began:.0f} s in all)")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(f"{machine()}\n\n{result}\n" + "\n".join(notes) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
