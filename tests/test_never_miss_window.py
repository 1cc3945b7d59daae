"""The window shows what issue 18 brought in: a filtered notification with its server's
reason, accepted from the command palette; an edited or deleted post as the detail pane
says it; a language tag overruled; and Switch to DM on Bluesky falling back to a public
reply, text kept, when the customer takes no direct messages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot

from storage.records import Account, Network, NewAccount, utc_now

from app.bootstrap import Workspace
from app.inbox.service import InboxView, inbox_filter

from ui.inbox.model import BADGES_ROLE, MESSAGE_COLUMN
from ui.main_window import MainWindow
from ui.shortcuts_help import all_actions

from tests.factories import mention
from tests.peers.bluesky import BlueskyAccount, BlueskyPeer
from tests.peers.bluesky_chat import BlueskyChatService
from tests.peers.mastodon import MastodonPeer
from tests.test_mastodon import sign_in
from tests.test_mastodon_never_miss import FRESH_ACCOUNT_POLICY

pytestmark = [pytest.mark.usefixtures("secret_service")]


def open_window(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def shown_text(window: MainWindow) -> str:
    return window.detail_pane.findChild(QTextBrowser).toPlainText()


def select(qtbot: QtBot, window: MainWindow, mention_id: int) -> None:
    window.inbox_panel.select_mention(mention_id)
    qtbot.waitUntil(lambda: window.detail_pane.shown_mention_id == mention_id)


def test_the_detail_pane_says_what_the_network_said_afterwards(
    qtbot: QtBot, workspace: Workspace
) -> None:
    account = workspace.accounts.add(
        NewAccount(Network.MASTODON, "https://social.example", "fjellform@social.example")
    )
    [held, edited, english] = [
        mention(account.id, 1, "@fjellform my order FF-1 is late", filtered="Filtered by "
                "social.example: a private mention"),
        mention(account.id, 2, "@fjellform the zip AND the hood broke"),
        mention(account.id, 3, "The parcel never arrived and nobody answers the phone here.",
                language="en", languages=("de",), language_source="detected"),
    ]  # fmt: skip
    workspace.mentions.ingest([held, edited, english])
    ids = {
        row.text[:14]: row.id for row in workspace.inbox.list_rows(inbox_filter(InboxView.ALL), 9)
    }
    with workspace.store.write() as db:
        db.conn.execute(
            "UPDATE mentions SET edited_at = ?, original_text = 'the zip on my jacket broke',"
            " deleted_at = ? WHERE id = ?",
            ["2026-11-20T10:00:00.000000Z", "2026-11-20T11:00:00.000000Z", ids["@fjellform the"]],
        )
    window = open_window(qtbot, workspace)

    model = window.inbox_panel.model
    shown = {model.mention_id(r): r for r in range(model.rowCount())}
    badge = model.index(shown[ids["@fjellform my "]], MESSAGE_COLUMN).data(BADGES_ROLE)
    assert badge[0] == "filtered by your server"  # the list says it too
    gone = model.index(shown[ids["@fjellform the"]], MESSAGE_COLUMN).data(BADGES_ROLE)
    assert gone[0] == "deleted"
    select(qtbot, window, ids["@fjellform my "])
    assert "Filtered by your server — Filtered by social.example: a private mention" in (
        shown_text(window)
    )
    select(qtbot, window, ids["@fjellform the"])
    text = shown_text(window)
    assert "Deleted by its author" in text
    assert "First version: “the zip on my jacket broke”" in text
    select(qtbot, window, ids["The parcel nev"])
    assert "en (detected on this computer; the post was tagged de)" in shown_text(window)
    labels = [action.text() for action in all_actions(window.menuBar())]
    assert "Accept filtered request" in labels
    assert "Dismiss filtered request" in labels


@pytest.mark.mastodon
def test_accepting_a_filtered_request_from_the_window(
    qtbot: QtBot, workspace: Workspace, mastodon_peer: MastodonPeer
) -> None:
    brand, customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    brand.request("PATCH", "/api/v2/notifications/policy", data=FRESH_ACCOUNT_POLICY)
    account = sign_in(workspace, mastodon_peer, brand)
    customer.post(f"@{brand.username} please help with FF-9", visibility="direct")
    workspace.sync.sync_account(account)
    [row] = workspace.inbox.list_rows(inbox_filter(InboxView.ALL), 5)
    window = open_window(qtbot, workspace)
    select(qtbot, window, row.id)
    assert "Filtered by your server" in shown_text(window)

    window.remote_actions.actions["accept"].trigger()

    qtbot.waitUntil(lambda: workspace.inbox.mention(row.id).filtered is None, timeout=15000)
    qtbot.waitUntil(lambda: "Filtered by your server" not in shown_text(window), timeout=5000)
    assert "Accepted" in window.statusBar().currentMessage()


@pytest.fixture
def chat(bluesky_peer: BlueskyPeer) -> Iterator[BlueskyChatService]:
    with BlueskyChatService(bluesky_peer) as service:
        yield service
        assert service.problems == []


@pytest.mark.bluesky
def test_switch_to_dm_on_bluesky_falls_back_to_public_when_dms_are_closed(
    qtbot: QtBot, workspace: Workspace, bluesky_peer: BlueskyPeer, chat: BlueskyChatService
) -> None:
    brand: BlueskyAccount = bluesky_peer.create_account("brand")
    customer: BlueskyAccount = bluesky_peer.create_account("kari")
    password = brand.procedure(
        "com.atproto.server.createAppPassword", {"name": "heedful", "privileged": True}
    )["password"]
    account: Account = workspace.account_service.add_bluesky(brand.handle, password, chat.url)
    customer.post(f"@{brand.handle} my order FF-123456 is lost", mentions=[brand])
    bluesky_peer.process_all()
    workspace.sync.sync_account(account)
    [row] = workspace.inbox.list_rows(inbox_filter(InboxView.ALL), 5)
    window = open_window(qtbot, workspace)
    select(qtbot, window, row.id)
    box = window.detail_pane.reply_box
    box.editor.setPlainText("Send us your order number and address, please.")

    assert box.can_go_direct()  # Bluesky DMs are supported now
    box.toggle_direct()

    qtbot.waitUntil(lambda: not box.direct, timeout=15000)
    assert box.editor.toPlainText() == "Send us your order number and address, please."
    assert "does not accept direct messages" in box.status.text()
    assert utc_now()  # the window is still responsive
