"""The main window: a shell of menus, the inbox and detail panels, and the status bar."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QInputDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QWidget

from storage.records import Account, AccountState, utc_now

from app import __version__
from app.bootstrap import Workspace, open_profile
from app.changes import Changes
from app.inbox.service import InboxView
from app.paths import DEFAULT_PROFILE
from app.sync.service import SyncReport
from app.text.display import age

from ui.changes import ChangeDispatcher
from ui.compose.composer import install_composer
from ui.inbox.detail_pane import DetailPane
from ui.inbox.panel import InboxPanel, ViewKey
from ui.inbox.remote_actions import install_remote_actions
from ui.inbox.triage_actions import install_triage_actions
from ui.status_bar import SyncStatus, watch_reachability
from ui.sync.accounts_dialog import (
    AddBlueskyAccountDialog,
    AddMastodonAccountDialog,
    AddXAccountDialog,
)
from ui.sync.channel_health import ChannelHealthDialog
from ui.sync.controller import SyncController
from ui.sync.outbox_panel import OutboxStateLine, OutboxWindow
from ui.tasks import Tasks
from ui.team.window import install_team
from ui.tray import install_inbox_tray
from ui.write_guard import WriteGuard


class MainWindow(QMainWindow):
    window_did_close = Signal()
    # The first real account was added while the demo was open: reopen on the real profile.
    workspace_should_switch = Signal(str)
    inbox_did_paint = Signal()  # the first time the list is on screen: start-up is over

    def __init__(self, workspace: Workspace, tasks: Tasks | None = None) -> None:
        super().__init__()
        self._workspace = workspace
        self.tasks = tasks or Tasks(parent=self)
        # Every operation's change set goes through here; each view decides what to refresh.
        self.changes = ChangeDispatcher(self)
        # Every slot that writes goes through here: a refused write is said, never lost.
        self.guard = WriteGuard(self)
        self.sync = SyncController(workspace, self.tasks, self.changes, self, guard=self.guard)
        self.count_label = QLabel()
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.sync_label = QLabel()
        self.sync_label.setTextFormat(Qt.TextFormat.PlainText)  # quotes servers' words
        self.unsaved_label = QLabel()
        self.unsaved_label.setObjectName("notSavedYet")
        self.unsaved_label.setTextFormat(Qt.TextFormat.PlainText)
        self.unsaved_label.setStyleSheet("color: #b00020; font-weight: bold")
        self.unsaved_label.hide()
        self._painted = False
        self._closing_unsaved = False  # the person chose to close with a draft not saved
        self.setWindowTitle("Heedful — Demo workspace" if workspace.is_demo else "Heedful")
        self.setMinimumSize(720, 420)

        self.inbox_panel = InboxPanel(
            workspace.inbox,
            page_size=workspace.settings.inbox_page_size,
            agent_name=workspace.settings.agent_name,
            tasks=self.tasks,
            database=workspace.profile.database,
            guard=self.guard,
        )
        self.tray = install_inbox_tray(self, self.inbox_panel)
        self.detail_pane = DetailPane(
            workspace.inbox,
            workspace.replies.drafts,
            can_reply=not workspace.is_demo,
            triage=workspace.triage,
            guard=self.guard,
            changes=self.changes,
        )
        self.inbox_panel.mention_was_selected.connect(self.detail_pane.show_mention)
        self.inbox_panel.selection_was_cleared.connect(self.detail_pane.show_nothing)
        self.detail_pane.mention_was_requested.connect(self._go_to_mention)
        self.detail_pane.switch_was_refused.connect(self._stay_on)
        self.detail_pane.link_was_hovered.connect(
            lambda target: self.statusBar().showMessage(target)
        )
        reply_box = self.detail_pane.reply_box
        reply_box.reply_was_requested.connect(self.sync.send_reply)
        self.sync.reply_did_queue.connect(lambda _id: reply_box.reply_was_queued())
        self.sync.reply_was_refused.connect(lambda _id, why: reply_box.show_outcome(why))
        self.sync.reply_did_finish.connect(self._reply_finished)
        self.sync.sync_did_start.connect(lambda: self.sync_label.setText("Syncing…"))
        # Each account's mentions show as soon as it is done: a slow server delays only itself.
        self.sync.account_did_sync.connect(lambda report: self._sync_finished([report]))
        self.outbox_line = OutboxStateLine(workspace.outbox_service, self.sync)
        self.detail_pane.add_below_reply_box(self.outbox_line)
        self.detail_pane.mention_was_shown.connect(self.outbox_line.show_for)
        self.outbox_line.edit_was_requested.connect(self._edit_again)
        self.detail_pane.thread_is_missing.connect(self.sync.fetch_thread)
        self.sync.work_did_fail.connect(
            lambda message: self.statusBar().showMessage(message, 15000)
        )
        self.guard.write_did_fail.connect(
            lambda message: self.statusBar().showMessage(message, 15000)
        )
        self.guard.unsaved_did_change.connect(self._show_unsaved)

        self._splitter = QSplitter(Qt.Orientation.Horizontal)
        self._splitter.addWidget(self.inbox_panel)
        self._splitter.addWidget(self.detail_pane)
        self._splitter.setStretchFactor(0, 3)
        self._splitter.setStretchFactor(1, 2)
        self._splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self._splitter)

        self.statusBar().addPermanentWidget(self.unsaved_label)
        self.statusBar().addPermanentWidget(self.sync_label)
        self.statusBar().addPermanentWidget(self.count_label)
        self.sync_status = SyncStatus(self.statusBar(), workspace.health, self.sync)
        # What each operation changed reaches every view from here, in this order: the list
        # (and through its counts the count label and the tray), the mention on screen, the
        # line under the reply box, the status bar.
        for view in (self.inbox_panel, self.detail_pane, self.outbox_line, self.sync_status):
            self.changes.changes_did_happen.connect(view.changes_did_happen)
        self.changes.changes_did_happen.connect(self._changes_did_happen)
        watch_reachability(self.sync)
        self._show_account_states()
        self.inbox_panel.counts_did_change.connect(self._show_counts)
        self._show_counts(self.inbox_panel.counts)
        if workspace.is_demo:
            self.statusBar().showMessage(
                "Demo workspace: a fictional brand's mentions. Nothing here is sent anywhere."
            )

        self._build_menus()
        self.triage_actions = install_triage_actions(self, workspace.triage)
        self.team = install_team(self, workspace)  # the shared inbox, when joined to a team
        # Filtered requests, opened posts looked at again, whether a DM would be taken.
        self.remote_actions = install_remote_actions(self, workspace)
        self._restore_ui_state()
        current = self.inbox_panel.current_mention_id()
        if current is not None:
            self.detail_pane.show_mention(current)
        self.inbox_panel.table.viewport().installEventFilter(self)
        self.inbox_panel.focus_list()

    # --- menus -------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "Your &name…", self.ask_agent_name)
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        view_menu = self.menuBar().addMenu("&View")
        for number, view in enumerate(InboxView, start=1):
            self._action(
                view_menu,
                view.label,
                lambda _checked=False, v=view: self.inbox_panel.set_view(v),
                QKeySequence(f"Ctrl+{number}"),
            )

        go_menu = self.menuBar().addMenu("&Go")
        self._action(go_menu, "&Search", self.inbox_panel.focus_search, QKeySequence("/"))
        self._action(
            go_menu,
            "Search (alternative key)",
            self.inbox_panel.focus_search,
            QKeySequence.StandardKey.Find,
        )
        self._action(go_menu, "Mention &list", self.inbox_panel.focus_list, QKeySequence("Esc"))

        accounts_menu = self.menuBar().addMenu("&Accounts")
        self._action(accounts_menu, "Add &Mastodon account…", self.add_mastodon_account)
        self._action(accounts_menu, "Add &Bluesky account…", self.add_bluesky_account)
        self._action(accounts_menu, "Add &X account…", self.add_x_account)
        sync_action = self._action(
            accounts_menu, "&Sync now", self.sync.sync_now, QKeySequence("F5")
        )
        sync_action.setEnabled(self.sync.enabled)
        self._action(accounts_menu, "&Outbox…", self.show_outbox)
        self._action(accounts_menu, "Channel &health…", self.show_channel_health)

        install_composer(self, self._workspace)  # the Reply menu: snippets, DM, manager

        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About Heedful", self._about)

    def _action(
        self,
        menu: QWidget,
        text: str,
        slot: object,
        shortcut: QKeySequence | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About Heedful",
            f"<h3>Heedful {__version__}</h3><p>A desktop inbox for community managers: "
            "fast, offline-first, in the customer's language and the brand's voice.</p>"
            f"<p>Data: {html.escape(str(self._workspace.profile.data_dir))}</p>",
        )

    # --- accounts and sync ----------------------------------------------------------------------

    def _workspace_for_accounts(self) -> Callable[[], Workspace]:
        """How a worker opens the workspace new accounts go to (its own connection)."""
        workspace = self._workspace
        if workspace.is_demo:
            # Accounts belong to the real workspace, never to the demo.
            return lambda: open_profile(workspace.paths, DEFAULT_PROFILE)
        return lambda: workspace.open_again(self.tasks.stop)

    def add_mastodon_account(self) -> AddMastodonAccountDialog:
        dialog = AddMastodonAccountDialog(self._workspace_for_accounts(), self.tasks, None)
        self._show_account_dialog(dialog)
        return dialog

    def add_bluesky_account(self) -> AddBlueskyAccountDialog:
        dialog = AddBlueskyAccountDialog(self._workspace_for_accounts(), self.tasks, None)
        self._show_account_dialog(dialog)
        return dialog

    def add_x_account(self) -> AddXAccountDialog:
        dialog = AddXAccountDialog(self._workspace_for_accounts(), self.tasks, None)
        self._show_account_dialog(dialog)
        return dialog

    def _show_account_dialog(
        self, dialog: AddMastodonAccountDialog | AddBlueskyAccountDialog | AddXAccountDialog
    ) -> None:
        dialog.setParent(self, dialog.windowFlags())
        dialog.account_was_added.connect(self._account_added)
        dialog.open()

    def _account_added(self, account: Account) -> None:
        if self._workspace.is_demo:
            self.workspace_should_switch.emit(DEFAULT_PROFILE)
            return
        self.statusBar().showMessage(f"Added {account.handle}; fetching its mentions…", 8000)
        self.changes.operation_did_execute(Changes.of(accounts=[account.id]), self)
        self.sync.start_schedule()

    def show_outbox(self) -> OutboxWindow:
        window = OutboxWindow(self._workspace.outbox_service, self.sync, self.changes, self)
        window.edit_was_requested.connect(self._edit_again)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.show()
        return window

    def show_channel_health(self) -> ChannelHealthDialog:
        dialog = ChannelHealthDialog(
            self._workspace.health, self.sync, self, guard=self.guard, changes=self.changes
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _edit_again(self, item_id: int) -> None:
        """A failed reply goes back into its mention's editor, beside what is typed there."""
        box = self.detail_pane.reply_box
        if not box.save_draft_now():  # what is typed joins the draft before the failed text
            self.statusBar().showMessage(
                "Not edited again: what is typed here is not saved yet (the failed reply"
                " stays in the outbox).",
                10000,
            )
            return
        outbox = self._workspace.outbox_service
        attempt = self.guard.attempt("Taking the reply back", lambda: outbox.edit_again(item_id))
        if not attempt.ok:
            return  # the guard said why; the reply stays in the outbox
        mention_id = attempt.value
        if mention_id is None:
            self.statusBar().showMessage("Only a failed reply can be edited again.", 8000)
            return
        self.changes.operation_did_execute(
            Changes.of(
                outbox=[item_id], drafts=[mention_id], description="Reply back in the editor"
            ),
            self,
        )
        self._go_to_mention(mention_id)
        draft = self._workspace.replies.drafts.get(mention_id)
        if box.editor.toPlainText() != draft:  # it was on screen already: show the new text
            box.editor.setPlainText(draft)
        direct = self._workspace.replies.drafts.mode(mention_id) == "direct"
        if direct != box.direct and box.can_go_direct():
            box.toggle_direct()  # a private reply comes back private
        box.editor.setFocus()

    def _sync_finished(self, reports: list[SyncReport]) -> None:
        added = sum(report.added for report in reports)
        if added:
            self.statusBar().showMessage(f"{added} new mention{'s' * (added != 1)}", 8000)
        self._show_account_states()

    def _changes_did_happen(self, changes: Changes, _initiator: object) -> None:
        if changes.accounts:
            self._show_account_states()

    def _reply_finished(self, mention_id: int, outcome: str) -> None:
        if self.detail_pane.shown_mention_id == mention_id:
            self.detail_pane.reply_box.show_outcome(outcome)
        else:
            self.statusBar().showMessage(outcome, 8000)

    def _stay_on(self, mention_id: int) -> None:
        """Moving on was refused (the reply there is not saved yet): the list goes back to
        the mention still on screen, if it is listed, and the status bar says why."""
        self.statusBar().showMessage(
            "Still on this mention: its reply is not saved yet. Heedful keeps trying.", 10000
        )
        if self.inbox_panel.current_mention_id() != mention_id:
            self.inbox_panel.select_mention(mention_id)

    def _show_unsaved(self, text: str) -> None:
        self.unsaved_label.setText("Not saved yet" if text else "")
        self.unsaved_label.setToolTip(html.escape(text).replace("\n", "<br>"))
        self.unsaved_label.setVisible(bool(text))

    def _show_account_states(self) -> None:
        if self._workspace.is_demo:
            self.sync_label.setText("")
            return
        accounts = self._workspace.accounts.all()
        troubled = [a for a in accounts if a.state is not AccountState.OK]
        if not accounts:
            self.sync_label.setText("No account yet: Accounts → Add")
        elif troubled:
            self.sync_label.setText("; ".join(f"{a.handle}: {_state_text(a)}" for a in troubled))
            # Servers' words, escaped: a tooltip would render them as HTML.
            self.sync_label.setToolTip("<br>".join(html.escape(a.state_detail) for a in troubled))
        else:
            synced = [a.last_synced_at for a in accounts if a.last_synced_at]
            when = f"synced {age(max(synced), utc_now())} ago" if synced else "not synced yet"
            self.sync_label.setText(f"{len(accounts)} account{'s' * (len(accounts) != 1)} · {when}")

    # --- state -------------------------------------------------------------------------------

    def _go_to_mention(self, mention_id: int) -> None:
        if not self.inbox_panel.select_mention(mention_id):
            self.detail_pane.show_mention(mention_id)

    def _show_counts(self, counts: dict[ViewKey, int]) -> None:
        key = self.inbox_panel.current_key
        self.count_label.setText(f"{counts.get(key, 0):,} in {self.inbox_panel.current_label()}")

    def _ui_state(self) -> QSettings:
        return QSettings(str(self._workspace.profile.ui_state), QSettings.Format.IniFormat)

    def _restore_ui_state(self) -> None:
        state = self._ui_state()
        geometry = state.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        splitter = state.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self._splitter.restoreState(splitter)
        else:
            self._splitter.setSizes([self.width() * 2 // 3, self.width() // 3])
        columns = state.value("inbox/columns")
        if isinstance(columns, QByteArray):
            self.inbox_panel.table.horizontalHeader().restoreState(columns)
        view = state.value("inbox/view")
        if isinstance(view, str):
            self.inbox_panel.restore_view_state(view)

    def _save_ui_state(self) -> None:
        state = self._ui_state()
        state.setValue("window/geometry", self.saveGeometry())
        state.setValue("window/splitter", self._splitter.saveState())
        state.setValue("inbox/columns", self.inbox_panel.table.horizontalHeader().saveState())
        state.setValue("inbox/view", self.inbox_panel.view_state())
        state.sync()

    # --- events ------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._painted and event.type() == QEvent.Type.Paint:
            self._painted = True
            self.inbox_panel.table.viewport().removeEventFilter(self)
            self.inbox_did_paint.emit()
        return super().eventFilter(watched, event)

    def ask_agent_name(self, problem: str = "") -> QInputDialog:
        """The name replies are signed with, the triage history records and "Mine" means."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Your name")
        dialog.setLabelText(
            (f"<b>{html.escape(problem)}</b><br>" if problem else "")
            + "The name your replies are signed with ({agent.name}), and that the triage"
            " history and the Mine view use:"
        )
        dialog.setTextValue(self._workspace.settings.agent_name)

        def chosen(name: str) -> None:
            try:
                self._workspace.set_agent_name(name)
            except ValueError as why:
                self.ask_agent_name(str(why)).setTextValue(name)
                return
            except OSError as why:
                self.ask_agent_name(f"Could not save it: {why}").setTextValue(name)
                return
            self.inbox_panel.set_agent_name(self._workspace.settings.agent_name)
            self.statusBar().showMessage(
                f"Replies are now signed {self._workspace.settings.agent_name}.", 8000
            )

        dialog.textValueSelected.connect(chosen)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.name_dialog = dialog
        return dialog

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.detail_pane.reply_box.save_draft_now() and not self._closing_unsaved:
            event.ignore()  # never closed silently over a reply that is not saved
            self._ask_to_close_unsaved()
            return
        self._save_ui_state()
        self.sync.stop()
        self.team.stop()
        self.inbox_panel.stop()
        self.triage_actions.stop()
        self.tray.hide()
        self.tasks.shutdown()
        super().closeEvent(event)
        self.window_did_close.emit()

    def _ask_to_close_unsaved(self) -> QMessageBox:
        question = QMessageBox(
            QMessageBox.Icon.Warning,
            "Heedful",
            "The reply you are writing is not saved yet: "
            + self.guard.unsaved_text()
            + "\n\nClose anyway and lose it, or stay (Heedful keeps trying to save it)?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        question.setTextFormat(Qt.TextFormat.PlainText)
        question.button(QMessageBox.StandardButton.Discard).setText("Close and lose it")
        question.button(QMessageBox.StandardButton.Cancel).setText("Stay")
        question.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(button: int) -> None:
            if button == QMessageBox.StandardButton.Discard:
                self._closing_unsaved = True
                self.close()

        question.finished.connect(answered)
        question.open()
        self.close_question = question
        return question


def _state_text(account: Account) -> str:
    text = account.state.value.replace("_", " ")
    if account.state is AccountState.NEEDS_SIGN_IN:
        return "needs sign-in again (Accounts → Add)"
    if account.state is AccountState.RATE_LIMITED and account.state_until is not None:
        return f"{text} until {account.state_until.astimezone():%H:%M}"
    return text
