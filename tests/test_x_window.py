"""X from the window: "Add X account…" (the client id, the callback port, the browser played
by the test against the loopback X test server), the mentions arriving, and the read budget
in channel health."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from storage.usage import UsageRepository

from app.bootstrap import Workspace
from app.networks.x.auth import callback_uri

from ui.main_window import MainWindow
from ui.sync.accounts_dialog import AddXAccountDialog

from tests.peers.x import XPeer, XUser
from tests.peers.x_workspace import free_port

pytestmark = [pytest.mark.x, pytest.mark.usefixtures("secret_service")]


@pytest.fixture
def x_peer() -> Iterator[XPeer]:
    with XPeer() as peer:
        yield peer
        peer.assert_clean()


def open_window(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def fill_in(dialog: AddXAccountDialog, peer: XPeer) -> int:
    """What the person types: their app's client id and the port of its callback address."""
    port = free_port()
    dialog.api_server = peer.base_url
    dialog.client_id.setText(peer.register_client([callback_uri(port)]))
    dialog.port.setValue(port)
    assert dialog.callback.text() == f"http://127.0.0.1:{port}/callback"  # to register
    return port


def sign_in_click(dialog: AddXAccountDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def add_through_the_browser(
    qtbot: QtBot, window: MainWindow, peer: XPeer, who: XUser
) -> AddXAccountDialog:
    dialog = window.add_x_account()
    fill_in(dialog, peer)
    # The test plays the person's browser: it allows the app, and X sends it back here.
    dialog.open_in_browser = lambda url: peer.authorize(url, who, open_redirect=True)
    with qtbot.waitSignal(dialog.account_was_added, timeout=30_000) as added:
        sign_in_click(dialog)
    assert added.args[0].handle == who.username
    return dialog


def test_add_an_x_account_in_the_window_and_watch_its_mentions_arrive(
    qtbot: QtBot, workspace: Workspace, x_peer: XPeer
) -> None:
    brand, kari = x_peer.create_user("brand"), x_peer.create_user("kari")
    kari.post("@brand my order never came 📦")
    kari.dm(brand, "It is order FF-314159")
    window = open_window(qtbot, workspace)
    add_through_the_browser(qtbot, window, x_peer, brand)
    qtbot.waitUntil(lambda: window.inbox_panel.model.rowCount() == 2, timeout=30_000)
    qtbot.waitUntil(lambda: "synced" in window.sync_label.text(), timeout=10_000)
    texts = workspace.store.conn.execute("SELECT kind, text FROM mentions ORDER BY id").fetchall()
    assert sorted(texts) == [("direct", "It is order FF-314159"),
                             ("mention", "@brand my order never came 📦")]  # fmt: skip

    # Channel health shows what X billed, and the read budget is set there.
    health = window.show_channel_health()
    (account,) = workspace.accounts.all()
    qtbot.waitUntil(lambda: account.id in health.spend_labels)
    assert "reads" in health.spend_labels[account.id].text()
    assert "no daily read budget" in health.spend_labels[account.id].text()
    editor = health.budget_editors[account.id]
    assert not editor.reads.isEnabled()
    editor.limited.setChecked(True)
    editor.reads.setValue(2500)
    health.refresh()  # a sync finishing meanwhile keeps what is typed
    editor = health.budget_editors[account.id]
    assert (editor.limited.isChecked(), editor.reads.value()) == (True, 2500)
    editor.save_button.click()
    assert UsageRepository(workspace.store).limits(account.id).daily_read_budget == 2500
    assert "of 2,500 reads left today" in health.spend_labels[account.id].text()
    assert health.budget_editors[account.id].status.text() == "Saved."


def test_add_an_x_account_by_pasting_the_address(
    qtbot: QtBot, workspace: Workspace, x_peer: XPeer
) -> None:
    brand = x_peer.create_user("brand")
    window = open_window(qtbot, workspace)
    dialog = window.add_x_account()
    fill_in(dialog, x_peer)
    dialog.use_address.setChecked(True)
    opened: list[str] = []
    dialog.open_in_browser = opened.append
    sign_in_click(dialog)
    qtbot.waitUntil(lambda: dialog.address.isEnabled(), timeout=10_000)
    assert opened
    assert opened[0] in dialog.status.text()
    dialog.address.setText("http://127.0.0.1/callback?state=somebody-else&code=x")
    sign_in_click(dialog)
    qtbot.waitUntil(lambda: "Not signed in" in dialog.status.text(), timeout=10_000)
    assert "not from the sign-in Heedful started" in dialog.status.text()

    # Starting again, and pasting where the browser really ended up.
    sign_in_click(dialog)
    qtbot.waitUntil(lambda: len(opened) == 2 and dialog.address.isEnabled(), timeout=10_000)
    dialog.address.setText(x_peer.authorize(opened[1], brand))
    with qtbot.waitSignal(dialog.account_was_added, timeout=30_000):
        sign_in_click(dialog)
    assert [a.handle for a in workspace.accounts.all()] == ["brand"]


def test_a_taken_callback_port_and_a_missing_client_id_say_what_to_do(
    qtbot: QtBot, workspace: Workspace, x_peer: XPeer
) -> None:
    window = open_window(qtbot, workspace)
    dialog = window.add_x_account()
    dialog.api_server = x_peer.base_url
    sign_in_click(dialog)  # no client id typed, none kept from before
    qtbot.waitUntil(lambda: "Not signed in" in dialog.status.text(), timeout=10_000)
    assert "client id" in dialog.status.text()
    assert dialog.client_id.isEnabled()

    port = fill_in(dialog, x_peer)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        sign_in_click(dialog)
        qtbot.waitUntil(lambda: f"Port {port}" in dialog.status.text(), timeout=10_000)
    assert "taken" in dialog.status.text()
    assert dialog.port.isEnabled()  # to choose another (and register it)
