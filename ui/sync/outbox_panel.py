"""The outbox window (every reply with its state, Retry and Edit again) and the line under the
reply box that shows the selected mention's latest reply."""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from storage.records import OutboxItem, OutboxState, utc_now

from app.changes import Changes
from app.sync.outbox import OutboxService, outbox_line
from app.text.display import one_line

from ui.changes import ChangeDispatcher
from ui.links import external_target, hover_text, open_external
from ui.sync.controller import SyncController

log = logging.getLogger(__name__)

_ModelIndex = QModelIndex | QPersistentModelIndex
_COLUMNS = ("State", "Queued", "Reply", "Details")


class OutboxModel(QAbstractTableModel):
    """The outbox's items, newest first (an outbox is small: all rows are held)."""

    def __init__(self, outbox: OutboxService) -> None:
        super().__init__()
        self._outbox = outbox
        self._items: list[OutboxItem] = []
        self.refresh()

    def refresh(self) -> None:
        self.beginResetModel()
        self._items = list(reversed(self._outbox.items()))
        self.endResetModel()

    def item(self, row: int) -> OutboxItem:
        return self._items[row]

    def row_of(self, item_id: int) -> int | None:
        for row, item in enumerate(self._items):
            if item.id == item_id:
                return row
        return None

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's API
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _COLUMNS[section]
        return None

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            line = outbox_line(item, utc_now())
            column = index.column()
            if column == 0:
                return line.state
            if column == 1:
                return f"{item.created_at.astimezone():%d %b %H:%M}"
            if column == 2:
                return one_line(item.body, 80)
            return line.detail
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 2:
            return item.body
        return None


class OutboxWindow(QDialog):
    """Every reply Heedful was asked to send: queued, sending, sent (with a link), failed
    (why, with Retry and Edit again)."""

    edit_was_requested = Signal(int)  # outbox item id of a failed reply to edit again

    def __init__(
        self,
        outbox: OutboxService,
        sync: SyncController,
        changes: ChangeDispatcher,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Outbox — Heedful")
        self.resize(900, 420)
        self._outbox = outbox
        self._sync = sync
        self.model = OutboxModel(outbox)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self.open_post())
        self.retry_button = QPushButton("&Retry")
        self.edit_button = QPushButton("&Edit again")
        self.open_button = QPushButton("&Open post")
        self.retry_button.clicked.connect(self.retry)
        self.edit_button.clicked.connect(self.edit_again)
        self.open_button.clicked.connect(self.open_post)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        for button in (self.retry_button, self.edit_button, self.open_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        changes.changes_did_happen.connect(self.changes_did_happen)
        self._enable()

    def changes_did_happen(self, changes: Changes, _initiator: object) -> None:
        if changes.outbox:
            self.refresh()

    def refresh(self) -> None:
        selected = self.selected()
        self.model.refresh()
        if selected is not None:
            self.select(selected.id)
        self._enable()

    def selected(self) -> OutboxItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.item(rows[0].row()) if rows else None

    def select(self, item_id: int) -> None:
        row = self.model.row_of(item_id)
        if row is not None:
            self.table.selectRow(row)

    def retry(self) -> None:
        item = self.selected()
        if item is not None and self._sync.retry_reply(item.id):
            self.message.setText("Queued again.")

    def edit_again(self) -> None:
        item = self.selected()
        if item is not None:
            self.edit_was_requested.emit(item.id)

    def open_post(self) -> None:
        """The sent post in the browser; the address came from the server, so only if it is
        an http(s) one."""
        item = self.selected()
        if item is not None and item.url and not open_external(item.url):
            self.message.setText(f"Not opened: {hover_text(item.url)}.")

    def _enable(self) -> None:
        item = self.selected()
        failed = item is not None and item.state is OutboxState.FAILED
        self.retry_button.setEnabled(failed)
        self.edit_button.setEnabled(failed and item is not None and item.mention_id is not None)
        self.open_button.setEnabled(item is not None and bool(item.url))
        # Where "Open post" really goes, shown before it is pressed.
        self.open_button.setToolTip(hover_text(item.url) if item is not None and item.url else "")


class OutboxStateLine(QLabel):
    """Under the reply box: what became of the latest reply to the selected mention."""

    edit_was_requested = Signal(int)  # outbox item id of a failed reply to edit again

    def __init__(self, outbox: OutboxService, sync: SyncController) -> None:
        super().__init__()
        self.setObjectName("outboxState")
        self.setWordWrap(True)
        # Rich text for its links; every word from a server in it is escaped.
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setOpenExternalLinks(False)
        self.linkActivated.connect(self._link)
        self.linkHovered.connect(self._hovered)
        self._outbox = outbox
        self._sync = sync
        self._mention_id: int | None = None
        self.item: OutboxItem | None = None
        self.hide()

    def changes_did_happen(self, changes: Changes, _initiator: object) -> None:
        if changes.outbox or self._mention_id in changes.mentions:
            self.refresh()

    def show_for(self, mention_id: int | None) -> None:
        self._mention_id = mention_id
        self.refresh()

    def refresh(self) -> None:
        if self._sync.stopped:
            return
        self.item = None
        if self._mention_id is not None:
            self.item = self._outbox.latest_for_mention(self._mention_id)
        if self.item is None:
            self.hide()
            return
        line = outbox_line(self.item, utc_now())
        detail = html.escape(line.detail)
        target = external_target(line.url) if line.url else None
        if self.item.state is OutboxState.SENT and target is not None:
            href = html.escape(target.toString(QUrl.ComponentFormattingOption.FullyEncoded))
            text = f"Reply sent: <a href='{href}'>open the post</a>"
        elif self.item.state is OutboxState.FAILED:
            text = (
                f"<b>Reply not sent:</b> {html.escape(self.item.last_error or '')} "
                f"<a href='retry:{self.item.id}'>Retry</a> · "
                f"<a href='edit:{self.item.id}'>Edit again</a>"
            )
        else:
            text = f"Reply {line.state}: {detail}"
        self.setText(text)
        self.show()

    def _link(self, link: str) -> None:
        kind, _, rest = link.partition(":")
        if kind == "retry" and rest.isdigit():
            self._sync.retry_reply(int(rest))
        elif kind == "edit" and rest.isdigit():
            self.edit_was_requested.emit(int(rest))
        else:
            open_external(link)  # the sent post, in the system browser (if it is http(s))

    def _hovered(self, link: str) -> None:
        kind = link.partition(":")[0]
        internal = kind in ("retry", "edit")
        self.setToolTip("" if not link or internal else hover_text(link))
