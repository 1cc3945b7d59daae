"""The window half of `heedful --self-test`: render the main window once, search in it.

app/selftest.py runs the checks and prints the report; this module is the one it is handed
(by the entry point) to prove the window layer works: Qt's platform plugin, fonts, the
inbox model over the store, the search box. Offscreen unless a platform was chosen.
"""

from __future__ import annotations

import os
import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QEventLoop, QTimer, qVersion
from PySide6.QtWidgets import QApplication

from app.bootstrap import Workspace
from app.selftest import SEARCH_TEXT, CheckFailed

from ui.main_window import MainWindow

# Rendering a window takes well under a second; this only bounds a broken build.
PAINT_TIMEOUT_MS = 30_000


def render_main_window(workspace: Workspace) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    application = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(application, QApplication)
    window = MainWindow(workspace)
    try:
        window.resize(1100, 700)
        painted = _show_and_wait_for_paint(window)
        if not painted:
            raise CheckFailed(f"the inbox was not painted within {PAINT_TIMEOUT_MS / 1000:.0f} s")
        image = window.grab().toImage()
        if image.isNull() or image.width() < 100 or image.height() < 100:
            raise CheckFailed("the main window rendered as an empty picture")
        colours = {image.pixel(x, image.height() // 3) for x in range(0, image.width(), 7)}
        if len(colours) < 3:
            raise CheckFailed("the main window rendered as a blank picture")
        listed = window.inbox_panel.model.rowCount()
        if listed == 0:
            raise CheckFailed("the inbox list is empty in the window")
        panel = window.inbox_panel
        panel.search_box.setText(SEARCH_TEXT)
        panel.search_box.returnPressed.emit()
        found = panel.model.rowCount()
        if found == 0 or found >= listed:
            raise CheckFailed(
                f"searching {SEARCH_TEXT!r} in the window listed {found} of {listed} rows"
            )
    finally:
        window.close()
        window.deleteLater()
    return (
        f"{image.width()}×{image.height()} on {application.platformName()}, {listed} rows, "
        f"{found} after searching; Qt {qVersion()}, PySide6 {pyside_version}"
    )


def _show_and_wait_for_paint(window: MainWindow) -> bool:
    """Show the window and run the event loop until its inbox is painted, or time out."""
    loop = QEventLoop()
    painted: list[bool] = []

    def done() -> None:
        painted.append(True)
        loop.quit()

    window.inbox_did_paint.connect(done)
    QTimer.singleShot(PAINT_TIMEOUT_MS, loop.quit)
    window.show()
    if not painted:
        loop.exec()
    return bool(painted)
