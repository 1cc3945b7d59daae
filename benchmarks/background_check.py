"""What the window's background work costs on a big store, and how fast closing stops it.

    python -m benchmarks.background_check [MENTIONS]     (default 1,000,000)

Measures, on one store (tests/big_store.py, built in a temporary folder), the whole-file
check (`integrity_check`) against `quick_check` (what ran before), the day's backup (SQLite's
online backup in steps, then a quick_check of the copy) against `VACUUM INTO` (what ran
before), and how long after `Stopper.stop()` each ends. Not part of `python -m benchmarks`:
run it on its own; it prints one line per measure.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from storage.backup import back_up_if_due
from storage.store import Stopper, WorkStopped, check_integrity

from tests import big_store


def _best(work: Callable[[], object], runs: int = 2) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def _stopped_after(work: Callable[[Stopper], object], after_s: float = 1.0) -> float:
    """Seconds from `stop()` (called `after_s` into the work) to the work's end."""
    stopper = Stopper()
    asked: list[float] = []

    def stop() -> None:
        asked.append(time.perf_counter())
        stopper.stop()

    threading.Timer(after_s, stop).start()
    try:
        work(stopper)
    except WorkStopped:
        return time.perf_counter() - asked[0]
    raise RuntimeError("the work ended before it was stopped: use a bigger store")


def main(mentions: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "heedful.db"
        built = big_store.build(path, mentions)
        print(f"store: {mentions:,} mentions, {path.stat().st_size / 1e6:,.0f} MB, built in "
              f"{built.seconds_to_build:.0f} s")  # fmt: skip

        def quick() -> None:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            conn.execute("PRAGMA quick_check(3)").fetchall()
            conn.close()

        quick_s = _best(quick)
        full_s = _best(lambda: check_integrity(path))
        print(f"integrity_check {full_s:.2f} s vs quick_check {quick_s:.2f} s: "
              f"{full_s / quick_s:.2f}×")  # fmt: skip
        stop_s = _stopped_after(lambda stopper: check_integrity(path, stopper))
        print(f"integrity_check stopped {stop_s * 1000:.0f} ms after stop()")

        backups = Path(folder) / "backups"

        def backup(stopper: Stopper | None = None) -> None:
            shutil.rmtree(backups, ignore_errors=True)
            back_up_if_due(path, backups, datetime.now(UTC), stopper=stopper)

        def vacuum_into() -> None:
            target = Path(folder) / "vacuum.db"
            target.unlink(missing_ok=True)
            conn = sqlite3.connect(path)
            conn.execute("VACUUM INTO ?", [str(target)])
            conn.close()
            conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
            conn.execute("PRAGMA quick_check").fetchall()
            conn.close()

        backup_s = _best(backup, runs=1)
        vacuum_s = _best(vacuum_into, runs=1)
        print(f"backup {backup_s:.2f} s vs VACUUM INTO {vacuum_s:.2f} s (each with the copy's "
              f"quick_check): {backup_s / vacuum_s:.2f}×")  # fmt: skip
        print(f"backup stopped {_stopped_after(backup) * 1000:.0f} ms after stop()")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else big_store.SIZE)
