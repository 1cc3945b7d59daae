"""A full disk or a locked database never loses what was typed: the draft stays in the editor
and says it is not saved yet, is retried, and moving on is refused until it is saved; a note
comes back in its dialog; a triage change says it did not happen."""

from __future__ import annotations

import contextlib

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog, QLabel, QMessageBox, QPlainTextEdit
from pytestqt.qtbot import QtBot

from storage.errors import StoreFullError, StoreLockedError
from storage.mentions import InboxFilter
from storage.records import TriageStatus
from storage.store import Store

from app.bootstrap import Workspace
from app.inbox.service import InboxView

from ui.compose import composer as composer_module
from ui.main_window import MainWindow

from tests.factories import author, brand_account, mention


class FailingDisk:
    """Makes the store's writes fail as a full disk (or a locked database) does, until
    `recover()`; reads go on working. Installed on the store every repository writes to."""

    def __init__(self, store: Store, error: type[StoreFullError | StoreLockedError]) -> None:
        self._store = store
        self._real_write = store.write
        self._error = error
        self.failing = False

    def write(self) -> contextlib.AbstractContextManager[object]:
        if self.failing:
            raise self._error(self._store.path)
        return self._real_write()

    @property
    def message(self) -> str:
        """What the person is told about it (the StoreError's own words)."""
        return str(self._error(self._store.path))

    def fail(self) -> None:
        self.failing = True

    def recover(self) -> None:
        self.failing = False


@pytest.fixture
def mention_ids(workspace: Workspace) -> list[int]:
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest(
        [
            mention(account.id, n, f"Where is order {n}?", by=author(f"c{n}@toot.example"))
            for n in range(3)
        ]
    )
    return [row.id for row in workspace.inbox.list_rows(InboxFilter(), 10)]


@pytest.fixture(params=[StoreFullError, StoreLockedError], ids=["disk-full", "locked"])
def disk(
    request: pytest.FixtureRequest, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> FailingDisk:
    failing = FailingDisk(workspace.store, request.param)
    monkeypatch.setattr(workspace.store, "write", failing.write)
    return failing


@pytest.fixture
def window(
    qtbot: QtBot, workspace: Workspace, mention_ids: list[int], monkeypatch: pytest.MonkeyPatch
) -> MainWindow:
    # A refused draft is tried again after a few seconds; the tests need not wait that long.
    monkeypatch.setattr(composer_module, "DRAFT_RETRY_MS", 200, raising=False)
    opened = MainWindow(workspace)
    qtbot.addWidget(opened)
    opened.show()
    qtbot.waitExposed(opened)
    opened.activateWindow()
    qtbot.waitUntil(opened.isActiveWindow, timeout=3000)
    opened.inbox_panel.set_view(InboxView.ALL)
    return opened


def _press(qtbot: QtBot, window: MainWindow, key: str | Qt.Key) -> None:
    if not window.isActiveWindow():
        window.activateWindow()
    qtbot.waitUntil(lambda: window.isAncestorOf(QApplication.focusWidget()), timeout=3000)
    qtbot.keyClick(QApplication.focusWidget(), key)  # type: ignore[arg-type]


def _next_dialog(qtbot: QtBot, window: MainWindow, after: object = None) -> QInputDialog:
    qtbot.waitUntil(lambda: window.triage_actions.dialog not in (None, after), timeout=3000)
    dialog = window.triage_actions.dialog
    assert isinstance(dialog, QInputDialog)
    qtbot.waitUntil(lambda: dialog.isAncestorOf(QApplication.focusWidget()), timeout=3000)
    return dialog


def test_a_draft_the_store_refuses_stays_says_so_is_retried_and_holds_the_mention(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, disk: FailingDisk
) -> None:
    panel, box = window.inbox_panel, window.detail_pane.reply_box
    first, second = panel.model.mention_id(0), panel.model.mention_id(1)
    first_text = workspace.inbox.mention(first).text
    assert panel.select_mention(first)
    disk.fail()
    box.editor.setFocus()
    qtbot.keyClicks(box.editor, "So sorry, it is on its way")
    qtbot.waitUntil(lambda: bool(_shown("Not saved yet", window)), timeout=5000)
    assert f"Not saved yet: {disk.message}" in _shown("Not saved yet", window)
    assert workspace.replies.drafts.get(first) == ""

    # Moving on would lose it: refused, visibly, and the list goes back to it.
    panel.select_mention(second)
    assert panel.current_mention_id() == first
    assert first_text in window.detail_pane.plain_text()
    assert box.editor.toPlainText() == "So sorry, it is on its way"
    assert "not saved yet" in window.statusBar().currentMessage()

    disk.recover()  # space was freed, the other program let go: the next try saves it
    qtbot.waitUntil(
        lambda: workspace.replies.drafts.get(first) == "So sorry, it is on its way", timeout=10_000
    )
    qtbot.waitUntil(lambda: not _shown("Not saved yet", window), timeout=3000)
    assert panel.select_mention(second)
    assert workspace.inbox.mention(second).text in window.detail_pane.plain_text()
    assert box.editor.toPlainText() == ""


def _shown(start: str, window: MainWindow) -> str:
    """The visible labels in the window whose text starts so, one a line."""
    return "\n".join(
        label.text()
        for label in window.findChildren(QLabel)
        if label.isVisible() and label.text().startswith(start)
    )


def test_a_note_the_store_refuses_comes_back_with_its_text(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, disk: FailingDisk
) -> None:
    mention_id = window.inbox_panel.current_mention_id()
    assert mention_id is not None
    window.inbox_panel.focus_list()
    _press(qtbot, window, "n")
    note = _next_dialog(qtbot, window)
    editor = note.findChild(QPlainTextEdit)
    assert editor is not None
    disk.fail()
    qtbot.keyClicks(editor, "Called back: parcel found")
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    again = _next_dialog(qtbot, window, after=note)
    assert again.textValue() == "Called back: parcel found"
    assert "not saved yet" in again.labelText()
    assert workspace.triage.notes(mention_id) == []
    disk.recover()
    again.accept()  # try again
    qtbot.waitUntil(lambda: len(workspace.triage.notes(mention_id)) == 1, timeout=3000)
    assert workspace.triage.notes(mention_id)[0].body == "Called back: parcel found"


def test_a_triage_change_the_store_refuses_says_so_and_a_tag_dialog_comes_back(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, disk: FailingDisk
) -> None:
    mention_id = window.inbox_panel.current_mention_id()
    assert mention_id is not None
    window.inbox_panel.focus_list()
    disk.fail()
    _press(qtbot, window, "e")  # done and next
    message = window.statusBar().currentMessage()
    assert "not saved yet" in message
    assert disk.message in message
    assert workspace.triage.state(mention_id).status is TriageStatus.NEW
    assert window.inbox_panel.current_mention_id() == mention_id  # nothing moved

    _press(qtbot, window, "t")
    tag = _next_dialog(qtbot, window)
    tag.setTextValue("billing")
    tag.accept()
    again = _next_dialog(qtbot, window, after=tag)
    assert again.textValue() == "billing"
    assert "not saved yet" in again.labelText()
    disk.recover()
    again.accept()
    qtbot.waitUntil(lambda: workspace.triage.state(mention_id).tags == ("billing",))


def test_closing_over_a_reply_that_is_not_saved_asks_first(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, disk: FailingDisk
) -> None:
    panel, box = window.inbox_panel, window.detail_pane.reply_box
    first = panel.model.mention_id(0)
    assert panel.select_mention(first)
    disk.fail()
    box.editor.setFocus()
    qtbot.keyClicks(box.editor, "Refund sent")
    qtbot.waitUntil(lambda: bool(_shown("Not saved yet", window)), timeout=5000)

    window.close()
    assert window.isVisible()  # not closed over it
    question = window.close_question
    qtbot.waitUntil(question.isVisible, timeout=3000)
    assert "not saved yet" in question.text()
    question.button(QMessageBox.StandardButton.Cancel).click()  # "Stay"
    assert window.isVisible()
    assert box.editor.toPlainText() == "Refund sent"

    disk.recover()
    qtbot.waitUntil(lambda: workspace.replies.drafts.get(first) == "Refund sent", timeout=10_000)
    window.close()
    assert not window.isVisible()
