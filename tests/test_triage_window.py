"""Working through the demo inbox with the keyboard alone: open, reply, done, snooze, assign,
tag, undo, bulk actions, the command palette and the shortcuts sheet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QApplication, QInputDialog, QPlainTextEdit
from pytestqt.qtbot import QtBot

from storage.records import TriageStatus, utc_now
from storage.store import open_store
from storage.triage import TriageRepository

from app.bootstrap import Workspace
from app.inbox.service import InboxView, inbox_filter
from app.inbox.triage import TriageService

from ui.inbox.detail_pane import SafeTextBrowser
from ui.inbox.snooze_dialog import SnoozeDialog
from ui.main_window import MainWindow
from ui.palette import CommandPalette
from ui.shortcuts_help import ShortcutsHelp


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(utc_now().replace(microsecond=0))


@pytest.fixture
def window(qtbot: QtBot, demo_workspace: Workspace, clock: Clock) -> MainWindow:
    # The agent is "Ada" and time moves only when the test says so.
    demo_workspace.triage = TriageService(
        TriageRepository(demo_workspace.store), lambda: "Ada", clock
    )
    opened = MainWindow(demo_workspace)
    qtbot.addWidget(opened)
    opened.show()
    qtbot.waitExposed(opened)
    opened.activateWindow()
    qtbot.waitUntil(opened.isActiveWindow, timeout=3000)
    opened.inbox_panel.focus_list()
    return opened


def _ids(window: MainWindow) -> list[int]:
    model = window.inbox_panel.model
    return [model.mention_id(row) for row in range(model.rowCount())]


def _press(qtbot: QtBot, window: MainWindow, key: str | Qt.Key, **kwargs: object) -> None:
    # After a dialog closes, a desktop gives the window back the keyboard; offscreen Qt
    # needs asking.
    if not window.isActiveWindow():
        window.activateWindow()
    qtbot.waitUntil(lambda: window.isAncestorOf(QApplication.focusWidget()), timeout=3000)
    qtbot.keyClick(QApplication.focusWidget(), key, **kwargs)  # type: ignore[arg-type]


def _dialog(qtbot: QtBot, window: MainWindow, kind: type) -> object:
    """The dialog the last key opened, once it has the keyboard."""
    dialog = window.triage_actions.dialog
    assert isinstance(dialog, kind), dialog
    qtbot.waitUntil(lambda: dialog.isAncestorOf(QApplication.focusWidget()), timeout=3000)
    return dialog


def test_j_and_k_move_enter_opens_and_r_goes_to_the_reply_box(
    qtbot: QtBot, window: MainWindow
) -> None:
    panel = window.inbox_panel
    first, second = _ids(window)[:2]
    _press(qtbot, window, "j")
    assert panel.current_mention_id() == second
    _press(qtbot, window, "k")
    assert panel.current_mention_id() == first

    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert window.detail_pane.reading_has_focus()
    _press(qtbot, window, "r")
    editor = window.detail_pane.reply_box.editor
    assert editor.hasFocus()
    assert editor.toPlainText() == ""  # the "r" moved focus, it was not typed


def test_e_works_while_reading_and_not_while_replying(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace
) -> None:
    panel = window.inbox_panel
    first, second = _ids(window)[:2]
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)  # reading the mention
    _press(qtbot, window, "e")
    assert demo_workspace.triage.state(first).status is TriageStatus.DONE
    assert panel.current_mention_id() == second

    _press(qtbot, window, "r")
    editor = window.detail_pane.reply_box.editor
    qtbot.keyClicks(editor, "see you")  # s, e: no snooze, no done
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText() != "see you"  # Ctrl+Z undid typing ...
    assert demo_workspace.triage.state(first).status is TriageStatus.DONE  # ... not triage
    assert demo_workspace.triage.history(second) == []
    assert window.triage_actions.dialog is None


def test_e_marks_done_moves_to_the_next_and_ctrl_z_undoes_it(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace
) -> None:
    panel = window.inbox_panel
    assert panel.current_view is InboxView.OPEN
    first, second = _ids(window)[:2]
    qtbot.waitUntil(lambda: InboxView.OPEN in panel.counts, timeout=5_000)  # from a worker
    open_before = panel.counts[InboxView.OPEN]

    _press(qtbot, window, "e")

    assert panel.current_mention_id() == second
    assert first not in _ids(window)  # the done one left the open view
    # The counts are taken again on a worker thread.
    qtbot.waitUntil(lambda: panel.counts[InboxView.OPEN] == open_before - 1, timeout=5_000)
    assert demo_workspace.triage.state(first).status is TriageStatus.DONE
    event = demo_workspace.triage.history(first)[-1]
    assert (event.actor, event.field, event.new_value) == ("Ada", "status", "done")
    assert "Marked 1 mention done" in window.statusBar().currentMessage()

    _press(qtbot, window, "z", modifier=Qt.KeyboardModifier.ControlModifier)

    assert demo_workspace.triage.state(first).status.value == event.old_value
    assert first in _ids(window)
    qtbot.waitUntil(lambda: panel.counts[InboxView.OPEN] == open_before, timeout=5_000)
    undo_event = demo_workspace.triage.history(first)[-1]
    assert (undo_event.old_value, undo_event.new_value) == ("done", event.old_value)


def test_ctrl_z_keeps_what_someone_else_changed_since(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace, clock: Clock
) -> None:
    """E in the window, then a teammate (another connection: the command line, another
    window) assigns the mention and sets its priority; Ctrl+Z puts back only the status."""
    panel = window.inbox_panel
    first = _ids(window)[0]
    before = demo_workspace.triage.state(first)
    _press(qtbot, window, "e")
    assert demo_workspace.triage.state(first).status is TriageStatus.DONE

    other = open_store(demo_workspace.store.path)
    try:
        teammate = TriageService(TriageRepository(other), lambda: "Bo", clock)
        teammate.assign([first], "Bo")
        teammate.set_priority([first], 3)
    finally:
        other.close()

    _press(qtbot, window, "z", modifier=Qt.KeyboardModifier.ControlModifier)
    after = demo_workspace.triage.state(first)
    assert after.status is before.status
    assert (after.assignee, after.priority) == ("Bo", 3)  # Bo's changes stay
    assert first in _ids(window)
    assert "Undid: Marked 1 mention done" in window.statusBar().currentMessage()
    assert panel.current_mention_id() is not None


def test_assign_and_tag_from_the_keyboard_show_in_the_detail_pane_history(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace
) -> None:
    mention_id = window.inbox_panel.current_mention_id()
    assert mention_id is not None

    _press(qtbot, window, "a")
    assign = _dialog(qtbot, window, QInputDialog)
    assert isinstance(assign, QInputDialog)
    assert assign.comboBoxItems()[0] == "Ada"  # the agent is offered first
    assign.setTextValue("Bjørn")  # typed names may be non-ASCII
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert demo_workspace.triage.state(mention_id).assignee == "Bjørn"

    _press(qtbot, window, "t")
    tag = _dialog(qtbot, window, QInputDialog)
    assert isinstance(tag, QInputDialog)
    known = demo_workspace.triage.known_tags()
    assert known
    assert tag.comboBoxItems() == known
    qtbot.keyClicks(QApplication.focusWidget(), "#escalate")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert "escalate" in demo_workspace.triage.state(mention_id).tags

    shown = " ".join(window.detail_pane.plain_text().split())
    assert "assigned to Bjørn" in shown  # the triage header
    assert "#escalate" in shown
    assert "Triage history" in shown
    assert "Ada assigned it to Bjørn" in shown
    assert "Ada tagged #escalate" in shown
    assert window.inbox_panel.current_mention_id() == mention_id  # still on the same one


def test_a_bad_tag_is_explained_and_the_dialog_comes_back(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace
) -> None:
    mention_id = window.inbox_panel.current_mention_id()
    assert mention_id is not None
    _press(qtbot, window, "t")
    first = _dialog(qtbot, window, QInputDialog)
    assert isinstance(first, QInputDialog)
    long_tag = "x" * 60
    first.setTextValue(long_tag)
    first.accept()
    qtbot.waitUntil(lambda: window.triage_actions.dialog not in (None, first))
    again = _dialog(qtbot, window, QInputDialog)
    assert isinstance(again, QInputDialog)
    assert "at most 40 characters" in again.labelText()
    assert again.textValue() == long_tag  # what was typed is not lost
    assert demo_workspace.triage.history(mention_id) == []
    again.reject()


def test_snooze_from_the_keyboard_and_the_mention_comes_back_when_the_time_passes(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace, clock: Clock
) -> None:
    panel = window.inbox_panel
    first, second = _ids(window)[:2]
    _press(qtbot, window, "s")
    dialog = _dialog(qtbot, window, SnoozeDialog)
    assert isinstance(dialog, SnoozeDialog)
    qtbot.keyClick(dialog, "1")  # quick choice: 1 hour

    assert demo_workspace.triage.is_snoozed(first)
    assert panel.current_mention_id() == second  # on to the next, like done
    event = demo_workspace.triage.history(first)[-1]
    assert (event.actor, event.field, event.old_value) == ("Ada", "snoozed_until", None)
    assert first not in _ids(window)  # out of the open view while it sleeps
    window.detail_pane.show_mention(first)
    assert "snoozed until" in window.detail_pane.plain_text()

    clock.now += timedelta(hours=1, minutes=1)
    assert not demo_workspace.triage.is_snoozed(first)
    window.detail_pane.show_mention(first)
    assert "snoozed until" not in window.detail_pane.plain_text()


def test_the_window_looks_again_when_a_snooze_ends(
    qtbot: QtBot, window: MainWindow, clock: Clock
) -> None:
    first = _ids(window)[0]
    _press(qtbot, window, "s")
    dialog = _dialog(qtbot, window, SnoozeDialog)
    assert isinstance(dialog, SnoozeDialog)
    # The list compares snoozes with the real time: keep the test's clock on it here.
    clock.now = utc_now()
    dialog.snooze_was_chosen.emit(clock.now + timedelta(seconds=2))  # a custom time, soon
    assert first not in _ids(window)
    # The list is read again once the snooze has ended, without any key pressed.
    qtbot.waitUntil(lambda: first in _ids(window), timeout=6000)


def test_a_snoozed_mention_leaves_the_open_view_until_its_time(
    demo_workspace: Workspace, clock: Clock
) -> None:
    triage = TriageService(TriageRepository(demo_workspace.store), lambda: "Ada", clock)
    view = inbox_filter(InboxView.OPEN)
    first = demo_workspace.inbox.page(view, None, 1).ids[0]
    before = demo_workspace.inbox.count(view)
    triage.snooze([first], clock.now + timedelta(hours=1))
    assert demo_workspace.inbox.count(view) == before - 1


def test_bulk_done_on_three_selected_mentions(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace
) -> None:
    panel = window.inbox_panel
    ids = _ids(window)
    for _ in range(2):
        qtbot.keyClick(panel.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert window.triage_actions.selected_ids() == ids[:3]

    _press(qtbot, window, "e")

    assert all(demo_workspace.triage.state(i).status is TriageStatus.DONE for i in ids[:3])
    assert not set(ids[:3]) & set(_ids(window))
    assert panel.current_mention_id() == ids[3]
    assert "Marked 3 mentions done" in window.statusBar().currentMessage()
    _press(qtbot, window, "z", modifier=Qt.KeyboardModifier.ControlModifier)
    assert all(demo_workspace.triage.state(i).status is not TriageStatus.DONE for i in ids[:3])


def test_bulk_tag_and_assign_apply_to_every_selected_mention(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace
) -> None:
    ids = _ids(window)
    for _ in range(2):
        qtbot.keyClick(window.inbox_panel.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    _press(qtbot, window, "A", modifier=Qt.KeyboardModifier.ShiftModifier)  # assign to me
    _press(qtbot, window, "t")
    tag = _dialog(qtbot, window, QInputDialog)
    assert isinstance(tag, QInputDialog)
    tag.setTextValue("outage")
    tag.accept()
    for mention_id in ids[:3]:
        state = demo_workspace.triage.state(mention_id)
        assert (state.assignee, "outage" in state.tags) == ("Ada", True)
    assert demo_workspace.triage.state(ids[3]).assignee != "Ada"


def test_the_palette_finds_an_action_by_a_few_letters_and_runs_it(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace
) -> None:
    first = window.inbox_panel.current_mention_id()
    assert first is not None
    _press(qtbot, window, "k", modifier=Qt.KeyboardModifier.ControlModifier)
    palette = _dialog(qtbot, window, CommandPalette)
    assert isinstance(palette, CommandPalette)
    qtbot.keyClicks(palette.query, "mkdone")  # fuzzy: "Mark done and next"
    current = palette.results.currentItem()
    assert current is not None
    assert current.text(0) == "Mark done and next"
    assert current.text(1) == "E"
    qtbot.keyClick(palette.query, Qt.Key.Key_Return)
    assert demo_workspace.triage.state(first).status is TriageStatus.DONE
    assert not palette.isVisible()


def test_single_letter_shortcuts_do_not_fire_while_typing_in_the_search_box(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace
) -> None:
    panel = window.inbox_panel
    first = panel.current_mention_id()
    assert first is not None
    status = demo_workspace.triage.state(first).status
    qtbot.keyClick(panel.table, Qt.Key.Key_Slash)
    assert panel.search_box.hasFocus()
    qtbot.keyClicks(panel.search_box, "jest gd tan")
    assert panel.search_box.text() == "jest gd tan"
    assert window.triage_actions.dialog is None  # no snooze, assign or tag dialog opened
    assert panel.current_view is InboxView.OPEN  # "g d" did not switch to Done
    assert demo_workspace.triage.history(first) == []
    assert demo_workspace.triage.state(first).status is status


def test_g_then_a_letter_switches_views(qtbot: QtBot, window: MainWindow) -> None:
    _press(qtbot, window, "g")
    _press(qtbot, window, "d")
    assert window.inbox_panel.current_view is InboxView.DONE
    _press(qtbot, window, "g")
    _press(qtbot, window, "o")
    assert window.inbox_panel.current_view is InboxView.OPEN


def test_question_mark_lists_every_shortcut(qtbot: QtBot, window: MainWindow) -> None:
    _press(qtbot, window, "?")
    sheet = _dialog(qtbot, window, ShortcutsHelp)
    assert isinstance(sheet, ShortcutsHelp)
    assert sheet.keys_for("Mark done and next") == "e"
    assert sheet.keys_for("Command palette") == "Ctrl+K"
    assert sheet.keys_for("Go to Done") == "G, D"
    assert sheet.keys_for("Snooze") == "s"


def test_every_triage_action_has_a_menu_entry_and_an_accessible_name(window: MainWindow) -> None:
    actions = window.triage_actions.actions
    for key in ("done", "snooze", "assign", "tag", "note", "undo", "palette", "shortcuts"):
        action = actions[key]
        assert action.associatedObjects(), key  # it sits in a menu
        assert action.property("accessibleName"), key
    # An ambiguous shortcut fires nothing: every key sequence in the window is used once.
    keys = [
        key.toString()
        for action in window.findChildren(QAction)
        for key in action.shortcuts()
        if not key.isEmpty()
    ]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


class _Browser(QObject):
    """Stands in for the system browser: QDesktopServices hands it the URL instead."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


@pytest.fixture
def system_browser() -> Iterator[_Browser]:
    browser = _Browser()
    QDesktopServices.setUrlHandler("https", browser, "open")
    yield browser
    QDesktopServices.unsetUrlHandler("https")


def test_links_open_in_the_system_browser(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace, system_browser: _Browser
) -> None:
    mention_id = window.inbox_panel.current_mention_id()
    assert mention_id is not None
    url = demo_workspace.inbox.mention(mention_id).url
    assert url is not None
    assert url.startswith("https://")
    browser = window.detail_pane.findChild(SafeTextBrowser)
    assert browser is not None
    browser.anchorClicked.emit(QUrl(url))  # what a click on the link does
    assert system_browser.opened == [url]


def test_a_customer_who_repeats_is_flagged_with_every_earlier_post_and_its_status(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace
) -> None:
    # danwhitfield (resources/demo/repeat.json) asks about the same order again and again.
    view = inbox_filter(InboxView.ALL, "@danwhitfield")
    posts = demo_workspace.inbox.list_rows(view, 50)  # newest first
    assert len(posts) >= 4
    newest, oldest = posts[0], posts[-1]
    window.inbox_panel.set_view(InboxView.ALL)
    assert window.inbox_panel.select_mention(newest.id)

    shown = " ".join(window.detail_pane.plain_text().split())
    assert f"Repeat: {len(posts)}th post this month." in shown
    for earlier in posts[1:]:
        assert f"{earlier.status.value} · {' '.join(earlier.text.split())[:60]}" in shown

    assert window.inbox_panel.select_mention(oldest.id)  # the first one was not a repeat yet
    assert "Repeat:" not in window.detail_pane.plain_text()


def test_fuzzy_match_prefers_word_starts_and_refuses_letters_out_of_order() -> None:
    from ui.palette import fuzzy_score

    names = ["Assign to me", "Wake from snooze", "Snooze", "Add internal note"]
    matching = [n for n in names if fuzzy_score("sn", n) is not None]
    assert set(matching) == {"Assign to me", "Wake from snooze", "Snooze"}
    assert max(matching, key=lambda n: fuzzy_score("sn", n) or 0) == "Snooze"
    assert fuzzy_score("dm", "Mark done") is None  # letters out of order


def test_n_adds_an_internal_note_shown_in_the_detail_pane(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace
) -> None:
    mention_id = window.inbox_panel.current_mention_id()
    assert mention_id is not None
    _press(qtbot, window, "n")
    empty = _dialog(qtbot, window, QInputDialog)
    assert isinstance(empty, QInputDialog)
    empty.setTextValue("   ")
    empty.accept()  # an empty note is explained, not saved
    qtbot.waitUntil(lambda: window.triage_actions.dialog not in (None, empty))
    note = _dialog(qtbot, window, QInputDialog)
    assert isinstance(note, QInputDialog)
    assert "The note is empty." in note.labelText()
    note.setTextValue("Kunden ringte: ny jakke sendt i dag.\nSjekk sporing fredag.")
    note.accept()

    [saved] = demo_workspace.triage.notes(mention_id)
    assert saved.author == "Ada"
    shown = window.detail_pane.plain_text()
    assert "Internal notes" in shown
    assert "Kunden ringte: ny jakke sendt i dag." in shown
    assert "Sjekk sporing fredag." in shown
    assert "Ada added a note" in " ".join(shown.split())


def test_a_note_is_saved_with_ctrl_enter_and_esc_never_loses_it(
    qtbot: QtBot, window: MainWindow, demo_workspace: Workspace
) -> None:
    mention_id = window.inbox_panel.current_mention_id()
    assert mention_id is not None
    _press(qtbot, window, "n")
    note = _dialog(qtbot, window, QInputDialog)
    assert isinstance(note, QInputDialog)
    editor = note.findChild(QPlainTextEdit)
    assert editor is not None
    qtbot.keyClicks(editor, "Called back")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)  # closed without saving ...
    qtbot.waitUntil(lambda: window.triage_actions.dialog is None)
    assert demo_workspace.triage.notes(mention_id) == []
    assert "Note not saved" in window.statusBar().currentMessage()

    _press(qtbot, window, "n")  # ... and the text is still there
    again = _dialog(qtbot, window, QInputDialog)
    assert isinstance(again, QInputDialog)
    assert again.textValue() == "Called back"
    editor = again.findChild(QPlainTextEdit)
    assert editor is not None
    qtbot.keyClicks(editor, ", parcel found")
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(demo_workspace.triage.notes(mention_id)) == 1)
    assert demo_workspace.triage.notes(mention_id)[0].body == "Called back, parcel found"
