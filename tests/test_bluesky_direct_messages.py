"""Bluesky direct messages (chat.bsky.convo.*), against the dev-env network with a loopback
stand-in for Bluesky's chat service (tests/peers/bluesky_chat.py): the real service is not
open source, so every request Heedful makes and every answer it reads is checked against the
chat lexicons of the atproto SDK instead."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.records import Account, InboxRow, MentionKind, OutboxState

from app.bootstrap import Workspace
from app.inbox.service import InboxView, inbox_filter

from tests.peers.bluesky import BlueskyAccount, BlueskyPeer
from tests.peers.bluesky_chat import BlueskyChatService

pytestmark = [pytest.mark.bluesky, pytest.mark.usefixtures("secret_service")]

DECLARATION = "chat.bsky.actor.declaration"


@pytest.fixture(scope="module")
def chat(bluesky_peer: BlueskyPeer) -> Iterator[BlueskyChatService]:
    with BlueskyChatService(bluesky_peer) as service:
        yield service
        assert service.problems == []  # every answer it gave matched the lexicons


@pytest.fixture
def brand(bluesky_peer: BlueskyPeer) -> BlueskyAccount:
    account = bluesky_peer.create_account("brand")
    # A brand takes direct messages from everyone (Bluesky's default is "people I follow").
    allow(account, "all")
    return account


@pytest.fixture
def customer(bluesky_peer: BlueskyPeer) -> BlueskyAccount:
    return bluesky_peer.create_account("kari")


def allow(person: BlueskyAccount, incoming: str) -> None:
    record = {"$type": DECLARATION, "allowIncoming": incoming}
    person.create_record(DECLARATION, record, rkey="self")


def add_account(
    workspace: Workspace, chat: BlueskyChatService, brand: BlueskyAccount, *, privileged: bool
) -> Account:
    created = brand.procedure(
        "com.atproto.server.createAppPassword", {"name": "heedful", "privileged": privileged}
    )
    return workspace.account_service.add_bluesky(brand.handle, created["password"], chat.url)


@pytest.fixture
def account(workspace: Workspace, chat: BlueskyChatService, brand: BlueskyAccount) -> Account:
    """Signed in with an app password allowed to reach direct messages."""
    return add_account(workspace, chat, brand, privileged=True)


def dms(workspace: Workspace) -> list[InboxRow]:
    return workspace.inbox.list_rows(inbox_filter(InboxView.DMS), 100)


def test_a_customers_direct_messages_arrive_as_direct_mentions_in_order(
    bluesky_peer: BlueskyPeer, workspace: Workspace, account: Account, chat: BlueskyChatService,
    brand: BlueskyAccount, customer: BlueskyAccount,
) -> None:  # fmt: skip
    chat.send_as(customer.access_jwt, brand.did, "Hi! Order FF-482913 never arrived")
    chat.send_as(customer.access_jwt, brand.did, "My email is kari@example.com")
    bluesky_peer.process_all()

    report = workspace.sync.sync_account(account)

    assert report.added == 2
    first, second = sorted(dms(workspace), key=lambda row: row.id)
    assert (first.kind, first.author_handle) == (MentionKind.DIRECT, customer.handle)
    assert first.text == "Hi! Order FF-482913 never arrived"
    later = workspace.inbox.mention(second.id)
    assert later.parent_platform_id == workspace.inbox.mention(first.id).platform_id
    assert "chat.bsky.convo.listConvos" in chat.calls
    # Nothing new: the next sync reads the conversation list only.
    assert workspace.sync.sync_account(account).added == 0


def test_a_reply_to_a_direct_message_goes_into_the_conversation_once(
    bluesky_peer: BlueskyPeer, workspace: Workspace, account: Account, chat: BlueskyChatService,
    brand: BlueskyAccount, customer: BlueskyAccount,
) -> None:  # fmt: skip
    chat.send_as(customer.access_jwt, brand.did, "Can I change my delivery address?")
    workspace.sync.sync_account(account)
    [dm] = dms(workspace)

    queued = workspace.replies.queue(dm.id, "Yes! Send us the new address here.").item
    workspace.sync.sync_account(account, pull=False)

    assert workspace.outbox.get(queued.id).state is OutboxState.SENT
    said = [(m["sender"]["did"], m["text"]) for m in chat.messages_between(brand.did, customer.did)]
    assert said == [
        (customer.did, "Can I change my delivery address?"),
        (brand.did, "Yes! Send us the new address here."),
    ]
    assert workspace.inbox.list_rows(inbox_filter(InboxView.UNANSWERED), 10) == []


def test_switch_to_dm_on_a_public_mention_messages_the_customer(
    bluesky_peer: BlueskyPeer, workspace: Workspace, account: Account, chat: BlueskyChatService,
    brand: BlueskyAccount, customer: BlueskyAccount,
) -> None:  # fmt: skip
    allow(customer, "all")
    customer.post(f"@{brand.handle} my order number is FF-100200", mentions=[brand])
    bluesky_peer.process_all()
    workspace.sync.sync_account(account)
    [mention] = workspace.inbox.list_rows(inbox_filter(InboxView.ALL), 10)
    assert workspace.sync.why_no_direct_message(mention.id) == ""

    queued = workspace.replies.queue(mention.id, "Let's sort this out here.", direct=True).item
    workspace.sync.sync_account(account, pull=False)

    assert workspace.outbox.get(queued.id).state is OutboxState.SENT
    [message] = chat.messages_between(brand.did, customer.did)
    assert (message["sender"]["did"], message["text"]) == (brand.did, "Let's sort this out here.")


def test_a_customer_who_takes_no_direct_messages_gets_a_clear_reason(
    bluesky_peer: BlueskyPeer, workspace: Workspace, account: Account, chat: BlueskyChatService,
    brand: BlueskyAccount, customer: BlueskyAccount,
) -> None:  # fmt: skip
    # No declaration: Bluesky's default, messages only from people they follow.
    customer.post(f"@{brand.handle} the app lost my basket", mentions=[brand])
    bluesky_peer.process_all()
    workspace.sync.sync_account(account)
    [mention] = workspace.inbox.list_rows(inbox_filter(InboxView.ALL), 10)

    why = workspace.sync.why_no_direct_message(mention.id)

    assert f"@{customer.handle} does not accept direct messages" in why
    queued = workspace.replies.queue(mention.id, "Can you tell us more in a DM?", direct=True).item
    workspace.sync.sync_account(account, pull=False)
    failed = workspace.outbox.get(queued.id)
    assert failed.state is OutboxState.FAILED
    assert "does not accept direct messages" in (failed.last_error or "")
    assert chat.messages_between(brand.did, customer.did) == []


def test_an_app_password_without_access_to_direct_messages_says_what_to_do(
    bluesky_peer: BlueskyPeer, workspace: Workspace, chat: BlueskyChatService,
    brand: BlueskyAccount, customer: BlueskyAccount,
) -> None:  # fmt: skip
    account = add_account(workspace, chat, brand, privileged=False)
    customer.post(f"@{brand.handle} hello?", mentions=[brand])
    bluesky_peer.process_all()

    report = workspace.sync.sync_account(account)

    assert report.added == 1  # posts still arrive
    [channel] = workspace.health.channels()
    assert "Allow access to your direct messages" in channel.skipped_text()


def test_the_stand_in_refuses_what_the_lexicons_do_not_allow(
    chat: BlueskyChatService, brand: BlueskyAccount, customer: BlueskyAccount
) -> None:
    """The checks are real: a request the chat lexicons do not allow is refused."""
    token = customer.access_jwt
    with pytest.raises(RuntimeError, match=r"400.*lexicon"):
        chat.call(token, "chat.bsky.convo.getConvoForMembers", params={"members": ["not-a-did"]})
    convo = chat.call(token, "chat.bsky.convo.getConvoForMembers",
                      params={"members": [brand.did]})["convo"]  # fmt: skip
    odd = {"convoId": convo["id"], "message": {"text": "hi", "colour": "red"}}
    with pytest.raises(RuntimeError, match="fields the lexicon has not"):
        chat.call(token, "chat.bsky.convo.sendMessage", body=odd)
    with pytest.raises(RuntimeError, match=r"400.*lexicon"):
        chat.call(token, "chat.bsky.convo.sendMessage",
                  body={"convoId": convo["id"], "message": {"text": "x" * 10_001}})  # fmt: skip
    with pytest.raises(RuntimeError, match="501"):
        chat.call(token, "chat.bsky.convo.leaveConvo", body={"convoId": convo["id"]})
