"""Screenshots of the inbox list (painted rows, filter bar, a saved view's tab) in the real app
on Xvfb, saved under build/screenshots/ for a reviewer to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage

from app.bootstrap import StartupOptions, build_workspace
from app.paths import DEMO_PROFILE, AppPaths

from tests.screens import grab_screen, running_app, virtual_display

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


@pytest.mark.xvfb
def test_a_saved_view_of_the_demo_inbox_on_a_real_screen(tmp_path: Path) -> None:
    home = tmp_path / "home"
    workspace = build_workspace(StartupOptions(home=home, demo=True))
    saved = workspace.inbox.save_view("Norwegian, open", "lang:nb is:open", notify=True)
    workspace.close()
    state = QSettings(
        str(AppPaths.resolve(home).profile(DEMO_PROFILE).ui_state), QSettings.Format.IniFormat
    )
    state.setValue("inbox/view", f"saved:{saved.id}")
    state.sync()

    target = SCREENSHOTS / "inbox-saved-view.png"
    with virtual_display() as display, running_app(display, home, "--demo"):
        grab_screen(display, target)
    image = QImage(str(target))
    assert not image.isNull()
    assert image.width() > 1000
