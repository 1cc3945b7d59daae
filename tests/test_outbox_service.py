"""Edit again: a failed reply goes back into its mention's draft, and nothing is lost."""

from __future__ import annotations

from storage.mentions import InboxFilter

from app.bootstrap import Workspace
from app.inbox.service import InboxView, inbox_filter

from tests.factories import brand_account, mention


def _failed(workspace: Workspace, kind: str, body: str) -> tuple[int, int]:
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest([mention(account.id, 1)])
    [mention_id] = workspace.inbox.page(workspace_filter(), None, 1).ids
    item = workspace.outbox.queue(account.id, mention_id, kind, body, f"key-{kind}")
    workspace.outbox.mark_failed(item.id, "The post it answered was deleted.")
    return item.id, mention_id


def workspace_filter() -> InboxFilter:
    return inbox_filter(InboxView.ALL)


def test_a_failed_dm_comes_back_as_a_dm_beside_what_was_typed(workspace: Workspace) -> None:
    item_id, mention_id = _failed(workspace, "direct", "Your order FF-123456 left today.")
    workspace.replies.drafts.save(mention_id, "Sorry for the wait!")
    assert workspace.outbox_service.edit_again(item_id) == mention_id
    assert workspace.replies.drafts.get(mention_id) == (
        "Sorry for the wait!\n\nYour order FF-123456 left today."
    )
    assert workspace.replies.drafts.mode(mention_id) == "direct"  # private stays private
    assert [item.id for item in workspace.outbox.all()] == []


def test_a_failed_public_reply_comes_back_public(workspace: Workspace) -> None:
    item_id, mention_id = _failed(workspace, "reply", "Thanks, we're on it.")
    assert workspace.outbox_service.edit_again(item_id) == mention_id
    assert workspace.replies.drafts.get(mention_id) == "Thanks, we're on it."
    assert workspace.replies.drafts.mode(mention_id) == "public"
