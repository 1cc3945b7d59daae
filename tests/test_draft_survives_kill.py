"""A reply being typed survives the app being killed: kill -9 of the real window process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from storage.mentions import InboxFilter
from storage.records import Network

from app.bootstrap import StartupOptions, Workspace, build_workspace

from ui.main_window import MainWindow

from tests.factories import brand_account, mention
from tests.peers.mastodon import wait_until

TYPIST = Path(__file__).resolve().parent / "draft_typist.py"
DRAFT = "Hi Kari, sorry for the wait! Your parcel left Tromsø today – Ingrid 🙂"


def test_a_draft_typed_in_the_window_is_there_after_kill_9_and_a_restart(
    workspace: Workspace, qtbot: QtBot
) -> None:
    """The typing process is never closed: only the reply box's own autosave can have kept
    the text. After the kill the store opens cleanly and the window brings the draft back."""
    account = workspace.accounts.add(brand_account(Network.MASTODON))
    workspace.mentions.ingest(
        [mention(account.id, 1, "Where is my order?"), mention(account.id, 2, "Nice boots!")]
    )
    rows = workspace.inbox.list_rows(InboxFilter(), 10)
    (question,) = [row for row in rows if row.text == "Where is my order?"]

    typist = subprocess.Popen(
        [sys.executable, str(TYPIST), str(question.id), DRAFT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert typist.stdout is not None
        line = typist.stdout.readline()  # the window is up and the text typed
        assert line.strip() == "typed", f"the typist said {line!r}"
        # Only the reply box's autosave (debounced while typing) writes the draft.
        wait_until(
            lambda: workspace.replies.drafts.get(question.id) == DRAFT,
            timeout=20,
            message="the draft to be saved while the window runs",
        )
        os.kill(typist.pid, signal.SIGKILL)
    finally:
        if typist.poll() is None:
            typist.kill()
        _, errors = typist.communicate(timeout=20)
    assert typist.returncode == -signal.SIGKILL, errors

    restarted = build_workspace(StartupOptions())
    window = MainWindow(restarted)
    try:
        assert window.inbox_panel.select_mention(question.id)
        assert window.detail_pane.reply_box.editor.toPlainText() == DRAFT
        (other,) = [row for row in rows if row.id != question.id]
        assert window.inbox_panel.select_mention(other.id)
        assert window.detail_pane.reply_box.editor.toPlainText() == ""  # only where it was typed
    finally:
        window.close()
        restarted.close()
