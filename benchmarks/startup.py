"""Start-up to an interactive inbox, and peak memory, timed from outside the process.

Each run starts a fresh process (from source: `python -m app`; packaged: the binary) on a
store of a given size, and reads its stderr until the app logs "start-up: inbox ready"
(ui/launcher.py logs it once the first page is painted and the event loop is free to take
input). The time from launching the process to that line is the start-up; the process's
peak resident memory (VmHWM, Linux) a second later is its memory with the inbox open. The
baseline is a bare PySide6 window with a table (benchmarks/bare_window.py), started the same
way and timed to its own first paint. Runs alternate between the app and the baseline, so a
busy machine slows both alike; the median of the runs is reported.
"""

from __future__ import annotations

import os
import queue
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bare_window import BARE_READY
from benchmarks.stores import CACHE, ROOT

APP_READY = "start-up: inbox ready"
SETTLE_SECONDS = 1.0  # after ready: what the inbox holds once open, not just the first paint
TIMEOUT_SECONDS = 180


@dataclass(frozen=True, slots=True)
class Started:
    milliseconds: float
    peak_rss_mb: float | None


def run_once(command: Sequence[str], ready_text: str, env: dict[str, str]) -> Started:
    lines: queue.Queue[str | None] = queue.Queue()
    began = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    assert process.stderr is not None
    stderr = process.stderr

    def read() -> None:
        for line in stderr:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        deadline = began + TIMEOUT_SECONDS
        while True:
            try:
                line = lines.get(timeout=max(deadline - time.perf_counter(), 0.1))
            except queue.Empty:
                raise TimeoutError(f"{command[0]}: not ready after {TIMEOUT_SECONDS} s") from None
            if line is None:
                raise RuntimeError(f"{command[0]} exited before it was ready: {''.join(seen)}")
            seen.append(line)
            if ready_text in line:
                elapsed = (time.perf_counter() - began) * 1000
                break
        time.sleep(SETTLE_SECONDS)
        return Started(elapsed, peak_rss_mb(process.pid))
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set so far (Linux); None where /proc does not exist."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def environment(home: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    env.pop("HEEDFUL_HOME", None)
    if home is not None:
        env["HEEDFUL_HOME"] = str(home)
    return env


def app_command(home: Path, binary: Path | None) -> list[str]:
    program = [str(binary)] if binary else [sys.executable, "-m", "app"]
    return [*program, "--demo", "--home", str(home), "-v"]


def bare_command(binary: Path | None) -> list[str]:
    if binary:
        return [str(binary)]
    return [sys.executable, str(ROOT / "benchmarks" / "bare_window.py")]


def compare(
    home: Path, *, repeat: int, binary: Path | None = None, bare_binary: Path | None = None
) -> tuple[Started, Started]:
    """Median start-up (and the largest peak memory) of the app on `home` and of the bare
    window, alternating runs."""
    app_runs: list[Started] = []
    bare_runs: list[Started] = []
    for _ in range(repeat):
        app_runs.append(run_once(app_command(home, binary), APP_READY, environment(home)))
        bare_runs.append(run_once(bare_command(bare_binary), BARE_READY, environment()))
    return summary(app_runs), summary(bare_runs)


def summary(runs: Sequence[Started]) -> Started:
    memory = [run.peak_rss_mb for run in runs if run.peak_rss_mb is not None]
    return Started(
        statistics.median(run.milliseconds for run in runs),
        statistics.median(memory) if memory else None,
    )


def build_bare_binary() -> Path:
    """The bare window as a PyInstaller onedir binary, built like Heedful's (cached)."""
    script = ROOT / "benchmarks" / "bare_window.py"
    dist = CACHE / "bare-dist"
    executable = (
        dist / "bare_window" / ("bare_window.exe" if sys.platform == "win32" else "bare_window")
    )
    if executable.exists() and executable.stat().st_mtime > script.stat().st_mtime:
        return executable
    if dist.exists():
        shutil.rmtree(dist)
    subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", "--noconfirm", "--onedir", "--log-level", "WARN",
            "--distpath", str(dist), "--workpath", str(CACHE / "bare-work"),
            "--specpath", str(CACHE), str(script),
        ],
        check=True,
        capture_output=True,
        timeout=900,
    )  # fmt: skip
    return executable
