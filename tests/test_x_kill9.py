"""kill -9 of a headless sync with an X account, at the points the other networks' runs die
(tests/test_crash_kill9.py: as a request arrives, once X has answered and acted, or a few
milliseconds after the answer reached the process), against the loopback X test server.

X has no idempotency key: a reply whose process died after X made it is found among the
brand's own posts before it could be posted again (the outbox's "outcome unknown"). At the
end, every mention X serves is stored once and every queued reply is in its thread once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.bootstrap import Workspace

from tests.peers.faults import FaultProxy
from tests.peers.x import XPeer, XUser
from tests.peers.x_workspace import sign_in
from tests.test_crash_kill9 import (
    Network,
    Target,
    assert_nothing_lost_or_doubled,
    clean_sync_later,
    kill_points,
    run_and_kill,
)

pytestmark = [pytest.mark.x, pytest.mark.usefixtures("secret_service")]

# X's smallest page is 5 posts; each run brings this many new mentions per mention the
# runs ask for, so that a run pages through three pages of them.
MENTIONS_PER_ASKED = 4


@pytest.fixture
def x_peer() -> Iterator[XPeer]:
    with XPeer() as peer:
        peer.set_rate_limit("createPosts", 1000)  # the runs post ~100 replies in minutes
        yield peer
        peer.assert_clean()


class XNetwork(Network):
    name = "x"
    page_size = 5

    def __init__(self, brand: XUser, customer: XUser) -> None:
        self.brand, self.customer = brand, customer
        self.posted = 0  # mentions posted so far

    def post_mentions(self, count: int, first: int) -> None:
        for _ in range(count * MENTIONS_PER_ASKED):
            self.customer.post(f"@{self.brand.username} question {self.posted}")
            self.posted += 1

    def served_mentions(self) -> list[str]:
        return self.brand.mentions()

    def brand_posts(self) -> list[str]:
        return [post["text"] for post in self.brand.posts()]

    # X keeps no idempotency keys to forget: `forget_idempotency_keys` does nothing.


def test_kill_9_while_syncing_with_x_loses_and_doubles_nothing(
    x_peer: XPeer, workspace: Workspace, tmp_path: Path
) -> None:
    brand, customer = x_peer.create_user("brand"), x_peer.create_user("kari")
    network = XNetwork(brand, customer)
    targets = [Target("fetching a page of mentions", "GET", "/mentions", n) for n in (1, 2, 3)]
    targets += [Target("posting a reply", "POST", "/2/tweets", n) for n in (1, 2)]
    points = kill_points(targets, 30, seed=5)
    with FaultProxy(x_peer.base_url) as proxy:
        account = sign_in(workspace, x_peer, brand, server=proxy.url)
        network.post_mentions(2, first=0)
        workspace.sync.sync_account(account)
        killed_at, _runs = run_and_kill(workspace, account, network, proxy, points, tmp_path)
        clean_sync_later(workspace, account)
    assert len(killed_at) == len(set(points)) == 30
    # Replies whose process died after X made them were found, not posted again.
    assert_nothing_lost_or_doubled(workspace, account, network, network.posted)
