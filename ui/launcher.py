"""Starting the window: Qt application, qasync event loop, workspace, main window."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from storage.errors import StoreError

from app import __version__
from app.bootstrap import StartupOptions, StartupTimer, Workspace, build_workspace
from app.cli import startup_options
from app.logs import configure_logging
from app.paths import AppPaths
from app.resources import resource_path

from ui.main_window import MainWindow

log = logging.getLogger(__name__)

EXIT_STORE_PROBLEM = 2

# Logged once the inbox is on screen and the event loop is free to take input; start-up
# benchmarks and the screenshot test wait for this line.
READY_MESSAGE = "start-up: inbox ready after %.1f ms"


def run_window(args: argparse.Namespace) -> int:
    configure_logging(AppPaths.resolve(args.home).log_dir, verbose=args.verbose)
    timer = StartupTimer()
    with timer.step("Qt application"):
        application = QApplication.instance() or QApplication(sys.argv[:1])
        assert isinstance(application, QApplication)
        application.setApplicationName("Heedful")
        application.setApplicationDisplayName("Heedful")
        application.setApplicationVersion(__version__)
        application.setDesktopFileName("heedful")
        application.setWindowIcon(QIcon(str(resource_path("icons", "heedful.svg"))))
        # The coroutine below decides when to finish, after saving state, not Qt.
        application.setQuitOnLastWindowClosed(False)
    return int(qasync.run(_open_window(args, timer)))


async def _open_window(args: argparse.Namespace, timer: StartupTimer) -> int:
    options = startup_options(args, window=True)
    while True:
        try:
            workspace = build_workspace(options, timer)
        except StoreError as error:
            log.error("cannot open the workspace: %s", error)
            QMessageBox.critical(None, "Heedful cannot open its data", str(error))
            return EXIT_STORE_PROBLEM
        for problem in workspace.settings_problems:
            QMessageBox.warning(None, "Heedful settings", problem)

        closed = asyncio.Event()
        switch_to: list[str] = []
        with timer.step("main window"):
            window = _show_window(workspace, timer)
        window.window_did_close.connect(closed.set)
        window.workspace_should_switch.connect(switch_to.append)
        window.sync.start_schedule()
        try:
            await closed.wait()
        finally:
            workspace.close()
        if not switch_to:
            return 0
        # The first account was added from the demo: continue on the real workspace.
        options = StartupOptions(home=args.home, demo=False)
        timer = StartupTimer()


def _show_window(workspace: Workspace, timer: StartupTimer) -> MainWindow:
    window = MainWindow(workspace)
    window.workspace_should_switch.connect(lambda _name: window.close())
    window.inbox_did_paint.connect(
        lambda: QTimer.singleShot(0, lambda: log.info(READY_MESSAGE, timer.total() * 1000))
    )
    window.show()
    return window
