"""Starting the window: Qt application, qasync event loop, workspace, main window."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sqlite3
import sys
from pathlib import Path

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from storage.errors import StoreCorruptError, StoreError
from storage.store import Stopper, WorkStopped, check_integrity

from app import __version__
from app.bootstrap import StartupOptions, StartupTimer, Workspace, build_workspace
from app.cli.main import startup_options
from app.logs import configure_logging
from app.paths import AppPaths
from app.recovery import daily_backup, offer_for, restore_latest, start_empty
from app.resources import resource_path

from ui.main_window import MainWindow
from ui.single_instance import SingleInstance, instance_key
from ui.store_problem import Choice
from ui.store_problem import ask as ask_about_damage

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
    # One window per installation folder: a second launch brings the first to the front.
    instance = SingleInstance(instance_key(AppPaths.resolve(args.home).data_dir))
    if not instance.claim():
        log.warning(
            "Heedful is already open for this profile: its window was asked to come forward"
        )
        return 0
    try:
        return int(qasync.run(_open_window(args, timer, instance)))
    finally:
        instance.release()


async def _open_window(
    args: argparse.Namespace, timer: StartupTimer, instance: SingleInstance
) -> int:
    options = startup_options(args, window=True)
    while True:
        try:
            workspace = build_workspace(options, timer)
        except StoreCorruptError as error:
            log.error("cannot open the workspace: %s", error)
            if _recover(error):
                continue
            return EXIT_STORE_PROBLEM
        except StoreError as error:
            log.error("cannot open the workspace: %s", error)
            QMessageBox.critical(None, "Heedful cannot open its data", str(error))
            return EXIT_STORE_PROBLEM
        for problem in workspace.settings_problems:
            QMessageBox.warning(None, "Heedful settings", problem)

        closed = asyncio.Event()
        switch_to: list[str] = []
        # Ends the background check and backup the moment the window closes: quitting never
        # waits for them (today's backup is made at the next start instead).
        stopper = Stopper()
        with timer.step("main window"):
            window = _show_window(workspace, timer)
        window.window_did_close.connect(functools.partial(_did_close, instance, stopper, closed))
        window.workspace_should_switch.connect(switch_to.append)
        instance.serve(window)
        window.sync.start_schedule()
        checks: list[asyncio.Future[StoreCorruptError | None]] = []
        window.inbox_did_paint.connect(
            functools.partial(
                _check_in_background, window, workspace.profile.database, checks, stopper
            )
        )
        try:
            await closed.wait()
        finally:
            _did_close(instance, stopper, closed)
            found = [await job for job in checks]
            workspace.close()
        damage = next((error for error in found if error is not None), None)
        if damage is not None:
            log.error("the background check found damage: %s", damage)
            if _recover(damage):
                timer = StartupTimer()
                continue
            return EXIT_STORE_PROBLEM
        if not switch_to:
            return 0
        # The first account was added from the demo: continue on the real workspace.
        options = StartupOptions(home=args.home, demo=False)
        timer = StartupTimer()


def _did_close(instance: SingleInstance, stopper: Stopper, closed: asyncio.Event) -> None:
    """The window has closed: a launch from now on never shows it again (it waits for the
    next window, or for this process to end), and the background work stops."""
    instance.withdraw()
    stopper.stop()
    closed.set()


def _recover(error: StoreCorruptError) -> bool:
    """Offer the automatic backup; True when the database was restored or moved aside.
    While another Heedful still has the file open, nothing is changed: the person is told
    and asked again."""
    offer = offer_for(error)
    while True:
        choice = ask_about_damage(offer)
        try:
            if choice is Choice.RESTORE:
                kept = restore_latest(offer)
                log.warning(
                    "restored from the backup of %s; damaged file kept at %s", offer.backup, kept
                )
                return True
            if choice is Choice.START_EMPTY:
                start_empty(offer)
                return True
            return False
        except StoreError as refused:
            log.error("could not replace the damaged database: %s", refused)
            QMessageBox.warning(None, "Heedful's data is damaged", str(refused))


def _check_in_background(
    window: MainWindow,
    database: Path,
    checks: list[asyncio.Future[StoreCorruptError | None]],
    stopper: Stopper,
) -> None:
    """Once the inbox is on screen: the whole-file check (seconds on a big store), then
    today's backup, from their own connection on a worker thread of their own (not a lane
    of ui.tasks: they would hold a worker for seconds). Damage closes the window; the
    start-up loop then offers the backup. `stopper` ends both when the window closes."""
    if checks:
        return
    job = asyncio.get_running_loop().run_in_executor(None, _check_then_back_up, database, stopper)
    job.add_done_callback(
        lambda done: window.close() if done.result() is not None and not stopper.stopped else None
    )
    checks.append(job)


def _check_then_back_up(database: Path, stopper: Stopper | None = None) -> StoreCorruptError | None:
    """The damage found in the whole file, if any; otherwise today's backup is made (never
    from a damaged file: it would push a sound backup out). Stopped: None, and no backup."""
    stopper = stopper or Stopper()
    log.info("checking the whole of %s in the background", database)
    try:
        check_integrity(database, stopper)
    except StoreCorruptError as error:
        return error
    except WorkStopped:
        log.info("the background check of %s was stopped: the window closed", database)
        return None
    except (StoreError, OSError, sqlite3.Error) as error:  # e.g. locked: not damage
        log.warning("the integrity check of %s could not run: %s", database, error)
    _back_up_quietly(database, stopper)
    return None


def _back_up_quietly(database: Path, stopper: Stopper) -> None:
    try:
        daily_backup(database, stopper=stopper)
    except WorkStopped:
        pass  # logged by the backup; made at the next start
    except (StoreError, OSError, sqlite3.Error) as error:  # a backup never stops the day's work
        log.warning("today's backup of %s failed: %s", database, error)


def _show_window(workspace: Workspace, timer: StartupTimer) -> MainWindow:
    window = MainWindow(workspace)
    window.workspace_should_switch.connect(lambda _name: window.close())
    window.inbox_did_paint.connect(
        lambda: QTimer.singleShot(0, lambda: log.info(READY_MESSAGE, timer.total() * 1000))
    )
    window.show()
    return window
