"""The window stays responsive while a 5,000-mention backfill arrives.

A QTimer ticks every 10 ms on the GUI thread while the sync runs. For each gap between two
ticks it records the wall time and the CPU time the GUI thread itself used: a long gap with
little GUI-thread CPU is the machine (other processes, the sync thread holding the GIL), a
long gap full of GUI-thread CPU is work done on the GUI thread, which Heedful controls.

The backfill comes from a Mastodon API on loopback (tests/replay_mastodon_server.py, in its
own process) serving 5,000 copies of a mention notification that mastodon-mock itself served;
everything on Heedful's side is real: the window, the sync controller, Mastodon.py, the store.

Bounds, and why:
- GUI-thread work while the sync runs: under 50 ms in any gap (the issue's "no call on the GUI
  thread longer than 50 ms"). Nothing of the sync belongs there; if the sync ran on the GUI
  thread this would be the whole sync.
- Wall-clock stall while the sync runs: printed, not asserted. The suite must pass on a busy
  2-core machine, where the OS leaves the GUI thread unscheduled for hundreds of milliseconds
  however little it has to do (533 ms seen beside seven other jobs), and the sync thread's
  full garbage collections hold the GIL; wall time is a property of the machine, not of
  Heedful. GUI-thread CPU per gap is what Heedful controls, and is asserted.
- The window's own refresh after the sync (inbox page, counts, the selected mention): under
  250 ms of GUI-thread time, printed. It reads a page of rows, not all 5,000.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from PySide6.QtCore import QObject, Qt, QTimer
from pytestqt.qtbot import QtBot

from app.bootstrap import Workspace

from ui.main_window import MainWindow

from tests.peers.mastodon import MastodonPeer

pytestmark = [pytest.mark.mastodon, pytest.mark.usefixtures("secret_service")]

MENTIONS = 5_000
TICK_MS = 10
GUI_WORK_DURING_SYNC_MS = 50
REFRESH_AFTER_SYNC_MS = 250


class StallMeter(QObject):
    """Ticks every 10 ms on the GUI thread; per gap, the wall time and the GUI thread's CPU."""

    def __init__(self) -> None:
        super().__init__()
        self.wall: list[float] = []  # ms between ticks
        self.work: list[float] = []  # ms of GUI-thread CPU in that time
        self._last: tuple[float, float] | None = None
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = (time.perf_counter(), time.thread_time())
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def work_since_last_tick(self) -> float:
        assert self._last is not None
        return (time.thread_time() - self._last[1]) * 1000

    def _tick(self) -> None:
        now = (time.perf_counter(), time.thread_time())
        if self._last is not None:
            self.wall.append((now[0] - self._last[0]) * 1000)
            self.work.append((now[1] - self._last[1]) * 1000)
        self._last = now


@pytest.fixture
def backfill_server(mastodon_peer: MastodonPeer, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The replay server's URL and the brand's token, recorded from the real mock."""
    brand, customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    customer.post(f"@{brand.username} where is my order?")
    (notification,) = brand.notifications(types=["mention"])
    recorded = tmp_path / "recorded.json"
    me = brand.verify_credentials()
    recorded.write_text(json.dumps({"me": me, "notification": notification}), encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("replay_mastodon_server.py")),
         str(MENTIONS), str(recorded)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url, brand.token
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()


def test_the_window_keeps_responding_during_a_5000_mention_backfill(
    workspace: Workspace, qtbot: QtBot, backfill_server: tuple[str, str]
) -> None:
    url, token = backfill_server
    account = workspace.account_service.finish_mastodon_sign_in(url, token)
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    meter = StallMeter()
    ended: list[tuple[int, float]] = []  # gaps closed so far, GUI work since the last tick

    def sync_ended() -> None:
        # Connected after the window's own slot: its refresh has just run, in the open gap.
        ended.append((len(meter.wall), meter.work_since_last_tick()))

    window.sync.sync_did_finish.connect(sync_ended)
    meter.start()
    began = time.perf_counter()
    with qtbot.waitSignal(window.sync.sync_did_finish, timeout=600_000) as finished:
        window.sync.sync_now()
    took = time.perf_counter() - began
    ((during, _),) = ended
    # The list merges the new mentions and the counts arrive from a worker after the sync
    # ends: keep measuring until the window shows them all.
    qtbot.waitUntil(lambda: "5,000" in window.count_label.text(), timeout=30_000)
    qtbot.waitUntil(lambda: window.inbox_panel.model.rowCount() > 0, timeout=30_000)
    ticks = len(meter.wall)
    qtbot.waitUntil(lambda: len(meter.wall) > ticks + 1)
    meter.stop()

    (report,) = finished.args[0]
    assert (report.account.id, report.added) == (account.id, MENTIONS)
    stored = workspace.store.conn.execute(
        "SELECT count(*) FROM mentions WHERE account_id = ? AND is_own = 0", [account.id]
    ).fetchone()[0]
    assert stored == MENTIONS

    wall, work = meter.wall[:during], meter.work[:during]
    stall, busiest = max(wall) - TICK_MS, max(work)
    refresh = max(meter.work[during:])  # the longest GUI-thread step showing the new mentions
    print(
        f"\nbackfill of {MENTIONS} mentions in {took:.1f} s, {during} ticks: longest stall "
        f"{stall:.1f} ms (wall), most GUI-thread work in one gap {busiest:.1f} ms; showing "
        f"them afterwards: at most {refresh:.1f} ms of GUI-thread work in one gap"
    )
    assert busiest < GUI_WORK_DURING_SYNC_MS
    assert refresh < REFRESH_AFTER_SYNC_MS
