"""Syncing an account: hold its lease, pull new mentions (app/sync/pull.py), then send the
outbox (app/sync/sending.py), and record how it went."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.accounts import AccountHealthRepository, AccountRepository
from storage.cursors import CursorRepository
from storage.errors import StoreLockedError
from storage.leases import LEASE_SECONDS, LeaseLost, SyncLeases
from storage.mentions import MentionRepository
from storage.outbox import OutboxRepository
from storage.records import Account, AccountState, utc_now
from storage.store import Store
from storage.triage import TriageRepository

from app.changes import NOTHING, Changes
from app.networks.base import ChecksDirectMessages, Connector
from app.networks.errors import NeedsSignIn, NetworkError, Offline, RateLimited
from app.secrets import KeyringUnavailable
from app.sync.afterwards import AfterwardsService
from app.sync.pull import ProgressCallback, PullingService, PullReport
from app.sync.sending import SendingService, SendReport
from app.team.claims import ReplyGate

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    account: Account
    added: int = 0
    skipped: int = 0
    sent: int = 0
    failed: int = 0
    state: AccountState = AccountState.OK
    detail: str = ""
    # Another sync (thread or process) held the account, or took it over mid-way: nothing
    # more was done (what was stored before stays, each page whole).
    busy: bool = False
    held: int = 0  # replies held: a teammate holds the mention's reply claim
    # The mentions added, the outbox items whose state moved (and their mentions), the
    # account when its state was recorded: what the window refreshes.
    changes: Changes = NOTHING


class LeaseKeeper:
    """One sync's hold on an account, called before every page is stored and every reply is
    sent, and every second of the connector's long waits (its heartbeat). Each call checks
    the lease is still this sync's (a read) and renews it once a third of it has passed (a
    write); it raises LeaseLost as soon as another sync has the account. Called inside a
    write transaction, the check commits with what it guards."""

    def __init__(
        self,
        leases: SyncLeases,
        account_id: int,
        holder: str,
        clock: Callable[[], datetime],
        seconds: float,
    ) -> None:
        self._leases = leases
        self._account_id = account_id
        self._holder = holder
        self._clock = clock
        self._seconds = seconds
        self._renewed = clock()

    def __call__(self) -> None:
        now = self._clock()
        if now - self._renewed < timedelta(seconds=self._seconds / 3):
            if not self._leases.holds(self._account_id, self._holder):
                raise LeaseLost(self._account_id)
            return
        try:
            self._leases.renew(self._account_id, self._holder, now, seconds=self._seconds)
        except StoreLockedError:
            # Another connection is writing for a moment: the lease still runs, try again at
            # the next beat; only when it is close to running out does the sync stop.
            if now - self._renewed < timedelta(seconds=self._seconds * 2 / 3):
                log.info("could not renew the sync lease of account %d yet", self._account_id)
                return
            raise
        self._renewed = now


class SyncService:
    def __init__(
        self,
        store: Store,
        accounts: AccountRepository,
        mentions: MentionRepository,
        cursors: CursorRepository,
        outbox: OutboxRepository,
        connector_for: Callable[[Account], Connector],
        *,
        stop: threading.Event | None = None,
        clock: Callable[[], datetime] = utc_now,
        leases: SyncLeases | None = None,
        health: AccountHealthRepository | None = None,
        lease_seconds: float = LEASE_SECONDS,
        reply_gate: ReplyGate | None = None,
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._mentions = mentions
        self._outbox = outbox
        self._connector_for = connector_for
        self._stop = stop or threading.Event()
        self._clock = clock
        self._leases = leases or SyncLeases(store)
        self._lease_seconds = lease_seconds
        self._health = health or AccountHealthRepository(store)
        self.pulling = PullingService(store, mentions, cursors, stop=self._stop)
        self.sending = SendingService(
            mentions, outbox, clock=clock, stop=self._stop, reply_gate=reply_gate
        )
        self.afterwards = AfterwardsService(
            mentions, cursors, self._health, TriageRepository(store), clock=clock
        )
        # Who holds an account's sync lease: this service, in this process on this machine.
        self.holder = SyncLeases.new_holder()

    def sync_all(self, account_id: int | None = None) -> list[SyncReport]:
        accounts = [a for a in self._accounts.all() if account_id in (None, a.id)]
        return [self.sync_account(account) for account in accounts]

    def sync_account(
        self, account: Account, *, pull: bool = True, progress: ProgressCallback | None = None
    ) -> SyncReport:
        """Fetch new items (unless `pull` is False: then only send the outbox) and send
        queued replies. The account's state says how it went.

        Only one sync per account runs at a time, across threads and processes (a window and
        `heedful sync`): if another holds the account's lease, nothing is done and the report
        says `busy`; if another takes it over mid-way (this one was suspended past its
        lease), this one stops at its next step and the report says `busy` too."""
        report = SyncReport(account)
        now = self._clock()
        if not self._leases.take(account.id, self.holder, now, seconds=self._lease_seconds):
            report.busy, report.state = True, account.state
            report.detail = "Another sync of this account is running."
            return report
        keeper = LeaseKeeper(self._leases, account.id, self.holder, self._clock,
                             self._lease_seconds)  # fmt: skip
        pulled, sent = PullReport(), SendReport()
        try:
            # Replies a gone sender left "sending" may be on the network: looked for first.
            if released := self._outbox.release_abandoned(account.id):
                log.info("%s: %d reply(ies) cut short mid-send are checked before they go "
                         "again", account.handle, len(released))  # fmt: skip
                sent.moved.extend(released)
            self._sync_leased(account, report, keeper, pulled, sent, pull, progress)
        except LeaseLost as lost:
            log.warning("sync of %s stopped: %s", account.handle, lost)
            report.busy, report.detail = True, str(lost)
        finally:
            self._leases.release(account.id, self.holder)
            report.added, report.skipped = len(pulled.added), pulled.skipped
            report.sent, report.failed, report.held = sent.sent, sent.failed, sent.held
            report.changes = (
                report.changes | Changes.of(added=pulled.added) | sent.changes(self._outbox)
            )
        return report

    def _sync_leased(
        self,
        account: Account,
        report: SyncReport,
        keeper: LeaseKeeper,
        pulled: PullReport,
        sent: SendReport,
        pull: bool,
        progress: ProgressCallback | None,
    ) -> None:
        connector: Connector | None = None
        try:
            connector = self._connector_for(account)
            connector.heartbeat = keeper  # waits inside the connector keep the lease
            if pull:
                self.pulling.pull(
                    account, connector, keep_lease=keeper, report=pulled, progress=progress
                )
                self._accounts.set_max_post_length(account.id, connector.max_post_length())
                # Requests the server holds back, edits and deletions of recent posts.
                report.changes |= self.afterwards.after_pull(account, connector, keeper)
            self.sending.send_due(
                account.id, connector, holder=self.holder, keep_lease=keeper, report=sent
            )
        except NeedsSignIn as problem:
            self._record(report, AccountState.NEEDS_SIGN_IN, str(problem))
        except RateLimited as problem:
            self._record(report, AccountState.RATE_LIMITED, str(problem), until=problem.until)
        except Offline as problem:
            if not self._stop.is_set():  # quitting is not the network going away
                self._record(report, AccountState.OFFLINE, str(problem))
        except (NetworkError, KeyringUnavailable) as problem:
            self._record(report, AccountState.ERROR, str(problem))
        else:
            if pull:  # only a fetch that worked says the account is fine and synced
                self._record(report, AccountState.OK, "", synced=True)
        finally:
            if connector is not None:
                self._note_health(account, connector, report, len(pulled.added), pull)
                connector.close()

    def _note_health(
        self, account: Account, connector: Connector, report: SyncReport, added: int, pull: bool
    ) -> None:
        fetched = added if pull and report.state is AccountState.OK else None
        try:
            budget = connector.rate_limit()
            self._health.record_attempt(
                account.id,
                self._clock(),
                fetched=fetched,
                rate_limit=budget.limit,
                rate_remaining=budget.remaining,
                rate_resets_at=budget.resets_at,
                token_expires_at=connector.token_expires_at(),
            )
        except Exception:  # health facts are nice to have; never fail a sync over them
            log.exception("could not record the health of %s", account.handle)

    def look_at(self, mention_id: int) -> Changes:
        """Look at an opened post again on its network: an edit or a deletion shows at once."""
        mention = self._mentions.get(mention_id)
        connector = self._connector_for(self._accounts.get(mention.account_id))
        try:
            return self.afterwards.look_at(mention, connector)
        finally:
            connector.close()

    def why_no_direct_message(self, mention_id: int) -> str:
        """Why a direct message to the mention's author would be refused now, asked of the
        network ("" when it would go, or when the network cannot say)."""
        mention = self._mentions.get(mention_id)
        connector = self._connector_for(self._accounts.get(mention.account_id))
        try:
            if isinstance(connector, ChecksDirectMessages):
                return connector.why_no_direct_message(mention)
            return ""
        finally:
            connector.close()

    def fetch_thread(self, mention_id: int) -> int:
        """Fetch the conversation around a stored mention; returns how many posts were new."""
        mention = self._mentions.get(mention_id)
        connector = self._connector_for(self._accounts.get(mention.account_id))
        try:
            return self._mentions.ingest(connector.fetch_thread(mention.platform_id))
        finally:
            connector.close()

    def _record(
        self,
        report: SyncReport,
        state: AccountState,
        detail: str,
        *,
        until: datetime | None = None,
        synced: bool = False,
    ) -> None:
        report.state, report.detail = state, detail
        if state is not AccountState.OK:
            log.warning("sync of %s: %s", report.account.handle, detail)
        self._accounts.set_state(
            report.account.id,
            state,
            detail,
            until=until,
            synced_at=self._clock() if synced else None,
        )
        report.changes |= Changes.of(accounts=[report.account.id])
