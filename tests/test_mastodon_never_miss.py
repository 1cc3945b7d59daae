"""Never miss a customer on Mastodon (issue 18), against mastodon-mock on loopback.

The brand account is set up as a real one is: a fresh Mastodon 4.3+ account's notification
policy filters private mentions and limited accounts. Customers write through the REST API.
Where the mock falls short of a real server the test says so.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from storage.cursors import CursorRepository
from storage.mentions import InboxFilter
from storage.records import Account, InboxRow, MentionKind, TriageStatus, utc_now

from app.bootstrap import Workspace
from app.compose.replies import ReplyRefused
from app.inbox.service import InboxView, inbox_filter
from app.networks.factory import ConnectorFactory
from app.sync.service import SyncService

from tests.peers.mastodon import MastodonPeer, PeerAccount
from tests.test_mastodon import sign_in

pytestmark = [pytest.mark.mastodon, pytest.mark.usefixtures("secret_service")]

# What a Mastodon 4.3+ account starts with (GET /api/v2/notifications/policy on a new
# account): private mentions and limited accounts filtered, everything else accepted.
FRESH_ACCOUNT_POLICY = {
    "for_not_following": "accept",
    "for_not_followers": "accept",
    "for_new_accounts": "accept",
    "for_private_mentions": "filter",
    "for_limited_accounts": "filter",
}


@pytest.fixture
def brand(mastodon_peer: MastodonPeer) -> PeerAccount:
    """A brand account with the policy a real fresh account has (the mock accepts all)."""
    account = mastodon_peer.new_account()
    answer = account.request("PATCH", "/api/v2/notifications/policy", data=FRESH_ACCOUNT_POLICY)
    assert answer.status_code == 200, answer.text
    assert answer.json()["for_private_mentions"] == "filter"
    return account


@pytest.fixture
def customer(mastodon_peer: MastodonPeer) -> PeerAccount:
    return mastodon_peer.new_account()


@pytest.fixture
def account(workspace: Workspace, mastodon_peer: MastodonPeer, brand: PeerAccount) -> Account:
    return sign_in(workspace, mastodon_peer, brand)


def inbox(workspace: Workspace, view: InboxView = InboxView.ALL) -> list[InboxRow]:
    return workspace.inbox.list_rows(inbox_filter(view), 1000)


def row_for(workspace: Workspace, status: dict[str, Any]) -> InboxRow:
    for row in inbox(workspace):
        if workspace.inbox.mention(row.id).platform_id == status["id"]:
            return row
    raise AssertionError(f"status {status['id']} is not in the inbox")


def later(workspace: Workspace, *, minutes: int) -> SyncService:
    """The workspace's sync as it runs `minutes` from now."""
    return SyncService(
        workspace.store, workspace.accounts, workspace.mentions, CursorRepository(workspace.store),
        workspace.outbox, ConnectorFactory(workspace.secrets),
        clock=lambda: utc_now() + timedelta(minutes=minutes),
    )  # fmt: skip


def server_mentions(brand: PeerAccount) -> list[str]:
    """Status ids of the brand's mention notifications, as a client without Heedful's care
    sees them (the server's main list)."""
    return [n["status"]["id"] for n in brand.notifications(types=["mention"]) if n["status"]]


def waiting_requests(brand: PeerAccount) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = brand.request("GET", "/api/v1/notifications/requests").json()
    return found


# --- 1. filtered notifications and notification requests ------------------------------------


def test_a_fresh_account_sees_the_private_mentions_its_server_filters(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount,
    mastodon_peer: MastodonPeer,
) -> None:  # fmt: skip
    dm = customer.post(f"@{brand.username} my order FF-482913 never came", visibility="direct")
    other = mastodon_peer.new_account()
    public = other.post(f"@{brand.username} is the shop open on Sunday?")
    # The server holds the DM back: its main notification list has only the public mention.
    assert server_mentions(brand) == [public["id"]]
    assert [r["account"]["id"] for r in waiting_requests(brand)] == [customer.id]

    report = workspace.sync.sync_account(account)

    assert report.added == 2
    held = row_for(workspace, dm)
    assert held.kind is MentionKind.DIRECT
    assert held.filtered == "Filtered by 127.0.0.1: a private mention"
    assert row_for(workspace, public).filtered is None
    # Inbox work like any mention: in Unanswered and the DMs view.
    assert held.id in [r.id for r in inbox(workspace, InboxView.UNANSWERED)]
    assert held.id in [r.id for r in inbox(workspace, InboxView.DMS)]
    [channel] = workspace.health.channels()
    assert channel.held_back_text() == (
        "1 request waiting (1 notification); the server filters private mentions, "
        "accounts a moderator limited"
    )


def test_accepting_in_heedful_lets_the_customer_through_from_now_on(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    first = customer.post(f"@{brand.username} FF-100 is broken", visibility="direct")
    workspace.sync.sync_account(account)
    held = row_for(workspace, first)

    outcome = workspace.requests.accept(held.id)

    assert "Accepted" in outcome.message
    assert held.id in outcome.changes.mentions
    assert workspace.inbox.mention(held.id).filtered is None
    assert waiting_requests(brand) == []
    assert first["id"] in server_mentions(brand)  # merged back on the server
    second = customer.post(f"@{brand.username} and FF-101 too", visibility="direct")
    assert second["id"] in server_mentions(brand)  # no longer held back
    workspace.sync.sync_account(account)
    assert row_for(workspace, second).filtered is None
    assert row_for(workspace, first).filtered is None


def test_an_accept_in_the_web_interface_is_fetched_below_the_cursor(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount,
    mastodon_peer: MastodonPeer,
) -> None:  # fmt: skip
    """An older Heedful read only the main list: its cursor moved past the held-back DM.
    Accepted in the web interface, the DM is merged back *below* that cursor, where
    reading forward never looks; Heedful still finds it."""
    dm = customer.post(f"@{brand.username} please call me about FF-7", visibility="direct")
    later = mastodon_peer.new_account().post(f"@{brand.username} thanks for the quick help")
    main_list = brand.notifications(types=["mention"])
    assert [n["status"]["id"] for n in main_list] == [later["id"]]
    # Where a forward-only reader of the main list stands after reading it.
    CursorRepository(workspace.store).put(account.id, "notifications", main_list[0]["id"])
    [request] = waiting_requests(brand)
    accepted = brand.request("POST", f"/api/v1/notifications/requests/{request['id']}/accept")
    assert accepted.status_code == 200
    merged = [n for n in brand.notifications(types=["mention"]) if n["status"]["id"] == dm["id"]]
    assert merged
    assert int(merged[0]["id"]) < int(main_list[0]["id"])

    workspace.sync.sync_account(account)

    found = row_for(workspace, dm)
    assert found.filtered is None  # accepted: an ordinary mention
    assert found.kind is MentionKind.DIRECT


def test_a_request_accepted_in_the_web_interface_clears_the_mark(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    dm = customer.post(f"@{brand.username} where is my refund?", visibility="direct")
    workspace.sync.sync_account(account)
    assert row_for(workspace, dm).filtered is not None
    [request] = waiting_requests(brand)
    brand.request("POST", f"/api/v1/notifications/requests/{request['id']}/accept")

    # Requests are read again within minutes (a sync is one request when nothing is new).
    report = later(workspace, minutes=6).sync_account(workspace.accounts.get(account.id))

    assert row_for(workspace, dm).filtered is None
    assert row_for(workspace, dm).id in report.changes.mentions  # the list shows it at once
    [channel] = workspace.health.channels()
    assert channel.held_back_text().startswith("0 requests waiting")


def test_dismissing_in_heedful_closes_the_mentions_and_keeps_them(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    spam = customer.post(f"@{brand.username} cheap followers here", visibility="direct")
    workspace.sync.sync_account(account)
    held = row_for(workspace, spam)

    outcome = workspace.requests.dismiss(held.id)

    assert "Dismissed" in outcome.message
    kept = workspace.inbox.mention(held.id)
    assert kept.status is TriageStatus.DONE
    assert (kept.filtered or "").startswith("Dismissed in Heedful by")
    assert held.id not in [r.id for r in inbox(workspace, InboxView.UNANSWERED)]
    assert waiting_requests(brand) == []
    assert [e.actor for e in workspace.triage.history(held.id)] == [workspace.triage.actor]
    # The server deleted what it held; a later sync leaves Heedful's copy as it is.
    workspace.sync.sync_account(account)
    assert workspace.inbox.mention(held.id).status is TriageStatus.DONE


def test_a_request_dismissed_in_the_web_interface_closes_the_mentions(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    spam = customer.post(f"@{brand.username} win a prize", visibility="direct")
    workspace.sync.sync_account(account)
    [request] = waiting_requests(brand)
    brand.request("POST", f"/api/v1/notifications/requests/{request['id']}/dismiss")

    later(workspace, minutes=6).sync_account(workspace.accounts.get(account.id))

    kept = workspace.inbox.mention(row_for(workspace, spam).id)
    assert kept.status is TriageStatus.DONE
    assert (kept.filtered or "").startswith("Dismissed on 127.0.0.1")


def test_requests_from_the_command_line(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    from tests.test_mastodon import heedful

    dm = customer.post(f"@{brand.username} my parcel is lost", visibility="direct")
    workspace.sync.sync_account(account)
    held = row_for(workspace, dm)

    listed = heedful("requests", "list")
    assert listed.returncode == 0, listed.stderr
    assert f"{held.id:>7}" in listed.stdout
    assert "a private mention" in listed.stdout
    accepted = heedful("requests", "accept", str(held.id))
    assert accepted.returncode == 0, accepted.stderr
    assert "Accepted" in accepted.stdout
    again = heedful("requests", "accept", str(held.id))
    assert again.returncode == 1
    assert "no request" in again.stderr


# --- 2. a mention first stored as thread context -----------------------------------------------


def test_a_mention_first_stored_as_thread_context_becomes_inbox_work(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount,
    mastodon_peer: MastodonPeer,
) -> None:  # fmt: skip
    question = customer.post(f"@{brand.username} do you ship to Tromsø?")
    workspace.sync.sync_account(account)
    opened = row_for(workspace, question)
    newest_before = workspace.inbox.newest_id()
    # Someone else answers in the thread and asks the brand too; before the next sync, the
    # agent opens the question and its conversation is fetched (the answer as context).
    follow_up = mastodon_peer.new_account().post(
        f"@{customer.username} @{brand.username} same question, to Bodø",
        in_reply_to_id=question["id"],
    )
    workspace.sync.fetch_thread(opened.id)
    assert follow_up["id"] not in [
        workspace.inbox.mention(r.id).platform_id for r in inbox(workspace)
    ]

    report = workspace.sync.sync_account(account)

    promoted = row_for(workspace, follow_up)
    assert report.added == 1
    assert promoted.id in report.changes.added
    assert promoted.status is TriageStatus.NEW
    assert promoted.id in [r.id for r in inbox(workspace, InboxView.UNANSWERED)]
    # "What is new since" (desktop notices, bold rows) sees it like any new mention.
    news = workspace.inbox.news({"all": InboxFilter()}, newest_before)
    assert [r.id for r in news["all"].latest] == [promoted.id]


# --- 5. edits and deletions ---------------------------------------------------------------------


def test_an_edit_replaces_the_text_and_a_deletion_takes_the_post_out_of_unanswered(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    status = customer.post(f"@{brand.username} the zip on my jacket broke", spoiler_text="rant")
    workspace.sync.sync_account(account)
    row = row_for(workspace, status)
    edited = customer.request(
        "PUT", f"/api/v1/statuses/{status['id']}",
        data={"status": f"@{brand.username} the zip AND the hood broke", "spoiler_text": "rant!"},
    )  # fmt: skip
    assert edited.status_code == 200
    assert edited.json()["edited_at"]

    changes = workspace.sync.look_at(row.id)  # the agent opens it

    assert row.id in changes.mentions
    mention = workspace.inbox.mention(row.id)
    assert "the zip AND the hood broke" in mention.text
    assert mention.spoiler_text == "rant!"
    assert mention.edited_at is not None
    assert mention.original_text is not None
    assert "jacket" in mention.original_text
    assert [r.id for r in workspace.inbox.list_rows(inbox_filter(InboxView.ALL, "hood"), 5)] == [
        row.id
    ]
    assert workspace.inbox.list_rows(inbox_filter(InboxView.ALL, "jacket"), 5) == []

    deleted = customer.request("DELETE", f"/api/v1/statuses/{status['id']}")
    assert deleted.status_code == 200
    assert workspace.sync.look_at(row.id).mentions == frozenset()  # not asked again at once
    later(workspace, minutes=2).look_at(row.id)  # opened again a little later

    gone = workspace.inbox.mention(row.id)
    assert gone.deleted_at is not None
    assert row.id in [r.id for r in inbox(workspace, InboxView.ALL)]  # kept for the record
    assert row.id not in [r.id for r in inbox(workspace, InboxView.UNANSWERED)]
    with pytest.raises(ReplyRefused, match="deleted this post"):
        workspace.replies.queue(row.id, "Sorry to hear that!")


def test_recent_open_posts_are_looked_at_again_as_syncs_go_by(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    kept = customer.post(f"@{brand.username} question one")
    removed = customer.post(f"@{brand.username} question two")
    workspace.sync.sync_account(account)
    customer.request("PUT", f"/api/v1/statuses/{kept['id']}",
                     data={"status": f"@{brand.username} question one, edited"})  # fmt: skip
    customer.request("DELETE", f"/api/v1/statuses/{removed['id']}")
    # A sync right away does not ask again about posts it has just fetched.
    workspace.sync.sync_account(account)
    assert "edited" not in row_for(workspace, kept).text

    report = later(workspace, minutes=11).sync_account(workspace.accounts.get(account.id))

    assert "question one, edited" in row_for(workspace, kept).text
    assert row_for(workspace, removed).deleted
    assert {row_for(workspace, kept).id, row_for(workspace, removed).id} <= report.changes.mentions


def test_a_notification_whose_post_is_gone_is_a_deletion_not_an_unreadable_item(
    workspace: Workspace, account: Account, brand: PeerAccount, customer: PeerAccount
) -> None:
    status = customer.post(f"@{brand.username} oops, wrong account")
    customer.request("DELETE", f"/api/v1/statuses/{status['id']}")
    # The mock keeps the notification and serves it with `status: null`, as real servers
    # do for a post deleted in between.
    assert [n["status"] for n in brand.notifications(types=["mention"])] == [None]

    workspace.sync.sync_account(account)

    assert inbox(workspace) == []
    [channel] = workspace.health.channels()
    assert channel.skipped_text() == "none"
    assert channel.deleted_text() == "1 deleted by their authors before fetching"


def test_a_quiet_sync_asks_no_more_of_the_server_than_before(
    workspace: Workspace, mastodon_peer: MastodonPeer, brand: PeerAccount, customer: PeerAccount
) -> None:
    """The policy is read every ten minutes, the requests only while some wait: following
    the policy costs a quiet sync nothing (the server allows 300 requests in 5 minutes)."""
    from tests.test_mastodon_server_address import SubPathServer

    counting = SubPathServer(mastodon_peer.base_url)
    try:
        account = workspace.account_service.finish_mastodon_sign_in(counting.url, brand.token)
        customer.post(f"@{brand.username} hello")
        workspace.sync.sync_account(account)
        first = list(counting.paths)
        counting.paths.clear()

        workspace.sync.sync_account(workspace.accounts.get(account.id))

        asked = [path.split("?")[0].removeprefix("/social").rstrip("/") for path in counting.paths]
    finally:
        counting.close()
    assert any("/notifications/policy" in path for path in first)  # read at the first sync
    assert asked == ["/api/v1/notifications", "/api/v2/instance"]
