"""The inbox panel as a person sees it: painted rows, the filter bar, saved-view tabs,
counts from a worker thread, merged updates, and the tray's count and notices."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from storage.records import MentionKind, Network, NewMention, TriageStatus, utc_now

from app.bootstrap import Workspace
from app.inbox.service import InboxView, inbox_filter

from ui.inbox.model import BADGES_ROLE, COLUMNS, MESSAGE_COLUMN, NEW_ROW_LEGEND, InboxModel
from ui.inbox.panel import DMS_NOTICE, InboxPanel
from ui.tasks import Tasks
from ui.tray import InboxTray, install_inbox_tray

from tests.factories import brand_account, mention


@pytest.fixture
def tasks() -> Iterator[Tasks]:
    pool = Tasks()
    yield pool
    pool.shutdown()


def _panel(qtbot: QtBot, workspace: Workspace, tasks: Tasks | None = None) -> InboxPanel:
    panel = InboxPanel(
        workspace.inbox,
        page_size=50,
        agent_name="per",
        tasks=tasks,
        database=workspace.profile.database if tasks else None,
    )
    qtbot.addWidget(panel)
    panel.resize(1000, 600)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _recent(account_id: int, first: int, count: int) -> list[NewMention]:
    """Mentions written in the last hours (the views compare snoozes with the real now)."""
    start = utc_now() - timedelta(hours=5)
    return [
        mention(
            account_id,
            number,
            f"Question number {number}",
            created_at=start + timedelta(seconds=number),
        )
        for number in range(first, first + count)
    ]


def test_counts_come_from_a_worker_and_match_the_store(
    qtbot: QtBot, demo_workspace: Workspace, tasks: Tasks
) -> None:
    panel = _panel(qtbot, demo_workspace, tasks)
    qtbot.waitUntil(lambda: set(panel.counts) >= set(InboxView), timeout=20_000)
    for view in InboxView:
        expected = demo_workspace.inbox.count(inbox_filter(view, agent_name="per"))
        assert panel.counts[view] == expected
    tab_texts = [panel._tabs.tabText(i) for i in range(panel._tabs.count())]
    assert f"Unanswered  {panel.counts[InboxView.UNANSWERED]:,}" in tab_texts


def test_rows_paint_with_badges_and_scale_with_the_font(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    panel = _panel(qtbot, demo_workspace)
    panel.set_view(InboxView.ALL)
    first = panel.model.mention_id(0)
    demo_workspace.replies.drafts.save(first, "Hi there")
    panel.refresh()
    index = panel.model.index(panel.model.row_of(first) or 0, MESSAGE_COLUMN)
    assert "draft" in index.data(BADGES_ROLE)
    assert "draft" in index.data(Qt.ItemDataRole.AccessibleTextRole)
    panel.table.grab()  # paints every visible row; an error in the delegate fails the test

    option = QStyleOptionViewItem()
    option.initFrom(panel.table)
    small = panel.delegate.sizeHint(option, index).height()
    bigger = QFont(option.font)
    bigger.setPointSizeF(option.font.pointSizeF() * 2)
    option.font = bigger
    option.fontMetrics = panel.table.fontMetrics().__class__(bigger)
    assert panel.delegate.sizeHint(option, index).height() > small


def test_new_rows_are_bold_and_say_why(qtbot: QtBot, demo_workspace: Workspace) -> None:
    panel = _panel(qtbot, demo_workspace)
    model = panel.model
    rows = [
        r
        for r in range(model.rowCount())
        if model.data(model.index(r, 0), Qt.ItemDataRole.FontRole)
    ]
    assert rows, "the demo has new mentions"
    new_row = rows[0]
    assert demo_workspace.inbox.mention(model.mention_id(new_row)).status is TriageStatus.NEW
    tip = model.data(model.index(new_row, COLUMNS.index("Age")), Qt.ItemDataRole.ToolTipRole)
    assert tip == NEW_ROW_LEGEND
    assert "Bold" in panel.filter_bar.legend.text()


def test_the_filter_bar_and_the_search_box_say_the_same_thing(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    panel = _panel(qtbot, demo_workspace)
    panel.set_view(InboxView.ALL)
    network = panel.filter_bar.combos["network"]
    network.setCurrentIndex(network.findData("bluesky"))
    network.activated.emit(network.currentIndex())
    assert panel.search_box.text() == "network:bluesky"
    shown = {
        demo_workspace.inbox.mention(panel.model.mention_id(r)).network
        for r in range(panel.model.rowCount())
    }
    assert shown == {Network.BLUESKY}

    panel.search_box.setText("kind:dm")
    qtbot.keyClick(panel.search_box, Qt.Key.Key_Return)
    assert panel.filter_bar.combos["network"].currentData() == ""
    assert panel.filter_bar.combos["kind"].currentData() == "dm"
    assert panel.model.rowCount() > 0
    assert not panel.problem_label.isVisible()

    panel.search_box.setText("is:urgent")
    qtbot.keyClick(panel.search_box, Qt.Key.Key_Return)
    assert panel.problem_label.isVisible()
    assert "is:urgent is not known" in panel.problem_label.text()
    assert panel.search_box.text() == "is:urgent"  # nothing typed is lost


def test_a_saved_view_becomes_a_tab_with_its_count(qtbot: QtBot, demo_workspace: Workspace) -> None:
    panel = _panel(qtbot, demo_workspace)
    saved = panel.save_view("Norwegian", "lang:nb is:open")
    assert panel.current_key == saved.id
    assert panel.current_label() == "Norwegian"
    expected = demo_workspace.inbox.count(inbox_filter(InboxView.OPEN, "lang:nb"))
    while panel.model.canFetchMore(QModelIndex()):
        panel.model.fetchMore(QModelIndex())
    assert panel.counts[saved.id] == expected == panel.model.rowCount() > 0
    assert panel.view_state() == f"saved:{saved.id}"

    dialog = panel.ask_to_save_view()
    dialog.name_box.setText("norwegian")
    dialog.accept()
    assert "exists already" in dialog.error.text()
    assert dialog.isVisible()  # stays open with what was typed
    dialog.reject()

    panel.remove_view(saved.id)
    assert panel.current_key is InboxView.OPEN
    assert saved.id not in panel.counts


def test_a_burst_of_500_new_mentions_repaints_once_and_keeps_the_place(
    qtbot: QtBot, workspace: Workspace
) -> None:
    account = workspace.accounts.add(brand_account()).id
    workspace.mentions.ingest(_recent(account, 1, 300))
    panel = _panel(qtbot, workspace)
    panel.set_view(InboxView.ALL)
    model = panel.model
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    chosen = model.mention_id(120)
    assert panel.select_mention(chosen)
    panel.table.scrollTo(model.index(100, 0), panel.table.ScrollHint.PositionAtTop)
    top_before = model.mention_id(panel.table.indexAt(QPoint(0, 0)).row())

    resets: list[None] = []
    inserts: list[tuple[int, int]] = []
    merges: list[None] = []
    model.modelReset.connect(lambda: resets.append(None))
    model.rowsInserted.connect(lambda _parent, first, last: inserts.append((first, last)))
    model.rows_did_merge.connect(lambda: merges.append(None))

    # As a sync would: 500 mentions stored, each announced to the GUI as it is handled,
    # with the event loop running between the announcements.
    newer = utc_now() - timedelta(minutes=10)
    burst = [
        mention(account, number, f"Burst {number}", created_at=newer + timedelta(seconds=number))
        for number in range(1000, 1500)
    ]
    workspace.mentions.ingest(burst)
    for _ in burst:
        panel.store_did_change()
        QApplication.processEvents()
    qtbot.waitUntil(lambda: bool(merges), timeout=5000)
    assert not model.merge_pending  # the burst is merged: nothing else follows it

    assert merges == [None]
    assert resets == []
    assert inserts == [(0, 499)]
    assert model.rowCount() == 800
    assert panel.current_mention_id() == chosen
    assert model.mention_id(panel.table.indexAt(QPoint(0, 0)).row()) == top_before


def test_the_tray_shows_the_unanswered_count_and_announces_new_dms(
    qtbot: QtBot, workspace: Workspace
) -> None:
    account = workspace.accounts.add(brand_account()).id
    workspace.mentions.ingest(_recent(account, 1, 3))
    panel = _panel(qtbot, workspace)
    tray = install_inbox_tray(panel, panel)
    assert isinstance(tray, InboxTray)
    panel.save_view("Refunds", "refund", notify=True)
    panel.request_counts()
    assert tray.icon.toolTip() == "Heedful: 3 unanswered mentions"

    notices: list[tuple[str, str]] = []
    tray.notice_was_shown.connect(lambda title, body: notices.append((title, body)))
    workspace.mentions.ingest(
        [
            mention(account, 50, "Please call me back", kind=MentionKind.DIRECT,
                    created_at=utc_now() - timedelta(minutes=1)),
            mention(account, 51, "Where is my refund?", created_at=utc_now()),
        ]
    )  # fmt: skip
    panel.refresh()
    assert tray.icon.toolTip() == "Heedful: 5 unanswered mentions"
    assert (f"{DMS_NOTICE}: Kari Nordmann", "Please call me back") in notices
    assert ("New in “Refunds”: Kari Nordmann", "Where is my refund?") in notices
    assert len(notices) == 2

    notices.clear()
    panel.refresh()  # nothing new since: no notice again
    assert notices == []


def test_merging_changes_keeps_the_model_contract(
    qtmodeltester: ModelTester, workspace: Workspace
) -> None:
    account = workspace.accounts.add(brand_account()).id
    workspace.mentions.ingest(_recent(account, 1, 30))
    model = InboxModel(workspace.inbox, page_size=10)
    model.set_filter(inbox_filter(InboxView.OPEN))
    model.fetchMore(QModelIndex())
    qtmodeltester.check(model)  # keeps watching every signal the merges below send
    last_loaded = model.mention_id(model.rowCount() - 1)
    workspace.mentions.ingest(_recent(account, 100, 5))
    with workspace.store.write() as db:  # two leave the open view, in the loaded part
        db.conn.execute(
            "UPDATE mentions SET status = 'done' WHERE platform_id IN (?, ?)",
            [mention(account, 25, "").platform_id, mention(account, 28, "").platform_id],
        )
    model.merge_changes(inbox_filter(InboxView.OPEN))
    shown = [model.mention_id(row) for row in range(model.rowCount())]
    everything = workspace.inbox.page(inbox_filter(InboxView.OPEN), None, 100).ids
    # The 5 new on top, the 2 done gone, down to where the list had reached before.
    assert shown == everything[: everything.index(last_loaded) + 1]
    assert len(shown) == 33
    qtmodeltester.check(model)


def test_row_colours_come_from_the_palette(qtbot: QtBot, demo_workspace: Workspace) -> None:
    """Light or dark, the theme decides: a palette with red text paints red words."""
    panel = _panel(qtbot, demo_workspace)
    palette = panel.table.palette()
    red, navy = QColor(255, 0, 0), QColor(0, 0, 64)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Text, red)
        palette.setColor(group, QPalette.ColorRole.Base, navy)
        palette.setColor(group, QPalette.ColorRole.AlternateBase, navy)
    panel.table.setPalette(palette)
    panel.table.clearSelection()
    rect = panel.table.visualRect(panel.model.index(1, MESSAGE_COLUMN))
    image = panel.table.viewport().grab(rect).toImage()
    colours = {
        image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())
    }
    assert navy.name() in colours
    assert red.name() in colours
