"""The inbox panel: view tabs with counts, the search box, the filter bar and the mention list."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from storage.mentions import InboxFilter
from storage.records import utc_now
from storage.views import SavedView

from app.changes import Changes
from app.inbox.search import parse_query, with_qualifier
from app.inbox.service import (
    InboxService,
    InboxSnapshot,
    InboxView,
    query_filter,
    snapshot_on_own_connection,
    view_filter,
)

from ui.inbox.delegate import InboxRowDelegate
from ui.inbox.filter_bar import FilterBar, SaveViewDialog
from ui.inbox.model import COLUMNS, MESSAGE_COLUMN, InboxModel
from ui.tasks import Lane, TaskHandle, Tasks
from ui.write_guard import WriteGuard

log = logging.getLogger(__name__)

# Typing pauses this long before the search runs, so each keystroke does not query.
SEARCH_DELAY_MS = 150

ViewKey = InboxView | int  # a built-in view, or a saved view's id
DMS_NOTICE = "New direct message"


class InboxPanel(QWidget):
    mention_was_selected = Signal(int)
    selection_was_cleared = Signal()
    counts_did_change = Signal(object)  # {ViewKey: count} (int keys: not a QVariantMap)
    # Something new arrived in a view that asks to be told (DMs, or saved with "notify"):
    # (what, Arrivals).
    news_did_arrive = Signal(str, object)

    def __init__(
        self,
        inbox: InboxService,
        *,
        page_size: int = 200,
        agent_name: str = "",
        tasks: Tasks | None = None,
        database: Path | None = None,
        guard: WriteGuard | None = None,
    ) -> None:
        super().__init__()
        self._inbox = inbox
        self.guard = guard or WriteGuard(self)  # saving and removing views go through it
        self._agent_name = agent_name
        # Counting a big store takes a while: with background tasks and the database's path,
        # counts run on the local lane over their own connection; without (tests), right here.
        self._tasks = tasks
        self._database = database
        self._counting: TaskHandle[InboxSnapshot] | None = None
        self._counts_wanted = False
        self._stopped = False
        self._newest_id: int | None = None
        self.counts: dict[ViewKey, int] = {}
        self._saved: dict[int, SavedView] = {}
        self._keys: list[ViewKey] = []
        self._tabs = QTabBar()
        self._tabs.setAccessibleName("Inbox views")
        self._tabs.setExpanding(False)
        self._tabs.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._tabs.customContextMenuRequested.connect(self._tab_menu)
        self._build_tabs(select=InboxView.OPEN)
        self._tabs.currentChanged.connect(lambda _index: self._apply())

        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(
            "Search text and authors   ( / )   author: lang: tag: is:unanswered …"
        )
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setAccessibleName("Search mentions")
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply)
        self.search_box.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_box.returnPressed.connect(self._search_now)

        self.filter_bar = FilterBar()
        self.filter_bar.qualifier_was_chosen.connect(self._choose_qualifier)
        self.filter_bar.save_was_requested.connect(self.ask_to_save_view)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()

        self.model = InboxModel(inbox, page_size=page_size)
        self.model.merge_will_start.connect(self._remember_scroll)
        self.model.rows_did_merge.connect(self._restore_scroll)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.delegate = InboxRowDelegate(self.table)
        self.table.setItemDelegate(self.delegate)
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
        # Widths in characters of the current font, so a larger system font keeps them readable.
        char = self.fontMetrics().averageCharWidth()
        for column, chars in enumerate((26, 0, 11, 5, 22, 7, 14)):
            if column != MESSAGE_COLUMN:
                header.resizeSection(column, chars * char + 16)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self._scroll_anchor: tuple[int, int] | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._tabs)
        layout.addWidget(self.search_box)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.table)
        self._load_choices()
        self._apply()

    # --- views ------------------------------------------------------------------------------

    @property
    def current_key(self) -> ViewKey:
        return self._keys[self._tabs.currentIndex()]

    @property
    def current_view(self) -> InboxView | None:
        """The built-in view shown, or None while a saved view is shown."""
        key = self.current_key
        return key if isinstance(key, InboxView) else None

    def label_of(self, key: ViewKey) -> str:
        return key.label if isinstance(key, InboxView) else self._saved[key].name

    def current_label(self) -> str:
        return self.label_of(self.current_key)

    def set_view(self, view: ViewKey) -> None:
        if view in self._keys:
            self._tabs.setCurrentIndex(self._keys.index(view))

    def view_state(self) -> str:
        """The current view as remembered between runs ("open", or "saved:12")."""
        key = self.current_key
        return key.value if isinstance(key, InboxView) else f"saved:{key}"

    def restore_view_state(self, state: str) -> None:
        if state in {view.value for view in InboxView}:
            self.set_view(InboxView(state))
        elif state.startswith("saved:") and state[6:].isdigit():
            self.set_view(int(state[6:]))

    def saved_views(self) -> list[SavedView]:
        return list(self._saved.values())

    def filter_for(self, key: ViewKey, typed: str = "") -> InboxFilter:
        now = utc_now()
        if isinstance(key, InboxView):
            base = view_filter(key, now=now, agent_name=self._agent_name)
        else:
            base = query_filter(
                view_filter(InboxView.ALL, now=now),
                parse_query(self._saved[key].query),
                now=now,
                agent_name=self._agent_name,
            )
        return query_filter(base, parse_query(typed), now=now, agent_name=self._agent_name)

    def save_view(self, name: str, query: str, *, notify: bool = False) -> SavedView:
        """Save a search as a view and show it. Raises ValueError with a message for a person
        (a bad name, or a store that refused the write: the dialog keeps what was typed)."""
        attempt = self.guard.attempt(
            "The saved view", lambda: self._inbox.save_view(name, query, notify=notify)
        )
        if attempt.value is None:
            raise ValueError(attempt.message("The saved view"))
        saved = attempt.value
        self._build_tabs(select=self.current_key)
        self.search_box.clear()
        self.set_view(saved.id)
        self._apply()
        return saved

    def remove_view(self, view_id: int) -> None:
        if not self.guard.attempt("Removing the view", lambda: self._inbox.remove_view(view_id)).ok:
            return
        select = self.current_key if self.current_key != view_id else InboxView.OPEN
        self._build_tabs(select=select)
        self._apply()

    def ask_to_save_view(self) -> SaveViewDialog:
        dialog = SaveViewDialog(
            self.search_box.text(),
            lambda name, query, notify: self.save_view(name, query, notify=notify),
            self,
        )
        dialog.open()
        return dialog

    def _build_tabs(self, select: ViewKey) -> None:
        self._saved = {view.id: view for view in self._inbox.saved_views()}
        self._keys = [*InboxView, *self._saved]
        blocked = self._tabs.blockSignals(True)
        try:
            while self._tabs.count():
                self._tabs.removeTab(0)
            for key in self._keys:
                self._tabs.addTab(self.label_of(key))
                if not isinstance(key, InboxView):
                    self._tabs.setTabToolTip(
                        self._tabs.count() - 1,
                        self._saved[key].query
                        + ("\nNotifies of new mentions" if self._saved[key].notify else ""),
                    )
            self._tabs.setCurrentIndex(self._keys.index(select) if select in self._keys else 0)
        finally:
            self._tabs.blockSignals(blocked)
        self.show_counts(self.counts)

    def _tab_menu(self, position: QPoint) -> None:
        index = self._tabs.tabAt(position)
        if index < 0 or isinstance(self._keys[index], InboxView):
            return
        view_id = self._keys[index]
        assert isinstance(view_id, int)
        menu = QMenu(self)
        menu.addAction(f"Remove saved view “{self._saved[view_id].name}”").triggered.connect(
            lambda: self.remove_view(view_id)
        )
        share = menu.addAction("Shared with the team")  # a team view: on every teammate's laptop
        share.setCheckable(True)
        share.setChecked(self._saved[view_id].team)
        share.toggled.connect(lambda team: self.share_view(view_id, team))
        menu.popup(self._tabs.mapToGlobal(position))

    def share_view(self, view_id: int, team: bool) -> None:
        view = dataclasses.replace(self._saved[view_id], team=team)
        if self.guard.attempt("Sharing the view", lambda: self._inbox.update_view(view)).ok:
            self._build_tabs(select=self.current_key)

    # --- list --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Show what the store holds now, at once, keeping the selection and scroll position."""
        self.model.merge_changes(self.filter_for(self.current_key, self.search_box.text()))
        self.request_counts()

    def set_agent_name(self, name: str) -> None:
        """The Mine view is now this person's: the views are counted and listed again."""
        self._agent_name = name
        self.refresh()

    def stop(self) -> None:
        """The window is closing: pending searches and refreshes are dropped (the store they
        would read is about to close)."""
        self._search_timer.stop()
        self.model.stop()
        self._stopped = True
        self._counts_wanted = False  # a count finishing now must not start another

    def store_did_change(self) -> None:
        """The store changed (a sync, triage): refresh soon, once for a whole burst."""
        self.model.store_did_change()

    def changes_did_happen(self, changes: Changes, _initiator: object) -> None:
        """What an operation changed: what a person did shows at once (a reply queued leaves
        Unanswered, a triage change moves the row, and the counts follow); what a sync
        brought is merged after a short pause, once for a burst; a draft only redraws its
        row's badges."""
        if self._stopped:
            return
        if changes.accounts:
            self._load_choices()
        if changes.saved_views:  # a teammate's team view came, changed or went
            self._build_tabs(select=self.current_key)
        if changes.rows_may_move:
            if changes.added or changes.accounts:  # a sync's arrivals: once per burst
                self.store_did_change()
            else:
                self.refresh()
        elif changes.mentions:
            self.model.rows_did_change(changes.mentions)

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

    def _choose_qualifier(self, name: str, value: str) -> None:
        self.search_box.setText(with_qualifier(self.search_box.text(), name, value))
        self._apply()

    def _search_now(self) -> None:
        self._search_timer.stop()
        self._apply()
        self.focus_list()

    def _apply(self, select: int | None = None) -> None:
        self._search_timer.stop()
        typed = self.search_box.text()
        parsed = parse_query(typed)
        self.filter_bar.show_query(parsed)
        self.problem_label.setText("; ".join(parsed.problems))
        self.problem_label.setVisible(bool(parsed.problems))
        self.model.set_filter(self.filter_for(self.current_key, typed))
        # Languages are offered as the list meets them (listing them all would scan the store).
        self.filter_bar.add_choices("lang", self.model.loaded_languages())
        self.request_counts()
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

    def _remember_scroll(self) -> None:
        top = self.table.indexAt(QPoint(0, 0))
        if top.isValid():
            offset = self.table.visualRect(top).top()
            self._scroll_anchor = (self.model.mention_id(top.row()), offset)
        else:
            self._scroll_anchor = None

    def _restore_scroll(self) -> None:
        """The mention at the top of the list before new ones arrived stays at the top."""
        if self._scroll_anchor is not None:
            row = self.model.row_of(self._scroll_anchor[0])
            if row is not None and row > 0:
                # The scroll range follows new rows only at the next layout: update it now,
                # or the jump is clipped to the old range.
                self.table.updateGeometries()
                self.table.scrollTo(
                    self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop
                )
        self._scroll_anchor = None
        if not self.table.selectionModel().currentIndex().isValid() and self.model.rowCount():
            # The list was empty (a first sync): show the first mention, as opening does.
            self.table.selectionModel().setCurrentIndex(
                self.model.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        self.request_counts()

    # --- counts and news ---------------------------------------------------------------------

    def request_counts(self) -> None:
        """Recount every view (and look for news) off the GUI thread when a worker is there."""
        counted: dict[Any, InboxFilter] = {key: self.filter_for(key) for key in self._keys}
        watched: dict[Any, InboxFilter] = {DMS_NOTICE: self.filter_for(InboxView.DMS)}
        for view in self._saved.values():
            if view.notify:
                watched[f"New in “{view.name}”"] = self.filter_for(view.id)
        since = self._newest_id
        if self._tasks is None or self._database is None:
            self._take_snapshot(
                InboxSnapshot(
                    self._inbox.counts(counted),
                    {} if since is None else self._inbox.news(watched, since),
                    self._inbox.newest_id(),
                )
            )
            return
        if self._counting is not None:
            self._counts_wanted = True  # one recount after the running one, not a queue
            return
        if self._tasks.stop.is_set():
            return
        database = self._database
        self._counting = self._tasks.run(
            lambda: snapshot_on_own_connection(database, counted, watched, since),
            on_done=self._counted,
            on_error=self._count_failed,
            owner=self,
            lane=Lane.LOCAL,
        )

    def _counted(self, snapshot: InboxSnapshot) -> None:
        self._counting = None
        if self._stopped:
            return  # the window has closed
        self._take_snapshot(snapshot)
        self._count_again_if_wanted()

    def _count_failed(self, error: Exception) -> None:
        self._counting = None
        log.warning("counting the inbox views failed: %s", error)
        self._count_again_if_wanted()

    def _count_again_if_wanted(self) -> None:
        if self._counts_wanted and not self._stopped:
            self._counts_wanted = False
            self.request_counts()

    def _take_snapshot(self, snapshot: InboxSnapshot) -> None:
        self._newest_id = snapshot.newest_id
        self.counts = {key: count for key, count in snapshot.counts.items() if key in self._keys}
        self.show_counts(self.counts)
        self.counts_did_change.emit(self.counts)
        for what, arrivals in snapshot.news.items():
            self.news_did_arrive.emit(what, arrivals)

    def show_counts(self, counts: Mapping[ViewKey, int]) -> None:
        for position, key in enumerate(self._keys):
            count = counts.get(key)
            shown = "" if count is None else f"  {count:,}"
            self._tabs.setTabText(position, f"{self.label_of(key)}{shown}")

    def _load_choices(self) -> None:
        """Offer the accounts and tags the store knows in the filter menus (small tables)."""
        for name, values in self._inbox.filter_choices().items():
            self.filter_bar.set_choices(name, values)
