"""The snippet palette: type to find a snippet (fuzzy over title, shortcut, body and tags),
Enter inserts it. With nothing typed, the snippets suggested for this mention come first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListView, QVBoxLayout, QWidget

from storage.snippets import Snippet

from app.compose.snippets import search
from app.text.display import one_line

_Index = QModelIndex | QPersistentModelIndex


class SnippetListModel(QAbstractListModel):
    """Snippets as rows: the library is small (hundreds), so rows are the snippets themselves."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Snippet] = []
        self._suggested: set[int] = set()

    def set_snippets(self, snippets: Sequence[Snippet], suggested: Sequence[int] = ()) -> None:
        self.beginResetModel()
        self._rows = list(snippets)
        self._suggested = set(suggested)
        self.endResetModel()

    def snippet(self, row: int) -> Snippet | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        snippet = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            shortcut = f"/{snippet.shortcut}  " if snippet.shortcut else ""
            star = "★ " if snippet.id in self._suggested else ""
            return f"{star}{shortcut}{snippet.title} — {one_line(snippet.body, 70)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            tags = ", ".join(snippet.tags)
            return f"{snippet.title}\n{snippet.folder} {tags}\n\n{snippet.body}"
        if role == Qt.ItemDataRole.UserRole:
            return snippet.id
        return None


class SnippetPalette(QDialog):
    snippet_was_chosen = Signal(object)  # Snippet

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Insert snippet")
        self.resize(560, 360)
        self._snippets: list[Snippet] = []
        self._suggested: list[int] = []
        self.query = QLineEdit()
        self.query.setPlaceholderText("Find a snippet: title, /shortcut, words, tags…")
        self.query.setAccessibleName("Find a snippet")
        self.query.textChanged.connect(self._throttle)
        self.query.installEventFilter(self)
        self.model = SnippetListModel()
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setAccessibleName("Snippets")
        self.list.activated.connect(lambda index: self._choose(index.row()))
        self.hint = QLabel("↑↓ choose · Enter inserts at the cursor · Esc closes")
        self.hint.setStyleSheet("color: gray")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(60)
        self._timer.timeout.connect(self._filter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.hint)

    def open_with(self, snippets: Sequence[Snippet], suggested: Sequence[int] = ()) -> None:
        self._snippets = list(snippets)
        self._suggested = list(suggested)
        self.query.clear()
        self._filter()
        self.open()
        self.query.setFocus()

    def _throttle(self) -> None:
        self._timer.start()

    def _filter(self) -> None:
        self._timer.stop()
        text = self.query.text().strip()
        found = search(self._snippets, text)
        if not text and self._suggested:
            order = {snippet_id: rank for rank, snippet_id in enumerate(self._suggested)}
            found.sort(key=lambda s: order.get(s.id, len(order)))
        self.model.set_snippets(found, self._suggested)
        if found:
            self.list.setCurrentIndex(self.model.index(0))

    def visible_titles(self) -> list[str]:
        return [
            snippet.title
            for row in range(self.model.rowCount())
            if (snippet := self.model.snippet(row)) is not None
        ]

    def eventFilter(self, watched: Any, event: Any) -> bool:
        if (
            watched is self.query
            and isinstance(event, QKeyEvent)
            and event.type() == event.Type.KeyPress
        ):
            if event.key() in (
                Qt.Key.Key_Down,
                Qt.Key.Key_Up,
                Qt.Key.Key_PageDown,
                Qt.Key.Key_PageUp,
            ):
                self.list.keyPressEvent(event)  # arrows move the list while typing
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._timer.isActive():
                    self._filter()
                self._choose(self.list.currentIndex().row())
                return True
        return super().eventFilter(watched, event)

    def _choose(self, row: int) -> None:
        snippet = self.model.snippet(row)
        if snippet is None:
            return
        self.accept()
        self.snippet_was_chosen.emit(snippet)
