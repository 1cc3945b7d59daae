"""The real window (`ui.launcher.run_window`, as `heedful` starts it) in a process of its own,
driven line by line over standard input, for tests that run the command line beside it.

`python tests/window_driver.py [heedful arguments]` opens the window on HEEDFUL_HOME
(offscreen unless QT_QPA_PLATFORM says otherwise) through the launcher, with its single
instance, background integrity check, backup, counts worker and sync schedule. It prints
`ready` once the inbox is on screen and its counts have come in, then answers each command
with one line:

    status ID STATUS   select the mention and trigger the window's own triage action
                       (the `O`, `P` or `E` key) → `status ID <status as the window reads it>`
    state ID           → `state ID <status as the window's connection reads it>`
    counts             recount the views on the counts worker → `counts <Open count>`
    sync               sync now, wait for the round to end → `synced`
    quit               close the window; the process exits with the launcher's exit code

It prints `shown-again` if the window is shown after it was closed (a dead window).

`--slow TEXT` makes every SQLite connection whose address contains TEXT crawl (a progress
handler that sleeps between its steps), as the background check and backup of a million
mentions on a slow disk do; `slowed` is printed when such a connection first does work.
`--wait` waits for a `go` line on standard input before starting (imports done).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, Signal

from storage.records import TriageStatus

from app.bootstrap import StartupTimer, Workspace
from app.cli.main import build_parser
from app.inbox.service import InboxView

from ui import launcher
from ui.main_window import MainWindow

_ACTIONS = {
    TriageStatus.OPEN: "open_status",
    TriageStatus.PENDING: "pending",
    TriageStatus.DONE: "done",
}


def say(line: str) -> None:
    print(line, flush=True)


class Driver(QObject):
    command_did_arrive = Signal(str)

    def __init__(self, window: MainWindow, workspace: Workspace) -> None:
        super().__init__(window)
        self.window = window
        self.workspace = workspace
        self._started = False
        self._waiting_for_counts = False
        self.command_did_arrive.connect(self._run)  # queued: from the reader thread
        window.inbox_panel.counts_did_change.connect(self._counted)
        self._sync_wanted = False
        window.sync.sync_did_finish.connect(self._synced)
        self._closed = False
        window.window_did_close.connect(self._did_close)
        window.installEventFilter(self)

    def _did_close(self) -> None:
        self._closed = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() is QEvent.Type.Show and self._closed:
            say("shown-again")
        return False

    def _counted(self, counts: dict[object, int]) -> None:
        if not self._started:  # the list is on screen and the counts worker has counted
            self._started = True
            say("ready")
            self.start_reading()
        elif self._waiting_for_counts:
            self._waiting_for_counts = False
            say(f"counts {counts.get(InboxView.OPEN)}")

    def _synced(self, _reports: object) -> None:
        if self._sync_wanted:  # not the rounds the schedule starts by itself
            self._sync_wanted = False
            say("synced")

    def start_reading(self) -> None:
        def read() -> None:
            for line in sys.stdin:
                self.command_did_arrive.emit(line.strip())

        threading.Thread(target=read, daemon=True).start()

    def _state(self, mention_id: int) -> str:
        return self.workspace.triage.state(mention_id).status.value

    def _run(self, line: str) -> None:
        word, *rest = line.split()
        panel = self.window.inbox_panel
        if word == "status":
            mention_id, status = int(rest[0]), TriageStatus(rest[1])
            panel.set_view(InboxView.ALL)
            if not panel.select_mention(mention_id):
                say(f"error {mention_id} is not in the list")
                return
            self.window.triage_actions.actions[_ACTIONS[status]].trigger()
            say(f"status {mention_id} {self._state(mention_id)}")
        elif word == "state":
            say(f"state {rest[0]} {self._state(int(rest[0]))}")
        elif word == "counts":
            self._waiting_for_counts = True
            panel.request_counts()
        elif word == "sync":
            self._sync_wanted = True
            self.window.sync.sync_now()
        elif word == "quit":
            self.window.close()
        else:
            say(f"error unknown command {line!r}")


def slow_down(matching: str) -> None:
    """Every connection to an address containing `matching` sleeps 0.1 s at each of its
    steps: interruptible, as SQLite's interrupt is seen between steps, and endless enough."""
    connect = sqlite3.connect
    noticed = threading.Event()

    def crawl() -> int:
        if not noticed.is_set():
            noticed.set()
            say("slowed")
        time.sleep(0.1)
        return 0

    def slow_connect(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        connection = connect(database, *args, **kwargs)  # type: ignore[arg-type]
        if matching in str(database):
            connection.set_progress_handler(crawl, 1)
        return connection

    sqlite3.connect = slow_connect  # type: ignore[assignment]


def main(argv: list[str]) -> int:
    if "--slow" in argv:
        at = argv.index("--slow")
        slow_down(argv[at + 1])
        del argv[at : at + 2]
    if "--wait" in argv:
        argv.remove("--wait")
        if sys.stdin.readline().strip() != "go":
            return 1
    show_window = launcher._show_window

    def show_and_drive(workspace: Workspace, timer: StartupTimer) -> MainWindow:
        window = show_window(workspace, timer)
        Driver(window, workspace)  # owned by the window
        return window

    launcher._show_window = show_and_drive  # type: ignore[assignment]
    return launcher.run_window(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
