"""Accounts from the window: add one, watch its mentions arrive, reply in-thread."""

from __future__ import annotations

from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from app.bootstrap import Workspace

from ui.main_window import MainWindow
from ui.sync.accounts_dialog import AddMastodonAccountDialog

from tests.peers.bluesky import BlueskyPeer
from tests.peers.mastodon import MastodonPeer, PeerAccount

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"

pytestmark = [pytest.mark.usefixtures("secret_service")]


def open_window(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def activate(qtbot: QtBot, window: MainWindow) -> None:
    """Keyboard shortcuts reach only the active window, as on a desktop."""
    window.windowHandle().requestActivate()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)


def add_account(
    qtbot: QtBot, window: MainWindow, peer: MastodonPeer, who: PeerAccount
) -> AddMastodonAccountDialog:
    dialog = window.add_mastodon_account()
    # The test plays the person's browser: it opens the page and allows access.
    dialog.open_in_browser = lambda url: peer.authorize_in_browser(
        url, who.username, open_redirect=True
    )
    dialog.server.setText(peer.base_url)
    with qtbot.waitSignal(dialog.account_was_added, timeout=30_000) as added:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert added.args[0].handle == f"{who.username}@127.0.0.1"
    return dialog


def test_add_an_account_and_watch_its_mentions_arrive(
    qtbot: QtBot, workspace: Workspace, mastodon_peer: MastodonPeer
) -> None:
    brand = mastodon_peer.new_account()
    customer = mastodon_peer.new_account()
    customer.post(f"@{brand.username} is my parcel lost? 📦")
    window = open_window(qtbot, workspace)
    assert window.inbox_panel.model.rowCount() == 0
    assert "Add" in window.sync_label.text()

    add_account(qtbot, window, mastodon_peer, brand)
    qtbot.waitUntil(lambda: window.inbox_panel.model.rowCount() == 1, timeout=30_000)
    assert "is my parcel lost" in window.detail_pane.plain_text()
    qtbot.waitUntil(lambda: "synced" in window.sync_label.text(), timeout=10_000)

    # New mentions arrive with "Sync now" without losing the selection.
    customer.post(f"@{brand.username} hello again")
    selected = window.inbox_panel.current_mention_id()
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.inbox_panel.model.rowCount() == 2, timeout=30_000)
    assert window.inbox_panel.current_mention_id() == selected

    # Once the window is closed, nothing more is scheduled or started.
    window.close()
    with qtbot.assertNotEmitted(window.sync.sync_did_start):  # sync_now refuses at once
        window.sync.sync_now()


def test_a_wrong_server_address_says_what_to_fix(qtbot: QtBot, workspace: Workspace) -> None:
    window = open_window(qtbot, workspace)
    dialog = window.add_mastodon_account()
    dialog.server.setText("http://mastodon.example")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: "Not signed in" in dialog.status.text(), timeout=10_000)
    assert "https" in dialog.status.text()
    assert dialog.server.isEnabled()  # the address stays, to correct it


def test_reply_from_the_window_lands_in_the_thread(
    qtbot: QtBot, workspace: Workspace, mastodon_peer: MastodonPeer
) -> None:
    brand = mastodon_peer.new_account()
    customer = mastodon_peer.new_account()
    question = customer.post(f"@{brand.username} can I return boots after 40 days?")
    window = open_window(qtbot, workspace)
    add_account(qtbot, window, mastodon_peer, brand)
    qtbot.waitUntil(lambda: window.inbox_panel.model.rowCount() == 1, timeout=30_000)

    box = window.detail_pane.reply_box
    activate(qtbot, window)
    box.editor.setFocus()
    qtbot.keyClicks(box.editor, "Yes, we make an exception for you! - Ingrid")
    with qtbot.waitSignal(window.sync.reply_did_finish, timeout=30_000) as finished:
        qtbot.keyClick(box.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert finished.args[1].startswith("Sent:")
    assert box.editor.toPlainText() == ""
    assert box.status.text().startswith("Sent:")
    replies = customer.context(question["id"])["descendants"]
    assert [r["visibility"] for r in replies] == ["public"]
    assert "Yes, we make an exception for you!" in replies[0]["content"]
    qtbot.waitUntil(lambda: "You (brand)" in window.detail_pane.plain_text())  # in the thread
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SCREENSHOTS / "mastodon-reply-sent.png"))


def test_the_demo_never_sends(qtbot: QtBot, demo_workspace: Workspace) -> None:
    window = open_window(qtbot, demo_workspace)
    assert not window.detail_pane.reply_box.send_button.isEnabled()
    assert not window.sync.enabled


@pytest.mark.bluesky
def test_add_a_bluesky_account_and_watch_its_mentions_arrive(
    qtbot: QtBot, workspace: Workspace, bluesky_peer: BlueskyPeer
) -> None:
    brand = bluesky_peer.create_account("brand")
    customer = bluesky_peer.create_account("kari")
    customer.post(f"@{brand.handle} hvor er pakken min?", langs=["nb"], mentions=[brand])
    bluesky_peer.process_all()
    window = open_window(qtbot, workspace)
    dialog = window.add_bluesky_account()
    dialog.handle.setText(brand.handle)
    dialog.password.setText(brand.create_app_password("window"))
    dialog.server.setText(bluesky_peer.pds_url)
    with qtbot.waitSignal(dialog.account_was_added, timeout=30_000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.password.text() == ""  # not kept around in the widget either
    qtbot.waitUntil(lambda: window.inbox_panel.model.rowCount() == 1, timeout=30_000)
    assert "hvor er pakken min?" in window.detail_pane.plain_text()
