"""Mastodon end to end, against a Mastodon API server on loopback (mastodon-mock).

Every test signs in a fresh brand account through the real OAuth flow and has fresh
customers write to it through the REST API, as people on the network would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from storage.mentions import InboxFilter
from storage.records import Account, AccountState, MentionKind, OutboxState, utc_now

from app.bootstrap import StartupOptions, Workspace, build_workspace
from app.compose.replies import ReplyRefused
from app.secrets import account_secret_name

from tests.peers.mastodon import MastodonPeer, PeerAccount

pytestmark = [pytest.mark.mastodon, pytest.mark.usefixtures("secret_service")]


@pytest.fixture
def brand(mastodon_peer: MastodonPeer) -> PeerAccount:
    return mastodon_peer.new_account()


@pytest.fixture
def customer(mastodon_peer: MastodonPeer) -> PeerAccount:
    return mastodon_peer.new_account()


def sign_in(workspace: Workspace, peer: MastodonPeer, who: PeerAccount) -> Account:
    """The browser flow, with the peer's authorize page clicked as a person would."""
    flow = workspace.account_service.begin_mastodon_sign_in(peer.base_url)
    peer.authorize_in_browser(flow.start(), who.username, open_redirect=True)
    token = flow.wait_for_browser(timeout=20)
    return workspace.account_service.finish_mastodon_sign_in(flow.server, token)


@pytest.fixture
def account(workspace: Workspace, mastodon_peer: MastodonPeer, brand: PeerAccount) -> Account:
    return sign_in(workspace, mastodon_peer, brand)


def heedful(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        env=dict(os.environ),
    )


def sync_and_take_newest(workspace: Workspace, account: Account) -> int:
    """Sync the account, and give the id of the newest mention it brought."""
    workspace.sync.sync_account(account)
    return workspace.inbox.list_rows(InboxFilter(), 1)[0].id


def stored(workspace: Workspace) -> list[dict[str, object]]:
    rows = workspace.inbox.list_rows(InboxFilter(), 10_000)
    return [{"row": row, "mention": workspace.inbox.mention(row.id)} for row in rows]


# --- signing in -----------------------------------------------------------------------------


def test_sign_in_from_the_command_line_through_the_browser(
    mastodon_peer: MastodonPeer, brand: PeerAccount, heedful_home: Path
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "accounts", "add", "mastodon", "--no-browser",
         "--server", mastodon_peer.base_url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    assert process.stdout is not None
    address = ""
    while not address.startswith("http"):
        address = process.stdout.readline().strip()
        assert process.poll() is None or address, process.stderr.read() if process.stderr else ""
    assert "code_challenge_method=S256" in address
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in address
    mastodon_peer.authorize_in_browser(address, brand.username, open_redirect=True)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert f"Added {brand.username}@127.0.0.1" in out

    listed = json.loads(heedful("accounts", "list", "--json").stdout)
    assert [(a["network"], a["handle"], a["state"]) for a in listed] == [
        ("mastodon", f"{brand.username}@127.0.0.1", "ok")
    ]
    # The token is in the keyring, and nowhere in Heedful's files.
    workspace = build_workspace(StartupOptions())
    secret = workspace.secrets.get(
        account_secret_name("mastodon", mastodon_peer.base_url, listed[0]["handle"])
    )
    workspace.close()
    assert secret is not None
    token = secret["access_token"].encode()
    for path in heedful_home.rglob("*"):
        if path.is_file():
            assert token not in path.read_bytes(), path


def test_sign_in_out_of_band_with_a_pasted_code(
    mastodon_peer: MastodonPeer, brand: PeerAccount
) -> None:
    # The person copies the code the server shows; here the peer's page shows it to us.
    flow_peek = subprocess.Popen(
        [sys.executable, "-m", "app", "accounts", "add", "mastodon", "--oob",
         "--server", mastodon_peer.base_url],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ),
    )  # fmt: skip
    assert flow_peek.stdout is not None
    assert flow_peek.stdin is not None
    address = ""
    while not address.startswith("http"):
        address = flow_peek.stdout.readline().strip()
    assert "redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob" in address
    code = mastodon_peer.authorize_in_browser(address, brand.username)
    out, err = flow_peek.communicate(code + "\n", timeout=60)
    assert flow_peek.returncode == 0, err
    assert "Added" in out


def test_plain_http_to_a_real_server_is_refused(workspace: Workspace) -> None:
    from app.networks.errors import BadServerAddress

    with pytest.raises(BadServerAddress, match="https"):
        workspace.account_service.begin_mastodon_sign_in("http://mastodon.example")


# --- pulling mentions -----------------------------------------------------------------------


def test_mentions_dms_and_hostile_html_arrive_once(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    at = f"@{brand.username}"
    for text in (
        f"{at} my order FF-112233 never arrived",
        f"{at} hei! når åpner butikken i Bergen?",
        f"{at} Danke, super Service 👍",
        f"{at} is the site down? https://status.example/incident?id=7&x=1",
        f"{at} love the new jacket #fjellform",
    ):
        customer.post(text, language="nb" if "hei" in text else None)
    customer.post(f"{at} here is my phone: +47 912 34 567", visibility="direct")
    customer.post(f"{at} spoilers about the sale", spoiler_text="Sale leak")
    customer.post(
        f'{at} <script>alert(1)</script><img src="http://tracker.example/p.gif">'
        '<a href="javascript:alert(2)">win</a>'
    )
    first = workspace.sync.sync_all()
    assert [(r.added, r.state) for r in first] == [(8, AccountState.OK)]
    second = workspace.sync.sync_all()
    assert [(r.added, r.state) for r in second] == [(0, AccountState.OK)]

    items = stored(workspace)
    assert len(items) == 8
    by_text = {item["row"].text: item["mention"] for item in items}  # type: ignore[union-attr]
    dm = next(m for t, m in by_text.items() if "+47" in t)
    assert dm.kind is MentionKind.DIRECT
    assert dm.visibility == "direct"
    assert next(m for m in by_text.values() if m.spoiler_text == "Sale leak")
    assert next(m for t, m in by_text.items() if "Bergen" in t).language == "nb"
    hostile = next(m for t, m in by_text.items() if "alert(1)" in t)
    # Whatever the server sends back, nothing active or remote survives; its own escaping
    # turns the markup into visible text, and a bare address into an ordinary link.
    assert "<script" not in (hostile.html or "")
    assert "<img" not in (hostile.html or "")
    assert '<a href="javascript:' not in (hostile.html or "")
    assert "<script>alert(1)</script>" in hostile.text
    assert all(m.author.handle == f"{customer.username}@127.0.0.1" for m in by_text.values())
    assert all(m.kind in (MentionKind.MENTION, MentionKind.DIRECT) for m in by_text.values())


def test_three_hundred_mentions_arrive_complete_and_in_order(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    for number in range(300):
        customer.post(f"@{brand.username} complaint number {number}")
    report = workspace.sync.sync_account(account)
    assert (report.added, report.state) == (300, AccountState.OK)
    texts = [row.text for row in workspace.inbox.list_rows(InboxFilter(), 1000)]
    assert len(texts) == len(set(texts)) == 300
    numbers = [int(text.rsplit(" ", 1)[1]) for text in texts]
    assert numbers == sorted(numbers, reverse=True)  # newest first
    customer.post(f"@{brand.username} and one more")
    assert workspace.sync.sync_account(account).added == 1


def test_the_brands_own_posts_are_not_inbox_items(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    brand.post(f"@{brand.username} a note to self")
    customer.post(f"@{brand.username} a real question")
    report = workspace.sync.sync_account(account)
    assert report.added == 1
    assert [row.text for row in workspace.inbox.list_rows(InboxFilter(), 10)] == [
        f"@{brand.username} a real question"
    ]


# --- replying -------------------------------------------------------------------------------


def test_reply_lands_in_the_thread_and_counts_as_the_first_response(
    mastodon_peer: MastodonPeer,
    workspace: Workspace,
    account: Account,
    brand: PeerAccount,
    customer: PeerAccount,
) -> None:
    question = customer.post(f"@{brand.username} do you ship to Tromsø?")
    mention_id = sync_and_take_newest(workspace, account)

    result = heedful("reply", str(mention_id), "--text", "Yes, in 2–4 days! – Ingrid")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Sent:")

    replies = customer.context(question["id"])["descendants"]
    assert len(replies) == 1
    assert replies[0]["visibility"] == "public"
    assert f"@{customer.username}" in replies[0]["content"]  # the customer is notified
    assert "Yes, in 2–4 days!" in replies[0]["content"]
    assert any(n["type"] == "mention" for n in customer.notifications())

    thread = workspace.inbox.thread(mention_id)  # as the command-line process stored it
    assert [row.is_own for row in thread] == [False, True]
    assert thread[1].created_at >= thread[0].created_at  # first-response time is computable


def test_a_reply_to_a_direct_message_stays_direct(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    dm = customer.post(f"@{brand.username} my e-mail is kari@example.no", visibility="direct")
    mention_id = sync_and_take_newest(workspace, account)
    workspace.replies.queue(mention_id, "Thanks, we have written to you there.")
    report = workspace.sync.sync_account(account, pull=False)
    assert report.sent == 1
    reply = customer.context(dm["id"])["descendants"][0]
    assert reply["visibility"] == "direct"


def test_a_send_cut_short_after_the_request_posts_exactly_once(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    question = customer.post(f"@{brand.username} hello?")
    mention_id = sync_and_take_newest(workspace, account)
    item = workspace.replies.queue(mention_id, f"@{customer.username} Hi! How can we help?").item
    # The first attempt reached the server, then Heedful died before storing the answer:
    # its claim on the reply was never finished, and has expired since.
    assert workspace.outbox.claim(item.id, utc_now() - timedelta(minutes=10))
    brand.post(
        f"@{customer.username} Hi! How can we help?",
        in_reply_to_id=question["id"],
        idempotency_key=item.idempotency_key,
    )
    report = workspace.sync.sync_account(account, pull=False)
    assert report.sent == 1
    assert workspace.outbox.get(item.id).state is OutboxState.SENT
    assert len(customer.context(question["id"])["descendants"]) == 1


def test_a_reply_left_sending_by_a_killed_sync_goes_at_the_next_sync_once(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    question = customer.post(f"@{brand.username} anyone there?")
    mention_id = sync_and_take_newest(workspace, account)
    item = workspace.replies.queue(mention_id, f"@{customer.username} Yes, we're here!").item
    # A sync claimed it and was killed a moment ago, after the post reached the server: the
    # person must not see "sending" for minutes, and the customer must not get it twice.
    assert workspace.outbox.claim(item.id, utc_now())
    brand.post(
        f"@{customer.username} Yes, we're here!",
        in_reply_to_id=question["id"],
        idempotency_key=item.idempotency_key,
    )
    report = workspace.sync.sync_account(account, pull=False)
    assert report.sent == 1
    assert workspace.outbox.get(item.id).state is OutboxState.SENT
    assert len(customer.context(question["id"])["descendants"]) == 1


def test_a_reply_over_the_servers_limit_is_refused_before_it_is_queued(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    question = customer.post(f"@{brand.username} tell me everything")
    workspace.sync.sync_account(account)  # learns the server's limit (500 here)
    mention_id = workspace.inbox.list_rows(InboxFilter(), 1)[0].id
    with pytest.raises(ReplyRefused, match=r"1599 characters; Mastodon allows 500"):
        workspace.replies.queue(mention_id, "So much to say. " * 100)
    assert workspace.outbox.all() == []  # nothing queued: the text stays with the writer
    workspace.replies.queue(mention_id, "In short: yes.")
    assert workspace.sync.sync_account(account, pull=False).sent == 1
    assert len(customer.context(question["id"])["descendants"]) == 1


# --- rate limits, faults, revoked tokens ---------------------------------------------------


def test_a_rate_limit_is_waited_out_and_nothing_is_lost(
    mastodon_peer: MastodonPeer,
    workspace: Workspace,
    account: Account,
    brand: PeerAccount,
    customer: PeerAccount,
) -> None:
    for number in range(50):
        customer.post(f"@{brand.username} busy day {number}")
    mastodon_peer.inject_rate_limit(path="/api/v1/notifications", count=2, reset_in=2)
    began = time.monotonic()
    try:
        report = workspace.sync.sync_account(account)
    finally:
        mastodon_peer.clear_faults()
    assert (report.added, report.state) == (50, AccountState.OK)
    # It waited for the window to reset rather than hammering the server.
    assert time.monotonic() - began >= 1.5


def test_a_server_error_is_not_a_sign_in_problem(
    mastodon_peer: MastodonPeer,
    workspace: Workspace,
    account: Account,
    brand: PeerAccount,
    customer: PeerAccount,
) -> None:
    customer.post(f"@{brand.username} anyone there?")
    mastodon_peer.inject_fault(path="/api/v1/notifications", status=502, count=1)
    try:
        failed = workspace.sync.sync_account(account)
    finally:
        mastodon_peer.clear_faults()
    assert failed.state is AccountState.ERROR
    assert workspace.accounts.get(account.id).state is AccountState.ERROR
    recovered = workspace.sync.sync_account(account)
    assert (recovered.added, recovered.state) == (1, AccountState.OK)


def test_a_revoked_token_asks_to_sign_in_again_and_keeps_the_mentions(
    mastodon_peer: MastodonPeer,
    workspace: Workspace,
    account: Account,
    brand: PeerAccount,
    customer: PeerAccount,
) -> None:
    customer.post(f"@{brand.username} first")
    workspace.sync.sync_account(account)
    secret = workspace.secrets.get(account_secret_name("mastodon", account.server, account.handle))
    assert secret is not None
    mastodon_peer.revoke_token(secret["access_token"])
    customer.post(f"@{brand.username} second")

    report = workspace.sync.sync_account(account)
    assert report.state is AccountState.NEEDS_SIGN_IN
    assert "Sign in" in report.detail
    assert workspace.accounts.get(account.id).state is AccountState.NEEDS_SIGN_IN
    assert len(workspace.inbox.list_rows(InboxFilter(), 10)) == 1

    listed = json.loads(heedful("accounts", "list", "--json").stdout)
    assert listed[0]["state"] == "needs_sign_in"
    # Signing in again recovers the same account, and the missed mention arrives.
    again = sign_in(workspace, mastodon_peer, brand)
    assert again.id == account.id
    assert workspace.sync.sync_account(workspace.accounts.get(account.id)).added == 1


def test_a_direct_reply_to_a_public_post_goes_to_its_author_only(
    mastodon_peer: MastodonPeer,
    workspace: Workspace,
    account: Account,
    brand: PeerAccount,
    customer: PeerAccount,
) -> None:
    friend = mastodon_peer.new_account()
    question = customer.post(f"@{brand.username} @{friend.username} where is order FF-1?")
    mention_id = sync_and_take_newest(workspace, account)
    result = heedful("reply", str(mention_id), "--direct", "--text", "Let's sort it out here.")
    assert result.returncode == 0, result.stderr
    (reply,) = customer.context(question["id"])["descendants"]
    assert reply["visibility"] == "direct"
    assert [m["username"] for m in reply["mentions"]] == [customer.username]
    assert not [n for n in friend.notifications() if n["type"] == "mention"][1:]


def test_a_reply_to_a_post_made_elsewhere_brings_its_conversation(
    mastodon_peer: MastodonPeer,
    workspace: Workspace,
    account: Account,
    brand: PeerAccount,
    customer: PeerAccount,
) -> None:
    announcement = brand.post("Winter sale starts Monday!")  # posted outside Heedful
    bystander = mastodon_peer.new_account()
    aside = bystander.post("ooh nice", in_reply_to_id=announcement["id"])
    customer.post(f"@{brand.username} does it include boots?", in_reply_to_id=aside["id"])
    workspace.sync.sync_account(account)
    (row,) = workspace.inbox.list_rows(InboxFilter(), 10)
    mention = workspace.inbox.mention(row.id)
    assert workspace.inbox.parent_is_missing(mention)

    assert workspace.sync.fetch_thread(row.id) == 2
    thread = workspace.inbox.thread(row.id)
    assert [r.text for r in thread] == [
        "Winter sale starts Monday!",
        "ooh nice",
        f"@{brand.username} does it include boots?",
    ]
    assert [r.is_own for r in thread] == [True, False, False]
    # The bystander's post is context, not work: the inbox still holds one mention.
    assert len(workspace.inbox.list_rows(InboxFilter(), 10)) == 1


def test_sync_once_and_the_outbox_from_the_command_line(
    account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    customer.post(f"@{brand.username} ping")
    synced = heedful("sync", "--once")
    assert synced.returncode == 0, synced.stderr
    assert f"{brand.username}@127.0.0.1: 1 new, 0 sent, 0 failed, 0 skipped — ok" in synced.stdout
    mention_id = json.loads(heedful("inbox", "list", "--json").stdout)[0]["id"]
    assert heedful("reply", str(mention_id), "--text", "pong").returncode == 0
    (item,) = json.loads(heedful("outbox", "list", "--json").stdout)
    assert (item["state"], item["text"], item["mention_id"]) == ("sent", "pong", mention_id)
    assert item["url"].startswith("http://127.0.0.1:")
