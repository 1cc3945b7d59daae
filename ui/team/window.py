"""The team in the main window: the status-bar indicator, teammates' changes through the change
dispatcher, presence (a banner over the mention, a chip on its row), held replies' choices,
notices, and File → Join a team….

The team link runs on a thread of its own (app.team.runtime), started once the inbox is on
screen; what it hears arrives here as queued signals (ui.team.bridge). Nothing here waits on
the network: the keyring and joining run on the task lanes.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QSystemTrayIcon

from storage.store import open_store

from app.bootstrap import Workspace
from app.changes import Changes
from app.team.apply import AppliedBatch
from app.team.claims import held_by_text
from app.team.presence import Activity, Presence
from app.team.runtime import TeamRuntime
from app.team.status import TeamStatus

from ui.tasks import Lane
from ui.team.bridge import TeamBridge
from ui.team.join_dialog import JoinTeamDialog

if TYPE_CHECKING:
    from app.team.connection import TeamCredentials

    from ui.main_window import MainWindow

log = logging.getLogger(__name__)


class TeamPart(QObject):
    def __init__(self, window: MainWindow, workspace: Workspace) -> None:
        super().__init__(window)
        self._window = window
        self._workspace = workspace
        self.runtime: TeamRuntime | None = None
        self.bridge = TeamBridge(self)
        self.status_label = QLabel()
        self.status_label.setObjectName("teamStatus")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.hide()
        window.statusBar().addPermanentWidget(self.status_label)
        self.banner = QLabel()
        self.banner.setObjectName("teamPresence")
        self.banner.setTextFormat(Qt.TextFormat.PlainText)  # teammates' names, never markup
        self.banner.setStyleSheet(
            "background: #fff4ce; color: #5c4400; padding: 4px 8px; border-radius: 3px"
        )
        self.banner.hide()
        window.detail_pane.add_banner(self.banner)
        self.conflict_line = QLabel()
        self.conflict_line.setObjectName("teamConflict")
        self.conflict_line.setTextFormat(Qt.TextFormat.RichText)  # its links; names escaped
        self.conflict_line.setWordWrap(True)
        self.conflict_line.linkActivated.connect(self._apply_mine)
        self.conflict_line.hide()
        window.detail_pane.add_banner(self.conflict_line)
        self.held_line = QLabel()
        self.held_line.setObjectName("teamHeld")
        self.held_line.setTextFormat(Qt.TextFormat.RichText)  # its links; names escaped
        self.held_line.setWordWrap(True)
        self.held_line.linkActivated.connect(self._held_choice)
        self.held_line.hide()
        window.detail_pane.add_below_reply_box(self.held_line)
        self.presence: dict[str, list[Presence]] = {}
        self._digests: dict[int, str | None] = {}  # mention id -> the team's name for it
        self._shown: int | None = None
        self._held_item: int | None = None
        self._typing = False
        self.stopped = False  # the window closed: its workspace may be closed too
        window.inbox_panel.model.extra_badges = self._badges
        window.detail_pane.mention_was_shown.connect(self._mention_shown)
        window.detail_pane.reply_box.draft_did_change.connect(self._draft_changed)
        window.changes.changes_did_happen.connect(self._changes_did_happen)
        self.bridge.batch_did_arrive.connect(self._batch_arrived)
        self.bridge.status_did_change.connect(self._show_status)
        self.bridge.presence_did_change_signal.connect(self._presence_changed)
        # Published at once after a local change; also every few seconds on its own.
        self._nudge = QTimer(self)
        self._nudge.setSingleShot(True)
        self._nudge.setInterval(50)
        self._nudge.timeout.connect(lambda: self.runtime and self.runtime.nudge())
        self._add_menu()
        if not workspace.is_demo:
            window.inbox_did_paint.connect(self.start)

    # --- the link ------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect to the team (if this workspace joined one); the keyring off the GUI thread."""
        membership = self._workspace.team.membership()
        if membership is None or self.runtime is not None:
            return
        self.status_label.setText(f"Team {membership.team}: connecting…")
        self.status_label.show()
        team = self._workspace.team
        self._window.tasks.run(
            lambda: team.credentials(membership),
            on_done=self._start_with,
            on_error=lambda error: self._show_problem(str(error)),
            owner=self,
            lane=Lane.LOCAL,
        )

    def _start_with(self, credentials: TeamCredentials) -> None:
        membership = self._workspace.team.membership()
        if membership is None or self.runtime is not None:
            return
        database = self._workspace.profile.database
        self.runtime = TeamRuntime(
            lambda: open_store(database, check_integrity=False),
            membership,
            credentials,
            agent_name=lambda: self._workspace.settings.agent_name,
            listener=self.bridge,
        )
        self.runtime.start(wait=False)
        if self._shown is not None:
            self._mention_shown(self._shown)

    def stop(self) -> None:
        self.stopped = True
        self._nudge.stop()
        # What the link said before it stopped may still be queued: it is dropped.
        for signal in (
            self.bridge.batch_did_arrive,
            self.bridge.status_did_change,
            self.bridge.presence_did_change_signal,
        ):
            signal.disconnect()
        if self.runtime is not None:
            self.runtime.stop(timeout=1.5)
            self.runtime = None

    # --- what the link hears -------------------------------------------------------------------

    def _batch_arrived(self, batch: AppliedBatch) -> None:
        if self.stopped:
            return
        if batch.changes:
            self._window.changes.operation_did_execute(batch.changes, self)
        for notice in batch.notices:  # assigned to me, @-mentioned in a note
            self._window.statusBar().showMessage(notice.text, 15000)
            tray = self._window.tray
            if tray.available and QSystemTrayIcon.supportsMessages():
                tray.icon.showMessage("Heedful", notice.text)
            tray.notice_was_shown.emit("Heedful", notice.text)
        if batch.conflicts:
            self._window.statusBar().showMessage(
                "A change was not applied: a teammate had changed it first (see the history).",
                15000,
            )

    def _show_status(self, status: TeamStatus) -> None:
        if self.stopped:
            return
        self.status_label.setText(status.sentence())
        last = status.last_exchange_at
        tip = f"Last exchange with the team: {last.astimezone():%H:%M:%S}" if last else ""
        self.status_label.setToolTip("\n".join(part for part in (tip, status.detail) if part))
        self.status_label.setStyleSheet("" if status.connected else "color: #8a5a00")
        self.status_label.show()

    def _show_problem(self, text: str) -> None:
        self.status_label.setText("Team: not connected")
        self.status_label.setToolTip(text)
        self.status_label.show()

    def _presence_changed(self, presence: dict[str, list[Presence]]) -> None:
        if self.stopped:
            return
        before = {digest for digest, found in self.presence.items() if found}
        self.presence = presence
        now = {digest for digest, found in presence.items() if found}
        touched = [mid for mid, digest in self._digests.items() if digest in before ^ now]
        touched += [mid for mid, digest in self._digests.items() if digest in before & now]
        if touched:
            self._window.inbox_panel.model.rows_did_change(touched)
        self._show_banner()

    # --- presence of ours ------------------------------------------------------------------------

    def _digest(self, mention_id: int) -> str | None:
        if mention_id not in self._digests:
            key = self._workspace.team.key_of(mention_id)
            self._digests[mention_id] = None if key is None else key.digest
        return self._digests[mention_id]

    def _mention_shown(self, mention_id: int | None) -> None:
        self._shown = mention_id
        self._typing = False
        self._show_banner()
        self._show_held()
        self._show_conflicts()
        if self.runtime is None:
            return
        digest = None if mention_id is None else self._digest(mention_id)
        if digest is not None:
            self.runtime.set_presence(digest, Activity.VIEWING)
        else:
            self.runtime.set_presence("", None)  # left the mention: viewing ends

    def _draft_changed(self, mention_id: int, text: str, _mode: str) -> None:
        typing = bool(text.strip())
        if self.runtime is None or mention_id != self._shown or typing == self._typing:
            return
        self._typing = typing
        digest = self._digest(mention_id)
        if digest is not None:
            self.runtime.set_presence(digest, Activity.TYPING if typing else Activity.VIEWING)

    def _show_banner(self) -> None:
        digest = None if self._shown is None else self._digest(self._shown)
        here = self.presence.get(digest or "", [])
        if not here:
            self.banner.hide()
            return
        self.banner.setText(" · ".join(p.sentence() for p in here))
        self.banner.show()

    def _badges(self, mention_id: int) -> list[str]:
        digest = self._digest(mention_id) if self.presence else None
        here = self.presence.get(digest or "", [])
        if not here:
            return []
        typing = [p for p in here if p.activity is not Activity.VIEWING]
        who = (typing or here)[0].name
        return [f"{who} replying" if typing else f"{who} here"]

    # --- held replies ----------------------------------------------------------------------------

    def _changes_did_happen(self, changes: Changes, initiator: object) -> None:
        if self.stopped:
            return
        if initiator is not self and (changes.triage or changes.outbox):
            self._nudge.start()  # our change goes to the team now
        if changes.outbox or (self._shown is not None and self._shown in changes.mentions):
            self._show_held()
        if self._shown is not None and self._shown in changes.triage:
            self._show_conflicts()

    def _show_held(self) -> None:
        self._held_item = None
        if self._shown is None:
            self.held_line.hide()
            return
        item = self._workspace.outbox_service.latest_for_mention(self._shown)
        hold = None if item is None else self._workspace.team.holds.get(item.id)
        if item is None or hold is None or not hold.waiting_for_agent:
            self.held_line.hide()
            return
        self._held_item = item.id
        self.held_line.setText(
            f"<b>Held: {html.escape(held_by_text(hold))}</b>; nothing was posted. "
            "<a href='send'>Send anyway</a> · <a href='discard'>Discard</a> · "
            "<a href='edit'>Edit</a>"
        )
        self.held_line.show()

    def _held_choice(self, choice: str) -> None:
        item_id, mention_id = self._held_item, self._shown
        if item_id is None or mention_id is None:
            return
        gate = self._workspace.team.gate
        guard = self._window.guard
        if choice == "send":
            if guard.attempt("Sending anyway", lambda: gate.send_anyway(item_id)).ok:
                self._window.sync.sync_now()
        elif choice == "discard":
            if not guard.attempt("Discarding the reply", lambda: gate.discard(item_id)).ok:
                return
        else:
            box = self._window.detail_pane.reply_box
            if not box.save_draft_now():
                return
            drafts = self._workspace.replies.drafts
            if not guard.attempt("Taking the reply back", lambda: gate.edit(item_id, drafts)).ok:
                return
            draft = drafts.get(mention_id)
            if box.editor.toPlainText() != draft:
                box.editor.setPlainText(draft)
            box.editor.setFocus()
        self._window.changes.operation_did_execute(
            Changes.of(outbox=[item_id], mentions=[mention_id], drafts=[mention_id]), self
        )

    # --- conflicts -----------------------------------------------------------------------------

    def _show_conflicts(self) -> None:
        membership = self._workspace.team.membership()
        if self._shown is None or membership is None:
            self.conflict_line.hide()
            return
        lines = []
        for conflict in self._workspace.team.conflicts(self._shown):
            if conflict.resolved:
                continue
            theirs = f"{conflict.theirs_actor} set {conflict.theirs_value or 'nothing'} at "
            theirs += f"{conflict.theirs_at.astimezone():%H:%M}"
            if conflict.mine_user == membership.user:
                lines.append(
                    f"Your change ({html.escape(conflict.field)}: "
                    f"{html.escape(conflict.mine_value or '—')}) was not applied: "
                    f"{html.escape(theirs)}. <a href='{conflict.uuid}'>Apply mine anyway</a>"
                )
            else:
                lines.append(
                    f"{html.escape(conflict.mine_actor)}'s change ({html.escape(conflict.field)}"
                    f": {html.escape(conflict.mine_value or '—')}) was not applied: "
                    f"{html.escape(theirs)}."
                )
        if not lines:
            self.conflict_line.hide()
            return
        self.conflict_line.setText("<br>".join(lines[-3:]))
        self.conflict_line.show()

    def _apply_mine(self, conflict_uuid: str) -> None:
        team = self._workspace.team
        attempt = self._window.guard.attempt(
            "Applying your change", lambda: team.apply_mine_anyway(conflict_uuid)
        )
        if attempt.ok and attempt.value is not None:
            self._window.changes.operation_did_execute(attempt.value.changes, None)

    # --- joining -----------------------------------------------------------------------------

    def _add_menu(self) -> None:
        menus = [a.menu() for a in self._window.menuBar().actions()]
        file_menu = next((m for m in menus if isinstance(m, QMenu)), None)
        if file_menu is None:
            return
        join = QAction("Join a &team…", self._window)
        join.triggered.connect(self.show_join_dialog)
        join.setEnabled(not self._workspace.is_demo)
        existing = file_menu.actions()
        if existing:
            file_menu.insertAction(existing[0], join)
        else:
            file_menu.addAction(join)
        self.join_action = join

    def show_join_dialog(self) -> JoinTeamDialog:
        workspace = self._workspace
        dialog = JoinTeamDialog(
            lambda: workspace.open_again(self._window.tasks.stop), self._window.tasks, self._window
        )
        dialog.team_was_joined.connect(self._joined)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.join_dialog = dialog
        return dialog

    def _joined(self, changes: Changes) -> None:
        if self.runtime is not None:  # joined another team: the old link goes
            self.runtime.stop(timeout=1.5)
            self.runtime = None
        membership = self._workspace.team.membership()
        if membership is not None:
            self._window.statusBar().showMessage(f"Joined team {membership.team}.", 8000)
        self._window.changes.operation_did_execute(changes, self)  # what the team had
        self.start()


def install_team(window: MainWindow, workspace: Workspace) -> TeamPart:
    return TeamPart(window, workspace)
