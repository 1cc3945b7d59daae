"""What the window asks a network about one mention: accept or dismiss a notification request
the brand's server filtered, look again at an opened post (edits, deletion), whether its
author takes a direct message. Each runs on the network lane; what it changed is dispatched."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from storage.errors import StoreError

from app.bootstrap import Workspace
from app.networks.errors import NetworkError
from app.sync.afterwards import NoRequest, RequestOutcome

from ui.tasks import Lane

if TYPE_CHECKING:
    from ui.main_window import MainWindow

# An opened post is looked at again once the person has stayed on it a moment: going down
# the list with j/k asks nothing of the server.
LOOK_AFTER_MS = 1500


class RemoteActions(QObject):
    def __init__(self, window: MainWindow, workspace: Workspace) -> None:
        super().__init__(window)
        self._window = window
        self._workspace = workspace
        self._shown: int | None = None
        self._look_timer = QTimer(self)
        self._look_timer.setSingleShot(True)
        self._look_timer.setInterval(LOOK_AFTER_MS)
        self._look_timer.timeout.connect(self._look_at_shown)
        self.actions: dict[str, QAction] = {}
        if workspace.is_demo:
            return  # nothing in the demo is on a network
        window.detail_pane.mention_was_shown.connect(self._shown_changed)
        window.detail_pane.reply_box.direct_check_was_requested.connect(self.check_direct)
        menus = [a.menu() for a in window.menuBar().actions() if a.text() == "&Mention"]
        mention_menu = next((m for m in menus if isinstance(m, QMenu)), None)
        target = mention_menu or window.menuBar().addMenu("&Requests")
        target.addSeparator()
        for name, label, act in (
            ("accept", "Accept filtered request", self.accept_selected),
            ("dismiss", "Dismiss filtered request", self.dismiss_selected),
        ):
            action = QAction(label, window)
            action.setStatusTip(
                "A notification your server held back (its notification policy): "
                + ("let this person through from now on" if name == "accept"
                   else "delete what the server held; Heedful keeps its copy, closed")
            )  # fmt: skip
            action.triggered.connect(act)
            target.addAction(action)
            self.actions[name] = action

    # --- notification requests ---------------------------------------------------------------

    def accept_selected(self) -> None:
        self._request(lambda workspace, mention_id: workspace.requests.accept(mention_id))

    def dismiss_selected(self) -> None:
        self._request(lambda workspace, mention_id: workspace.requests.dismiss(mention_id))

    def _request(self, act: Callable[[Workspace, int], RequestOutcome]) -> None:
        mention_id = self._window.inbox_panel.current_mention_id()
        if mention_id is None:
            self._say("Select a filtered mention first.")
            return
        self._window.tasks.run(
            functools.partial(self._on_own_connection, act, mention_id),
            on_done=self._request_done,
            on_error=lambda error: self._say(_why(error)),
            owner=self,
            lane=Lane.NETWORK,
        )

    def _on_own_connection(self, act: Callable[[Workspace, int], Any], mention_id: int) -> Any:
        workspace = self._workspace.open_again(self._window.tasks.stop)
        try:
            return act(workspace, mention_id)
        finally:
            workspace.close()

    def _request_done(self, outcome: RequestOutcome) -> None:
        self._window.changes.operation_did_execute(outcome.changes, self)
        self._say(outcome.message)

    # --- an opened post, looked at again -------------------------------------------------------

    def _shown_changed(self, mention_id: int | None) -> None:
        self._shown = mention_id
        if mention_id is None:
            self._look_timer.stop()
        else:
            self._look_timer.start()

    def _look_at_shown(self) -> None:
        mention_id = self._shown
        if mention_id is None or not self._window.sync.enabled:
            return
        self._window.tasks.run(
            functools.partial(
                self._on_own_connection,
                lambda workspace, shown: workspace.sync.look_at(shown),
                mention_id,
            ),
            on_done=lambda changes: self._window.changes.operation_did_execute(changes, self),
            on_error=lambda _error: None,  # offline or refused: the next sync looks again
            owner=self,
            lane=Lane.NETWORK,
        )

    # --- direct messages ---------------------------------------------------------------------

    def check_direct(self, mention_id: int) -> None:
        """Ask the network whether the author takes a DM from the brand; if not, the reply
        goes back to public with the reason on screen (the text stays)."""
        box = self._window.detail_pane.reply_box
        self._window.tasks.run(
            functools.partial(
                self._on_own_connection,
                lambda workspace, shown: workspace.sync.why_no_direct_message(shown),
                mention_id,
            ),
            on_done=lambda why: box.direct_was_refused(mention_id, why),
            on_error=lambda error: box.show_outcome(
                f"Could not ask whether they take direct messages ({error}); it is checked "
                "again when it is sent."
            ),
            owner=self,
            lane=Lane.NETWORK,
        )

    def _say(self, message: str) -> None:
        self._window.statusBar().showMessage(message, 15000)


def _why(error: Exception) -> str:
    """What to tell the person: the service's and the networks' errors say it themselves."""
    if isinstance(error, KeyError):
        return "That mention is gone."
    if isinstance(error, NoRequest | NetworkError | StoreError):
        return str(error)
    return f"Could not do that: {error}"


def install_remote_actions(window: MainWindow, workspace: Workspace) -> RemoteActions:
    return RemoteActions(window, workspace)
