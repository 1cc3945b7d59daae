"""What an operation changed shows everywhere at once: a reply queued leaves Unanswered, its row
shows its badge, the counts and the tray follow, without waiting for the next sync."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from storage.mentions import InboxFilter

from app.bootstrap import Workspace
from app.inbox.service import InboxView

from ui.inbox.model import BADGES_ROLE, MESSAGE_COLUMN
from ui.main_window import MainWindow

from tests.factories import author, brand_account, mention


def _open(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.windowHandle().requestActivate()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    return window


def _three_questions(workspace: Workspace) -> list[int]:
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest(
        [
            mention(account.id, n, f"Where is order {n}?", by=author(f"c{n}@toot.example"))
            for n in range(3)
        ]
    )
    return [row.id for row in workspace.inbox.list_rows(InboxFilter(), 10)]


def _badges(window: MainWindow, mention_id: int) -> list[str]:
    model = window.inbox_panel.model
    row = model.row_of(mention_id)
    assert row is not None
    badges = model.index(row, MESSAGE_COLUMN).data(BADGES_ROLE)
    assert isinstance(badges, list)
    return badges


def test_a_queued_reply_leaves_unanswered_and_the_counts_and_tray_follow_at_once(
    qtbot: QtBot, workspace: Workspace
) -> None:
    first, *_others = _three_questions(workspace)
    window = _open(qtbot, workspace)
    window.sync.set_reachable(False)  # offline: the reply waits in the outbox, as on a train
    panel = window.inbox_panel
    panel.set_view(InboxView.UNANSWERED)
    qtbot.waitUntil(lambda: panel.counts.get(InboxView.UNANSWERED) == 3, timeout=5000)
    assert window.tray.icon.toolTip() == "Heedful: 3 unanswered mentions"
    assert panel.select_mention(first)

    box = window.detail_pane.reply_box
    box.editor.setFocus()
    qtbot.keyClicks(box.editor, "It left our warehouse this morning!")
    with qtbot.waitSignal(window.sync.reply_did_queue, timeout=10_000):
        qtbot.keyClick(box.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    # At once, not at the next sync: the agent working the queue cannot answer it twice.
    assert panel.model.row_of(first) is None
    assert panel.current_mention_id() != first
    qtbot.waitUntil(lambda: panel.counts.get(InboxView.UNANSWERED) == 2, timeout=5000)
    assert window.tray.icon.toolTip() == "Heedful: 2 unanswered mentions"
    assert window.count_label.text() == "2 in Unanswered"

    panel.set_view(InboxView.ALL)
    assert "reply queued" in _badges(window, first)


def test_a_draft_shows_its_badge_as_soon_as_it_is_saved(qtbot: QtBot, workspace: Workspace) -> None:
    first, *_others = _three_questions(workspace)
    window = _open(qtbot, workspace)
    panel = window.inbox_panel
    panel.set_view(InboxView.ALL)
    assert panel.select_mention(first)
    assert "draft" not in _badges(window, first)
    box = window.detail_pane.reply_box
    box.editor.setFocus()
    qtbot.keyClicks(box.editor, "Checking with the warehouse")
    qtbot.waitUntil(lambda: "draft" in _badges(window, first), timeout=5000)
    assert workspace.replies.drafts.get(first) == "Checking with the warehouse"
