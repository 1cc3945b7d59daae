"""The sync engine's shared parts against a real Mastodon server: one sync per account across
connections, channel health facts, and quitting that cuts a stalled request at once."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from datetime import timedelta

import pytest

from storage.leases import SyncLeases
from storage.mentions import InboxFilter
from storage.records import Account, AccountState, OutboxState, utc_now

from app.bootstrap import Workspace
from app.networks.interrupt import StopSignal
from app.sync.outbox import outbox_line

from tests.peers.mastodon import MastodonPeer, PeerAccount
from tests.test_mastodon import heedful, sign_in

pytestmark = [pytest.mark.mastodon, pytest.mark.usefixtures("secret_service")]


@pytest.fixture
def brand(mastodon_peer: MastodonPeer) -> PeerAccount:
    return mastodon_peer.new_account()


@pytest.fixture
def customer(mastodon_peer: MastodonPeer) -> PeerAccount:
    return mastodon_peer.new_account()


@pytest.fixture
def account(workspace: Workspace, mastodon_peer: MastodonPeer, brand: PeerAccount) -> Account:
    return sign_in(workspace, mastodon_peer, brand)


def test_two_syncs_of_one_account_never_run_at_once(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    customer.post(f"@{brand.username} is anyone syncing this?")
    other = workspace.open_again()  # as the command line would, on its own connection
    try:
        leases = SyncLeases(other.store)
        assert leases.take(account.id, other.sync.holder, utc_now())
        # The window's sync finds the account held and does nothing at all.
        busy = workspace.sync.sync_account(account)
        assert busy.busy
        assert busy.added == 0
        assert workspace.health.channels()[0].facts.fetched_total == 0
        leases.release(account.id, other.sync.holder)
        done = workspace.sync.sync_account(account)
        assert (done.busy, done.added, done.state) == (False, 1, AccountState.OK)
        # A lease left by a sync that died expires and is taken over.
        assert leases.take(account.id, "elsewhere:1:x", utc_now(), seconds=-1)
        assert not other.sync.sync_account(account).busy
        # A process on this machine killed mid-sync: its lease is taken over at once.
        with subprocess.Popen(["true"]) as gone:
            gone.wait()
        assert leases.take(account.id, f"{socket.gethostname()}:{gone.pid}:x", utc_now())
        assert not workspace.sync.sync_account(account).busy
        # One on another machine (a shared folder) is respected until it expires.
        assert leases.take(account.id, "other-host:1:x", utc_now())
        assert workspace.sync.sync_account(account).busy
    finally:
        other.close()


def test_channel_health_counts_what_was_fetched(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    for number in range(3):
        customer.post(f"@{brand.username} question {number}")
    workspace.sync.sync_account(account)
    customer.post(f"@{brand.username} one more")
    workspace.sync.sync_account(account)
    [channel] = workspace.health.channels()
    assert (channel.facts.fetched_last, channel.facts.fetched_total) == (1, 4)
    assert channel.state_text() == "ok"
    summary = channel.summary(utc_now())
    assert account.handle in summary
    assert "1 last sync, 4 in all" in summary
    assert "token expires does not expire" in summary


def test_a_rate_limit_shows_until_when(
    mastodon_peer: MastodonPeer, workspace: Workspace, account: Account
) -> None:
    mastodon_peer.inject_rate_limit(path="/api/v1/notifications", count=3, reset_in=600)
    try:
        report = workspace.sync.sync_account(account)
    finally:
        mastodon_peer.clear_faults()
    assert report.state is AccountState.RATE_LIMITED
    [channel] = workspace.health.channels()
    assert channel.state_text().startswith("rate-limited until ")
    assert channel.facts.rate_remaining == 0
    assert channel.budget_text().startswith("0 of 300")


def test_a_failing_server_delays_the_next_attempt_and_says_when(
    mastodon_peer: MastodonPeer,
    workspace: Workspace,
    account: Account,
    brand: PeerAccount,
    customer: PeerAccount,
) -> None:
    customer.post(f"@{brand.username} hello?")
    workspace.sync.sync_account(account)
    mention_id = workspace.inbox.list_rows(InboxFilter(), 1)[0].id
    item = workspace.replies.queue(mention_id, "Hi! Looking into it.").item
    mastodon_peer.inject_fault(path="/api/v1/statuses", methods=["POST"], status=503)
    try:
        workspace.sync.sync_account(account, pull=False)
    finally:
        mastodon_peer.clear_faults()
    waiting = workspace.outbox.get(item.id)
    # A 5xx to a post may come after the server acted (a gateway's 502 does): the reply is
    # looked for in the thread before it goes again.
    assert waiting.state is OutboxState.UNKNOWN
    assert waiting.next_attempt_at is not None
    # Backoff with jitter: the first retry comes 22-38 s later, not at once.
    delay = waiting.next_attempt_at - utc_now()
    assert timedelta(seconds=15) < delay < timedelta(seconds=40)
    line = outbox_line(waiting, utc_now())
    assert line.state == "outcome unknown"
    assert line.detail.startswith("checking the thread before sending again, next attempt in ")
    # Until then the next sync leaves it alone.
    assert workspace.sync.sync_account(account, pull=False).sent == 0


def test_quitting_cuts_a_request_the_server_never_answers(
    mastodon_peer: MastodonPeer, workspace: Workspace, account: Account
) -> None:
    stop = StopSignal()
    mastodon_peer.inject_fault(
        path="/api/v1/notifications", effect="timeout", delay_ms=60_000, count=100
    )
    asked = threading.Event()

    def sync_on_a_worker_thread() -> None:
        worker = workspace.open_again(stop)  # its own connection, on its own thread
        try:
            asked.set()
            worker.sync.sync_account(account)
        finally:
            worker.close()

    thread = threading.Thread(target=sync_on_a_worker_thread)
    try:
        thread.start()
        assert asked.wait(10)
        # The request reached the server, which holds it unanswered (the rule counts it).
        deadline = time.monotonic() + 10
        while int(mastodon_peer.faults()[0]["remaining"]) == 100:
            assert time.monotonic() < deadline, "the request never reached the server"
            assert thread.is_alive()
        assert thread.is_alive()
        began = time.monotonic()
        stop.set()
        thread.join(timeout=10)
        took = time.monotonic() - began
    finally:
        mastodon_peer.clear_faults()
    assert not thread.is_alive()
    assert took < 1.0
    # Quitting is not the network going away: the account is not marked offline.
    assert workspace.accounts.get(account.id).state is AccountState.OK


def test_sync_once_prints_each_accounts_health(
    account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    customer.post(f"@{brand.username} ping")
    synced = heedful("sync", "--once")
    assert synced.returncode == 0, synced.stderr
    assert (
        f"health: {account.handle} (mastodon): ok; last synced just now; "
        "fetched 1 last sync, 1 in all; rate budget"
    ) in synced.stdout
