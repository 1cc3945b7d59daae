"""The window as a person uses it: offscreen, driven by the keyboard."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from app.bootstrap import Workspace
from app.inbox.service import InboxView, inbox_filter
from app.settings import load_settings

from ui.main_window import MainWindow


def _open(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    # Shortcuts only reach the active window, as on a real desktop.
    window.windowHandle().requestActivate()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    return window


def test_demo_inbox_opens_with_the_newest_mention_shown(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    window = _open(qtbot, demo_workspace)
    panel = window.inbox_panel
    assert "Demo workspace" in window.windowTitle()
    assert panel.model.rowCount() > 0
    first = demo_workspace.inbox.mention(panel.model.mention_id(0))
    detail = window.detail_pane.plain_text()
    assert first.author.display_name in detail
    assert " ".join(first.text.split())[:40] in " ".join(detail.split())
    qtbot.waitUntil(lambda: InboxView.OPEN in panel.counts)  # counted on a worker thread
    open_count = panel.counts[InboxView.OPEN]
    assert window.count_label.text() == f"{open_count:,} in All open"


def test_arrow_keys_move_through_the_inbox_and_the_detail_follows(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    window = _open(qtbot, demo_workspace)
    table = window.inbox_panel.table
    table.setFocus()
    second = demo_workspace.inbox.mention(window.inbox_panel.model.mention_id(1))
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert window.inbox_panel.current_mention_id() == second.id
    assert " ".join(second.text.split())[:40] in " ".join(window.detail_pane.plain_text().split())


def test_slash_searches_and_enter_returns_to_the_results(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    window = _open(qtbot, demo_workspace)
    panel = window.inbox_panel
    panel.table.setFocus()
    before = panel.model.rowCount()
    target = demo_workspace.inbox.mention(panel.model.mention_id(3))
    handle_word = target.author.handle.split("@")[0].split(".")[0]

    qtbot.keyClick(panel.table, Qt.Key.Key_Slash)
    assert panel.search_box.hasFocus()
    qtbot.keyClicks(panel.search_box, handle_word)
    # The search runs after a short pause in typing, not per keystroke.
    qtbot.waitUntil(lambda: panel.model.rowCount() < before, timeout=2000)
    shown = [panel.model.mention_id(row) for row in range(panel.model.rowCount())]
    assert target.id in shown
    qtbot.keyClick(panel.search_box, Qt.Key.Key_Return)
    assert panel.table.hasFocus()


def test_views_switch_from_the_keyboard_and_are_remembered(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    window = _open(qtbot, demo_workspace)
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.inbox_panel.current_view is InboxView.DONE
    window.close()

    reopened = _open(qtbot, demo_workspace)
    assert reopened.inbox_panel.current_view is InboxView.DONE
    assert all(
        demo_workspace.inbox.mention(reopened.inbox_panel.model.mention_id(row)).status.value
        == "done"
        for row in range(min(20, reopened.inbox_panel.model.rowCount()))
    )


def test_what_is_typed_stays_with_its_mention_and_survives_a_restart(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    window = _open(qtbot, demo_workspace)
    panel, box = window.inbox_panel, window.detail_pane.reply_box
    first, second = panel.model.mention_id(0), panel.model.mention_id(1)
    qtbot.keyClicks(box.editor, "Hi! Could you send us your order number in a DM?")
    assert panel.select_mention(second)
    assert box.editor.toPlainText() == ""  # never carried over to another customer
    qtbot.keyClicks(box.editor, "Thanks for the kind words")
    assert panel.select_mention(first)
    assert box.editor.toPlainText() == "Hi! Could you send us your order number in a DM?"
    qtbot.keyClicks(box.editor, " :)")
    # The draft is saved after a pause in typing, not on every key: wait for it in the store.
    qtbot.waitUntil(lambda: demo_workspace.replies.drafts.get(first).endswith(" :)"), timeout=3000)
    window.close()

    reopened = _open(qtbot, demo_workspace)
    assert reopened.inbox_panel.select_mention(first)
    assert reopened.detail_pane.reply_box.editor.toPlainText() == (
        "Hi! Could you send us your order number in a DM? :)"
    )
    assert reopened.inbox_panel.select_mention(second)
    assert reopened.detail_pane.reply_box.editor.toPlainText() == "Thanks for the kind words"


def test_the_selection_survives_a_refresh_far_down_the_list(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    window = _open(qtbot, demo_workspace)
    panel = window.inbox_panel
    panel.set_view(InboxView.ALL)
    while panel.model.canFetchMore(QModelIndex()):
        panel.model.fetchMore(QModelIndex())
    last = panel.model.mention_id(panel.model.rowCount() - 1)
    assert panel.select_mention(last)
    panel.refresh()  # as after a sync brought new mentions
    assert panel.current_mention_id() == last


def test_your_name_signs_replies_is_recorded_in_history_and_decides_mine(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    window = MainWindow(demo_workspace)
    qtbot.addWidget(window)
    mention_id = demo_workspace.inbox.page(inbox_filter(InboxView.OPEN), None, 1).ids[0]
    dialog = window.ask_agent_name()
    dialog.setTextValue("   ")
    dialog.accept()  # an empty name is explained, what was typed is kept
    qtbot.waitUntil(lambda: window.name_dialog is not dialog)
    assert "Type the name" in window.name_dialog.labelText()
    window.name_dialog.setTextValue("  Ingrid   Berg ")
    window.name_dialog.accept()

    assert demo_workspace.settings.agent_name == "Ingrid Berg"
    assert load_settings(demo_workspace.profile.settings).settings.agent_name == "Ingrid Berg"
    demo_workspace.triage.assign([mention_id], "Ingrid Berg")
    assert demo_workspace.triage.history(mention_id)[-1].actor == "Ingrid Berg"
    mine = demo_workspace.inbox.count(inbox_filter(InboxView.MINE, agent_name="Ingrid Berg"))
    assert mine == 1
    qtbot.waitUntil(lambda: window.inbox_panel.counts.get(InboxView.MINE) == 1, timeout=5_000)
    mention = demo_workspace.composer.mention(mention_id)
    assert demo_workspace.composer.values(mention)["agent.name"] == "Ingrid Berg"
