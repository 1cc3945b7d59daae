"""Benchmark results: one row per measure, the baseline measured in the same run beside it."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata

from app import __version__


@dataclass(frozen=True, slots=True)
class Measure:
    group: str
    name: str
    value: float
    unit: str  # "ms", "MB", "/s"
    baseline: float | None = None
    baseline_name: str = ""
    goal: str = ""  # shown as is, e.g. "≤ 1.5×"
    met: bool | None = None  # None: no goal, or no verdict possible
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline


def ratio_goal(value: float, baseline: float, limit: float) -> bool:
    return baseline > 0 and value / baseline <= limit


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "MB":
        return f"{value:,.1f} MB"
    if value >= 100:
        return f"{value:,.0f} {unit}"
    if value >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


def table(measures: Sequence[Measure]) -> str:
    """A Markdown table: it reads in a terminal and pastes into the README."""
    lines = [
        "| Measure | Heedful | Baseline (same run) | Ratio | Goal | Met |",
        "| --- | ---: | --- | ---: | --- | :---: |",
    ]
    for measure in measures:
        baseline = (
            f"{_number(measure.baseline, measure.unit)} {measure.baseline_name}".strip()
            if measure.baseline is not None
            else measure.baseline_name or "—"
        )
        ratio = measure.ratio
        if ratio is None:
            ratio_text = "—"
        elif measure.unit == "/s":
            ratio_text = f"{ratio:.0%}"
        else:
            ratio_text = f"{ratio:.2f}×"
        met = {True: "yes", False: "**no**", None: ""}[measure.met]
        lines.append(
            f"| {measure.group}: {measure.name} | {_number(measure.value, measure.unit)} | "
            f"{baseline} | {ratio_text} | {measure.goal} | {met} |"
        )
    return "\n".join(lines)


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GB RAM"
    except OSError:
        pass
    return "RAM unknown"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> str:
    load = (
        ", ".join(f"{value:.1f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    )
    return (
        f"Machine: {platform.platform()} · {_cpu()} · {os.cpu_count()} cores · {_memory()} · "
        f"load average at start {load}\n"
        f"Versions: Heedful {__version__} · Python {platform.python_version()} · "
        f"SQLite {sqlite3.sqlite_version} · PySide6 {_version('PySide6-Essentials')} · "
        f"Mastodon.py {_version('Mastodon.py')} · PyInstaller {_version('pyinstaller')}"
        f"{' · frozen' if getattr(sys, 'frozen', False) else ''}"
    )
