"""Benchmarks are not tests of speed; this only proves they still run (in quick mode)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_search_benchmark_runs_and_reports_a_ratio() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.search", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "ratio (median, Heedful / raw):" in result.stdout
    assert "2,000 mentions" in result.stdout
