"""The snippet manager window: create, edit with a live preview, duplicate, delete and undo,
import and export."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from storage.mentions import InboxFilter

from app.bootstrap import Workspace

from ui.compose.snippet_manager import SnippetManager

from tests.factories import author, brand_account, mention


def _manager(qtbot: QtBot, workspace: Workspace, with_mention: bool = True) -> SnippetManager:
    mention_id = None
    if with_mention:
        account = workspace.accounts.add(brand_account())
        workspace.mentions.ingest([mention(account.id, 1, by=author(name="Zoë Ødegård"))])
        mention_id = workspace.inbox.list_rows(InboxFilter(), 1)[0].id
    manager = SnippetManager(workspace.composer, mention_id)
    qtbot.addWidget(manager)
    manager.show()
    qtbot.waitExposed(manager)
    manager.activateWindow()  # shortcuts reach the active window only, as on a desktop
    qtbot.waitUntil(manager.isActiveWindow, timeout=3000)
    return manager


def _select(manager: SnippetManager, title: str) -> None:
    for row in range(manager.model.rowCount()):
        snippet = manager.model.snippet(row)
        if snippet is not None and snippet.title == title:
            manager.list.setCurrentIndex(manager.model.index(row))
            return
    raise AssertionError(f"no snippet {title!r}")


def test_create_a_snippet_with_a_norwegian_variant_and_a_live_preview(
    qtbot: QtBot, workspace: Workspace
) -> None:
    manager = _manager(qtbot, workspace)
    manager.new_snippet()
    qtbot.keyClicks(manager.title, "Glad it fits")
    qtbot.keyClicks(manager.shortcut, "/fits")
    manager.tags.setText("sizing, praise")
    manager.body.setPlainText("So glad it fits, {author.first_name|friend}! – {agent.name}")
    assert manager.preview.text() == f"So glad it fits, Zoë! – {workspace.settings.agent_name}"
    manager.body.setPlainText("Order {?order number} for {author.nickname}")
    assert "Asks before sending: order number" in manager.preview.text()
    assert "No value for {author.nickname}" in manager.preview.text()
    manager.body.setPlainText("So glad it fits, {author.first_name|friend}!")

    new_variant = manager.variant.findText("＋ New variant…")
    manager.variant.setCurrentIndex(new_variant)
    manager.variant.activated.emit(new_variant)
    assert manager.language.text() == "nb"
    manager.body.setPlainText("Så fint at den passer, {author.first_name|du}!")
    assert manager.preview.text() == "Så fint at den passer, Zoë!"
    qtbot.keyClick(manager, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    saved = workspace.snippets.by_shortcut("fits")
    assert saved is not None
    assert saved.title == "Glad it fits"
    assert saved.tags == ("sizing", "praise")
    assert saved.body == "So glad it fits, {author.first_name|friend}!"
    assert [(v.language, v.body) for v in saved.variants] == [
        ("nb", "Så fint at den passer, {author.first_name|du}!")
    ]
    assert "Saved" in manager.status.text()


def test_bad_input_says_what_to_fix_and_loses_nothing(qtbot: QtBot, workspace: Workspace) -> None:
    workspace.snippets.install_default_pack()
    manager = _manager(qtbot, workspace, with_mention=False)
    manager.new_snippet()
    manager.body.setPlainText("A reply I took a while to write.")
    assert manager.save() is None
    assert manager.status.text() == "Give the snippet a title."
    manager.title.setText("Another late one")
    manager.shortcut.setText("late")  # the pack has it
    assert manager.save() is None
    assert "/late is already used by “Order running late”" in manager.status.text()
    assert manager.body.toPlainText() == "A reply I took a while to write."
    manager.shortcut.setText("late2")
    assert manager.save() is not None


def test_duplicate_delete_and_undo(qtbot: QtBot, workspace: Workspace) -> None:
    workspace.snippets.install_default_pack()
    manager = _manager(qtbot, workspace, with_mention=False)
    count = workspace.snippets.repository.count()
    _select(manager, "Sizing advice")
    copy = manager.duplicate()
    assert copy is not None
    assert (copy.title, copy.shortcut) == ("Sizing advice (copy)", "size-2")
    original = workspace.snippets.by_shortcut("size")
    assert original is not None
    assert [v.body for v in copy.variants] == [v.body for v in original.variants]
    assert len(copy.variants) == 4  # nb, de, es, fr
    assert workspace.snippets.repository.count() == count + 1

    _select(manager, "Order running late")
    late = workspace.snippets.by_shortcut("late")
    assert late is not None
    workspace.snippets.record_use(late.id, None)
    manager.delete()
    assert workspace.snippets.by_shortcut("late") is None
    assert "Order running late" not in [
        s.title for r in range(manager.model.rowCount()) if (s := manager.model.snippet(r))
    ]
    manager.list.setFocus()
    qtbot.keyClick(manager.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    back = workspace.snippets.by_shortcut("late")
    assert back is not None
    assert back.usage_count == 1
    assert back.variants == late.variants
    assert not manager.undo_button.isEnabled()


def test_import_and_export_from_the_window(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    manager = _manager(qtbot, workspace, with_mention=False)
    sheet = tmp_path / "team.csv"
    sheet.write_text("title,shortcut,body\nThanks,ty,Thank you!\n", encoding="utf-8")
    manager.import_path(sheet)
    assert manager.status.text() == "1 snippets imported."
    assert manager.model.rowCount() == 1
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    manager.import_path(broken)
    assert manager.status.text().startswith("Not imported: not JSON")
    pack = tmp_path / "out.json"
    manager.export_path(pack)
    assert json.loads(pack.read_text(encoding="utf-8"))["snippets"] == [
        {"title": "Thanks", "body": "Thank you!", "shortcut": "ty"}
    ]
    manager.export_path(tmp_path / "missing-folder" / "out.json")
    assert manager.status.text().startswith("Not exported:")
