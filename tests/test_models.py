"""Every Qt model besides the inbox's (tested in test_inbox_model.py) passes Qt's own model
checks, empty and full, and through a refresh."""

from __future__ import annotations

from pytestqt.modeltest import ModelTester

from app.bootstrap import Workspace
from app.inbox.service import InboxView, inbox_filter

from ui.compose.snippet_palette import SnippetListModel
from ui.sync.outbox_panel import OutboxModel

from tests.factories import brand_account, mention


def test_the_outbox_model(qtmodeltester: ModelTester, workspace: Workspace) -> None:
    model = OutboxModel(workspace.outbox_service)
    qtmodeltester.check(model)  # empty
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest([mention(account.id, n) for n in range(1, 4)])
    ids = workspace.inbox.page(inbox_filter(InboxView.ALL), None, 3).ids
    queued, failed, sent = (
        workspace.outbox.queue(account.id, mention_id, "reply", f"Reply {n}", f"key-{n}")
        for n, mention_id in enumerate(ids)
    )
    workspace.outbox.mark_failed(failed.id, "The post it answered was deleted.")
    workspace.outbox.mark_sent(sent.id, "109", "https://toot.example/@fjellform/109")
    model.refresh()
    assert model.rowCount() == 3
    qtmodeltester.check(model)
    assert {model.item(row).id for row in range(3)} == {queued.id, failed.id, sent.id}


def test_the_snippet_list_model(qtmodeltester: ModelTester, demo_workspace: Workspace) -> None:
    model = SnippetListModel()
    qtmodeltester.check(model)  # empty
    snippets = demo_workspace.snippets.all()
    model.set_snippets(snippets, suggested=[snippets[0].id])
    assert model.rowCount() == len(snippets) >= 12
    qtmodeltester.check(model)
    assert str(model.index(0, 0).data()).startswith("★ ")
