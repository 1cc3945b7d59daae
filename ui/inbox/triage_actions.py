"""Triage and keyboard actions: the Mention menu, single-key shortcuts, palette and help.

Single-letter shortcuts are window shortcuts. Text boxes (search, reply, dialogs) claim
printable keys before shortcuts see them (Qt's ShortcutOverride), so typing an "e" in the
search box types an "e"; the tests hold that promise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import QInputDialog, QMenu, QPlainTextEdit, QWidget

from storage.records import TriageStatus

from app.changes import Changes
from app.inbox.service import InboxView
from app.inbox.triage import PRIORITY_LABELS, TriageChange, TriageInputError, TriageService

from ui.inbox.snooze_dialog import SnoozeDialog
from ui.palette import CommandPalette
from ui.shortcuts_help import ShortcutsHelp, all_actions

if TYPE_CHECKING:
    from ui.main_window import MainWindow

# "g" then a letter switches views. The list half of the inbox may add views; a letter whose
# view does not exist (yet) is simply not offered.
VIEW_LETTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("U", ("unanswered",)),
    ("M", ("mine",)),
    ("O", ("all_open", "open")),
    ("D", ("done",)),
    ("I", ("dms", "direct", "dm")),
    ("A", ("all",)),
)

# A snooze end is looked at again at least this often (timers drift; the clock may jump).
_SNOOZE_RECHECK_MS = 15 * 60 * 1000


def view_for_letter(letter: str) -> InboxView | None:
    values = {view.value: view for view in InboxView}
    for key, names in VIEW_LETTERS:
        if key == letter.upper():
            return next((values[name] for name in names if name in values), None)
    return None


class TriageActions(QObject):
    """Owns the Mention menu's actions and runs them against the selected mentions."""

    def __init__(self, window: MainWindow, triage: TriageService) -> None:
        super().__init__(window)
        self._window = window
        self._triage = triage
        self._panel = window.inbox_panel
        self._detail = window.detail_pane
        self.actions: dict[str, QAction] = {}
        self.dialog: QWidget | None = None  # the triage dialog open now (tests look at it)
        # A note closed without saving (Esc) is kept for the session, per mention, and comes
        # back the next time a note is started: what was typed is never lost.
        self._note_drafts: dict[int, str] = {}
        self._wake_timer = QTimer(self)
        self._wake_timer.setSingleShot(True)
        self._wake_timer.timeout.connect(self._snooze_check)
        self._build()
        self._panel.table.activated.connect(lambda _index: self.open_mention())
        window.changes.changes_did_happen.connect(self.changes_did_happen)
        self._schedule_snooze_check()

    # --- building ------------------------------------------------------------------------

    def _build(self) -> None:
        bar = self._window.menuBar()
        menu = QMenu("&Mention", bar)
        bar.insertMenu(self._menu_after_view(), menu)
        add = self._add
        add(menu, "next", "&Next mention", self.select_next, "J")
        add(menu, "previous", "&Previous mention", self.select_previous, "K")
        add(menu, "open", "&Read mention", self.open_mention, None)
        add(menu, "reply", "&Reply", self.focus_reply, "R")
        menu.addSeparator()
        add(menu, "done", "Mark &done and next", self.done_and_next, "E")
        add(menu, "open_status", "Mark &open", lambda: self._status(TriageStatus.OPEN), "O")
        add(menu, "pending", "Mark &pending", lambda: self._status(TriageStatus.PENDING), "P")
        add(menu, "snooze", "&Snooze…", self.ask_snooze, "S")
        add(menu, "unsnooze", "&Wake from snooze", self.unsnooze, "Shift+S")
        menu.addSeparator()
        add(menu, "assign", "&Assign…", self.ask_assignee, "A")
        add(menu, "assign_me", "Assign to &me", self.assign_to_me, "Shift+A")
        add(menu, "unassign", "&Unassign", lambda: self._run(self._triage.assign, None), None)
        add(menu, "tag", "&Tag…", self.ask_tag, "T")
        add(menu, "untag", "R&emove tag…", self.ask_untag, "Shift+T")
        priority = menu.addMenu("P&riority")
        for level, label in sorted(PRIORITY_LABELS.items(), reverse=True):
            add(
                priority,
                f"priority_{level}",
                f"Priority: {label}",
                lambda _c=False, p=level: self._run(self._triage.set_priority, p),
                None,
            )
        add(menu, "note", "Add internal &note…", self.ask_note, "N")
        menu.addSeparator()
        self.actions["undo"] = add(
            menu, "undo", "&Undo last triage change", self.undo, QKeySequence.StandardKey.Undo
        )
        self.actions["undo"].setEnabled(False)

        views = menu.addMenu("&Go to view")
        for letter, _names in VIEW_LETTERS:
            view = view_for_letter(letter)
            if view is not None:
                add(
                    views,
                    f"view_{view.value}",
                    f"Go to {view.label}",
                    lambda _c=False, v=view: self.go_to_view(v),
                    f"G, {letter}",
                )

        help_menu = self._menu_titled("&Help") or menu
        first = help_menu.actions()[0] if help_menu.actions() else None
        palette = self._make("palette", "&Command palette…", self.show_palette, "Ctrl+K")
        shortcuts = self._make("shortcuts", "&Keyboard shortcuts", self.show_shortcuts, "?")
        shortcuts.setShortcuts([QKeySequence("?"), QKeySequence("Shift+?"), QKeySequence("F1")])
        help_menu.insertActions(first, [palette, shortcuts])  # type: ignore[arg-type]

    def _menu_after_view(self) -> QAction:
        actions = self._window.menuBar().actions()
        for position, action in enumerate(actions):
            if action.text().replace("&", "") == "View" and position + 1 < len(actions):
                return actions[position + 1]
        return actions[-1]

    def _menu_titled(self, title: str) -> QMenu | None:
        for action in self._window.menuBar().actions():
            menu = action.menu()
            if action.text() == title and isinstance(menu, QMenu):
                return menu
        return None

    def _make(
        self,
        key: str,
        text: str,
        slot: Callable[..., object],
        shortcut: str | QKeySequence | QKeySequence.StandardKey | None,
    ) -> QAction:
        action = QAction(text, self._window)
        action.setObjectName(f"triage_{key}")
        name = text.replace("&", "").rstrip("…")
        action.setToolTip(name)
        action.setStatusTip(name)
        # Screen readers announce a menu entry by its text; the name also says what it does.
        action.setProperty("accessibleName", name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        self._window.addAction(action)  # shortcuts work with the menu closed
        self.actions[key] = action
        return action

    def _add(
        self,
        menu: QMenu,
        key: str,
        text: str,
        slot: Callable[..., object],
        shortcut: str | QKeySequence | QKeySequence.StandardKey | None,
    ) -> QAction:
        action = self._make(key, text, slot, shortcut)
        menu.addAction(action)
        return action

    # --- what is selected ------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """The selected mentions in list order; the current one when nothing is selected."""
        model = self._panel.model
        rows = sorted({index.row() for index in self._panel.table.selectionModel().selectedRows()})
        ids = [model.mention_id(row) for row in rows if row < model.rowCount()]
        if not ids:
            current = self._panel.current_mention_id()
            ids = [] if current is None else [current]
        return ids

    def _reselect(self, ids: list[int]) -> None:
        model = self._panel.model
        selection = QItemSelection()
        for mention_id in ids:
            row = model.row_of(mention_id)
            if row is not None:
                selection.select(model.index(row, 0), model.index(row, model.columnCount() - 1))
        if not selection.isEmpty():
            self._panel.table.selectionModel().select(
                selection, QItemSelectionModel.SelectionFlag.Select
            )

    def _move(self, step: int) -> None:
        table = self._panel.table
        current = table.currentIndex()
        row = current.row() + step if current.isValid() else 0
        model = self._panel.model
        if row >= model.rowCount() and model.canFetchMore(current.parent()):
            model.fetchMore(current.parent())
        if 0 <= row < model.rowCount():
            self._panel.select_mention(model.mention_id(row))
            table.scrollTo(model.index(row, 0))

    def select_next(self) -> None:
        self._move(1)

    def select_previous(self) -> None:
        self._move(-1)

    def _neighbour_after(self, ids: list[int]) -> int | None:
        """The mention to show once `ids` leave the list: the next one below, else above."""
        model = self._panel.model
        rows = [row for row in (model.row_of(i) for i in ids) if row is not None]
        if not rows:
            return None
        leaving = set(ids)
        for row in range(max(rows) + 1, model.rowCount()):
            if model.mention_id(row) not in leaving:
                return model.mention_id(row)
        for row in range(min(rows) - 1, -1, -1):
            if model.mention_id(row) not in leaving:
                return model.mention_id(row)
        return None

    # --- keyboard flows ------------------------------------------------------------------

    def open_mention(self) -> None:
        if self._panel.current_mention_id() is not None:
            self._detail.focus_reading()

    def focus_reply(self) -> None:
        if self._panel.current_mention_id() is not None:
            self._detail.focus_reply()

    def go_to_view(self, view: InboxView) -> None:
        self._panel.set_view(view)
        self._panel.focus_list()

    def done_and_next(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        after = self._neighbour_after(ids)
        change = self._apply(lambda: self._triage.mark_done(ids), then_select=after)
        if change is not None:
            self._panel.focus_list()

    def _status(self, status: TriageStatus) -> None:
        self._run(self._triage.set_status, status)

    def unsnooze(self) -> None:
        self._run(self._triage.unsnooze)

    def assign_to_me(self) -> None:
        self._run(self._triage.assign, self._triage.actor)

    def undo(self) -> None:
        self._apply(self._triage.undo)

    # --- dialogs ---------------------------------------------------------------------------

    def ask_snooze(self) -> SnoozeDialog | None:
        ids = self.selected_ids()
        if not ids:
            return None
        dialog = SnoozeDialog(self._window, len(ids), self._triage.now())
        after = self._neighbour_after(ids)
        dialog.snooze_was_chosen.connect(
            lambda until: self._apply(lambda: self._triage.snooze(ids, until), then_select=after)
        )
        self._show(dialog)
        return dialog

    def ask_assignee(self, typed: str | None = None, problem: str = "") -> QInputDialog | None:
        ids = self.selected_ids()
        if not ids:
            return None
        label = f"Assign {_what(ids)} to (a teammate's name; empty unassigns):"
        dialog = self._text_dialog("Assign", label, self._triage.known_assignees(), problem)
        if typed is None:
            current = {self._triage.state(i).assignee or "" for i in ids}
            typed = current.pop() if len(current) == 1 else ""
        dialog.setTextValue(typed)
        dialog.textValueSelected.connect(
            lambda name: self._apply(
                lambda: self._triage.assign(ids, name),
                on_error=lambda why: self.ask_assignee(name, why),
            )
        )
        self._show(dialog)
        return dialog

    def ask_tag(self, typed: str = "", problem: str = "") -> QInputDialog | None:
        ids = self.selected_ids()
        if not ids:
            return None
        dialog = self._text_dialog(
            "Tag", f"Tag {_what(ids)} with:", self._triage.known_tags(), problem
        )
        dialog.setTextValue(typed)
        dialog.textValueSelected.connect(
            lambda tag: self._apply(
                lambda: self._triage.tag(ids, tag), on_error=lambda why: self.ask_tag(tag, why)
            )
        )
        self._show(dialog)
        return dialog

    def ask_untag(self) -> QInputDialog | None:
        ids = self.selected_ids()
        if not ids:
            return None
        offered = sorted({t for i in ids for t in self._triage.state(i).tags}, key=str.lower)
        if not offered:
            self._window.statusBar().showMessage(f"{_what(ids).capitalize()}: no tags", 5000)
            return None
        dialog = self._text_dialog("Remove tag", f"Remove which tag from {_what(ids)}?", offered)
        dialog.setComboBoxEditable(False)
        dialog.textValueSelected.connect(
            lambda tag: self._apply(lambda: self._triage.untag(ids, tag))
        )
        self._show(dialog)
        return dialog

    def ask_note(self, typed: str = "", problem: str = "") -> QInputDialog | None:
        current = self._panel.current_mention_id()
        if current is None:
            return None
        typed = typed or self._note_drafts.get(current, "")
        dialog = _NoteDialog(current, self._window)
        dialog.setWindowTitle("Internal note")
        dialog.setAccessibleName("Internal note")
        dialog.setLabelText(
            _with_problem(
                "A note for the team (never sent to the customer). Ctrl+Enter saves:", problem
            )
        )
        dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        dialog.setTextValue(typed)
        # Enter makes a new line in a note, so the keyboard needs its own way to save.
        if (note_editor := dialog.findChild(QPlainTextEdit)) is not None:
            note_editor.installEventFilter(_CtrlEnterAccepts(dialog))

        def saved(body: str) -> None:
            # Kept until the note is in the store: a refused write brings the dialog back.
            self._note_drafts[current] = body
            change = self._apply(
                lambda: self._triage.add_note(current, body),
                on_error=lambda why: self.ask_note(body, why),
                what="Your note",
            )
            if change is not None:
                self._note_drafts.pop(current, None)

        dialog.textValueSelected.connect(saved)
        dialog.closed_unsaved.connect(self._keep_note_draft)
        self._show(dialog)
        if typed and (editor := dialog.findChild(QPlainTextEdit)) is not None:
            # Go on typing after what is there, never over it.
            QTimer.singleShot(0, editor, partial(editor.moveCursor, QTextCursor.MoveOperation.End))
        return dialog

    def _keep_note_draft(self, mention_id: int, text: str) -> None:
        self._note_drafts[mention_id] = text
        self._window.statusBar().showMessage("Note not saved: press N to go on with it", 8000)

    def _text_dialog(
        self, title: str, label: str, offered: list[str], problem: str = ""
    ) -> QInputDialog:
        dialog = QInputDialog(self._window)
        dialog.setWindowTitle(title)
        dialog.setAccessibleName(title)
        dialog.setLabelText(_with_problem(label, problem))
        # An editable list: known names complete as you type, new ones are welcome.
        dialog.setComboBoxEditable(True)
        dialog.setComboBoxItems(offered)
        return dialog

    def _show(self, dialog: QWidget) -> None:
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda _obj=None: self._forget(dialog))
        if isinstance(dialog, (QInputDialog, SnoozeDialog)):
            dialog.open()

    def _forget(self, dialog: QWidget) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def show_palette(self) -> CommandPalette:
        palette = CommandPalette(self._window, all_actions(self._window.menuBar()))
        palette.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = palette
        palette.destroyed.connect(lambda _obj=None: self._forget(palette))
        palette.open()
        palette.query.setFocus()
        return palette

    def show_shortcuts(self) -> ShortcutsHelp:
        help_sheet = ShortcutsHelp(self._window, self._window.menuBar())
        help_sheet.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = help_sheet
        help_sheet.destroyed.connect(lambda _obj=None: self._forget(help_sheet))
        help_sheet.open()
        return help_sheet

    # --- running a change -------------------------------------------------------------------

    def _run(self, operation: Callable[..., TriageChange], *args: object) -> None:
        ids = self.selected_ids()
        if ids:
            self._apply(lambda: operation(ids, *args))

    def _apply(
        self,
        operation: Callable[[], TriageChange],
        *,
        then_select: int | None = None,
        on_error: Callable[[str], object] | None = None,
        what: str = "The triage change",
    ) -> TriageChange | None:
        """Run one change through the window's write guard. Bad input, or a store that
        refused the write (full disk, locked database), gets its reason shown and, from a
        dialog, the same dialog again with what was typed kept, to try again."""
        try:
            attempt = self._window.guard.attempt(what, operation)
        except TriageInputError as error:
            problem = str(error)
            self._window.statusBar().showMessage(problem, 10000)
        else:
            if attempt.value is not None:
                self._show_change(attempt.value, then_select)
                return attempt.value
            problem = attempt.message(what)  # the guard has said it in the status bar
        if on_error is not None:
            # After the dialog that was just accepted has closed.
            QTimer.singleShot(0, lambda: on_error(problem))
        return None

    def _show_change(self, change: TriageChange, then_select: int | None) -> None:
        bar = self._window.statusBar()
        if not change.changed:
            bar.showMessage(
                "Nothing to undo" if change.field == "undo" else "Nothing changed", 5000
            )
        else:
            bar.showMessage(change.description, 8000)
        undo = self.actions["undo"]
        described = self._triage.undo_description
        undo.setEnabled(described is not None)
        undo.setText(f"&Undo: {described}" if described else "&Undo last triage change")
        if change.changed:
            current = self._panel.current_mention_id()
            selected = self.selected_ids()
            # The list, counts, tray and the mention on screen follow the change set.
            self._window.changes.operation_did_execute(change.changes, self)
            if then_select is not None and self._panel.current_mention_id() != then_select:
                self._panel.select_mention(then_select)
            elif self._panel.current_mention_id() == current and current is not None:
                self._reselect(selected)  # a bulk action keeps its selection for the next one

    def changes_did_happen(self, changes: Changes, _initiator: object) -> None:
        if changes.triage:
            self._schedule_snooze_check()  # a snooze set or woken, here or anywhere

    # --- snoozes end by themselves ----------------------------------------------------------

    def stop(self) -> None:
        """The window is closing: no snooze check may fire on a closed store."""
        self._wake_timer.stop()

    def _schedule_snooze_check(self) -> None:
        ends = self._triage.next_snooze_end()
        if ends is None:
            self._wake_timer.stop()
            return
        wait_ms = int((ends - self._triage.now()).total_seconds() * 1000) + 1000
        self._wake_timer.start(max(1000, min(wait_ms, _SNOOZE_RECHECK_MS)))

    def _snooze_check(self) -> None:
        self._panel.refresh()
        self._schedule_snooze_check()


def _what(ids: Iterable[int]) -> str:
    count = len(list(ids))
    return "this mention" if count == 1 else f"{count} mentions"


def _with_problem(label: str, problem: str) -> str:
    return f"{problem}\n\n{label}" if problem else label


def install_triage_actions(window: MainWindow, triage: TriageService) -> TriageActions:
    """Add the Mention menu, the triage shortcuts, the palette and the shortcuts sheet."""
    return TriageActions(window, triage)


class _CtrlEnterAccepts(QObject):
    """Ctrl+Enter in a dialog's text box accepts the dialog (Enter alone makes a new line)."""

    def __init__(self, dialog: QInputDialog) -> None:
        super().__init__(dialog)
        self._dialog = dialog

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            # After this key event is done with the text box, not inside it.
            QTimer.singleShot(0, self._dialog, self._dialog.accept)
            return True
        return super().eventFilter(watched, event)


class _NoteDialog(QInputDialog):
    """The note dialog; closing it unsaved hands back what was typed, never loses it."""

    closed_unsaved = Signal(int, str)  # mention id, text

    def __init__(self, mention_id: int, parent: QWidget) -> None:
        super().__init__(parent)
        self._mention_id = mention_id

    def reject(self) -> None:
        text = self.textValue()
        super().reject()
        if text.strip():
            self.closed_unsaved.emit(self._mention_id, text)
