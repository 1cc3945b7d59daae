"""The window in a process of its own, typing a reply: what test_draft_survives_kill kills.

`python tests/draft_typist.py MENTION_ID TEXT` opens the user's workspace (HEEDFUL_HOME)
in the main window (offscreen unless QT_QPA_PLATFORM says otherwise), selects the mention,
types TEXT into the reply box as key presses (characters past ASCII are inserted, as an
input method would: QTest cannot type them), prints "typed" and runs until it is killed.
Nothing saves the draft but the reply box's own autosave.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.bootstrap import StartupOptions, build_workspace

from ui.main_window import MainWindow


def main(mention_id: int, text: str) -> int:
    application = QApplication(sys.argv[:1])
    workspace = build_workspace(StartupOptions())
    window = MainWindow(workspace)
    window.show()
    if not window.inbox_panel.select_mention(mention_id):
        print(f"mention {mention_id} is not in the inbox", file=sys.stderr)
        return 1
    editor = window.detail_pane.reply_box.editor
    editor.setFocus()
    for character in text:
        if character.isascii():
            QTest.keyClicks(editor, character)
        else:
            editor.insertPlainText(character)
    print("typed", flush=True)
    return application.exec()


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[2]))
