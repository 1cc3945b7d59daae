"""Closing the window while its background integrity check or backup runs: the work stops at
once, the process ends, and a launch meanwhile opens a new window, never the closed one.

The check and backup of a million mentions on a slow disk are played by a progress handler
that makes their SQLite connections crawl (see `tests/window_driver.py --slow`): SQLite's
interrupt still reaches them between two steps, as it reaches the real, long ones.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.paths import DEMO_PROFILE, AppPaths

from tests.window_process import running_window

# The addresses of the connections that crawl: the whole-file check opens the database
# read-only; the backup checks its copy, in the backups folder, read-only.
CHECK = "heedful.db?mode=ro"
BACKUP = "backups/"


@pytest.fixture
def demo_home(heedful_home: Path, demo_database: Path) -> Path:
    target = AppPaths.resolve(heedful_home).profile(DEMO_PROFILE).database
    target.parent.mkdir(parents=True)
    shutil.copy2(demo_database, target)
    return target


@pytest.mark.parametrize(
    ("slow", "stopped"),
    [(CHECK, "the background check of {} was stopped"), (BACKUP, "the backup of {} was stopped")],
    ids=["integrity-check", "backup"],
)
def test_closing_during_the_background_check_stops_it_and_a_relaunch_opens_a_new_window(
    demo_home: Path, heedful_home: Path, slow: str, stopped: str
) -> None:
    with (
        running_window("--demo", "--slow", slow) as first,
        running_window("--demo", "--wait", expect_ready=False) as second,
    ):
        first.expect("slowed")  # the background work has begun, and crawls
        first.say("quit")
        second.say("go")  # launched again while the first is closing
        assert first.process.wait(timeout=60) == 0  # quitting did not wait for the work
        second.expect("ready")  # the new launch has a window of its own, with its inbox
        assert "shown-again" not in first.printed  # the closed window never came back
        assert second.quit() == 0
    log = (heedful_home / "logs" / "heedful.log").read_text(encoding="utf-8")
    assert stopped.format(demo_home) in log
    # A stopped backup leaves nothing behind (the second window made today's, or will).
    assert not list((demo_home.parent / "backups").glob("*.partial*"))
