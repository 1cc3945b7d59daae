"""Bluesky end to end, against the reference implementation (@atproto/dev-env) on loopback.

Every test signs in a fresh brand account with an app password and has fresh customers
write to it through the real XRPC API.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from storage.mentions import InboxFilter
from storage.records import Account, AccountState, InboxRow, MentionKind, OutboxState, utc_now

from app.bootstrap import Workspace

from tests.peers.bluesky import BlueskyAccount, BlueskyPeer, wait_until

pytestmark = [pytest.mark.bluesky, pytest.mark.usefixtures("secret_service")]


@pytest.fixture
def brand(bluesky_peer: BlueskyPeer) -> BlueskyAccount:
    return bluesky_peer.create_account("brand")


@pytest.fixture
def customer(bluesky_peer: BlueskyPeer) -> BlueskyAccount:
    return bluesky_peer.create_account("kari")


@pytest.fixture
def account(workspace: Workspace, bluesky_peer: BlueskyPeer, brand: BlueskyAccount) -> Account:
    app_password = brand.create_app_password("heedful")
    return workspace.account_service.add_bluesky(brand.handle, app_password, bluesky_peer.pds_url)


def inbox(workspace: Workspace) -> list[InboxRow]:
    return workspace.inbox.list_rows(InboxFilter(), 10_000)


def sync_and_take_only(peer: BlueskyPeer, workspace: Workspace, account: Account) -> InboxRow:
    """Let the network index what was posted, sync, and give the one mention it brought."""
    peer.process_all()
    workspace.sync.sync_account(account)
    (row,) = inbox(workspace)
    return row


def test_add_an_account_from_the_command_line(
    bluesky_peer: BlueskyPeer, brand: BlueskyAccount, heedful_home: Path
) -> None:
    app_password = brand.create_app_password("cli")
    result = subprocess.run(
        [sys.executable, "-m", "app", "accounts", "add", "bluesky", "--handle", brand.handle,
         "--server", bluesky_peer.pds_url],
        input=app_password + "\n", capture_output=True, text=True, timeout=60,
        env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"Added {brand.handle}" in result.stdout
    # The app password itself is kept nowhere; only the session, in the keyring.
    for path in heedful_home.rglob("*"):
        if path.is_file():
            assert app_password.encode() not in path.read_bytes(), path


def test_a_wrong_app_password_says_so(
    workspace: Workspace, bluesky_peer: BlueskyPeer, brand: BlueskyAccount
) -> None:
    from app.networks.errors import NeedsSignIn

    with pytest.raises(NeedsSignIn, match="app password"):
        workspace.account_service.add_bluesky(brand.handle, "wrong-pass", bluesky_peer.pds_url)
    assert workspace.accounts.all() == []


def test_mentions_replies_and_quotes_arrive_once_with_their_details(
    bluesky_peer: BlueskyPeer,
    workspace: Workspace,
    account: Account,
    brand: BlueskyAccount,
    customer: BlueskyAccount,
) -> None:
    at = f"@{brand.handle}"
    customer.post(f"Hei {at}! Pakken min har ikke kommet 😢", langs=["nb"], mentions=[brand])
    customer.post(f"{at} see https://status.example/incident/7", mentions=[brand])
    customer.post(f"🎉🎉 Ærlig talt {at}, dere er best", langs=["nb"], mentions=[brand])
    announcement = brand.post("Winter sale starts Monday!")
    customer.post("Does it include boots?", reply_to=announcement, langs=["en"])
    customer.post("lol 'sale'", quote=announcement)
    bluesky_peer.process_all()

    first = workspace.sync.sync_account(account)
    assert (first.added, first.state) == (5, AccountState.OK)
    assert workspace.sync.sync_account(account).added == 0

    stored = {row.text: workspace.inbox.mention(row.id) for row in inbox(workspace)}
    assert len(stored) == 5
    norwegian = stored[f"Hei {at}! Pakken min har ikke kommet 😢"]
    assert (norwegian.kind, norwegian.language) == (MentionKind.MENTION, "nb")
    assert norwegian.author.handle == customer.handle
    # The mention after multi-byte text is a link to the brand's profile, on the right words.
    emoji = stored[f"🎉🎉 Ærlig talt {at}, dere er best"]
    assert f">{at}</a>" in (emoji.html or "")
    linked = stored[f"{at} see https://status.example/incident/7"]
    assert linked.kind is MentionKind.MENTION
    reply = stored["Does it include boots?"]
    assert reply.kind is MentionKind.REPLY
    assert reply.parent_platform_id == announcement["uri"]
    assert reply.root_platform_id == announcement["uri"]
    quote = next(m for text, m in stored.items() if text.startswith("lol 'sale'"))
    assert quote.kind is MentionKind.QUOTE
    assert announcement["uri"] in quote.text


def test_two_hundred_and_fifty_mentions_arrive_complete_and_in_order(
    bluesky_peer: BlueskyPeer,
    workspace: Workspace,
    account: Account,
    brand: BlueskyAccount,
    customer: BlueskyAccount,
) -> None:
    for number in range(250):
        customer.post(f"@{brand.handle} complaint {number}", mentions=[brand])
    bluesky_peer.process_all()
    report = workspace.sync.sync_account(account)
    assert (report.added, report.state) == (250, AccountState.OK)
    texts = [row.text for row in inbox(workspace)]
    numbers = [int(text.rsplit(" ", 1)[1]) for text in texts]
    assert numbers == list(range(249, -1, -1))


def test_a_reply_lands_in_the_thread_and_counts_as_the_brands_response(
    bluesky_peer: BlueskyPeer,
    workspace: Workspace,
    account: Account,
    brand: BlueskyAccount,
    customer: BlueskyAccount,
) -> None:
    question = customer.post(f"@{brand.handle} do you ship to Tromsø?", mentions=[brand])
    row = sync_and_take_only(bluesky_peer, workspace, account)
    item = workspace.replies.queue(row.id, f"Ja! 2–4 dager 🚚 @{customer.handle} – Ingrid").item
    report = workspace.sync.sync_account(account, pull=False)
    assert report.sent == 1
    sent = workspace.outbox.get(item.id)
    assert sent.state is OutboxState.SENT
    assert sent.platform_id is not None
    assert sent.platform_id.endswith(item.idempotency_key)  # the record key chosen up front

    bluesky_peer.process_all()
    # The customer is notified once (the AppView reports a reply that also @-mentions its
    # reader as a mention), and the post is a reply to their question, in its thread.
    (notified,) = wait_until(lambda: customer.notifications(), timeout=10)
    assert notified["uri"] == sent.platform_id
    assert notified["record"]["reply"]["parent"]["uri"] == question["uri"]
    assert notified["record"]["reply"]["root"]["uri"] == question["uri"]
    # The @-mention facet sits on the right bytes, after multi-byte text.
    (facet,) = notified["record"]["facets"]
    text = notified["record"]["text"].encode()
    span = text[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode()
    assert span == f"@{customer.handle}"
    replies = customer.get_post_thread(question["uri"])["thread"]["replies"]
    assert [r["post"]["uri"] for r in replies] == [sent.platform_id]

    thread = workspace.inbox.thread(row.id)
    assert [r.is_own for r in thread] == [False, True]
    assert thread[1].created_at >= thread[0].created_at


def test_a_send_cut_short_after_the_request_posts_exactly_once(
    bluesky_peer: BlueskyPeer,
    workspace: Workspace,
    account: Account,
    brand: BlueskyAccount,
    customer: BlueskyAccount,
) -> None:
    question = customer.post(f"@{brand.handle} hello?", mentions=[brand])
    row = sync_and_take_only(bluesky_peer, workspace, account)
    item = workspace.replies.queue(row.id, "Hi! How can we help?").item
    # The first attempt created the post, then Heedful died before storing the answer.
    assert workspace.outbox.claim(item.id, utc_now() - timedelta(minutes=10))
    brand.post("Hi! How can we help?", reply_to=question, rkey=item.idempotency_key)
    report = workspace.sync.sync_account(account, pull=False)
    assert report.sent == 1
    bluesky_peer.process_all()
    thread = customer.get_post_thread(question["uri"])["thread"]
    assert len(thread.get("replies", [])) == 1


def test_a_reply_over_300_graphemes_is_refused_before_it_is_queued(
    bluesky_peer: BlueskyPeer,
    workspace: Workspace,
    account: Account,
    brand: BlueskyAccount,
    customer: BlueskyAccount,
) -> None:
    from app.compose.replies import ReplyRefused

    customer.post(f"@{brand.handle} tell me everything", mentions=[brand])
    row = sync_and_take_only(bluesky_peer, workspace, account)
    workspace.replies.check(row.id, "👨‍👩‍👧‍👦" * 300)  # 300 graphemes fit
    with pytest.raises(ReplyRefused, match="301 characters; Bluesky allows 300"):
        workspace.replies.queue(row.id, "é" * 301)


def test_a_revoked_app_password_asks_to_sign_in_again_and_keeps_the_mentions(
    bluesky_peer: BlueskyPeer,
    workspace: Workspace,
    account: Account,
    brand: BlueskyAccount,
    customer: BlueskyAccount,
) -> None:
    customer.post(f"@{brand.handle} first", mentions=[brand])
    bluesky_peer.process_all()
    assert workspace.sync.sync_account(account).added == 1
    brand.revoke_app_password("heedful")
    customer.post(f"@{brand.handle} second", mentions=[brand])
    bluesky_peer.process_all()

    report = workspace.sync.sync_account(account)
    assert report.state is AccountState.NEEDS_SIGN_IN
    assert "Sign in again" in report.detail
    assert len(inbox(workspace)) == 1
    # Signing in again with a new app password keeps the account and catches up.
    again = workspace.account_service.add_bluesky(
        brand.handle, brand.create_app_password("again"), bluesky_peer.pds_url
    )
    assert again.id == account.id
    assert workspace.sync.sync_account(workspace.accounts.get(account.id)).added == 1


def test_an_unreachable_server_is_offline_and_the_next_sync_catches_up(
    bluesky_peer: BlueskyPeer,
    workspace: Workspace,
    account: Account,
    brand: BlueskyAccount,
    customer: BlueskyAccount,
) -> None:
    customer.post(f"@{brand.handle} before", mentions=[brand])
    bluesky_peer.process_all()
    workspace.sync.sync_account(account)
    bluesky_peer.go_offline()
    try:
        customer.post(f"@{brand.handle} while you were away", mentions=[brand])
        bluesky_peer.process_all()
        offline = workspace.sync.sync_account(account)
        assert offline.state is AccountState.OFFLINE
        assert workspace.accounts.get(account.id).state is AccountState.OFFLINE
    finally:
        bluesky_peer.go_online()
    back = workspace.sync.sync_account(workspace.accounts.get(account.id))
    assert (back.added, back.state) == (1, AccountState.OK)
    assert len(inbox(workspace)) == 2
