"""Never miss a customer on Bluesky (issue 18), against the reference network (dev-env)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from storage.cursors import CursorRepository
from storage.records import Account, InboxRow, utc_now

from app.bootstrap import Workspace
from app.compose.replies import ReplyRefused
from app.inbox.service import InboxView, inbox_filter
from app.networks.factory import ConnectorFactory
from app.sync.service import SyncService

from tests.peers.bluesky import BlueskyAccount, BlueskyPeer, mention_facets

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


def inbox(workspace: Workspace, view: InboxView = InboxView.ALL) -> list[InboxRow]:
    return workspace.inbox.list_rows(inbox_filter(view), 1000)


def row_for(workspace: Workspace, uri: str) -> InboxRow:
    for row in inbox(workspace):
        if workspace.inbox.mention(row.id).platform_id == uri:
            return row
    raise AssertionError(f"{uri} is not in the inbox")


def mention_record(
    customer: BlueskyAccount, brand: BlueskyAccount, text: str, **extra: Any
) -> dict[str, Any]:
    return {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": extra.pop("createdAt", utc_now().isoformat().replace("+00:00", "Z")),
        "facets": mention_facets(text, {brand.handle: brand.did}),
        **extra,
    }


def test_a_backdated_post_arrives_as_todays_work(
    bluesky_peer: BlueskyPeer, workspace: Workspace, account: Account,
    brand: BlueskyAccount, customer: BlueskyAccount,
) -> None:  # fmt: skip
    first = customer.post(f"@{brand.handle} where is my order?", mentions=[brand])
    bluesky_peer.process_all()
    workspace.sync.sync_account(account)
    # An imported archive post (or a phone whose clock is years behind) that mentions the
    # brand: the AppView sorts it by its createdAt, far below the last sync's newest.
    text = f"@{brand.handle} my boots from 2021 are finally worn out"
    backdated = customer.create_record(
        "app.bsky.feed.post",
        mention_record(customer, brand, text, createdAt="2021-03-01T08:00:00.000Z"),
    )
    bluesky_peer.process_all()
    [newest, *_rest] = brand.notifications("mention")
    assert newest["uri"] == first["uri"]  # the AppView lists the 2021 post below it

    report = workspace.sync.sync_account(account)

    assert report.added == 1
    rows = inbox(workspace)
    assert [workspace.inbox.mention(r.id).platform_id for r in rows] == [
        backdated["uri"],  # on top: it arrived after the other one
        first["uri"],
    ]
    mention = workspace.inbox.mention(rows[0].id)
    assert mention.created_at.year == 2021  # what it says of itself
    assert mention.inbox_time > utc_now() - timedelta(minutes=5)
    assert rows[0].id in [r.id for r in inbox(workspace, InboxView.UNANSWERED)]


def test_a_deleted_post_is_kept_marked_deleted_and_refuses_a_reply(
    bluesky_peer: BlueskyPeer, workspace: Workspace, account: Account,
    brand: BlueskyAccount, customer: BlueskyAccount,
) -> None:  # fmt: skip
    post = customer.post(f"@{brand.handle} wrong size again", mentions=[brand])
    kept = customer.post(f"@{brand.handle} and the colour", mentions=[brand])
    bluesky_peer.process_all()
    workspace.sync.sync_account(account)
    customer.delete_record(post["uri"])
    bluesky_peer.process_all()
    later = SyncService(
        workspace.store, workspace.accounts, workspace.mentions, CursorRepository(workspace.store),
        workspace.outbox, ConnectorFactory(workspace.secrets),
        clock=lambda: utc_now() + timedelta(minutes=11),
    )  # fmt: skip

    report = later.sync_account(workspace.accounts.get(account.id))

    gone = row_for(workspace, post["uri"])
    assert gone.deleted
    assert gone.id in report.changes.mentions
    assert not row_for(workspace, kept["uri"]).deleted
    assert gone.id not in [r.id for r in inbox(workspace, InboxView.UNANSWERED)]
    with pytest.raises(ReplyRefused, match="deleted this post"):
        workspace.replies.queue(gone.id, "We'll send a new pair")


def test_every_language_and_the_authors_labels_arrive(
    bluesky_peer: BlueskyPeer, workspace: Workspace, account: Account,
    brand: BlueskyAccount, customer: BlueskyAccount,
) -> None:  # fmt: skip
    text = f"@{brand.handle} the tent poles snapped in the first gust, look at this mess"
    labelled = customer.create_record(
        "app.bsky.feed.post",
        mention_record(
            customer, brand, text, langs=["en", "nb"],
            labels={"$type": "com.atproto.label.defs#selfLabels",
                    "values": [{"val": "graphic-media"}]},
        ),
    )  # fmt: skip
    bluesky_peer.process_all()

    workspace.sync.sync_account(account)

    mention = workspace.inbox.mention(row_for(workspace, labelled["uri"]).id)
    assert mention.languages == ("en", "nb")
    assert mention.spoiler_text == "Labelled: graphic media"
    assert [r.id for r in workspace.inbox.list_rows(inbox_filter(InboxView.ALL, "lang:nb"), 5)] == [
        mention.id
    ]
