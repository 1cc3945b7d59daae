"""kill -9 of a headless sync, again and again, at a different point each time.

Each run is a real process (`tests/headless_sync.py`: `heedful sync --once` with one-item
pages) syncing a real account through a `FaultProxy` in front of the loopback peer. The proxy
kills the process with SIGKILL at the run's kill point: as its N-th request of some kind
(fetching a page of mentions, posting a reply, refreshing the Bluesky session) arrives, before
the server sees it; once the server has answered and acted, before the process has the
answer; or a few milliseconds after the answer reached it, while it parses and commits.
Between runs, customers write new mentions and new replies are queued, so every run has both
ingesting and sending to do. At the end one clean sync runs, as after a restart some minutes
later, and then:

- every mention the peer serves is stored exactly once (compared with the peer's own listing);
- every queued reply is on the network exactly once (the brand's posts, counted by text),
  and nothing else was posted.

Before every run the network forgets its idempotency keys (Mastodon keeps one an hour), as if
hours had passed: a reply cut short must be found on the network, not posted again.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import cycle
from pathlib import Path
from typing import Any

import pytest

from storage.cursors import CursorRepository
from storage.outbox import CLAIM_EXPIRES
from storage.records import Account, AccountState, OutboxState, utc_now

from app.bootstrap import Workspace
from app.networks.factory import ConnectorFactory
from app.sync.service import SyncService

from tests.peers.bluesky import BlueskyAccount, BlueskyPeer
from tests.peers.faults import Fault, FaultProxy
from tests.peers.mastodon import MastodonPeer, PeerAccount

pytestmark = pytest.mark.usefixtures("secret_service")

HEADLESS_SYNC = Path(__file__).resolve().parent / "headless_sync.py"
NEW_MENTIONS_PER_RUN = 3
REPLIES_PER_RUN = 3
# The moments of a request at which a run dies: as it arrives (the server never sees it), once
# the server answered (it acted; the process never hears of it), or this many milliseconds
# after the process got the answer (while it parses and commits).
MOMENTS = ["arrival", "answer", "after:3", "after:10", "after:25", "after:50"]


@dataclass(frozen=True)
class Target:
    """The `nth` request of a run with this method and path fragment."""

    what: str  # for messages
    method: str
    path: str
    nth: int


@dataclass(frozen=True)
class KillPoint:
    target: Target
    moment: str

    def __str__(self) -> str:
        return f"{self.moment} of {self.target.what} #{self.target.nth}"


def kill_points(targets: list[Target], runs: int, seed: int) -> list[KillPoint]:
    """`runs` different kill points, chosen deterministically (the same on every test run)."""
    every = [KillPoint(target, moment) for moment in MOMENTS for target in targets]
    assert runs <= len(every)
    return every if runs == len(every) else random.Random(seed).sample(every, runs)


class Killer:
    """Kills the running sync process at its kill point, from the proxy's threads."""

    def __init__(self, proxy: FaultProxy) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._point: KillPoint | None = None
        self._matches = 0
        self._numbers: set[int] = set()  # proxy request numbers that are the kill point
        self.killed: str | None = None
        proxy.on_arrival = self._arrival
        proxy.on_answer = self._answer

    def arm(self, process: subprocess.Popen[bytes], point: KillPoint) -> None:
        with self._lock:
            self._process, self._point, self._matches = process, point, 0
            self._numbers.clear()
            self.killed = None

    def disarm(self) -> None:
        with self._lock:
            self._process = self._point = None

    def _arrival(self, number: int, method: str, path: str) -> Fault | None:
        with self._lock:
            point = self._point
            if point is None or method != point.target.method or point.target.path not in path:
                return None
            self._matches += 1
            if self._matches != point.target.nth:
                return None
            if point.moment != "arrival":
                self._numbers.add(number)
                return None
            self._kill(self._process, f"{method} {path}")
        # Held until the dead process's connection closes: the server never sees it.
        return Fault.hold(hold_s=10)

    def _answer(self, number: int, method: str, path: str) -> None:
        with self._lock:
            if number not in self._numbers or self._point is None:
                return
            moment, process = self._point.moment, self._process
            if moment == "answer":
                self._kill(process, f"{method} {path}")
                return
        delay_ms = int(moment.split(":")[1])
        timer = threading.Timer(delay_ms / 1000, self._kill_later, [process, f"{method} {path}"])
        timer.daemon = True
        timer.start()

    def _kill_later(self, process: subprocess.Popen[bytes] | None, what: str) -> None:
        with self._lock:
            self._kill(process, what)

    def _kill(self, process: subprocess.Popen[bytes] | None, what: str) -> None:
        # Only the armed run's process: a late timer never hits the next run.
        if process is not None and process is self._process and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            self.killed = what


class Network:
    """What the kill runs need from a network: new mentions, listings, the clean sync."""

    name = ""
    page_size = 1

    def post_mentions(self, count: int, first: int) -> None:
        raise NotImplementedError

    def served_mentions(self) -> list[str]:
        """Platform ids of every mention the brand's notifications list, all pages."""
        raise NotImplementedError

    def brand_posts(self) -> list[str]:
        """The text of everything the brand's account has posted."""
        raise NotImplementedError

    def forget_idempotency_keys(self) -> None:
        """What hours passing does to the network's memory of retried requests."""


def start_sync_process(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A headless sync process, loaded and waiting for "go" on its standard input."""
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, str(HEADLESS_SYNC), "--wait-for-go"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def run_and_kill(
    workspace: Workspace,
    account: Account,
    network: Network,
    proxy: FaultProxy,
    points: list[KillPoint],
    tmp_path: Path,
) -> tuple[list[str], int]:
    """A killed process per kill point; returns what each was killed at, and how many runs.

    A run that ends before reaching its point (a resumed backfill can need fewer pages than
    the point's N) is a restart like any other; the point is tried again in the next run.
    """
    killer = Killer(proxy)
    env = {
        **os.environ,
        "HEEDFUL_TEST_NETWORK": network.name,
        "HEEDFUL_TEST_PAGE_SIZE": str(network.page_size),
    }
    replies = 0
    targets = cycle(_mention_ids(workspace, account))
    killed_at: list[str] = []
    runs = 0
    preparing = syncing = 0.0
    waiting = start_sync_process(env, tmp_path / "run-0.log")
    try:
        for point in points:
            for _attempt in range(3):
                began = time.monotonic()
                network.forget_idempotency_keys()
                network.post_mentions(NEW_MENTIONS_PER_RUN, first=runs * NEW_MENTIONS_PER_RUN)
                for _ in range(REPLIES_PER_RUN):
                    replies += 1
                    workspace.replies.queue(next(targets), f"[r{replies}] thanks for writing")
                process, log = waiting, tmp_path / f"run-{runs}.log"
                preparing += time.monotonic() - began
                began = time.monotonic()
                killer.arm(process, point)
                assert process.stdin is not None
                process.stdin.write(b"go\n")
                process.stdin.close()
                runs += 1
                # The next run's process loads while this one syncs.
                waiting = start_sync_process(env, tmp_path / f"run-{runs}.log")
                try:
                    code = process.wait(timeout=120)
                    syncing += time.monotonic() - began
                finally:
                    killer.disarm()
                    if process.poll() is None:
                        process.kill()
                        process.wait()
                if code == -signal.SIGKILL:
                    killed_at.append(f"{point}: {killer.killed}")
                    break
                output = log.read_text(errors="replace")
                assert code == 0, f"run {runs} ({point}) failed: exit {code}\n{output[-3000:]}"
            else:
                raise AssertionError(f"three runs in a row ended before {point}")
    finally:
        assert waiting.stdin is not None
        waiting.stdin.close()  # no "go": it exits
        waiting.wait(timeout=60)
    print(
        f"\n{network.name}: {runs} sync processes, {len(killed_at)} killed; {syncing:.1f} s "
        f"in the processes, {preparing:.1f} s posting mentions and queueing replies:"
    )
    print(*killed_at, sep="\n")
    return killed_at, runs


def clean_sync_later(workspace: Workspace, account: Account) -> None:
    """The sync after a restart some minutes later, when a reply that a killed process was
    sending (claimed, never finished) is due again with its idempotency key."""

    def later() -> datetime:
        return utc_now() + CLAIM_EXPIRES + timedelta(minutes=1)

    service = SyncService(
        workspace.store,
        workspace.accounts,
        workspace.mentions,
        CursorRepository(workspace.store),
        workspace.outbox,
        ConnectorFactory(workspace.secrets),
        clock=later,
    )
    report = service.sync_account(workspace.accounts.get(account.id))
    assert report.state is AccountState.OK, report.detail


def assert_nothing_lost_or_doubled(
    workspace: Workspace, account: Account, network: Network, questions: int
) -> None:
    served = network.served_mentions()
    assert len(served) == questions
    stored = workspace.store.conn.execute(
        "SELECT platform_id, text FROM mentions WHERE account_id = ? AND is_own = 0",
        [account.id],
    ).fetchall()
    assert sorted(str(pid) for pid, _ in stored) == sorted(served)  # each exactly once
    assert len({text for _, text in stored}) == questions

    items = workspace.outbox.all()
    assert [item.state for item in items] == [OutboxState.SENT] * len(items)
    posted = network.brand_posts()
    tags = Counter(
        text[text.index("[r") : text.index("]", text.index("[r")) + 1]
        for text in posted
        if "[r" in text
    )
    wanted = Counter(item.body.split(" ")[0] for item in items)
    assert tags == wanted, f"posted twice: {tags - wanted}; missing: {wanted - tags}"
    assert len(posted) == len(items)  # nothing else went out
    own = workspace.store.conn.execute(
        "SELECT count(*) FROM mentions WHERE account_id = ? AND is_own = 1", [account.id]
    ).fetchone()[0]
    assert own == len(items)  # each sent reply stored once, as thread context


def _mention_ids(workspace: Workspace, account: Account) -> list[int]:
    rows = workspace.store.conn.execute(
        "SELECT id FROM mentions WHERE account_id = ? AND is_own = 0 ORDER BY id", [account.id]
    ).fetchall()
    assert rows, "the kill runs need mentions to reply to"
    return [int(row[0]) for row in rows]


# --- Mastodon ---------------------------------------------------------------------------------


class MastodonNetwork(Network):
    name = "mastodon"

    def __init__(self, peer: MastodonPeer, brand: PeerAccount, customer: PeerAccount) -> None:
        self.peer, self.brand, self.customer = peer, brand, customer

    def forget_idempotency_keys(self) -> None:
        self.peer.expire_idempotency_keys()

    def post_mentions(self, count: int, first: int) -> None:
        for number in range(first, first + count):
            self.customer.post(f"@{self.brand.username} question {number}")

    def served_mentions(self) -> list[str]:
        return [n["status"]["id"] for n in self._pages("/api/v1/notifications", types="mention")]

    def brand_posts(self) -> list[str]:
        return [s["content"] for s in self._pages(f"/api/v1/accounts/{self.brand.id}/statuses")]

    def _pages(self, path: str, **filters: str) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"limit": 40}
        if "types" in filters:
            params["types[]"] = filters["types"]
        while True:
            answer = self.brand.request("GET", path, params=params)
            answer.raise_for_status()
            page: list[dict[str, Any]] = answer.json()
            if not page:
                return
            yield from page
            params["max_id"] = page[-1]["id"]


@pytest.mark.mastodon
def test_kill_9_while_syncing_with_mastodon_loses_and_doubles_nothing(
    mastodon_peer: MastodonPeer, workspace: Workspace, tmp_path: Path
) -> None:
    brand, customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    network = MastodonNetwork(mastodon_peer, brand, customer)
    targets = [Target("fetching a page of mentions", "GET", "/api/v1/notifications", n)
               for n in (1, 2, 3)]  # fmt: skip
    targets += [Target("posting a reply", "POST", "/api/v1/statuses", n) for n in (1, 2)]
    points = kill_points(targets, 30, seed=5)
    with FaultProxy(mastodon_peer.base_url) as proxy:
        account = workspace.account_service.finish_mastodon_sign_in(proxy.url, brand.token)
        network.post_mentions(6, first=1000)
        workspace.sync.sync_account(account)
        killed_at, runs = run_and_kill(workspace, account, network, proxy, points, tmp_path)
        network.forget_idempotency_keys()
        clean_sync_later(workspace, account)
    assert len(killed_at) == len(set(points)) == 30
    assert_nothing_lost_or_doubled(workspace, account, network, 6 + NEW_MENTIONS_PER_RUN * runs)


# --- Bluesky ----------------------------------------------------------------------------------


class BlueskyNetwork(Network):
    name = "bluesky"

    def __init__(self, peer: BlueskyPeer, brand: BlueskyAccount, customer: BlueskyAccount) -> None:
        self.peer, self.brand, self.customer = peer, brand, customer

    def post_mentions(self, count: int, first: int) -> None:
        for number in range(first, first + count):
            self.customer.post(f"@{self.brand.handle} question {number}", mentions=[self.brand])
        self.peer.process_all()

    def served_mentions(self) -> list[str]:
        self.peer.process_all()
        found: list[str] = []
        cursor = None
        while True:
            page = self.brand.list_notifications(limit=100, cursor=cursor, reasons=["mention"])
            found += [n["uri"] for n in page["notifications"]]
            cursor = page.get("cursor")
            if not cursor or not page["notifications"]:
                return found

    def brand_posts(self) -> list[str]:
        found: list[str] = []
        cursor = None
        while True:
            params = {"repo": self.brand.did, "collection": "app.bsky.feed.post", "limit": 100}
            page = self.brand.query("com.atproto.repo.listRecords", {**params, "cursor": cursor})
            found += [record["value"]["text"] for record in page["records"]]
            cursor = page.get("cursor")
            if not cursor or not page["records"]:
                return found


@pytest.mark.bluesky
def test_kill_9_while_syncing_with_bluesky_loses_and_doubles_nothing(
    bluesky_peer: BlueskyPeer, workspace: Workspace, tmp_path: Path
) -> None:
    brand = bluesky_peer.create_account("brand")
    network = BlueskyNetwork(bluesky_peer, brand, bluesky_peer.create_account("kari"))
    targets = [Target("fetching a page of mentions", "GET", "listNotifications", n)
               for n in (1, 2, 3)]  # fmt: skip
    targets += [Target("posting a reply", "POST", "createRecord", n) for n in (1, 2)]
    targets += [Target("refreshing the session", "POST", "refreshSession", 1)]
    points = kill_points(targets, 20, seed=5)
    with FaultProxy(bluesky_peer.pds_url, rewrite_origin=True) as proxy:
        account = workspace.account_service.add_bluesky(
            brand.handle, brand.create_app_password("heedful"), proxy.url
        )
        network.post_mentions(6, first=1000)
        workspace.sync.sync_account(account)
        killed_at, runs = run_and_kill(workspace, account, network, proxy, points, tmp_path)
        clean_sync_later(workspace, account)
    assert len(killed_at) == len(set(points)) == 20
    assert_nothing_lost_or_doubled(workspace, account, network, 6 + NEW_MENTIONS_PER_RUN * runs)
