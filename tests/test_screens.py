"""The real app in a real X window (Xvfb), photographed from outside, as a person would see it.

The screenshots are saved under build/screenshots/ for a reviewer to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from PySide6.QtGui import QImage

from tests.screens import grab_screen, running_app, virtual_display

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


def _distinct_colours(image: QImage, step: int = 7) -> int:
    colours = {
        image.pixel(x, y)
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
    }
    return len(colours)


@pytest.mark.xvfb
def test_demo_inbox_on_a_real_screen(tmp_path: Path) -> None:
    target = SCREENSHOTS / "main-window.png"
    with virtual_display() as display, running_app(display, tmp_path / "home", "--demo") as log:
        grab_screen(display, target)
    ready = re.search(r"inbox ready after ([\d.]+) ms", log)
    assert ready, log
    image = QImage(str(target))
    assert not image.isNull()
    # The window covers the top-left of the screen; an empty or black window has a handful of
    # colours, a populated inbox with text (anti-aliased) has hundreds.
    window_area = image.copy(0, 0, 1200, 760)
    assert _distinct_colours(window_area) > 100
    blank = image.copy(1300, 850, 100, 50)  # the bare X root outside the window
    assert _distinct_colours(blank, step=5) <= 2
