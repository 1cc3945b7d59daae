"""Benchmarks are not tests of speed: these prove they still run (quick mode) and that the
stores they measure on are what they claim to be. No assertion here is about a number."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import stores

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.mastodon
def test_the_benchmark_suite_runs_in_quick_mode_and_prints_one_table(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(tmp_path / "table.md")],
        cwd=ROOT,
        env={**os.environ, "HEEDFUL_BENCHMARK_CACHE": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = result.stdout
    assert out.startswith("Machine: ")
    assert "Versions: Heedful " in out
    assert "| Measure | Heedful | Baseline (same run) | Ratio | Goal | Met |" in out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    groups = {row.split(":")[0].removeprefix("| ") for row in rows[1:]}
    assert groups == {
        "Start-up",
        "Memory",
        "Search",
        "Paging",
        "Ingest",
        "Sync",
        "Reports",
        "SLA timers",
        "Team",
    }
    # Every measure stands beside a baseline from the same run, with the ratio.
    for row in rows[1:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[2] != "—", row
        assert cells[3] != "—", row
    assert (tmp_path / "table.md").read_text().count("| Start-up:") == 3


def test_a_benchmark_store_holds_what_it_claims(tmp_path: Path) -> None:
    database = stores.database_for(1_500, tmp_path)
    conn = sqlite3.connect(database)
    try:
        assert conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == 1_500
        # Every copy is searchable, as if Heedful had stored it.
        assert conn.execute("SELECT count(*) FROM mentions_fts").fetchone()[0] == 1_500
        # Copies are older months with their own ids, in the store's one time format.
        assert (
            conn.execute("SELECT count(DISTINCT platform_id) FROM mentions").fetchone()[0] == 1_500
        )
        times = [row[0] for row in conn.execute("SELECT created_at FROM mentions")]
        assert all(len(text) == 27 and text.endswith("Z") for text in times)
        # The indexes and the full-text trigger set aside during the build are back.
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert {"mentions_inbox_order", "mentions_fts_insert"} <= names
    finally:
        conn.close()
    # Built once: asking again reuses the same file.
    assert stores.database_for(1_500, tmp_path) == database
