"""The detail pane with triage state, notes and history, photographed on a real X screen.

Saved as build/screenshots/detail-triage.png for a reviewer to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from PySide6.QtGui import QImage

from storage.records import TriageStatus
from storage.triage import TriageRepository

from app.bootstrap import StartupOptions, build_workspace
from app.inbox.service import InboxView, inbox_filter
from app.inbox.triage import TriageService

from tests.screens import grab_screen, running_app, virtual_display
from tests.test_screens import SCREENSHOTS, _distinct_colours


@pytest.mark.xvfb
def test_detail_pane_with_triage_and_history_on_a_real_screen(tmp_path: Path) -> None:
    home = tmp_path / "home"
    # The newest open mention, worked on by a teammate before the window opens.
    workspace = build_workspace(StartupOptions(home=home, demo=True))
    try:
        newest = workspace.inbox.page(inbox_filter(InboxView.OPEN), None, 1).ids[0]
        triage = TriageService(TriageRepository(workspace.store), lambda: "Ada Lovelace")
        triage.set_status([newest], TriageStatus.OPEN)
        triage.assign([newest], "Ada Lovelace")
        triage.tag([newest], "shipping")
        triage.set_priority([newest], 2)
        triage.add_note([newest][0], "Order found at the depot; courier re-sends today.")
        triage.set_status([newest], TriageStatus.PENDING)
    finally:
        workspace.close()

    target = SCREENSHOTS / "detail-triage.png"
    with virtual_display() as display, running_app(display, home, "--demo"):
        grab_screen(display, target)
    image = QImage(str(target))
    assert not image.isNull()
    detail_area = image.copy(860, 60, 400, 700)  # the right third of the 1280-wide window
    assert _distinct_colours(detail_area, step=4) > 30
