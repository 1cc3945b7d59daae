"""The inbox panel: view tabs with counts, the search box and the mention list."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.inbox import InboxService, InboxView, inbox_filter

from ui.inbox_model import COLUMNS, MESSAGE_COLUMN, InboxModel

# Typing pauses this long before the search runs, so each keystroke does not query.
SEARCH_DELAY_MS = 150


class InboxPanel(QWidget):
    mention_was_selected = Signal(int)
    selection_was_cleared = Signal()
    counts_did_change = Signal(dict)  # {InboxView: count}

    def __init__(self, inbox: InboxService, *, page_size: int = 200) -> None:
        super().__init__()
        self._inbox = inbox
        self._views = list(InboxView)
        self.counts: dict[InboxView, int] = {}
        self._tabs = QTabBar()
        self._tabs.setAccessibleName("Inbox views")
        for view in self._views:
            self._tabs.addTab(view.label)
        self._tabs.currentChanged.connect(lambda _index: self._apply())

        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search text and authors   ( / )")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setAccessibleName("Search mentions")
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply)
        self.search_box.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_box.returnPressed.connect(self._search_now)

        self.model = InboxModel(inbox, page_size=page_size)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Mentions")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(MESSAGE_COLUMN, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((140, 0, 88, 38, 170, 58, 62)):
            if column != MESSAGE_COLUMN:
                header.resizeSection(column, width)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._tabs)
        layout.addWidget(self.search_box)
        layout.addWidget(self.table)
        self._apply()

    @property
    def current_view(self) -> InboxView:
        return self._views[self._tabs.currentIndex()]

    def set_view(self, view: InboxView) -> None:
        self._tabs.setCurrentIndex(self._views.index(view))

    def refresh(self) -> None:
        """Show what the store holds now, keeping the selected mention selected."""
        keep = self.current_mention_id()
        self._apply(select=keep)

    def current_mention_id(self) -> int | None:
        current = self.table.selectionModel().currentIndex()
        return self.model.mention_id(current.row()) if current.isValid() else None

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def focus_list(self) -> None:
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def select_mention(self, mention_id: int, *, max_pages: int = 50) -> bool:
        """Select a mention, loading further pages of the list until it is found."""
        row = self.model.row_of(mention_id)
        pages = 0
        while row is None and pages < max_pages and self.model.canFetchMore(QModelIndex()):
            self.model.fetchMore(QModelIndex())
            row = self.model.row_of(mention_id)
            pages += 1
        if row is None:
            return False
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        return True

    def _search_now(self) -> None:
        self._search_timer.stop()
        self._apply()
        self.focus_list()

    def _apply(self, select: int | None = None) -> None:
        self._search_timer.stop()
        typed = self.search_box.text()
        self.model.set_filter(inbox_filter(self.current_view, typed))
        counts = {view: self._inbox.count(inbox_filter(view, typed)) for view in self._views}
        self.counts = counts
        self.show_counts(counts)
        self.counts_did_change.emit(counts)
        if select is not None and self.select_mention(select):
            return
        if self.model.rowCount() > 0:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        else:
            self.selection_was_cleared.emit()

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.mention_was_selected.emit(self.model.mention_id(current.row()))
        else:
            self.selection_was_cleared.emit()

    def show_counts(self, counts: dict[InboxView, int]) -> None:
        for position, view in enumerate(self._views):
            self._tabs.setTabText(position, f"{view.label}  {counts.get(view, 0):,}")
