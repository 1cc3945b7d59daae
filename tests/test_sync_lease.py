"""The sync lease holds through long waits, and a sync that lost it stops.

An account's sync lease runs 120 s; a rate-limited Mastodon makes the connector wait up to
300 s, three times over. The wait renews the lease (the connector calls the sync's heartbeat
every second while it waits), so `heedful sync` beside the window cannot take the account
over mid-sync; and a sync whose lease was taken anyway (it was suspended past it) stops at its
next heartbeat, with nothing half-done: no page stored after the takeover, no reply sent.

The lease's 120 s are made short by the sync's clock, which runs a minute every second here:
the real server's rate limit (a 429 with its reset a few seconds on) is then a wait of
several minutes of lease time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from storage.cursors import CursorRepository
from storage.leases import LEASE_SECONDS, SyncLeases
from storage.mentions import InboxFilter
from storage.records import Account, AccountState, OutboxState, utc_now

from app.bootstrap import Workspace
from app.networks.factory import ConnectorFactory
from app.sync.service import SyncReport, SyncService

from tests.peers.mastodon import MastodonPeer, PeerAccount, wait_until

pytestmark = [pytest.mark.mastodon, pytest.mark.usefixtures("secret_service")]

RATE_LIMIT_RESET_S = 5  # the real wait the 429 asks for


class FastClock:
    """A clock that runs a minute for every real second, from now."""

    def __init__(self, speed: float = 60.0) -> None:
        self._start, self._began, self._speed = utc_now(), time.monotonic(), speed

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._began) * self._speed)


class SyncInThread:
    """One sync of the account on a thread and a connection of its own, as the window runs
    it; `report` once it is done."""

    def __init__(self, workspace: Workspace, account: Account, clock: Any, pull: bool) -> None:
        self._workspace, self._account = workspace, account
        self._clock, self._pull = clock, pull
        self.report: SyncReport | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        opened = self._workspace.open_again()
        try:
            service = SyncService(
                opened.store,
                opened.accounts,
                opened.mentions,
                CursorRepository(opened.store),
                opened.outbox,
                ConnectorFactory(opened.secrets),
                clock=self._clock,
            )
            self.report = service.sync_account(
                opened.accounts.get(self._account.id), pull=self._pull
            )
        except BaseException as error:  # raised again on the test's thread, in join()
            self.error = error
        finally:
            opened.close()

    def join(self) -> SyncReport:
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the sync never ended"
        if self.error is not None:
            raise self.error
        assert self.report is not None
        return self.report


@pytest.fixture
def brand(mastodon_peer: MastodonPeer) -> PeerAccount:
    return mastodon_peer.new_account()


@pytest.fixture
def customer(mastodon_peer: MastodonPeer) -> PeerAccount:
    return mastodon_peer.new_account()


@pytest.fixture
def account(workspace: Workspace, mastodon_peer: MastodonPeer, brand: PeerAccount) -> Account:
    return workspace.account_service.finish_mastodon_sign_in(mastodon_peer.base_url, brand.token)


@pytest.fixture
def other(workspace: Workspace) -> Iterator[Workspace]:
    """`heedful sync` beside the window: the same profile over its own connection."""
    opened = workspace.open_again()
    yield opened
    opened.close()


def _rate_limit_the_next_fetch(peer: MastodonPeer) -> str:
    return peer.inject_rate_limit(
        path="/api/v1/notifications", count=1, reset_in=RATE_LIMIT_RESET_S
    )


def _waiting_out(peer: MastodonPeer, rule: str) -> None:
    """Until the 429 was served: the sync is waiting for the reset now."""
    wait_until(
        lambda: all(r["id"] != rule or r["remaining"] == 0 for r in peer.faults()),
        timeout=20,
        message="the rate-limited fetch",
    )


def test_a_rate_limit_wait_longer_than_the_lease_keeps_the_account(
    mastodon_peer: MastodonPeer,
    workspace: Workspace,
    other: Workspace,
    account: Account,
    brand: PeerAccount,
    customer: PeerAccount,
) -> None:
    customer.post(f"@{brand.username} anyone there?")
    clock = FastClock()
    began = clock()
    rule = _rate_limit_the_next_fetch(mastodon_peer)
    sync = SyncInThread(workspace, account, clock, pull=True)
    _waiting_out(mastodon_peer, rule)
    # Past the lease the sync took when it began, with the sync still waiting.
    wait_until(lambda: clock() > began + timedelta(seconds=LEASE_SECONDS * 1.2), timeout=20)
    assert sync.thread.is_alive(), "the wait ended before the lease would have run out"

    taken = SyncLeases(other.store).take(account.id, other.sync.holder, clock())

    report = sync.join()
    assert not taken, "another sync took the account over in the middle of a sync"
    assert (report.busy, report.state, report.added) == (False, AccountState.OK, 1)


def test_a_sync_whose_lease_was_taken_over_stops_with_nothing_half_done(
    mastodon_peer: MastodonPeer,
    workspace: Workspace,
    other: Workspace,
    account: Account,
    brand: PeerAccount,
    customer: PeerAccount,
) -> None:
    question = customer.post(f"@{brand.username} where is my order?")
    workspace.sync.sync_account(account)
    mention_id = workspace.inbox.list_rows(InboxFilter(), 1)[0].id
    workspace.replies.queue(mention_id, "Looking into it now!")
    (item,) = workspace.outbox.all()
    for number in range(3):
        customer.post(f"@{brand.username} and another thing {number}")
    rule = _rate_limit_the_next_fetch(mastodon_peer)
    sync = SyncInThread(workspace, account, utc_now, pull=True)
    _waiting_out(mastodon_peer, rule)
    assert sync.thread.is_alive()

    # The command line takes the account, as if this sync had been suspended past its lease.
    later = utc_now() + timedelta(seconds=LEASE_SECONDS + 1)
    assert SyncLeases(other.store).take(account.id, other.sync.holder, later)

    report = sync.join()
    assert report.added == 0, "it stored pages after the account was taken over"
    assert workspace.mentions.count(InboxFilter()) == 1
    assert workspace.outbox.get(item.id).state is OutboxState.QUEUED
    assert customer.context(question["id"])["descendants"] == [], "it sent a reply"
    assert report.busy
    assert "took over" in report.detail
    # The sync that holds the account now does the work.
    done = other.sync.sync_account(other.accounts.get(account.id))
    assert (done.added, done.sent) == (3, 1)
