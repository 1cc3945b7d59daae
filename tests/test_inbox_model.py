"""The inbox list model: Qt's model contract, lazy paging, filters and search."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.bootstrap import Workspace
from app.inbox.service import InboxView, inbox_filter

from ui.inbox.model import COLUMNS, MENTION_ID_ROLE, InboxModel

MESSAGE = COLUMNS.index("Message")
FROM = COLUMNS.index("From")


def test_model_passes_qt_model_tester(
    qtmodeltester: ModelTester, demo_workspace: Workspace
) -> None:
    model = InboxModel(demo_workspace.inbox, page_size=50)
    model.set_filter(inbox_filter(InboxView.ALL))
    qtmodeltester.check(model)
    model.set_filter(inbox_filter(InboxView.DONE, "order"))
    qtmodeltester.check(model)


def test_rows_arrive_page_by_page_until_the_view_is_complete(demo_workspace: Workspace) -> None:
    model = InboxModel(demo_workspace.inbox, page_size=50)
    view = inbox_filter(InboxView.ALL)
    model.set_filter(view)
    assert model.rowCount() == 50
    pages = 1
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        pages += 1
    total = demo_workspace.inbox.count(view)
    assert total >= 500
    assert model.rowCount() == total
    assert pages == -(-total // 50)
    ids = [model.data(model.index(row, 0), MENTION_ID_ROLE) for row in range(model.rowCount())]
    assert len(set(ids)) == total


def test_cells_show_the_newest_mention_first(demo_workspace: Workspace) -> None:
    model = InboxModel(demo_workspace.inbox)
    model.set_filter(inbox_filter(InboxView.ALL))
    newest_id = model.data(model.index(0, 0), MENTION_ID_ROLE)
    newest = demo_workspace.inbox.mention(newest_id)
    shown_from = model.data(model.index(0, FROM), Qt.ItemDataRole.DisplayRole)
    assert shown_from == (newest.author.display_name or newest.author.handle)
    shown_text = model.data(model.index(0, MESSAGE), Qt.ItemDataRole.DisplayRole)
    assert shown_text.rstrip("…").rstrip() in " ".join(newest.text.split())
    assert not shown_text.startswith("@")  # the addressee is in the Account column
    second = demo_workspace.inbox.mention(model.data(model.index(1, 0), MENTION_ID_ROLE))
    assert second.created_at <= newest.created_at


def test_view_and_search_narrow_the_list(demo_workspace: Workspace) -> None:
    model = InboxModel(demo_workspace.inbox, page_size=1000)
    model.set_filter(inbox_filter(InboxView.ALL))
    everything = model.rowCount()
    model.set_filter(inbox_filter(InboxView.DONE))
    done = model.rowCount()
    assert 0 < done < everything
    statuses = {model.data(model.index(row, COLUMNS.index("Status"))) for row in range(done)}
    assert statuses == {"Done"}

    newest = demo_workspace.inbox.mention(model.data(model.index(0, 0), MENTION_ID_ROLE))
    model.set_filter(inbox_filter(InboxView.ALL, newest.author.handle))
    authors = {model.data(model.index(row, FROM)) for row in range(model.rowCount())}
    assert 0 < model.rowCount() < everything
    assert authors == {newest.author.display_name or newest.author.handle}


def test_the_qt_binding_keeps_none_alive(qtbot: QtBot, demo_workspace: Workspace) -> None:
    """PySide6 6.12.0 dropped a reference to None every time a model's data() returned None
    (most roles of most cells): after some hundred refreshes of the inbox Python aborted
    with "none_dealloc". Reading every cell of the inbox must leave None's count alone."""
    import sys

    model = InboxModel(demo_workspace.inbox, page_size=200)
    model.set_filter(inbox_filter(InboxView.ALL))
    roles = [role for role in Qt.ItemDataRole if role < Qt.ItemDataRole.UserRole]
    cells = [
        model.index(row, column)
        for row in range(model.rowCount())
        for column in range(model.columnCount())
    ]
    before = sys.getrefcount(None)
    for index in cells:
        for role in roles:
            model.data(index, role)
            index.data(role)  # through Qt, as the view and delegate ask
    assert sys.getrefcount(None) >= before - 50
