"""The inbox list model: mention ids in view order, paged from SQL, with a small cache of rows."""

from __future__ import annotations

import difflib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont

from storage.mentions import InboxFilter, PageCursor
from storage.records import (
    InboxRow,
    MentionKind,
    OutboxState,
    TriageStatus,
    to_timestamp,
    utc_now,
)

from app.inbox.service import InboxService
from app.networks.registry import network_info
from app.text.display import age, one_line, preview

_Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("From", "Message", "Kind", "Lang", "Account", "Age", "Status")
MESSAGE_COLUMN = COLUMNS.index("Message")
MENTION_ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2  # the InboxRow itself, for the delegate
BADGES_ROLE = Qt.ItemDataRole.UserRole + 3  # ["draft", "reply queued", ...] for the delegate
# Bold rows are new ones; the list's legend and every new row's tooltip say so.
NEW_ROW_LEGEND = "Bold: status New, not triaged yet (o opens it, e marks it done)"
# Updates from sync are merged: however many arrive within this time, the list refreshes once.
MERGE_DELAY_MS = 200

_KIND_LABELS = {
    MentionKind.MENTION: "Mention",
    MentionKind.REPLY: "Reply",
    MentionKind.QUOTE: "Quote",
    MentionKind.DIRECT: "DM",
}
_STATUS_LABELS = {
    TriageStatus.NEW: "New",
    TriageStatus.OPEN: "Open",
    TriageStatus.PENDING: "Pending",
    TriageStatus.DONE: "Done",
}


class InboxModel(QAbstractTableModel):
    """Holds only ids; rows are built from SQL a screenful at a time and cached (LRU)."""

    view_did_change = Signal()
    merge_will_start = Signal()
    rows_did_merge = Signal()  # the store's changes are in the list (once per burst)

    def __init__(
        self, inbox: InboxService, *, page_size: int = 200, cache_size: int = 4000
    ) -> None:
        super().__init__()
        self._inbox = inbox
        self._page_size = page_size
        self._cache_size = cache_size
        self._filter = InboxFilter()
        self._ids: list[int] = []
        self._next: PageCursor | None = None
        self._cache: OrderedDict[int, InboxRow] = OrderedDict()
        self._bold = QFont()
        self._bold.setBold(True)
        # More words for a row's chips, by mention id (the team's "Kari here"), or None.
        self.extra_badges: Callable[[int], list[str]] | None = None
        self._merge_timer = QTimer(self)
        self._merge_timer.setSingleShot(True)
        self._merge_timer.setInterval(MERGE_DELAY_MS)
        self._merge_timer.timeout.connect(self.merge_changes)

    # --- what to show ---------------------------------------------------------------------

    @property
    def current_filter(self) -> InboxFilter:
        return self._filter

    def set_filter(self, view: InboxFilter) -> None:
        self.beginResetModel()
        self._filter = view
        self._ids = []
        self._cache.clear()
        page = self._inbox.page(view, None, self._page_size)
        self._ids = list(page.ids)
        self._next = page.next
        self._remember(self._inbox.rows(self._ids))
        self.endResetModel()
        self.view_did_change.emit()

    def mention_id(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, mention_id: int) -> int | None:
        try:
            return self._ids.index(mention_id)
        except ValueError:
            return None

    def loaded_languages(self) -> set[str]:
        return {row.language for row in self._cache.values() if row.language}

    def stop(self) -> None:
        """The window is closing (and its store with it): no refresh may be left pending."""
        self._merge_timer.stop()

    @property
    def merge_pending(self) -> bool:
        """Whether a refresh is waiting for the end of a burst of changes."""
        return self._merge_timer.isActive()

    def store_did_change(self) -> None:
        """The store changed (sync, triage): refresh once, soon, however often this is called."""
        if not self._merge_timer.isActive():
            self._merge_timer.start()

    def rows_did_change(self, mention_ids: Iterable[int]) -> None:
        """Those mentions look different (a draft, a badge) but stay where they are: their
        rows are read again and redrawn, nothing else."""
        positions = [row for row in (self.row_of(i) for i in set(mention_ids)) if row is not None]
        if not positions:
            return
        self._remember(self._inbox.rows([self._ids[row] for row in positions]))
        for row in positions:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def merge_changes(self, filter_now: InboxFilter | None = None) -> None:
        """Bring the loaded rows up to date as inserts, removals and changed cells, never a
        reset: the view keeps its selection and the rows around it stay where they are."""
        self._merge_timer.stop()
        self.merge_will_start.emit()
        if filter_now is not None:
            self._filter = filter_now
        fresh, self._next = self._fresh_ids()
        self._cache.clear()
        matcher = difflib.SequenceMatcher(a=self._ids, b=fresh, autojunk=False)
        # Applied from the end, so earlier positions stay valid while later ones change.
        for tag, old_start, old_end, new_start, new_end in reversed(matcher.get_opcodes()):
            if tag in ("delete", "replace"):
                self.beginRemoveRows(QModelIndex(), old_start, old_end - 1)
                del self._ids[old_start:old_end]
                self.endRemoveRows()
            if tag in ("insert", "replace"):
                self.beginInsertRows(QModelIndex(), old_start, old_start + new_end - new_start - 1)
                self._ids[old_start:old_start] = fresh[new_start:new_end]
                self.endInsertRows()
        if self._ids:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._ids) - 1, len(COLUMNS) - 1)
            )
        self.rows_did_merge.emit()

    def _fresh_ids(self) -> tuple[list[int], PageCursor | None]:
        """The view's ids now, down to the last row loaded before (so nothing the person
        scrolled through disappears), and where paging goes on from there."""
        last = self._ids[-1] if self._ids else None
        # A row that left the view makes its place unfindable: stop after this many anyway.
        most = len(self._ids) + 10 * self._page_size
        fresh: list[int] = []
        cursor: PageCursor | None = None
        while True:
            page = self._inbox.page(self._filter, cursor, min(2000, max(self._page_size, most)))
            fresh += page.ids
            cursor = page.next
            if cursor is None or (last is None and len(fresh) >= self._page_size):
                return fresh, cursor
            if last in page.ids or len(fresh) >= most:
                break
        if last in fresh:
            del fresh[fresh.index(last) + 1 :]
            row = self._inbox.rows([last], preview_chars=0).get(last)
            if row is not None:
                return fresh, PageCursor(to_timestamp(row.inbox_time), last)
        return fresh, cursor

    # --- Qt's model interface ---------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: _Index) -> bool:
        return not parent.isValid() and self._next is not None

    def fetchMore(self, parent: _Index) -> None:
        if parent.isValid() or self._next is None:
            return
        page = self._inbox.page(self._filter, self._next, self._page_size)
        self._next = page.next
        if not page.ids:
            return
        first = len(self._ids)
        self.beginInsertRows(QModelIndex(), first, first + len(page.ids) - 1)
        self._ids.extend(page.ids)
        self.endInsertRows()
        self._remember(self._inbox.rows(page.ids))

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._ids):
            return None
        if role == MENTION_ID_ROLE:
            return self._ids[index.row()]
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.FontRole,
            Qt.ItemDataRole.AccessibleTextRole,
            ROW_ROLE,
            BADGES_ROLE,
        ):
            return None
        row = self._row(index.row())
        if row is None:
            return None
        if role == ROW_ROLE:
            return row
        if role == BADGES_ROLE:
            if index.column() != MESSAGE_COLUMN:
                return []
            more = [] if self.extra_badges is None else self.extra_badges(row.id)
            return [*badges(row), *more]
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if row.status is TriageStatus.NEW else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, index.column())
        if role == Qt.ItemDataRole.AccessibleTextRole and index.column() == MESSAGE_COLUMN:
            extra = ", ".join([*badges(row), *row.tags])
            return f"{row.author_name}: {one_line(row.text, 280)}" + (
                f" ({extra})" if extra else ""
            )
        return self._display(row, index.column())

    def _tooltip(self, row: InboxRow, column: int) -> str | None:
        name = COLUMNS[column]
        if name == "Message":
            tip = one_line(row.text, 280)
            if row.tags:
                tip += "\nTags: " + ", ".join(row.tags)
        elif name == "From":
            tip = f"{row.author_name} (@{row.author_handle})"
        elif name == "Account":
            tip = f"{network_info(row.network).label} account {row.account_handle}"
        elif name == "Status" and row.assignee:
            tip = f"{_STATUS_LABELS[row.status]}, assigned to {row.assignee}"
        elif name == "Kind" and row.filtered:
            tip = row.filtered  # the server's reason
        else:
            tip = None
        if row.status is TriageStatus.NEW:
            return f"{tip}\n\n{NEW_ROW_LEGEND}" if tip else NEW_ROW_LEGEND
        return tip

    def _display(self, row: InboxRow, column: int) -> str:
        name = COLUMNS[column]
        if name == "From":
            return one_line(row.author_name or row.author_handle, 40)
        if name == "Message":
            return preview(row.text)
        if name == "Kind":
            return f"{network_info(row.network).mark} {_KIND_LABELS[row.kind]}"
        if name == "Lang":
            return row.language or ""
        if name == "Account":
            # The brand's accounts often share a name: the server part tells them apart.
            return one_line(row.account_handle, 60)
        if name == "Age":
            return age(row.inbox_time, utc_now())
        if row.assignee:
            return f"{_STATUS_LABELS[row.status]} · {one_line(row.assignee, 30)}"
        return _STATUS_LABELS[row.status]

    # --- the row cache ------------------------------------------------------------------------

    def _row(self, position: int) -> InboxRow | None:
        mention_id = self._ids[position]
        row = self._cache.get(mention_id)
        if row is not None:
            self._cache.move_to_end(mention_id)
            return row
        # A miss means the view scrolled somewhere new: load the screenful around it at once.
        start = max(0, position - 50)
        chunk = self._ids[start : position + 100]
        self._remember(self._inbox.rows(chunk))
        return self._cache.get(mention_id)

    def _remember(self, rows: dict[int, InboxRow]) -> None:
        self._cache.update(rows)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


def badges(row: InboxRow) -> list[str]:
    """The short words a row carries besides its tags, in the order they are drawn."""
    found = []
    if row.filtered and not row.filtered.startswith("Dismissed"):
        found.append("filtered by your server")
    if row.deleted:
        found.append("deleted")
    elif row.edited:
        found.append("edited")
    if row.has_draft:
        found.append("draft")
    if row.reply_state is not None and row.reply_state.waiting:
        found.append("reply queued")
    elif row.reply_state is OutboxState.FAILED:
        found.append("reply failed")
    if row.answered:
        found.append("answered")
    return found
