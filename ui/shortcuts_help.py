"""The shortcuts sheet ("?"): every keyboard shortcut in the window, by menu."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMenu,
    QMenuBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.palette import action_label

# Keys that work without a menu entry of their own (the list and the detail pane handle them).
BUILT_IN_KEYS = [
    ("Inbox", "Move through the list", "↑ / ↓, Page Up / Page Down"),
    ("Inbox", "Read the selected mention", "Enter"),
    ("Inbox", "Select several mentions", "Shift+↑ / Shift+↓, Ctrl+click"),
    ("Reply", "Send the reply", "Ctrl+Return"),
]


def _key_text(keys: str) -> str:
    """A key as a person reads it: single letters lower case ("j", not "J", which reads as
    Shift+J), and "Shift+?" shown as "?" (the same key on most layouts)."""
    if keys == "Shift+?":
        return "?"
    return keys.lower() if len(keys) == 1 and keys.isalpha() else keys


def menu_shortcuts(menu_bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, action, keys) for every action with a shortcut, in menu order."""
    found: list[tuple[str, str, str]] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                walk(submenu, f"{path} › {action_label(action)}")
            elif not action.isSeparator() and action.shortcuts():
                keys = " or ".join(
                    dict.fromkeys(_key_text(key.toString()) for key in action.shortcuts())
                )
                found.append((path, action_label(action), keys))

    for top in menu_bar.actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            walk(menu, action_label(top))
    return found


def all_actions(menu_bar: QMenuBar) -> list[QAction]:
    """Every runnable action in the menus (what the command palette offers)."""
    found: list[QAction] = []

    def walk(menu: QMenu) -> None:
        for action in menu.actions():
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                walk(submenu)
            elif not action.isSeparator():
                found.append(action)

    for top in menu_bar.actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            walk(menu)
    return found


class ShortcutsHelp(QDialog):
    def __init__(self, parent: QWidget | None, menu_bar: QMenuBar) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setAccessibleName("Keyboard shortcuts")
        rows = menu_shortcuts(menu_bar) + BUILT_IN_KEYS
        self.table = QTableWidget(len(rows), 3)
        self.table.setAccessibleName("Shortcuts")
        self.table.setHorizontalHeaderLabels(["Where", "What", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 620)

    def keys_for(self, what: str) -> str | None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 1)
            if item is not None and item.text() == what:
                keys = self.table.item(row, 2)
                return None if keys is None else keys.text()
        return None
