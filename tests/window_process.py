"""The real window in a process of its own (`tests/window_driver.py`), driven from a test."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

DRIVER = Path(__file__).resolve().parent / "window_driver.py"
_TIMEOUT = 60


class WindowProcess:
    """`tests/window_driver.py`: the real window in its own process, one command per line."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._lines: queue.Queue[str] = queue.Queue()
        self.printed: list[str] = []  # every line, in order, whether expected or not
        self._skipped: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.printed.append(line.strip())
            self._lines.put(line.strip())
        self._lines.put("")  # the process has ended

    def expect(self, prefix: str) -> str:
        """The rest of the next line that starts with `prefix` (lines skipped by an earlier
        `expect` count too, in order)."""
        for line in self._skipped:
            if line.startswith(prefix):
                self._skipped.remove(line)
                return line.removeprefix(prefix).strip()
        while True:
            try:
                line = self._lines.get(timeout=_TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"the window never said {prefix!r}") from None
            if not line:
                raise AssertionError(f"the window ended before saying {prefix!r}")
            if line.startswith(prefix):
                return line.removeprefix(prefix).strip()
            if line.startswith("error"):
                raise AssertionError(line)
            self._skipped.append(line)

    def ask(self, command: str, answer: str) -> str:
        self.say(command)
        return self.expect(answer)

    def quit(self) -> int:
        self.say("quit")
        return self.process.wait(timeout=_TIMEOUT)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=_TIMEOUT)
        self._reader.join(timeout=_TIMEOUT)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()

    def say(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()


@contextlib.contextmanager
def running_window(*arguments: str, expect_ready: bool = True) -> Iterator[WindowProcess]:
    """`heedful [arguments]` in the driver, on HEEDFUL_HOME; killed at the end if still up."""
    process = subprocess.Popen(
        [sys.executable, str(DRIVER), *arguments],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    window = WindowProcess(process)
    try:
        if expect_ready:
            window.expect("ready")  # the inbox is on screen and its counts worker has counted
        yield window
    finally:
        window.close()
