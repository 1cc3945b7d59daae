"""Exactly once past Mastodon's idempotency window, on the real Mastodon API server.

Mastodon keeps an `Idempotency-Key` for one hour. A reply whose answer was lost (a cut
connection, a gateway's 502 after the server posted it, a read timeout, a failure after the
post while reading the answer or recording it) and retried the next morning would post twice
if the key were all that stood in the way. Each test loses the answer, lets the peer forget
its keys as the hour passing does (`MastodonPeer.expire_idempotency_keys`), moves Heedful's
clock to the next morning, and syncs again: the reply must be found on the network, not
posted again. A restored backup (which has the reply as not sent) must not post it again
either.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from storage.backup import back_up_if_due, latest_backup
from storage.errors import StoreFullError
from storage.mentions import MentionRepository
from storage.outbox import OutboxRepository
from storage.records import Account, OutboxState, utc_now

from app.bootstrap import StartupOptions, Workspace, build_workspace
from app.compose.replies import describe_outbox_item
from app.networks.mastodon import connector as mastodon_connector
from app.networks.safety import SkipItem
from app.recovery import RecoveryOffer, backup_dir_for, restore_latest
from app.sync.outbox import outbox_line

from tests.factories import brand_account, mention
from tests.peers.faults import Fault, FaultProxy
from tests.peers.mastodon import MastodonPeer
from tests.test_faults import JumpingClock, mastodon_statuses, sync_service

pytestmark = [pytest.mark.mastodon, pytest.mark.usefixtures("secret_service")]


@pytest.fixture
def proxy(mastodon_peer: MastodonPeer) -> Iterator[FaultProxy]:
    with FaultProxy(mastodon_peer.base_url) as running:
        yield running


class Brand:
    """A brand account signed in through the proxy, a customer who wrote to it, and the
    sync service with a clock the test moves."""

    def __init__(self, peer: MastodonPeer, proxy: FaultProxy, workspace: Workspace) -> None:
        self.peer, self.proxy, self.workspace = peer, proxy, workspace
        self.brand, self.customer = peer.new_account(), peer.new_account()
        self.account = workspace.account_service.finish_mastodon_sign_in(
            proxy.url, self.brand.token
        )
        self.question = self.customer.post(f"@{self.brand.username} is my order on its way?")
        self.clock = JumpingClock()
        self.sync = sync_service(workspace, self.clock)
        self.sync.sync_account(self.current())
        (self.mention_id,) = [
            int(row[0])
            for row in workspace.store.conn.execute("SELECT id FROM mentions WHERE is_own = 0")
        ]

    def current(self) -> Account:
        return self.workspace.accounts.get(self.account.id)

    def send(self) -> Any:
        return self.sync.sync_account(self.current(), pull=False)

    def replies(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.customer.context(self.question["id"])["descendants"]
        return found

    def next_morning(self, *, keys: bool = True) -> None:
        """Fourteen hours later: the server has forgotten every idempotency key (`keys`:
        there was one to forget, a post went through)."""
        forgotten = self.peer.expire_idempotency_keys()
        assert forgotten >= 1 or not keys
        self.clock.now += timedelta(hours=14)


@pytest.fixture
def brand(mastodon_peer: MastodonPeer, proxy: FaultProxy, workspace: Workspace) -> Brand:
    return Brand(mastodon_peer, proxy, workspace)


def _only_item(workspace: Workspace) -> Any:
    (item,) = workspace.outbox.all()
    return item


@pytest.mark.parametrize(
    "fault",
    [Fault.reset(), Fault.status_code(502, after_upstream=True), Fault.hold(after_upstream=True)],
    ids=["connection-cut-mid-answer", "502-after-posting", "read-timeout-after-posting"],
)
def test_a_reply_whose_answer_was_lost_is_found_the_next_morning_not_posted_again(
    brand: Brand, workspace: Workspace, fault: Fault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mastodon_connector, "REQUEST_TIMEOUT_S", 1)  # a held answer times out
    workspace.replies.queue(brand.mention_id, "It left our warehouse this morning!")
    item = _only_item(workspace)
    brand.proxy.inject(fault, method="POST", path="/api/v1/statuses")
    brand.send()
    assert len(brand.replies()) == 1  # the server posted it; Heedful never heard

    brand.next_morning()
    brand.send()

    assert len(brand.replies()) == 1, "posted twice"
    assert len(mastodon_statuses(brand.brand)) == 1
    sent = workspace.outbox.get(item.id)
    assert sent.state is OutboxState.SENT
    assert sent.platform_id == brand.replies()[0]["id"]
    # The brand's own post is in the thread as the network has it.
    assert [row.is_own for row in workspace.inbox.thread(brand.mention_id)] == [False, True]


def test_between_the_lost_answer_and_the_check_the_reply_says_so(
    brand: Brand, workspace: Workspace
) -> None:
    workspace.replies.queue(brand.mention_id, "It left our warehouse this morning!")
    item = _only_item(workspace)
    brand.proxy.inject(Fault.reset(), method="POST", path="/api/v1/statuses")
    report = brand.send()
    unknown = workspace.outbox.get(item.id)
    assert unknown.state is OutboxState.UNKNOWN
    assert report.changes.outbox == {item.id}  # the window refreshes the reply's line
    assert brand.mention_id in report.changes.mentions
    line = outbox_line(unknown, utc_now())
    assert f"Reply {line.state}: {line.detail}".startswith(
        "Reply outcome unknown: checking the thread before sending again, next attempt in "
    )
    assert describe_outbox_item(unknown).startswith(
        "Outcome unknown: checking the thread before sending again"
    )
    assert workspace.outbox.count_waiting() == 1  # still counted as waiting in the status bar


def _fail_once(
    monkeypatch: pytest.MonkeyPatch,
    owner: object,
    name: str,
    error: Exception,
    when: Callable[..., bool] = lambda *args, **kwargs: True,
) -> None:
    original = getattr(owner, name)
    failed: list[bool] = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        if not failed and when(*args, **kwargs):
            failed.append(True)
            raise error
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)


def _full(workspace: Workspace) -> StoreFullError:
    return StoreFullError(workspace.store.path)


@pytest.mark.parametrize("step", ["reading the answer", "storing the own post", "recording sent"])
def test_a_failure_after_the_network_said_yes_never_posts_twice(
    brand: Brand, workspace: Workspace, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    if step == "reading the answer":  # a status Heedful cannot store as a mention
        _fail_once(
            monkeypatch,
            mastodon_connector,
            "status_to_mention",
            SkipItem("unreadable"),
            lambda status, **_: str(status["account"]["id"]) == brand.brand.id,
        )
    elif step == "storing the own post":  # the disk fills right after the post
        _fail_once(
            monkeypatch,
            MentionRepository,
            "ingest",
            _full(workspace),
            lambda _self, items: any(item.is_own for item in items),
        )
    else:
        _fail_once(monkeypatch, OutboxRepository, "mark_sent", _full(workspace))
    workspace.replies.queue(brand.mention_id, "It left our warehouse this morning!")
    item = _only_item(workspace)
    # What the failure does to this sync is not the point; the next one is.
    with contextlib.suppress(StoreFullError, SkipItem):
        brand.send()
    assert len(brand.replies()) == 1
    if step != "recording sent":  # "sent" was recorded first, on its own
        assert workspace.outbox.get(item.id).state is OutboxState.SENT

    brand.next_morning()
    brand.send()

    assert len(brand.replies()) == 1, "posted twice"
    assert workspace.outbox.get(item.id).state is OutboxState.SENT


def test_when_the_answered_post_is_gone_the_reply_is_found_among_the_brands_posts(
    brand: Brand, workspace: Workspace
) -> None:
    workspace.replies.queue(brand.mention_id, "So sorry, we are on it!")
    item = _only_item(workspace)
    brand.proxy.inject(Fault.reset(), method="POST", path="/api/v1/statuses")
    brand.send()
    assert len(mastodon_statuses(brand.brand)) == 1
    deleted = brand.customer.request("DELETE", f"/api/v1/statuses/{brand.question['id']}")
    assert deleted.ok, deleted.text

    brand.next_morning()
    brand.send()

    assert len(mastodon_statuses(brand.brand)) == 1, "posted twice"
    assert workspace.outbox.get(item.id).state is OutboxState.SENT


def test_a_reply_the_server_never_got_is_posted_after_the_look(
    brand: Brand, workspace: Workspace
) -> None:
    workspace.replies.queue(brand.mention_id, "Yes, tomorrow!")
    item = _only_item(workspace)
    # A 502 before the server saw the post: from Heedful's side, the same as one after.
    brand.proxy.inject(Fault.status_code(502), method="POST", path="/api/v1/statuses")
    brand.send()
    assert workspace.outbox.get(item.id).state is OutboxState.UNKNOWN
    assert brand.replies() == []

    brand.next_morning(keys=False)
    brand.send()

    assert workspace.outbox.get(item.id).state is OutboxState.SENT
    assert len(brand.replies()) == 1


def test_the_same_words_sent_twice_are_two_posts(brand: Brand, workspace: Workspace) -> None:
    """An agent may answer the same customer twice with the same words: the look for the
    second must not take the first one's post for it."""
    workspace.replies.queue(brand.mention_id, "Thanks!")
    brand.send()
    workspace.replies.queue(brand.mention_id, "Thanks!")
    first, second = workspace.outbox.all()
    brand.proxy.inject(Fault.status_code(502), method="POST", path="/api/v1/statuses")
    brand.send()
    assert workspace.outbox.get(second.id).state is OutboxState.UNKNOWN

    brand.next_morning()
    brand.send()

    assert [workspace.outbox.get(i.id).state for i in (first, second)] == [OutboxState.SENT] * 2
    assert len(brand.replies()) == 2
    assert workspace.outbox.get(first.id).platform_id != workspace.outbox.get(second.id).platform_id


# --- a backup restored after the reply went out ----------------------------------------------


def test_a_backup_restored_after_a_reply_was_sent_does_not_send_it_again(
    mastodon_peer: MastodonPeer, workspace: Workspace
) -> None:
    brand, customer = mastodon_peer.new_account(), mastodon_peer.new_account()
    account = workspace.account_service.finish_mastodon_sign_in(mastodon_peer.base_url, brand.token)
    question = customer.post(f"@{brand.username} do you ship to Tromsø?")
    workspace.sync.sync_account(account)
    (row,) = workspace.store.conn.execute("SELECT id FROM mentions WHERE is_own = 0").fetchall()
    workspace.replies.queue(int(row[0]), "We do, in 2-4 days!")
    database = workspace.profile.database
    # Last night's backup has the reply queued...
    assert back_up_if_due(database, backup_dir_for(database), utc_now()) is not None
    # ...and this morning it went out.
    workspace.sync.sync_account(workspace.accounts.get(account.id), pull=False)
    assert len(customer.context(question["id"])["descendants"]) == 1
    (item,) = workspace.outbox.all()
    assert item.state is OutboxState.SENT
    workspace.close()

    # The database is damaged in the afternoon; the person restores last night's backup.
    assert mastodon_peer.expire_idempotency_keys() >= 1  # hours after the post
    offer = RecoveryOffer(database, "damaged in a test", latest_backup(backup_dir_for(database)))
    restore_latest(offer)
    restored = build_workspace(StartupOptions())
    try:
        held = restored.outbox.get(item.id)
        assert held.state is not OutboxState.SENT  # the backup's view of it
        restored.sync.sync_account(restored.accounts.get(account.id))
        assert len(customer.context(question["id"])["descendants"]) == 1, "sent again"
        assert len(mastodon_statuses(brand)) == 1
        found = restored.outbox.get(item.id)
        assert found.state is OutboxState.SENT
        assert found.platform_id == item.platform_id
    finally:
        restored.close()


def test_a_restored_reply_is_held_for_a_check_and_says_so(workspace: Workspace) -> None:
    from app.sync.sending import hold_outbox_for_check

    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest([mention(account.id, 1)])
    (row,) = workspace.store.conn.execute("SELECT id FROM mentions").fetchall()
    queued = workspace.replies.queue(int(row[0]), "Coming right up").item
    sent = workspace.replies.queue(int(row[0]), "And another").item
    workspace.outbox.mark_sent(sent.id, "1", None)
    workspace.close()
    assert hold_outbox_for_check(workspace.profile.database) == [queued.id]
    reopened = build_workspace(StartupOptions())
    try:
        held = reopened.outbox.get(queued.id)
        assert held.state is OutboxState.CHECK
        assert reopened.outbox.get(sent.id).state is OutboxState.SENT
        line = outbox_line(held, utc_now())
        assert f"Reply {line.state}: {line.detail}" == (
            "Reply held: checking this reply was not sent already"
        )
        assert describe_outbox_item(held).startswith("Checking this reply was not sent already")
        assert reopened.outbox.count_waiting() == 1
    finally:
        reopened.close()
