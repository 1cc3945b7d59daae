"""Running syncs and sends off the GUI thread, on a schedule and on demand, one task per account.

Each account syncs in a task of its own on the network lane (over its own SQLite connection),
so a slow or rate-limited server only delays itself. What each sync, send and queued reply
changed goes to the window's change dispatcher. The controller also decides whether Heedful
is online: the system's reachability where Qt knows it, plus what the syncs themselves met.
While offline it tries again often; going back online syncs at once, which drains the outbox.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from storage.errors import StoreError
from storage.records import Account, AccountState, OutboxItem, OutboxState

from app.bootstrap import Workspace
from app.changes import Changes
from app.compose.replies import ReplyRefused, describe_outbox_item
from app.sync.service import SyncReport

from ui.changes import ChangeDispatcher, changes_of
from ui.tasks import Lane, Tasks
from ui.write_guard import WriteGuard

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
    reply_did_queue = Signal(int)  # mention id
    reply_did_finish = Signal(int, str)  # mention id, what happened, for the person
    reply_was_refused = Signal(int, str)  # mention id, why (the text stays in the editor)
    thread_did_arrive = Signal(int)  # mention id whose conversation was fetched
    work_did_fail = Signal(str)  # a failure nobody else reports, for the status bar

    def __init__(
        self,
        workspace: Workspace,
        tasks: Tasks,
        changes: ChangeDispatcher,
        parent: QObject | None = None,
        *,
        guard: WriteGuard | None = None,
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._tasks = tasks
        self._changes = changes
        self._guard = guard or WriteGuard(self)
        self._syncing: set[int] = set()  # account ids with a sync running
        self._round: list[SyncReport] = []
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

    @property
    def enabled(self) -> bool:
        return not (self._workspace.is_demo or self.stopped or self._tasks.stop.is_set())

    @property
    def interval_seconds(self) -> int:
        """How often every account syncs (the `sync_interval_seconds` setting, at least 15)."""
        return self._timer.interval() // 1000

    @property
    def syncing(self) -> bool:
        return bool(self._syncing)

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
        """Sync every account that is not syncing already, each in a task of its own."""
        if not self.enabled:
            return
        accounts = [a for a in self._workspace.accounts.all() if a.id not in self._syncing]
        if not accounts:
            return
        if not self._syncing:
            self._round = []
            self.sync_did_start.emit()
        for account in accounts:
            self._syncing.add(account.id)
            self._run(
                functools.partial(self._sync_account, account),
                on_done=self._account_synced,
                on_error=functools.partial(self._account_failed, account.id),
            )

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
                queued = replies.queue(mention_id, text)
            else:
                queued = replies.queue_direct(mention_id, text, note)
        except (ReplyRefused, StoreError, KeyError) as problem:
            self.reply_was_refused.emit(mention_id, str(problem))
            return
        item = _queued_item(queued)
        self.reply_did_queue.emit(mention_id)
        # The row leaves Unanswered (or shows "reply queued"), the counts follow, at once.
        queued_changes = _reply_changes(item, "Reply queued") | Changes.of(drafts=[mention_id])
        self._tell(changes_of(queued) or queued_changes)
        self._send_soon(item, mention_id)

    def retry_reply(self, item_id: int) -> bool:
        """Queue a failed reply again and try it now."""
        outbox = self._workspace.outbox_service
        if not self._guard.attempt("Queueing the reply again", lambda: outbox.retry(item_id)).value:
            return False
        item = self._workspace.outbox.get(item_id)
        self._tell(_reply_changes(item, "Reply queued again"))
        self._send_soon(item, item.mention_id or 0)
        return True

    def fetch_thread(self, mention_id: int) -> None:
        """Fetch a conversation whose earlier posts are not stored (once per mention)."""
        if not self.enabled or mention_id in self._threads_asked:
            return
        self._threads_asked.add(mention_id)
        self._run(
            lambda: self._fetch_thread(mention_id),
            on_done=lambda _added: self._thread_arrived(mention_id),
            on_error=lambda error: self._failure(f"Could not fetch the conversation: {error}"),
        )

    def _send_soon(self, item: OutboxItem, mention_id: int) -> None:
        if not self.enabled or not self.online:
            return  # it waits safely in the outbox: quitting, or it goes when back online
        self._run(
            lambda: self._send(item),
            on_done=lambda result: self._sent(mention_id, *result),
            on_error=functools.partial(self._send_failed, item, mention_id),
        )

    def _run(
        self,
        work: Callable[[], object],
        *,
        on_done: Callable[..., object],
        on_error: Callable[[Exception], object],
    ) -> None:
        """Network work on the network lane; results come back only while the window is
        open (the controller is their owner)."""
        self._tasks.run(work, on_done=on_done, on_error=on_error, owner=self, lane=Lane.NETWORK)

    def _tell(self, changes: Changes) -> None:
        self._changes.operation_did_execute(changes, self)

    # --- on worker threads, each over its own connection ---------------------------------------

    def _fetch_thread(self, mention_id: int) -> int:
        workspace = self._workspace.open_again(self._tasks.stop)
        try:
            return workspace.sync.fetch_thread(mention_id)
        finally:
            workspace.close()

    def _sync_account(self, account: Account) -> SyncReport:
        workspace = self._workspace.open_again(self._tasks.stop)
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
        workspace = self._workspace.open_again(self._tasks.stop)
        try:
            report = workspace.sync.sync_account(
                workspace.accounts.get(item.account_id), pull=False
            )
            return workspace.outbox.get(item.id), report.busy
        finally:
            workspace.close()

    # --- results, on the GUI thread ------------------------------------------------------------

    def _account_synced(self, report: SyncReport) -> None:
        if self.stopped:
            return
        self._syncing.discard(report.account.id)
        self._round.append(report)
        if not report.busy:
            self._last_states[report.account.id] = report.state
        self._tell(changes_of(report) or self._sync_changes(report))
        self.account_did_sync.emit(report)
        self._update_online()
        self._round_maybe_done()

    def _account_failed(self, account_id: int, error: Exception) -> None:
        if self.stopped:
            return
        self._syncing.discard(account_id)
        if not self._tasks.stop.is_set():
            self._failure(f"Sync failed: {error}")
        self._round_maybe_done()

    def _sent(self, mention_id: int, item: OutboxItem, busy: bool) -> None:
        if self.stopped:
            return
        self._tell(_reply_changes(item, describe_outbox_item(item)))
        if busy and item.state is OutboxState.QUEUED:
            # Its account is syncing elsewhere right now; that sync may have passed the
            # outbox already, so try again shortly.
            QTimer.singleShot(BUSY_RETRY_MS, self, lambda: self._send_soon(item, mention_id))
        self.reply_did_finish.emit(mention_id, describe_outbox_item(item))

    def _send_failed(self, item: OutboxItem, mention_id: int, error: Exception) -> None:
        if self.stopped:
            return
        self._tell(_reply_changes(item, "Reply not sent yet"))
        self.reply_did_finish.emit(mention_id, f"Queued; not sent yet ({error}).")

    def _thread_arrived(self, mention_id: int) -> None:
        if not self.stopped:
            self._tell(Changes.of(mentions=[mention_id], description="Conversation fetched"))
            self.thread_did_arrive.emit(mention_id)

    def _failure(self, message: str) -> None:
        if not self.stopped:
            self.work_did_fail.emit(message)

    def _sync_changes(self, report: SyncReport) -> Changes:
        """What a sync changed, for reports that do not carry their own change set: the
        account (its state, last sync, new mentions listed after the merge pause) and, when
        replies went or failed, that account's outbox items (an outbox is small)."""
        outbox: list[int] = []
        if report.sent or report.failed:
            outbox = [
                item.id
                for item in self._workspace.outbox_service.items()
                if item.account_id == report.account.id
            ]
        added = f"{report.added} new mention{'s' * (report.added != 1)}" if report.added else ""
        return Changes.of(accounts=[report.account.id], outbox=outbox, description=added)

    def _round_maybe_done(self) -> None:
        if not self._syncing:
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


def _queued_item(queued: object) -> OutboxItem:
    """The outbox item a queued reply became (`ReplyService.queue` may return it in a result
    that carries the change set as well)."""
    if isinstance(queued, OutboxItem):
        return queued
    item = getattr(queued, "item", None)
    if not isinstance(item, OutboxItem):
        raise TypeError(f"queueing a reply returned {queued!r}")
    return item


def _reply_changes(item: OutboxItem, description: str) -> Changes:
    """A reply's state changed: its outbox item, and the mention it answers (its badges)."""
    mentions = [] if item.mention_id is None else [item.mention_id]
    return Changes.of(outbox=[item.id], mentions=mentions, description=description)
