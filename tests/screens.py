"""Screenshots of Heedful as a person sees it: the real app in a real window on Xvfb.

`python -m tests.screens FILE` (or `./dev screenshot`) saves the demo inbox to FILE.
The screenshot is taken from outside the app, of the whole X screen.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCREEN_SIZE = "1400x900x24"
READY_TEXT = "start-up: inbox ready"


@contextlib.contextmanager
def virtual_display() -> Iterator[str]:
    """Start Xvfb on a free display number and yield it as a DISPLAY value."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise RuntimeError("Xvfb is not installed (./dev test installs it)")
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", SCREEN_SIZE, "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def paint_now(*widgets: Any) -> None:
    """In a scene process: return once every widget's window is mapped, drawn and the X
    server has taken the drawing in, so a screenshot taken next shows it (no guessed sleep)."""
    from PySide6.QtCore import QEventLoop
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    windows = [widget.window() for widget in widgets]
    deadline = time.monotonic() + 30
    while not all(w.windowHandle() is not None and w.windowHandle().isExposed() for w in windows):
        if time.monotonic() > deadline:
            raise TimeoutError("the scene's windows were never exposed")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    QApplication.processEvents()  # pending layouts and updates
    for window in windows:
        window.repaint()
    QGuiApplication.sync()  # a round trip: the X server has processed the drawing


def grab_screen(display: str, target: Path) -> None:
    """Save what the X screen shows right now, using a separate Qt process as the camera."""
    target.parent.mkdir(parents=True, exist_ok=True)
    code = (
        "import sys; from PySide6.QtGui import QGuiApplication; "
        "app = QGuiApplication(sys.argv[:1]); "
        "sys.exit(0 if app.primaryScreen().grabWindow(0).save(sys.argv[1]) else 1)"
    )
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    subprocess.run([sys.executable, "-c", code, str(target)], env=env, check=True, timeout=60)


@contextlib.contextmanager
def running_app(display: str, home: Path, *args: str, timeout: float = 60) -> Iterator[str]:
    """Run `heedful` on the display until its inbox is on screen; yield its log text."""
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "HEEDFUL_HOME": str(home)}
    home.mkdir(parents=True, exist_ok=True)
    errors = home / "stderr.txt"
    with errors.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", *args], env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    log_file = home / "logs" / "heedful.log"
    try:
        deadline = time.monotonic() + timeout
        while True:
            text = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
            if READY_TEXT in text:
                break
            if process.poll() is not None:
                raise RuntimeError(f"heedful exited early: {errors.read_text()!r}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no '{READY_TEXT}' in the log after {timeout} s")
            time.sleep(0.1)  # polling the log file for the line, not a wait for painting
        # The line is logged after the first paint was flushed to the X server.
        yield text
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def screenshot_demo(target: Path) -> Path:
    with (
        tempfile.TemporaryDirectory() as home,
        virtual_display() as display,
        running_app(display, Path(home), "--demo"),
    ):
        grab_screen(display, target)
    return target


if __name__ == "__main__":
    saved = screenshot_demo(Path(sys.argv[1] if len(sys.argv) > 1 else "build/main-window.png"))
    print(f"saved {saved}")
