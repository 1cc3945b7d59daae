"""The outbox window and channel health panel on a real X screen, saved for a reviewer."""

from __future__ import annotations

from pathlib import Path

import pytest

from PySide6.QtGui import QImage

from tests.sync_screens import screenshot_sync_panels

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


@pytest.mark.xvfb
def test_outbox_and_channel_health_on_a_real_screen() -> None:
    saved = screenshot_sync_panels(SCREENSHOTS)
    assert [path.name for path in saved] == ["outbox.png", "channel-health.png"]
    for path in saved:
        image = QImage(str(path))
        assert not image.isNull()
        # The panel sits over the window at (140, 140): text and table lines make many colours
        # there; a panel that failed to paint would be one flat grey.
        panel = image.copy(150, 150, 500, 300)
        colours = {panel.pixel(x, y) for x in range(0, 500, 3) for y in range(0, 300, 3)}
        assert len(colours) > 20, path
