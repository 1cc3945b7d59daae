"""The window's sync against real peers: per-account jobs, progress, quitting during a stalled
request, online/offline with a queued reply draining, the outbox window and channel health."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from storage.mentions import InboxFilter
from storage.records import Account, AccountState, OutboxState, utc_now

from app.bootstrap import StartupOptions, Workspace, build_workspace
from app.secrets import account_secret_name
from app.settings import Settings, save_settings

from ui.main_window import MainWindow

from tests.factories import brand_account
from tests.peers.bluesky import BlueskyAccount, BlueskyPeer
from tests.peers.mastodon import MastodonPeer, PeerAccount
from tests.test_mastodon import sign_in

pytestmark = [pytest.mark.usefixtures("secret_service")]


class SystemBrowser(QObject):
    """Stands in for the desktop's browser: records the addresses Qt hands it."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


def open_window(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def newest_mention(workspace: Workspace) -> int:
    return workspace.inbox.list_rows(InboxFilter(), 1)[0].id


def bluesky_account(
    workspace: Workspace, peer: BlueskyPeer, brand: BlueskyAccount, customer: BlueskyAccount
) -> Account:
    customer.post(f"@{brand.handle} hvor er pakken min?", mentions=[brand])
    peer.process_all()
    password = brand.create_app_password("heedful")
    return workspace.account_service.add_bluesky(brand.handle, password, peer.pds_url)


def stalled_requests(peer: MastodonPeer) -> int:
    """How many requests the 'timeout' fault rule is holding (it was added with count=100)."""
    rules = peer.faults()
    return 100 - int(rules[0]["remaining"]) if rules else 0


@pytest.mark.bluesky
@pytest.mark.mastodon
def test_a_stalled_server_delays_only_its_account_and_quitting_is_immediate(
    qtbot: QtBot,
    workspace: Workspace,
    mastodon_peer: MastodonPeer,
    bluesky_peer: BlueskyPeer,
) -> None:
    toot_brand, toot_customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    toot_customer.post(f"@{toot_brand.username} hello from Mastodon")
    sign_in(workspace, mastodon_peer, toot_brand)
    sky = bluesky_account(
        workspace,
        bluesky_peer,
        bluesky_peer.create_account("brand"),
        bluesky_peer.create_account("kari"),
    )
    # The Mastodon server accepts the request for new mentions and never answers it.
    mastodon_peer.inject_fault(
        path="/api/v1/notifications", effect="timeout", delay_ms=120_000, count=100
    )
    try:
        window = open_window(qtbot, workspace)
        with (
            qtbot.waitSignal(window.sync.sync_did_progress, timeout=30_000) as progress,
            qtbot.waitSignal(
                window.sync.account_did_sync,
                timeout=30_000,
                check_params_cb=lambda report: report.account.id == sky.id,
            ),
        ):
            window.sync.sync_now()
        assert progress.args == ["1 new mention from Bluesky…"]
        # Bluesky's mention is in the inbox while Mastodon's sync is still stuck.
        qtbot.waitUntil(lambda: window.inbox_panel.model.rowCount() == 1, timeout=10_000)
        assert "hvor er pakken min?" in window.detail_pane.plain_text()
        assert window.sync.syncing
        qtbot.waitUntil(lambda: stalled_requests(mastodon_peer) >= 1, timeout=10_000)
        workers = window.tasks.threads()
        began = time.monotonic()
        window.close()
        took = time.monotonic() - began
    finally:
        mastodon_peer.clear_faults()
    assert not window.isVisible()
    assert workers
    assert not any(thread.is_alive() for thread in workers)
    assert took < 1.0, f"closing took {took:.2f} s"


@pytest.mark.bluesky
def test_offline_then_online_the_status_flips_and_the_queued_reply_drains(
    qtbot: QtBot, workspace: Workspace, bluesky_peer: BlueskyPeer
) -> None:
    brand, customer = bluesky_peer.create_account("brand"), bluesky_peer.create_account("kari")
    bluesky_account(workspace, bluesky_peer, brand, customer)
    window = open_window(qtbot, workspace)
    status = window.sync_status
    with qtbot.waitSignal(window.sync.sync_did_finish, timeout=30_000):
        window.sync.sync_now()
    assert status.online_label.text() == "Online"
    # Channel health knows when Bluesky's access token runs out (from its JWT).
    [channel] = workspace.health.channels()
    expires = channel.facts.token_expires_at
    assert expires is not None
    assert expires > utc_now()
    assert channel.token_text(utc_now()).startswith("in ")
    mention_id = newest_mention(workspace)
    window.sync.offline_retry.setInterval(300)  # try again quickly while offline
    bluesky_peer.go_offline()
    try:
        with qtbot.waitSignal(window.sync.online_did_change, timeout=30_000) as went:
            window.sync.sync_now()
        assert went.args == [False]
        assert status.online_label.text() == "Offline"
        assert "last successful sync" in status.online_label.toolTip()
        # Replying offline: the reply waits in the outbox, and says so. The sync's mention
        # joins the list after the merge pause (an offline round can be over sooner), so
        # wait until it is there to be selected: selecting it earlier selects nothing.
        qtbot.waitUntil(lambda: window.inbox_panel.select_mention(mention_id), timeout=5_000)
        assert window.outbox_line.text() == ""  # nothing sent to it yet
        window.sync.send_reply(mention_id, "Vi ser på det nå!")
        qtbot.waitUntil(lambda: status.queued_label.text() == "1 queued", timeout=5_000)
        assert status.queued_label.isVisible()
        assert window.outbox_line.text().startswith("Reply queued")
        for _retry in range(2):  # offline retries go by; the reply neither sent nor lost
            with qtbot.waitSignal(window.sync.account_did_sync, timeout=10_000):
                pass
        assert workspace.outbox.all()[0].state is OutboxState.QUEUED
    finally:
        bluesky_peer.go_online()
    qtbot.waitUntil(lambda: status.online_label.text() == "Online", timeout=30_000)
    qtbot.waitUntil(lambda: workspace.outbox.all()[0].state is OutboxState.SENT, timeout=30_000)
    qtbot.waitUntil(lambda: not status.queued_label.isVisible(), timeout=5_000)
    qtbot.waitUntil(lambda: window.outbox_line.text().startswith("Reply sent"), timeout=5_000)
    bluesky_peer.process_all()
    replies = [n for n in customer.notifications("reply") if n["author"]["did"] == brand.did]
    assert [n["record"]["text"] for n in replies] == ["Vi ser på det nå!"]


@pytest.fixture
def toot_brand(mastodon_peer: MastodonPeer) -> PeerAccount:
    return mastodon_peer.new_account()


@pytest.fixture
def toot_customer(mastodon_peer: MastodonPeer) -> PeerAccount:
    return mastodon_peer.new_account()


@pytest.mark.mastodon
def test_the_outbox_window_shows_a_failure_retries_it_and_gives_text_back(
    qtbot: QtBot,
    workspace: Workspace,
    mastodon_peer: MastodonPeer,
    toot_brand: PeerAccount,
    toot_customer: PeerAccount,
) -> None:
    toot_customer.post(f"@{toot_brand.username} my order never came")
    account = sign_in(workspace, mastodon_peer, toot_brand)
    workspace.sync.sync_account(account)
    mention_id = newest_mention(workspace)
    window = open_window(qtbot, workspace)
    assert window.inbox_panel.select_mention(mention_id)
    # The server refuses the post for good (a 422, as for a deleted post): no retry loop.
    mastodon_peer.inject_fault(
        path="/api/v1/statuses", methods=["POST"], status=422, body={"error": "Deleted post"}
    )
    try:
        window.sync.send_reply(mention_id, "Sorry! Sending a new one today.")
        qtbot.waitUntil(
            lambda: window.outbox_line.text().startswith("<b>Reply not sent:</b>"), timeout=20_000
        )
        assert "Deleted post" in window.outbox_line.text()
        outbox = window.show_outbox()
        qtbot.waitExposed(outbox)
        assert outbox.model.rowCount() == 1
        outbox.select(outbox.model.item(0).id)
        assert outbox.model.index(0, 0).data() == "failed"
        assert "Deleted post" in outbox.model.index(0, 3).data()
        assert outbox.retry_button.isEnabled()
        assert not outbox.open_button.isEnabled()
    finally:
        mastodon_peer.clear_faults()
    outbox.retry_button.click()
    qtbot.waitUntil(lambda: outbox.model.index(0, 0).data() == "sent", timeout=20_000)
    outbox.select(outbox.model.item(0).id)
    assert outbox.open_button.isEnabled()
    assert outbox.model.item(0).url
    assert window.outbox_line.text().startswith("Reply sent")
    # The sent post opens in the system browser, from the window and from the line.
    browser = SystemBrowser()
    QDesktopServices.setUrlHandler("http", browser, "open")
    try:
        outbox.open_button.click()
        window.outbox_line.linkActivated.emit(outbox.model.item(0).url)
    finally:
        QDesktopServices.unsetUrlHandler("http")
    assert browser.opened == [outbox.model.item(0).url] * 2
    # On the network, in the thread, once.
    answered = workspace.inbox.mention(mention_id).platform_id
    descendants = toot_customer.context(answered)["descendants"]
    assert ["Sorry! Sending a new one today." in d["content"] for d in descendants] == [True]

    # A second reply fails; Edit again takes it out of the outbox and into the editor.
    mastodon_peer.inject_fault(path="/api/v1/statuses", methods=["POST"], status=422)
    try:
        window.sync.send_reply(mention_id, "Second try, with the tracking number.")
        qtbot.waitUntil(lambda: outbox.model.index(0, 0).data() == "failed", timeout=20_000)
    finally:
        mastodon_peer.clear_faults()
    outbox.select(outbox.model.item(0).id)
    outbox.edit_button.click()
    qtbot.waitUntil(lambda: outbox.model.rowCount() == 1, timeout=5_000)
    assert window.detail_pane.reply_box.editor.toPlainText() == (
        "Second try, with the tracking number."
    )
    assert workspace.replies.drafts.get(mention_id) == "Second try, with the tracking number."


@pytest.mark.mastodon
def test_channel_health_tells_a_rate_limit_from_a_lost_sign_in(
    qtbot: QtBot,
    workspace: Workspace,
    mastodon_peer: MastodonPeer,
    toot_brand: PeerAccount,
    toot_customer: PeerAccount,
) -> None:
    toot_customer.post(f"@{toot_brand.username} hi")
    account = sign_in(workspace, mastodon_peer, toot_brand)
    window = open_window(qtbot, workspace)
    dialog = window.show_channel_health()
    qtbot.waitExposed(dialog)
    with qtbot.waitSignal(window.sync.sync_did_finish, timeout=30_000):
        window.sync.sync_now()
    qtbot.waitUntil(lambda: dialog.state_labels[account.id].text() == "ok", timeout=5_000)
    assert "1 last sync, 1 in all" in _card_text(dialog)

    mastodon_peer.inject_rate_limit(path="/api/v1/notifications", count=3, reset_in=900)
    try:
        with qtbot.waitSignal(window.sync.sync_did_finish, timeout=30_000):
            window.sync.sync_now()
    finally:
        mastodon_peer.clear_faults()
    qtbot.waitUntil(
        lambda: dialog.state_labels[account.id].text().startswith("rate-limited until "),
        timeout=5_000,
    )
    assert "0 of 300" in _card_text(dialog)

    token = workspace.secrets.get(_secret_name(account))["access_token"]  # type: ignore[index]
    mastodon_peer.revoke_token(token)
    with qtbot.waitSignal(window.sync.sync_did_finish, timeout=30_000):
        window.sync.sync_now()
    qtbot.waitUntil(
        lambda: dialog.state_labels[account.id].text() == "needs sign-in again", timeout=5_000
    )
    assert workspace.accounts.get(account.id).state is AccountState.NEEDS_SIGN_IN


def _card_text(dialog: QWidget) -> str:
    return " ".join(label.text() for label in dialog.findChildren(QLabel))


def _secret_name(account: Account) -> str:
    return account_secret_name(account.network.value, account.server, account.handle)


def test_reachability_decides_online_and_coming_back_syncs_at_once(
    qtbot: QtBot, heedful_home: Path
) -> None:
    workspace = build_workspace(StartupOptions(home=heedful_home))
    save_settings(workspace.profile.settings, Settings(sync_interval_seconds=120))
    workspace.close()
    workspace = build_workspace(StartupOptions(home=heedful_home))
    # An account without a sign-in in the keyring: its sync ends at once, without a network.
    workspace.accounts.add(brand_account())
    try:
        window = open_window(qtbot, workspace)
        assert window.sync.interval_seconds == 120
        with qtbot.waitSignal(window.sync.online_did_change) as went:
            window.sync.set_reachable(False)  # as QNetworkInformation says when unplugged
        assert went.args == [False]
        assert window.sync_status.online_label.text() == "Offline"
        with (
            qtbot.waitSignal(window.sync.online_did_change),
            qtbot.waitSignal(window.sync.sync_did_start),
            qtbot.waitSignal(window.sync.sync_did_finish, timeout=10_000) as finished,
        ):
            window.sync.set_reachable(True)
        assert window.sync_status.online_label.text() == "Online"
        [report] = finished.args[0]
        assert report.state is AccountState.NEEDS_SIGN_IN
        # "Unknown" from the system is no reason to claim offline.
        window.sync.set_reachable(None)
        assert window.sync.online
        window.close()
    finally:
        workspace.close()


def test_the_demo_shows_no_online_state(qtbot: QtBot, demo_workspace: Workspace) -> None:
    window = open_window(qtbot, demo_workspace)
    assert not window.sync_status.online_label.isVisible()
    assert not window.sync_status.queued_label.isVisible()
