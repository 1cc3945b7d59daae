"""Faults between Heedful and the networks: timeouts, resets mid-body, 5xx, 429.

A `FaultProxy` (tests/peers/faults.py) sits between Heedful and the real loopback peer and
breaks a share of the requests. Repeated syncs must end with every mention the peer served
stored once and every queued reply on the network once, whatever broke on the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from storage.cursors import CursorRepository
from storage.records import Account, AccountState, OutboxState, utc_now

from app.bootstrap import Workspace
from app.networks.bluesky import connector as bluesky_connector
from app.networks.factory import ConnectorFactory
from app.networks.mastodon import connector as mastodon_connector
from app.sync.service import SyncReport, SyncService

from tests.peers.bluesky import BlueskyAccount, BlueskyPeer
from tests.peers.faults import Fault, FaultProxy, Rule
from tests.peers.mastodon import MastodonPeer, PeerAccount

pytestmark = pytest.mark.usefixtures("secret_service")

# One request in three breaks, in turn: each kind of fault, before and after the server acted.
A_SHARE_OF_EVERYTHING = [
    Fault.reset(),
    Fault.status_code(500),
    Fault.status_code(502, after_upstream=True),
    Fault.status_code(503),
    Fault.hold(after_upstream=True),
    Fault.status_code(502),
    Fault.rate_limit(1),
]


LATER_MASTODON_MENTIONS = 60


class JumpingClock:
    """Heedful's clock for these syncs: it jumps two hours between syncs, so a reply put
    back for a retry (backoff up to 75 minutes) is due at the next one, as it would be
    after waiting."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now

    def jump(self) -> None:
        self.now += timedelta(hours=2)


def sync_service(workspace: Workspace, clock: JumpingClock) -> SyncService:
    return SyncService(
        workspace.store,
        workspace.accounts,
        workspace.mentions,
        CursorRepository(workspace.store),
        workspace.outbox,
        ConnectorFactory(workspace.secrets),
        clock=clock,
    )


def sync_until_done(
    workspace: Workspace, account: Account, expected_mentions: int, *, attempts: int = 40
) -> list[SyncReport]:
    """Sync again and again, as the schedule would, until a sync went through cleanly with
    everything stored and sent. Returns the reports."""
    clock = JumpingClock()
    service = sync_service(workspace, clock)
    reports = []
    for _ in range(attempts):
        reports.append(service.sync_account(workspace.accounts.get(account.id)))
        clock.jump()
        done = reports[-1].state is AccountState.OK and all(
            item.state is OutboxState.SENT for item in workspace.outbox.all()
        )
        if done and len(stored_mentions(workspace, account)) == expected_mentions:
            return reports
    states = [(r.state.value, r.detail) for r in reports[-5:]]
    raise AssertionError(f"no clean sync in {attempts} attempts; last: {states}")


def stored_mentions(workspace: Workspace, account: Account) -> list[tuple[str, str]]:
    """(platform id, text) of every mention stored for the account, the brand's own left out."""
    rows = workspace.store.conn.execute(
        "SELECT platform_id, text FROM mentions WHERE account_id = ? AND is_own = 0",
        [account.id],
    ).fetchall()
    return [(str(platform_id), str(text)) for platform_id, text in rows]


def assert_kinds_injected(proxy: FaultProxy) -> None:
    injected = {
        (exchange.fault.kind, exchange.fault.status, exchange.fault.after_upstream)
        for exchange in proxy.faults_injected()
        if exchange.fault is not None
    }
    wanted = {(f.kind, f.status, f.after_upstream) for f in A_SHARE_OF_EVERYTHING}
    assert injected == wanted, f"not every kind of fault was met: {wanted - injected}"


# --- Mastodon ---------------------------------------------------------------------------------


@pytest.fixture
def mastodon_proxy(mastodon_peer: MastodonPeer) -> Iterator[FaultProxy]:
    with FaultProxy(mastodon_peer.base_url) as proxy:
        yield proxy


@pytest.fixture
def small_mastodon_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    # Small pages make many requests to break; a held request gives up after a second.
    monkeypatch.setattr(mastodon_connector, "PAGE_SIZE", 8)
    monkeypatch.setattr(mastodon_connector, "REQUEST_TIMEOUT_S", 1)


def _every_mention_notification(brand: PeerAccount) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while page := brand.notifications(
        types=["mention"], limit=40, max_id=found[-1]["id"] if found else None
    ):
        found += page
    return found


def mastodon_statuses(who: PeerAccount) -> list[dict[str, Any]]:
    answer = who.request("GET", f"/api/v1/accounts/{who.id}/statuses", params={"limit": 40})
    answer.raise_for_status()
    statuses: list[dict[str, Any]] = answer.json()
    return statuses


@pytest.mark.mastodon
@pytest.mark.usefixtures("small_mastodon_requests")
def test_mastodon_syncs_through_faults_lose_nothing_and_double_nothing(
    mastodon_peer: MastodonPeer, mastodon_proxy: FaultProxy, workspace: Workspace
) -> None:
    brand, customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    account = workspace.account_service.finish_mastodon_sign_in(mastodon_proxy.url, brand.token)
    questions = [customer.post(f"@{brand.username} question {n}") for n in range(4)]
    sync_until_done(workspace, account, 4)
    by_platform_id = {pid: mid for mid, pid in _mention_ids(workspace, account)}
    for question in questions:
        workspace.replies.queue(by_platform_id[question["id"]], f"answer to {question['id']}")
    # Enough pages that one request in three meets every kind of fault at least once.
    for n in range(LATER_MASTODON_MENTIONS):
        customer.post(f"@{brand.username} later {n}")
    everything = 4 + LATER_MASTODON_MENTIONS

    mastodon_proxy.add_rule(Rule(A_SHARE_OF_EVERYTHING, every=3))
    sync_until_done(workspace, account, everything)
    mastodon_proxy.clear()

    served = _every_mention_notification(brand)
    assert len(served) == everything
    stored = stored_mentions(workspace, account)
    assert sorted(pid for pid, _ in stored) == sorted(n["status"]["id"] for n in served)
    assert len({text for _, text in stored}) == everything  # nothing stored twice
    replies = mastodon_statuses(brand)
    assert sorted(r["in_reply_to_id"] for r in replies) == sorted(q["id"] for q in questions)
    for question in questions:
        assert len(customer.context(question["id"])["descendants"]) == 1
    assert_kinds_injected(mastodon_proxy)


@pytest.mark.mastodon
def test_a_mastodon_429_marks_the_account_rate_limited_until_the_reset(
    mastodon_peer: MastodonPeer, mastodon_proxy: FaultProxy, workspace: Workspace
) -> None:
    brand, customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    account = workspace.account_service.finish_mastodon_sign_in(mastodon_proxy.url, brand.token)
    customer.post(f"@{brand.username} hello")
    mastodon_proxy.inject(Fault.rate_limit(900), path="/api/v1/notifications", count=None)
    expected_reset = utc_now() + timedelta(seconds=900)
    report = workspace.sync.sync_account(account)
    assert report.state is AccountState.RATE_LIMITED
    limited = workspace.accounts.get(account.id)
    assert limited.state is AccountState.RATE_LIMITED
    assert limited.state_until is not None
    assert abs(limited.state_until - expected_reset) < timedelta(seconds=5)
    assert stored_mentions(workspace, account) == []
    mastodon_proxy.clear()
    recovered = workspace.sync.sync_account(workspace.accounts.get(account.id))
    assert (recovered.state, recovered.added) == (AccountState.OK, 1)


@pytest.mark.mastodon
@pytest.mark.parametrize(
    "fault",
    [Fault.reset(), Fault.status_code(502, after_upstream=True)],
    ids=["reset-mid-body", "502-after-posting"],
)
def test_a_mastodon_reply_whose_answer_is_lost_is_posted_once(
    mastodon_peer: MastodonPeer, mastodon_proxy: FaultProxy, workspace: Workspace, fault: Fault
) -> None:
    brand, customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    account = workspace.account_service.finish_mastodon_sign_in(mastodon_proxy.url, brand.token)
    question = customer.post(f"@{brand.username} are you there?")
    workspace.sync.sync_account(account)
    ((mention_id, _),) = _mention_ids(workspace, account)
    item = workspace.replies.queue(mention_id, "We are!").item
    mastodon_proxy.inject(fault, method="POST", path="/api/v1/statuses")

    first = workspace.sync.sync_account(workspace.accounts.get(account.id), pull=False)
    assert first.sent == 0
    assert len(customer.context(question["id"])["descendants"]) == 1  # the server did post it
    assert workspace.outbox.get(item.id).state is OutboxState.UNKNOWN  # looked for first

    sync_until_done(workspace, account, 1)
    assert workspace.outbox.get(item.id).state is OutboxState.SENT
    assert len(customer.context(question["id"])["descendants"]) == 1
    assert len(mastodon_statuses(brand)) == 1


# --- Bluesky ----------------------------------------------------------------------------------


@pytest.fixture
def bluesky_proxy(bluesky_peer: BlueskyPeer) -> Iterator[FaultProxy]:
    with FaultProxy(bluesky_peer.pds_url, rewrite_origin=True) as proxy:
        yield proxy


def add_bluesky_brand(
    workspace: Workspace, peer: BlueskyPeer, proxy: FaultProxy
) -> tuple[BlueskyAccount, Account]:
    brand = peer.create_account("brand")
    account = workspace.account_service.add_bluesky(
        brand.handle, brand.create_app_password("heedful"), proxy.url
    )
    return brand, account


def brand_posts(brand: BlueskyAccount) -> list[dict[str, Any]]:
    listed = brand.query(
        "com.atproto.repo.listRecords",
        {"repo": brand.did, "collection": "app.bsky.feed.post", "limit": 100},
    )
    records: list[dict[str, Any]] = listed["records"]
    return records


@pytest.mark.bluesky
def test_bluesky_syncs_through_faults_lose_nothing_and_double_nothing(
    bluesky_peer: BlueskyPeer,
    bluesky_proxy: FaultProxy,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bluesky_connector, "PAGE_SIZE", 8)
    brand, account = add_bluesky_brand(workspace, bluesky_peer, bluesky_proxy)
    customer = bluesky_peer.create_account("kari")
    questions = [customer.post(f"@{brand.handle} question {n}", mentions=[brand]) for n in range(3)]
    bluesky_peer.process_all()
    sync_until_done(workspace, account, 3)
    by_platform_id = {pid: mid for mid, pid in _mention_ids(workspace, account)}
    for question in questions:
        workspace.replies.queue(by_platform_id[question["uri"]], f"answer {question['uri'][-6:]}")
    for n in range(27):
        customer.post(f"@{brand.handle} later {n}", mentions=[brand])
    bluesky_peer.process_all()

    # Every held request costs the SDK's 5-second timeout: one of them is enough.
    faults = [f for f in A_SHARE_OF_EVERYTHING if f.kind != "hold"]
    bluesky_proxy.add_rule(Rule([Fault.hold(after_upstream=True)], count=1, every=5))
    bluesky_proxy.add_rule(Rule(faults, every=3))
    sync_until_done(workspace, account, 30)
    bluesky_proxy.clear()
    bluesky_peer.process_all()

    served = brand.list_notifications(limit=100, reasons=["mention"])["notifications"]
    assert len(served) == 30
    stored = stored_mentions(workspace, account)
    assert sorted(pid for pid, _ in stored) == sorted(n["uri"] for n in served)
    assert len({text for _, text in stored}) == 30
    posts = brand_posts(brand)
    parents = sorted(post["value"]["reply"]["parent"]["uri"] for post in posts)
    assert parents == sorted(q["uri"] for q in questions)  # each answered once, nothing else
    assert_kinds_injected(bluesky_proxy)


@pytest.mark.bluesky
def test_a_bluesky_429_marks_the_account_rate_limited_until_the_reset(
    bluesky_peer: BlueskyPeer, bluesky_proxy: FaultProxy, workspace: Workspace
) -> None:
    brand, account = add_bluesky_brand(workspace, bluesky_peer, bluesky_proxy)
    customer = bluesky_peer.create_account("kari")
    customer.post(f"@{brand.handle} hello", mentions=[brand])
    bluesky_peer.process_all()
    bluesky_proxy.inject(Fault.rate_limit(900), path="listNotifications", count=None)
    expected_reset = utc_now() + timedelta(seconds=900)
    report = workspace.sync.sync_account(account)
    assert report.state is AccountState.RATE_LIMITED
    limited = workspace.accounts.get(account.id)
    assert limited.state is AccountState.RATE_LIMITED
    assert limited.state_until is not None
    assert abs(limited.state_until - expected_reset) < timedelta(seconds=5)
    bluesky_proxy.clear()
    recovered = workspace.sync.sync_account(workspace.accounts.get(account.id))
    assert (recovered.state, recovered.added) == (AccountState.OK, 1)


@pytest.mark.bluesky
@pytest.mark.parametrize(
    "fault",
    [Fault.reset(), Fault.status_code(502, after_upstream=True)],
    ids=["reset-mid-body", "502-after-posting"],
)
def test_a_bluesky_reply_whose_answer_is_lost_is_posted_once(
    bluesky_peer: BlueskyPeer, bluesky_proxy: FaultProxy, workspace: Workspace, fault: Fault
) -> None:
    brand, account = add_bluesky_brand(workspace, bluesky_peer, bluesky_proxy)
    customer = bluesky_peer.create_account("kari")
    question = customer.post(f"@{brand.handle} are you there?", mentions=[brand])
    bluesky_peer.process_all()
    workspace.sync.sync_account(account)
    ((mention_id, _),) = _mention_ids(workspace, account)
    item = workspace.replies.queue(mention_id, "We are!").item
    bluesky_proxy.inject(fault, method="POST", path="createRecord")

    workspace.sync.sync_account(workspace.accounts.get(account.id), pull=False)
    assert len(brand_posts(brand)) == 1  # the server did write it

    sync_until_done(workspace, account, 1)
    assert workspace.outbox.get(item.id).state is OutboxState.SENT
    bluesky_peer.process_all()
    assert len(brand_posts(brand)) == 1
    thread = customer.get_post_thread(question["uri"])["thread"]
    assert len(thread.get("replies", [])) == 1


def _mention_ids(workspace: Workspace, account: Account) -> list[tuple[int, str]]:
    rows = workspace.store.conn.execute(
        "SELECT id, platform_id FROM mentions WHERE account_id = ? AND is_own = 0",
        [account.id],
    ).fetchall()
    return [(int(mention_id), str(platform_id)) for mention_id, platform_id in rows]


@pytest.mark.bluesky
def test_a_bluesky_reply_left_unknown_is_found_by_its_record_key_not_posted_again(
    bluesky_peer: BlueskyPeer, bluesky_proxy: FaultProxy, workspace: Workspace
) -> None:
    brand, account = add_bluesky_brand(workspace, bluesky_peer, bluesky_proxy)
    customer = bluesky_peer.create_account("kari")
    customer.post(f"@{brand.handle} hello?", mentions=[brand])
    bluesky_peer.process_all()
    workspace.sync.sync_account(account)
    ((mention_id, _),) = _mention_ids(workspace, account)
    item = workspace.replies.queue(mention_id, "Hi! How can we help?").item
    # The answer to the post is lost, and so is the look for it right after.
    bluesky_proxy.inject(Fault.reset(), method="POST", path="createRecord")
    bluesky_proxy.inject(Fault.status_code(502), method="GET", path="getRecord")
    workspace.sync.sync_account(workspace.accounts.get(account.id), pull=False)
    assert workspace.outbox.get(item.id).state is OutboxState.UNKNOWN
    assert len(brand_posts(brand)) == 1

    bluesky_proxy.clear()
    posts_before = len([e for e in bluesky_proxy.exchanges() if "createRecord" in e.path])
    sync_until_done(workspace, account, 1)
    assert workspace.outbox.get(item.id).state is OutboxState.SENT
    assert workspace.outbox.get(item.id).platform_id == brand_posts(brand)[0]["uri"]
    posts_after = len([e for e in bluesky_proxy.exchanges() if "createRecord" in e.path])
    assert posts_after == posts_before, "posted again instead of looking by its record key"
