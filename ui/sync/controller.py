"""Running syncs and sends off the GUI thread, on a schedule and on demand, one job per account.

Each account syncs in a job of its own (over its own SQLite connection), so a slow or
rate-limited server only delays itself. The controller also decides whether Heedful is online:
the system's reachability where Qt knows it, plus what the syncs themselves met. While offline
it tries again often; going back online syncs at once, which drains the outbox.
"""

from __future__ import annotations

import functools
import logging

from PySide6.QtCore import QObject, QTimer, Signal

from storage.errors import StoreError
from storage.records import Account, AccountState, OutboxItem, OutboxState

from app.bootstrap import Workspace
from app.compose.replies import ReplyRefused, describe_outbox_item
from app.sync.service import SyncReport

from ui.background import BackgroundJobs

log = logging.getLogger(__name__)

# While offline, how often a sync tries whether the network is back.
OFFLINE_RETRY_MS = 10_000
# A reply whose account was busy syncing elsewhere is tried again this soon.
BUSY_RETRY_MS = 2_000


class SyncController(QObject):
    sync_did_start = Signal()
    sync_did_progress = Signal(str)  # "412 new mentions from Bluesky…"
    account_did_sync = Signal(object)  # SyncReport, as each account finishes
    sync_did_finish = Signal(list)  # [SyncReport] of the round, once every account is done
    online_did_change = Signal(bool)
    outbox_did_change = Signal()
    reply_did_queue = Signal(int)  # mention id
    reply_did_finish = Signal(int, str)  # mention id, what happened, for the person
    reply_was_refused = Signal(int, str)  # mention id, why (the text stays in the editor)
    thread_did_arrive = Signal(int)  # mention id whose conversation was fetched
    work_did_fail = Signal(str)  # a failure nobody else reports, for the status bar

    def __init__(
        self, workspace: Workspace, jobs: BackgroundJobs, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._jobs = jobs
        self._account_jobs: dict[int, int] = {}  # job id -> account id
        self._round: list[SyncReport] = []
        self._send_jobs: dict[int, int] = {}  # job id -> mention id
        self._thread_jobs: dict[int, int] = {}  # job id -> mention id
        self._threads_asked: set[int] = set()
        self._last_states: dict[int, AccountState] = {}
        self._reachable: bool | None = None  # None: the system does not say
        self.online = True
        self.stopped = False  # the window closed: its workspace may be closed too
        self._timer = QTimer(self)
        self._timer.setInterval(max(15, workspace.settings.sync_interval_seconds) * 1000)
        self._timer.timeout.connect(self.sync_now)
        self.offline_retry = QTimer(self)
        self.offline_retry.setInterval(OFFLINE_RETRY_MS)
        self.offline_retry.timeout.connect(self.sync_now)
        jobs.job_did_finish.connect(self._finished)
        jobs.job_did_fail.connect(self._failed)

    @property
    def enabled(self) -> bool:
        return not (self._workspace.is_demo or self.stopped or self._jobs.stop.is_set())

    @property
    def interval_seconds(self) -> int:
        """How often every account syncs (the `sync_interval_seconds` setting, at least 15)."""
        return self._timer.interval() // 1000

    @property
    def syncing(self) -> bool:
        return bool(self._account_jobs)

    def stop(self) -> None:
        """No more scheduled syncs, and no more signals from late results: the window is
        closing."""
        self.stopped = True
        self._timer.stop()
        self.offline_retry.stop()

    def start_schedule(self) -> None:
        if self.enabled and self._workspace.accounts.count() > 0:
            self._timer.start()
            self.sync_now()

    def sync_now(self) -> None:
        """Sync every account that is not syncing already, each in a job of its own."""
        if not self.enabled:
            return
        running = set(self._account_jobs.values())
        accounts = [a for a in self._workspace.accounts.all() if a.id not in running]
        if not accounts:
            return
        if not running:
            self._round = []
            self.sync_did_start.emit()
        for account in accounts:
            job = self._jobs.submit(functools.partial(self._sync_account, account))
            self._account_jobs[job] = account.id

    def set_reachable(self, reachable: bool | None) -> None:
        """What the system says about the network (None: it does not know)."""
        was, self._reachable = self._reachable, reachable
        self._update_online()
        if reachable and was is False:
            self.sync_now()  # the network is back: the syncs say whether the servers are

    def send_reply(self, mention_id: int, text: str, note: str | None = None) -> None:
        """Write the reply to the outbox (a quick local write), then send it in the background.
        With a `note`, the reply is a private message and the note its public notice: both
        are queued in one transaction."""
        replies = self._workspace.replies
        try:
            if note is None:
                item = replies.queue(mention_id, text).item
            else:
                item = replies.queue_direct(mention_id, text, note).item
        except (ReplyRefused, StoreError, KeyError) as problem:
            self.reply_was_refused.emit(mention_id, str(problem))
            return
        self.reply_did_queue.emit(mention_id)
        self.outbox_did_change.emit()
        self._send_soon(item, mention_id)

    def retry_reply(self, item_id: int) -> bool:
        """Queue a failed reply again and try it now."""
        if not self._workspace.outbox_service.retry(item_id):
            return False
        item = self._workspace.outbox.get(item_id)
        self.outbox_did_change.emit()
        self._send_soon(item, item.mention_id or 0)
        return True

    def fetch_thread(self, mention_id: int) -> None:
        """Fetch a conversation whose earlier posts are not stored (once per mention)."""
        if not self.enabled or mention_id in self._threads_asked:
            return
        self._threads_asked.add(mention_id)
        job = self._jobs.submit(lambda: self._fetch_thread(mention_id))
        self._thread_jobs[job] = mention_id

    def _send_soon(self, item: OutboxItem, mention_id: int) -> None:
        if not self.enabled or not self.online:
            return  # it waits safely in the outbox: quitting, or it goes when back online
        job = self._jobs.submit(lambda: self._send(item))
        self._send_jobs[job] = mention_id

    # --- on worker threads, each over its own connection ---------------------------------------

    def _fetch_thread(self, mention_id: int) -> int:
        workspace = self._workspace.open_again(self._jobs.stop)
        try:
            return workspace.sync.fetch_thread(mention_id)
        finally:
            workspace.close()

    def _sync_account(self, account: Account) -> SyncReport:
        workspace = self._workspace.open_again(self._jobs.stop)
        try:
            return workspace.sync.sync_account(
                workspace.accounts.get(account.id), progress=self._report_progress
            )
        finally:
            workspace.close()

    def _report_progress(self, account: Account, added: int) -> None:
        # Emitted on the worker thread; Qt queues it to the GUI thread.
        if added:
            network = account.network.value.capitalize()
            self.sync_did_progress.emit(
                f"{added:,} new mention{'s' * (added != 1)} from {network}…"
            )

    def _send(self, item: OutboxItem) -> tuple[OutboxItem, bool]:
        workspace = self._workspace.open_again(self._jobs.stop)
        try:
            report = workspace.sync.sync_account(
                workspace.accounts.get(item.account_id), pull=False
            )
            return workspace.outbox.get(item.id), report.busy
        finally:
            workspace.close()

    # --- results, on the GUI thread ------------------------------------------------------------

    def _finished(self, job_id: int, result: object) -> None:
        if self.stopped:
            return
        if job_id in self._account_jobs:
            self._account_jobs.pop(job_id)
            if isinstance(result, SyncReport):
                self._account_synced(result)
            self._round_maybe_done()
        elif job_id in self._send_jobs and isinstance(result, tuple):
            mention_id = self._send_jobs.pop(job_id)
            item, busy = result
            self.outbox_did_change.emit()
            if busy and item.state is OutboxState.QUEUED:
                # Its account is syncing elsewhere right now; that sync may have passed the
                # outbox already, so try again shortly.
                QTimer.singleShot(BUSY_RETRY_MS, self, lambda: self._send_soon(item, mention_id))
            self.reply_did_finish.emit(mention_id, describe_outbox_item(item))
        elif job_id in self._thread_jobs:
            self.thread_did_arrive.emit(self._thread_jobs.pop(job_id))

    def _failed(self, job_id: int, error: object) -> None:
        if self.stopped:
            return
        if job_id in self._account_jobs:
            self._account_jobs.pop(job_id)
            if not self._jobs.stop.is_set():
                self.work_did_fail.emit(f"Sync failed: {error}")
            self._round_maybe_done()
        elif job_id in self._send_jobs:
            mention_id = self._send_jobs.pop(job_id)
            self.outbox_did_change.emit()
            self.reply_did_finish.emit(mention_id, f"Queued; not sent yet ({error}).")
        elif job_id in self._thread_jobs:
            self._thread_jobs.pop(job_id)
            self.work_did_fail.emit(f"Could not fetch the conversation: {error}")

    def _account_synced(self, report: SyncReport) -> None:
        self._round.append(report)
        if not report.busy:
            self._last_states[report.account.id] = report.state
        if report.changes.outbox:  # sent, failed, or outcome unknown
            self.outbox_did_change.emit()
        self.account_did_sync.emit(report)
        self._update_online()

    def _round_maybe_done(self) -> None:
        if not self._account_jobs:
            reports, self._round = self._round, []
            self.sync_did_finish.emit(reports)

    def _update_online(self) -> None:
        states = list(self._last_states.values())
        unreachable = bool(states) and all(s is AccountState.OFFLINE for s in states)
        online = self._reachable is not False and not unreachable
        if online == self.online:
            return
        self.online = online
        log.info("now %s", "online" if online else "offline")
        self.online_did_change.emit(online)
        if online:
            self.offline_retry.stop()
            self.sync_now()  # back online: fetch what was missed and send what waited
        elif self.enabled:
            self.offline_retry.start()
