"""The filter bar is built from the qualifier registry: a menu for every qualifier that has
one, which writes that qualifier into the search box and follows what is typed there."""

from __future__ import annotations

from datetime import date

from pytestqt.qtbot import QtBot

from app.bootstrap import Workspace
from app.inbox.qualifiers import QUALIFIERS
from app.inbox.search import parse_query
from app.inbox.service import InboxView

from ui.inbox.filter_bar import FilterBar

from tests.test_inbox_panel import _panel


def test_every_qualifier_with_a_menu_has_one_in_the_registrys_order(qtbot: QtBot) -> None:
    bar = FilterBar()
    qtbot.addWidget(bar)
    assert list(bar.combos) == [q.name for q in QUALIFIERS if q.menu is not None]
    assert "priority" in bar.combos
    priority = bar.combos["priority"]
    assert [priority.itemText(i) for i in range(priority.count())] == [
        "Any priority", "Urgent", "High", "Low", "None",
    ]  # fmt: skip


def test_a_menu_follows_what_is_typed_however_it_is_written(qtbot: QtBot) -> None:
    bar = FilterBar()
    qtbot.addWidget(bar)
    bar.show_query(parse_query("priority:3 kind:direct waiting:24h after:2026-11-01"))
    assert bar.combos["priority"].currentData() == "urgent"
    assert bar.combos["kind"].currentData() == "dm"
    assert bar.combos["waiting"].currentData() == "1d"
    assert bar.combos["after"].currentData() == "2026-11-01"
    bar.show_query(parse_query("priority:low priority:high"))
    assert bar.combos["priority"].currentData() == ""  # two of them: the menu says "any"


def test_dated_menus_start_from_the_day_they_are_given(qtbot: QtBot) -> None:
    bar = FilterBar()
    qtbot.addWidget(bar)
    bar.set_dates(date(2026, 11, 23))
    after = bar.combos["after"]
    assert [after.itemData(i) for i in range(after.count())] == [
        "", "2026-11-23", "2026-11-17", "2026-10-25",
    ]  # fmt: skip


def test_choosing_urgent_lists_only_urgent_mentions(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    panel = _panel(qtbot, demo_workspace)
    panel.set_view(InboxView.ALL)
    first = panel.model.mention_id(0)
    demo_workspace.triage.set_priority([first], 3)
    priority = panel.filter_bar.combos["priority"]
    priority.setCurrentIndex(priority.findData("urgent"))
    priority.activated.emit(priority.currentIndex())
    assert panel.search_box.text() == "priority:urgent"
    assert [panel.model.mention_id(r) for r in range(panel.model.rowCount())] == [first]
    assert not panel.problem_label.isVisible()

    panel.search_box.setText("colour:red")
    panel.search_box.returnPressed.emit()
    assert panel.problem_label.isVisible()
    assert "colour:red is not a filter" in panel.problem_label.text()
    assert panel.search_box.text() == "colour:red"  # nothing typed is lost
