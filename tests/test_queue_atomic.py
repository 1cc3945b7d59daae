"""Pressing Send is one transaction: the reply (or the private message and its public note)
is queued and its draft cleared together. A full disk between the two used to leave the reply
queued with its text still in the editor and the draft, so Send again posted it twice.

The disk fills for real where the system allows it (a 3 MB tmpfs, filled at the exact
moment between the two writes); elsewhere the store is told the disk is full.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from storage.accounts import AccountRepository
from storage.drafts import DraftRepository
from storage.errors import StoreFullError
from storage.mentions import InboxFilter, MentionRepository
from storage.outbox import OutboxRepository
from storage.store import Store, open_store

from app.bootstrap import Workspace
from app.compose.replies import ReplyService

from tests.factories import brand_account, mention
from tests.test_store_safety import small_disk  # noqa: F401 - a fixture: a 3 MB tmpfs

TEXT = "Hi Kari, your order FF-482913 ships today."


def _fill(disk: Path) -> Path:
    """Fill the file system until it has no page left; returns the file to free it."""
    ballast = disk / "ballast"
    descriptor = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(descriptor, b"\0" * 4096)
    except OSError as full:
        if full.errno != errno.ENOSPC:
            raise
    finally:
        os.close(descriptor)
    return ballast


def _one_mention(store: Store) -> int:
    account = AccountRepository(store).add(brand_account())
    MentionRepository(store).ingest([mention(account.id, 1)])
    return MentionRepository(store).page(InboxFilter(), None, 1).ids[0]


def _before_the_second_write(
    monkeypatch: pytest.MonkeyPatch, owner: type, name: str, act: Callable[[], object], nth: int
) -> None:
    """Run `act` just before the `nth` call of `owner.name` (the write that must fail)."""
    original = getattr(owner, name)
    calls: list[int] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == nth:
            act()
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapped)


@pytest.fixture
def on_a_small_disk(small_disk: Path) -> tuple[Store, Path]:  # noqa: F811 - the fixture
    store = open_store(small_disk / "heedful.db")
    yield store, small_disk  # type: ignore[misc]
    store.close()


def _fresh_wal(store: Store) -> None:
    # From here every write grows the write-ahead log (none can reuse its old pages), so a
    # full disk fails the very next commit.
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def test_a_disk_full_as_the_draft_is_cleared_leaves_the_text_and_queues_nothing(
    on_a_small_disk: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, disk = on_a_small_disk
    mention_id = _one_mention(store)
    drafts, outbox = DraftRepository(store), OutboxRepository(store)
    replies = ReplyService(AccountRepository(store), MentionRepository(store), outbox, drafts)
    drafts.save(mention_id, TEXT)
    _fresh_wal(store)
    ballast: list[Path] = []
    _before_the_second_write(
        monkeypatch, DraftRepository, "save", lambda: ballast.append(_fill(disk)), nth=1
    )

    with pytest.raises(StoreFullError):
        replies.queue(mention_id, TEXT)

    assert outbox.all() == [], "queued while the text stayed in the editor: Send again posts twice"
    assert drafts.get(mention_id) == TEXT
    # Space again: Send queues it, once, and clears the draft.
    monkeypatch.undo()
    ballast[0].unlink()
    replies.queue(mention_id, TEXT)
    assert [item.body for item in outbox.all()] == [TEXT]
    assert drafts.get(mention_id) == ""


def test_a_disk_full_before_the_public_note_queues_neither_the_dm_nor_the_note(
    on_a_small_disk: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, disk = on_a_small_disk
    mention_id = _one_mention(store)
    drafts, outbox = DraftRepository(store), OutboxRepository(store)
    replies = ReplyService(AccountRepository(store), MentionRepository(store), outbox, drafts)
    drafts.save(mention_id, TEXT, mode="direct")
    _fresh_wal(store)
    _before_the_second_write(monkeypatch, OutboxRepository, "queue", lambda: _fill(disk), nth=2)

    with pytest.raises(StoreFullError):
        replies.queue_direct(mention_id, TEXT, "I've sent you a DM 📩")

    assert outbox.all() == []
    assert (drafts.get(mention_id), drafts.mode(mention_id)) == (TEXT, "direct")


def test_queueing_says_what_changed(workspace: Workspace) -> None:
    mention_id = _one_mention(workspace.store)
    workspace.replies.drafts.save(mention_id, TEXT, mode="direct")
    queued = workspace.replies.queue_direct(mention_id, TEXT, "I've sent you a DM 📩")
    dm, note = queued.items
    assert (dm.kind, note.kind) == ("direct", "reply")
    assert dm.id < note.id  # the message goes first
    assert queued.item == dm
    assert queued.changes.outbox == {dm.id, note.id}
    assert queued.changes.drafts == {mention_id}
    assert mention_id in queued.changes.mentions  # its badges change
    assert workspace.replies.drafts.get(mention_id) == ""


# --- in the window: Send in DM mode -------------------------------------------------------------


def test_a_dm_whose_public_note_cannot_be_queued_is_not_queued_either(
    qtbot: QtBot, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.compose.composer import Composer
    from ui.main_window import MainWindow

    mention_id = _one_mention(workspace.store)
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.windowHandle().requestActivate()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.inbox_panel.select_mention(mention_id)
    box: Composer = window.detail_pane.reply_box
    box.editor.setPlainText(TEXT)
    qtbot.waitUntil(lambda: "pii" in [f.kind for f in box.findings], timeout=10_000)
    window.switch_to_dm_action.trigger()
    assert box.direct
    qtbot.waitUntil(lambda: "pii" not in [f.kind for f in box.findings], timeout=10_000)

    def disk_full() -> None:
        raise StoreFullError(workspace.store.path)

    _before_the_second_write(monkeypatch, OutboxRepository, "queue", disk_full, nth=2)
    with qtbot.waitSignal(window.sync.reply_was_refused, timeout=10_000):
        box.editor.setFocus()
        qtbot.keyClick(box.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    assert workspace.outbox.all() == [], "the DM is queued while its text is still in the editor"
    assert box.editor.toPlainText() == TEXT
    assert "disk" in box.status.text()
    monkeypatch.undo()
    with qtbot.waitSignal(window.sync.reply_did_queue, timeout=10_000):
        qtbot.keyClick(box.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert [item.kind for item in workspace.outbox.all()] == ["direct", "reply"]
