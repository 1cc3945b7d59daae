"""The status bar's sync corner: online or offline, replies waiting, and backfill progress."""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtNetwork import QNetworkInformation
from PySide6.QtWidgets import QLabel, QStatusBar

from storage.errors import StoreError
from storage.records import utc_now

from app.changes import Changes
from app.sync.health import HealthService

from ui.sync.controller import SyncController

log = logging.getLogger(__name__)


class SyncStatus(QObject):
    """Permanent status-bar labels, kept current from the sync controller's signals."""

    def __init__(self, status_bar: QStatusBar, health: HealthService, sync: SyncController) -> None:
        super().__init__(status_bar)
        self._bar = status_bar
        self._health = health
        self._sync = sync
        self.online_label = QLabel()
        self.online_label.setObjectName("onlineState")
        self.online_label.setTextFormat(Qt.TextFormat.PlainText)
        self.queued_label = QLabel()
        self.queued_label.setObjectName("queuedReplies")
        self.queued_label.setTextFormat(Qt.TextFormat.PlainText)
        status_bar.addPermanentWidget(self.queued_label)
        status_bar.addPermanentWidget(self.online_label)
        # Bursts of signals (many accounts, many pages) refresh the labels once.
        self._refresh_soon = QTimer(self)
        self._refresh_soon.setSingleShot(True)
        self._refresh_soon.setInterval(100)
        self._refresh_soon.timeout.connect(self.refresh)
        sync.online_did_change.connect(lambda _online: self.refresh())
        sync.account_did_sync.connect(lambda _report: self._refresh_soon.start())
        sync.sync_did_progress.connect(lambda text: status_bar.showMessage(text, 10_000))
        self.refresh()
        if not sync.enabled:  # the demo: nothing is fetched or sent, so neither label applies
            self.online_label.hide()
            self.queued_label.hide()

    def changes_did_happen(self, changes: Changes, _initiator: object) -> None:
        if changes.outbox or changes.accounts:
            self._refresh_soon.start()

    def refresh(self) -> None:
        if self._sync.stopped:
            return
        online = self._sync.online
        self.online_label.setText("Online" if online else "Offline")
        try:
            channels = self._health.channels()
            queued = self._health.queued_replies()
        except StoreError as problem:  # a locked or full disk must not break the window
            log.warning("status bar: %s", problem)
            return
        now = utc_now()
        # A server's words in a state are escaped: tooltips would render them as HTML.
        lines = [
            html.escape(f"{c.account.handle}: {c.state_text()}, ")
            + html.escape(f"last successful sync {c.last_sync_text(now)}")
            for c in channels
        ]
        self.online_label.setToolTip(
            "<br>".join(lines) if lines else "No account yet: Accounts → Add"
        )
        self.queued_label.setText(f"{queued} queued")
        self.queued_label.setVisible(queued > 0)
        self.queued_label.setToolTip("Replies waiting to be sent: Accounts → Outbox…")


def watch_reachability(sync: SyncController) -> bool:
    """Feed the system's network reachability to the controller, where Qt has a backend for it
    (there is none on some systems, and none that answers under Xvfb or in CI): then only the
    syncs' own failures decide online or offline. Returns whether a backend was loaded."""
    try:
        loaded = QNetworkInformation.loadDefaultBackend()
    except Exception as problem:  # a broken plugin must not stop the window from opening
        log.info("no network reachability information: %s", problem)
        return False
    info = QNetworkInformation.instance() if loaded else None
    if info is None:
        log.info("no network reachability backend: online/offline comes from sync results")
        return False
    listener = _ReachabilityListener(sync)
    info.reachabilityChanged.connect(listener.tell)  # disconnected when the listener dies
    listener.tell(info.reachability())
    return True


class _ReachabilityListener(QObject):
    def __init__(self, sync: SyncController) -> None:
        super().__init__(sync)
        self._sync = sync

    def tell(self, value: QNetworkInformation.Reachability) -> None:
        if value == QNetworkInformation.Reachability.Unknown:
            self._sync.set_reachable(None)
        else:
            self._sync.set_reachable(value != QNetworkInformation.Reachability.Disconnected)
