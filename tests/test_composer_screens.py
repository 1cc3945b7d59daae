"""Screenshots of the composer with its guardrails, and of the snippet manager: the real app in
a real X window (Xvfb), set up by a child process, photographed from outside.

The child is this module run as `python -m tests.test_composer_screens SCENE READY_FILE`: it
opens the demo workspace, sets the scene as a person would, writes READY_FILE (what is on
screen, as JSON) and waits to be stopped. Screenshots go to build/screenshots/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.screens import grab_screen, paint_now, virtual_display

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


def _photograph(scene: str, home: Path) -> tuple[Path, dict[str, object]]:
    target = SCREENSHOTS / f"{scene}.png"
    ready = home / "ready.json"
    with virtual_display() as display:
        env = {
            **os.environ,
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "HEEDFUL_HOME": str(home),
        }
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.test_composer_screens", scene, str(ready)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 90
            while not ready.exists():
                if child.poll() is not None:
                    raise RuntimeError(child.stderr.read().decode() if child.stderr else "")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the {scene} scene was not ready in time")
                time.sleep(0.1)  # polling for the file; the scene writes it once painted
            grab_screen(display, target)
        finally:
            child.terminate()
            child.wait(timeout=10)
            if child.stderr:
                child.stderr.close()
    return target, json.loads(ready.read_text(encoding="utf-8"))


@pytest.mark.xvfb
def test_composer_with_guardrails_on_a_real_screen(tmp_path: Path) -> None:
    target, shown = _photograph("composer-guardrails", tmp_path / "home")
    lines = shown["guardrails"]
    assert isinstance(lines, list)
    assert any(line.startswith("⛔ This public reply contains personal data") for line in lines)
    assert any("The customer wrote in Norwegian" in line for line in lines)
    assert target.stat().st_size > 20_000  # a populated window, not a blank screen


@pytest.mark.xvfb
def test_snippet_manager_on_a_real_screen(tmp_path: Path) -> None:
    target, shown = _photograph("snippet-manager", tmp_path / "home")
    preview = str(shown["preview"])
    # The live preview is the snippet filled in for the selected mention, in its language.
    assert preview.startswith(("Hi ", "Hei ", "Hallo ", "¡Hola", "Bonjour ")), preview
    assert "{" not in preview
    assert shown["rows"] >= 12  # type: ignore[operator]
    assert target.stat().st_size > 20_000


# --- the child: sets the scene ------------------------------------------------------------------


def _scene(scene: str, ready: Path) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from storage.mentions import InboxFilter
    from storage.records import Network

    from app.bootstrap import StartupOptions, build_workspace
    from app.inbox.service import InboxView

    from ui.compose.snippet_manager import SnippetManager
    from ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    workspace = build_workspace(StartupOptions(demo=True))
    window = MainWindow(workspace)
    window.resize(1360, 860)
    window.move(0, 0)
    window.show()
    norwegian = next(
        row.id
        for row in workspace.inbox.list_rows(InboxFilter(), 2000)
        if row.language == "nb" and row.network is Network.MASTODON and row.kind.value == "mention"
    )
    window.inbox_panel.set_view(InboxView.ALL)
    window.inbox_panel.select_mention(norwegian)
    box = window.detail_pane.reply_box
    late = workspace.snippets.by_shortcut("late")
    assert late is not None

    if scene == "composer-guardrails":
        box.insert_snippet(late, late.variants[0] if late.variants else None)
        english = next(i for i in range(box.variant.count()) if box.variant.itemText(i) == "base")
        box.variant.setCurrentIndex(english)
        box.variant.activated.emit(english)  # as if picked: the English text, the wrong language
        box.editor.moveCursor(box.editor.textCursor().MoveOperation.End)
        box.editor.insertPlainText(
            " Or call us, we're on +47 912 34 567. Thank you for reaching out!"
        )

        def wait_for_guardrails() -> None:
            if len(box.findings) >= 3:
                paint_now(window)
                ready.write_text(json.dumps({"guardrails": box.guardrails.lines()}))
            else:
                QTimer.singleShot(100, wait_for_guardrails)

        QTimer.singleShot(100, wait_for_guardrails)
    else:
        manager = SnippetManager(workspace.composer, norwegian, window)
        manager.move(200, 120)
        manager.show()
        rows = [manager.model.snippet(r) for r in range(manager.model.rowCount())]
        row = next(n for n, s in enumerate(rows) if s is not None and s.id == late.id)
        manager.list.setCurrentIndex(manager.model.index(row))
        manager.variant.setCurrentIndex(1)
        manager.variant.activated.emit(1)  # the Norwegian text, previewed on the mention
        paint_now(window, manager)
        ready.write_text(
            json.dumps({"preview": manager.preview.text(), "rows": manager.model.rowCount()})
        )
    return app.exec()


if __name__ == "__main__":
    sys.exit(_scene(sys.argv[1], Path(sys.argv[2])))
