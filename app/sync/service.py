"""Syncing an account: pull new mentions page by page, then push the outbox of replies."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from storage.accounts import AccountHealthRepository, AccountRepository
from storage.cursors import CursorRepository
from storage.leases import SyncLeases
from storage.mentions import MentionRepository
from storage.outbox import OutboxRepository
from storage.records import Account, AccountState, OutboxItem, utc_now
from storage.skipped import SkippedItemRepository
from storage.store import Store

from app.networks.base import Connector, OutgoingPost
from app.networks.errors import NeedsSignIn, NetworkError, Offline, RateLimited, Rejected
from app.secrets import KeyringUnavailable
from app.team.claims import GateDecision, ReplyGate

log = logging.getLogger(__name__)

STREAM = "notifications"
RETRY_BASE_S = 30
RETRY_MAX_S = 3600

# Called on the sync's own thread after each stored page: the account, new items so far.
ProgressCallback = Callable[[Account, int], None]


@dataclass
class SyncReport:
    account: Account
    added: int = 0
    skipped: int = 0
    sent: int = 0
    failed: int = 0
    state: AccountState = AccountState.OK
    detail: str = ""
    busy: bool = False  # another sync (thread or process) held the account: nothing was done
    held: int = 0  # replies held: a teammate holds the mention's reply claim


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with jitter, so many clients retrying do not arrive together."""
    base = min(RETRY_MAX_S, RETRY_BASE_S * 2 ** max(0, attempts - 1))
    return timedelta(seconds=base * (rng or random).uniform(0.75, 1.25))


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
        reply_gate: ReplyGate | None = None,
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._mentions = mentions
        self._cursors = cursors
        self._outbox = outbox
        self._connector_for = connector_for
        self._stop = stop or threading.Event()
        self._clock = clock
        self._leases = leases or SyncLeases(store)
        self._health = health or AccountHealthRepository(store)
        # In a team, each reply takes its mention's claim before it is sent (app.team.claims).
        self._reply_gate = reply_gate
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
        says `busy`."""
        report = SyncReport(account)
        if not self._leases.take(account.id, self.holder, self._clock()):
            report.busy, report.state = True, account.state
            report.detail = "Another sync of this account is running."
            return report
        try:
            # A crashed sender's "sending" replies would otherwise wait out their claim.
            if released := self._outbox.release_abandoned(account.id):
                log.info(
                    "%s: %d reply(ies) left sending by a crash go again", account.handle, released
                )
            return self._sync_leased(account, report, pull, progress)
        finally:
            self._leases.release(account.id, self.holder)

    def _sync_leased(
        self,
        account: Account,
        report: SyncReport,
        pull: bool,
        progress: ProgressCallback | None,
    ) -> SyncReport:
        connector: Connector | None = None
        try:
            connector = self._connector_for(account)
            if pull:
                self._pull(account, connector, report, progress)
                self._accounts.set_max_post_length(account.id, connector.max_post_length())
            self._push(account, connector, report)
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
                self._note_health(account, connector, report, pull)
                connector.close()
        return report

    def _note_health(
        self, account: Account, connector: Connector, report: SyncReport, pull: bool
    ) -> None:
        fetched = report.added if pull and report.state is AccountState.OK else None
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

    def _pull(
        self,
        account: Account,
        connector: Connector,
        report: SyncReport,
        progress: ProgressCallback | None = None,
    ) -> None:
        cursor = self._cursors.get(account.id, STREAM)
        for page in connector.fetch_new(cursor):
            # Items and the cursor after them commit together: a crash re-fetches at most
            # this page, and the store's uniqueness keeps it from being stored twice.
            with self._store.write():
                report.added += self._mentions.ingest(page.items)
                self._cursors.put(account.id, STREAM, page.cursor)
                SkippedItemRepository(self._store).record(account.id, page.skipped)
            report.skipped += len(page.skipped)
            self._leases.take(account.id, self.holder, self._clock())  # still working: renew
            if progress is not None:
                progress(account, report.added)
            if self._stop.is_set():
                raise Offline("Sync stopped.")

    def _push(self, account: Account, connector: Connector, report: SyncReport) -> None:
        for item in self._outbox.due(account.id, self._clock()):
            if self._stop.is_set():
                return
            if self._reply_gate is not None and not self._passes_gate(item, report):
                continue
            # Another sync (a second window, the command line) may be sending it already.
            if not self._outbox.claim(item.id, self._clock()):
                continue
            self._send(item, connector, report)

    def _passes_gate(self, item: OutboxItem, report: SyncReport) -> bool:
        """The team's claim on the mention, before the reply goes from queued to sending."""
        assert self._reply_gate is not None
        answer = self._reply_gate.check(item)
        if answer.decision is GateDecision.HOLD:
            report.held += 1
            return False
        if answer.decision is GateDecision.WAIT:
            self._outbox.mark_retry(item.id, answer.detail, self._clock() + timedelta(seconds=30))
            return False
        return True

    def _send(self, item: OutboxItem, connector: Connector, report: SyncReport) -> None:
        if item.mention_id is None:
            self._outbox.mark_failed(item.id, "The mention it answered was deleted.")
            report.failed += 1
            return
        mention = self._mentions.get(item.mention_id)
        post = OutgoingPost(
            text=item.body,
            idempotency_key=item.idempotency_key,
            reply_to=connector.reply_target(mention),
            direct=item.kind == "direct",
        )
        try:
            sent = connector.send(post)
        except Rejected as problem:
            self._outbox.mark_failed(item.id, str(problem))
            report.failed += 1
            return
        except (Offline, RateLimited, NeedsSignIn) as problem:
            # Not the reply's fault: it goes at the next sync that gets through, without
            # waiting out a backoff after a long time offline.
            until = problem.until if isinstance(problem, RateLimited) else None
            self._outbox.mark_retry(item.id, str(problem), until or self._clock())
            raise
        except NetworkError as problem:
            self._outbox.mark_retry(
                item.id, str(problem), self._clock() + retry_delay(item.attempts + 1)
            )
            return
        own = replace(
            sent.as_mention,
            is_own=True,
            parent_platform_id=sent.as_mention.parent_platform_id or mention.platform_id,
            root_platform_id=sent.as_mention.root_platform_id
            or mention.root_platform_id
            or mention.platform_id,
        )
        with self._store.write():
            self._mentions.ingest([own])
            self._outbox.mark_sent(item.id, sent.platform_id, sent.url)
            if self._reply_gate is not None:  # teammates' histories say it was answered
                self._reply_gate.sent(item, sent.url, sent.platform_id)
        report.sent += 1
