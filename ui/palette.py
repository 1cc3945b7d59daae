"""The command palette (Ctrl+K): type a few letters of any action's name, Enter runs it."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)


def action_label(action: QAction) -> str:
    """An action's name as a person reads it: no mnemonic ampersands, no trailing dots."""
    return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…")


def fuzzy_score(typed: str, name: str) -> int | None:
    """How well `typed` matches `name` as an in-order subsequence; None when it does not.

    Higher is better: letters that start words and runs of adjacent letters score more,
    so "sn" finds "Snooze" before "Assign to me" and "Wake from snooze".
    """
    query = "".join(typed.lower().split())
    if not query:
        return 0
    text = name.lower()
    score = 0
    position = -1
    previous = -2
    for letter in query:
        position = text.find(letter, position + 1)
        if position < 0:
            return None
        score += 1
        if position == 0 or not text[position - 1].isalnum():
            score += 8  # the start of a word
        if position == previous + 1:
            score += 4  # a run of adjacent letters
        previous = position
    if text.startswith(query):
        score += 20
    return score * 100 - len(text)  # shorter names win ties


def rank(typed: str, actions: Sequence[QAction]) -> list[QAction]:
    scored = [(fuzzy_score(typed, action_label(a)), i, a) for i, a in enumerate(actions)]
    found = [(score, i, a) for score, i, a in scored if score is not None]
    found.sort(key=lambda item: (-item[0], item[1]))
    return [action for _score, _i, action in found]


class CommandPalette(QDialog):
    """Lists the window's enabled actions; the best match for what is typed is selected."""

    def __init__(self, parent: QWidget | None, actions: Sequence[QAction]) -> None:
        super().__init__(parent)
        self._actions = [a for a in actions if a.isEnabled() and a.text()]
        self.setWindowTitle("Run a command")
        self.setAccessibleName("Command palette")
        self.resize(520, 380)
        self.query = QLineEdit()
        self.query.setPlaceholderText("Type a command: done, snooze, tag, view…")
        self.query.setAccessibleName("Command")
        self.results = QTreeWidget()
        self.results.setAccessibleName("Matching commands")
        self.results.setColumnCount(2)
        self.results.setHeaderHidden(True)
        self.results.setRootIsDecorated(False)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.header().setStretchLastSection(False)
        self.results.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.results.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.results.itemActivated.connect(lambda _item, _column: self.run_selected())
        self.query.textChanged.connect(self._filter)
        self.query.returnPressed.connect(self.run_selected)
        self.query.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.results)
        self._filter("")

    def _filter(self, typed: str) -> None:
        self.results.clear()
        for action in rank(typed, self._actions):
            item = QTreeWidgetItem([action_label(action), action.shortcut().toString()])
            item.setData(0, Qt.ItemDataRole.UserRole, self._actions.index(action))
            self.results.addTopLevelItem(item)
        first = self.results.topLevelItem(0)
        if first is not None:
            self.results.setCurrentItem(first)

    def run_selected(self) -> None:
        item = self.results.currentItem()
        if item is None:
            return
        action = self._actions[int(item.data(0, Qt.ItemDataRole.UserRole))]
        self.accept()
        action.trigger()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up and down move through the results while the typing stays in the query box.
        if (
            watched is self.query
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)
        ):
            step = -1 if event.key() == Qt.Key.Key_Up else 1
            current = self.results.currentItem()
            row = (self.results.indexOfTopLevelItem(current) if current else -1) + step
            target = self.results.topLevelItem(row) if row >= 0 else None
            if target is not None:
                self.results.setCurrentItem(target)
            return True
        return super().eventFilter(watched, event)
