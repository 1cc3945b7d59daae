"""Running syncs and sends off the GUI thread, on a schedule and on demand."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from storage.errors import StoreError
from storage.records import OutboxItem

from app.bootstrap import Workspace
from app.replies import ReplyRefused, describe_outbox_item
from app.sync import SyncReport

from ui.background import BackgroundJobs

log = logging.getLogger(__name__)


class SyncController(QObject):
    sync_did_start = Signal()
    sync_did_finish = Signal(list)  # [SyncReport]
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
        self._sync_job: int | None = None
        self._send_jobs: dict[int, int] = {}  # job id -> mention id
        self._thread_jobs: dict[int, int] = {}  # job id -> mention id
        self._threads_asked: set[int] = set()
        self._timer = QTimer(self)
        self._timer.setInterval(max(15, workspace.settings.sync_interval_seconds) * 1000)
        self._timer.timeout.connect(self.sync_now)
        jobs.job_did_finish.connect(self._finished)
        jobs.job_did_fail.connect(self._failed)

    @property
    def enabled(self) -> bool:
        return not self._workspace.is_demo and not self._jobs.stop.is_set()

    def stop(self) -> None:
        """No more scheduled syncs: the window is closing."""
        self._timer.stop()

    def start_schedule(self) -> None:
        if self.enabled and self._workspace.accounts.count() > 0:
            self._timer.start()
            self.sync_now()

    def sync_now(self) -> None:
        if not self.enabled or self._sync_job is not None:
            return
        self.sync_did_start.emit()
        self._sync_job = self._jobs.submit(self._sync_everything)

    def send_reply(self, mention_id: int, text: str) -> None:
        """Write the reply to the outbox (a quick local write), then send it in the background."""
        try:
            item = self._workspace.replies.queue(mention_id, text)
        except (ReplyRefused, StoreError, KeyError) as problem:
            self.reply_was_refused.emit(mention_id, str(problem))
            return
        self.reply_did_queue.emit(mention_id)
        if not self.enabled:
            return  # quitting: the reply waits safely in the outbox for the next start
        job = self._jobs.submit(lambda: self._send(item))
        self._send_jobs[job] = mention_id

    def fetch_thread(self, mention_id: int) -> None:
        """Fetch a conversation whose earlier posts are not stored (once per mention)."""
        if not self.enabled or mention_id in self._threads_asked:
            return
        self._threads_asked.add(mention_id)
        job = self._jobs.submit(lambda: self._fetch_thread(mention_id))
        self._thread_jobs[job] = mention_id

    # --- on worker threads, each over its own connection ---------------------------------------

    def _fetch_thread(self, mention_id: int) -> int:
        workspace = self._workspace.open_again(self._jobs.stop)
        try:
            return workspace.sync.fetch_thread(mention_id)
        finally:
            workspace.close()

    def _sync_everything(self) -> list[SyncReport]:
        workspace = self._workspace.open_again(self._jobs.stop)
        try:
            return workspace.sync.sync_all()
        finally:
            workspace.close()

    def _send(self, item: OutboxItem) -> OutboxItem:
        workspace = self._workspace.open_again(self._jobs.stop)
        try:
            workspace.sync.sync_account(workspace.accounts.get(item.account_id), pull=False)
            return workspace.outbox.get(item.id)
        finally:
            workspace.close()

    # --- results, on the GUI thread ------------------------------------------------------------

    def _finished(self, job_id: int, result: object) -> None:
        if job_id == self._sync_job:
            self._sync_job = None
            self.sync_did_finish.emit(result)
        elif job_id in self._send_jobs and isinstance(result, OutboxItem):
            self.reply_did_finish.emit(self._send_jobs.pop(job_id), describe_outbox_item(result))
        elif job_id in self._thread_jobs:
            self.thread_did_arrive.emit(self._thread_jobs.pop(job_id))

    def _failed(self, job_id: int, error: object) -> None:
        if job_id == self._sync_job:
            self._sync_job = None
            self.work_did_fail.emit(f"Sync failed: {error}")
            self.sync_did_finish.emit([])
        elif job_id in self._send_jobs:
            mention_id = self._send_jobs.pop(job_id)
            self.reply_did_finish.emit(mention_id, f"Queued; not sent yet ({error}).")
        elif job_id in self._thread_jobs:
            self._thread_jobs.pop(job_id)
            self.work_did_fail.emit(f"Could not fetch the conversation: {error}")
