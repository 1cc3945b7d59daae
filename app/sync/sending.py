"""Sending the outbox, exactly once: the reply state machine, and looking before re-posting.

    queued ──claim──▶ sending ──the network says yes──▶ sent
                         │ refused for good ─────────▶ failed   (Retry ▶ queued)
                         │ certainly not sent ───────▶ queued   (offline, rate-limited, ...)
                         └ no clear answer ──────────▶ unknown
    unknown, check ──look for it──▶ found: sent · not there: claim ▶ sending · no answer: wait

"unknown" is a request that went out without a clear answer (a read timeout, a connection cut
after sending, an error or unreadable answer after the server may have acted, a crash or a
quit mid-send); "check" is a reply a restored backup has as not sent. Neither is posted again
before the network is asked whether it has it already: the network's own idempotency window
is short (Mastodon keeps an Idempotency-Key for one hour), so a retry the next morning would
otherwise post twice. `sent` is recorded in its own transaction the moment the network says
yes, before the own post is stored as thread context.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from storage.errors import StoreError
from storage.leases import LeaseLost
from storage.mentions import MentionRepository
from storage.outbox import OutboxRepository
from storage.records import Mention, OutboxItem, OutboxState
from storage.store import open_store

from app.changes import Changes
from app.networks.base import Connector, OutgoingPost, SentPost
from app.networks.errors import (
    NeedsSignIn,
    NetworkError,
    Offline,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    ServerTrouble,
)
from app.team.claims import GateDecision, ReplyGate

log = logging.getLogger(__name__)

RETRY_BASE_S = 30
RETRY_MAX_S = 3600


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with jitter, so many clients retrying do not arrive together."""
    base = min(RETRY_MAX_S, RETRY_BASE_S * 2 ** max(0, attempts - 1))
    return timedelta(seconds=base * (rng or random).uniform(0.75, 1.25))


@dataclass
class SendReport:
    """What one pass over an account's outbox did."""

    sent: int = 0
    failed: int = 0
    held: int = 0  # a teammate holds the mention's reply claim: nothing was posted
    moved: list[int] = field(default_factory=list)  # outbox items whose state changed

    def changes(self, outbox: OutboxRepository) -> Changes:
        return Changes.of(outbox=self.moved, mentions=outbox.mention_ids(self.moved))


class SendingService:
    """Sends one account's due replies through its connector, moving each through the
    outbox's states. The caller holds the account's sync lease (only its holder sends);
    `keep_lease` renews it before each reply and raises LeaseLost once another sync has it."""

    def __init__(
        self,
        mentions: MentionRepository,
        outbox: OutboxRepository,
        *,
        clock: Callable[[], datetime],
        stop: threading.Event,
        reply_gate: ReplyGate | None = None,
    ) -> None:
        self._mentions = mentions
        self._outbox = outbox
        self._clock = clock
        self._stop = stop
        # In a team, a reply takes its mention's claim before it goes from queued to sending
        # (app.team.claims): a teammate's answer holds it, and nothing is posted.
        self._reply_gate = reply_gate

    def send_due(
        self,
        account_id: int,
        connector: Connector,
        *,
        holder: str,
        keep_lease: Callable[[], None],
        report: SendReport,
    ) -> None:
        """Send (or look for, then send) every due reply, oldest first. Raises what stops
        the whole account (offline, rate-limited, signed out, the lease lost) after putting
        the reply at hand in the right state; `report` holds what was done by then."""
        for item in self._outbox.due(account_id, self._clock()):
            if self._stop.is_set():
                return
            keep_lease()
            self._send(item, connector, holder, report)

    def _send(
        self, item: OutboxItem, connector: Connector, holder: str, report: SendReport
    ) -> None:
        if item.mention_id is None:
            if self._outbox.mark_failed(item.id, "The mention it answered was deleted."):
                report.failed += 1
                report.moved.append(item.id)
            return
        mention = self._mentions.get(item.mention_id)
        post = OutgoingPost(
            text=item.body,
            idempotency_key=item.idempotency_key,
            reply_to=connector.reply_target(mention),
            direct=item.kind == "direct",
        )
        if item.state in (OutboxState.UNKNOWN, OutboxState.CHECK):
            try:
                found = self._look_for(item, post, connector)
            except _LookFailed:
                return  # asked again later; the rest of the outbox goes on
            if found is not None:
                self._record_sent(item, found, mention, report)
                return
            log.info("reply %d is not on the network: it goes now", item.id)
        if self._reply_gate is not None and not self._passes_gate(item, report):
            return
        if not self._outbox.claim(item.id, self._clock(), by=holder, expected=item.state):
            return  # another sync took it (or it moved) meanwhile
        try:
            sent = connector.send(post)
        except Rejected as problem:
            if self._outbox.mark_failed(item.id, str(problem), by=holder):
                report.failed += 1
                report.moved.append(item.id)
            return
        except OutcomeUnknown as problem:
            log.warning("reply %d: outcome unknown (%s)", item.id, problem)
            when = self._clock() + retry_delay(item.attempts + 1)
            self._outbox.mark_unknown(item.id, str(problem), when, by=holder)
            report.moved.append(item.id)
            return
        except (Offline, RateLimited, NeedsSignIn, LeaseLost) as problem:
            # Certainly not posted, and not the reply's fault: it goes at the next sync that
            # gets through, without waiting out a backoff after a long time offline.
            until = problem.until if isinstance(problem, RateLimited) else None
            self._outbox.mark_retry(item.id, str(problem), until or self._clock(), by=holder)
            report.moved.append(item.id)
            raise
        except NetworkError as problem:
            when = self._clock() + retry_delay(item.attempts + 1)
            self._outbox.mark_retry(item.id, str(problem), when, by=holder)
            report.moved.append(item.id)
            return
        self._record_sent(item, sent, mention, report)

    def _passes_gate(self, item: OutboxItem, report: SendReport) -> bool:
        assert self._reply_gate is not None
        answer = self._reply_gate.check(item)
        if answer.decision is GateDecision.HOLD:
            report.held += 1
            return False
        if answer.decision is GateDecision.WAIT:
            self._outbox.mark_retry(item.id, answer.detail, self._clock() + timedelta(seconds=30))
            report.moved.append(item.id)
            return False
        return True

    def _look_for(
        self, item: OutboxItem, post: OutgoingPost, connector: Connector
    ) -> SentPost | None:
        """Ask the network whether an earlier attempt (or a send after the restored backup)
        posted it. When the network cannot say, the reply stays as it is: never posted
        without the look."""
        assert item.mention_id is not None
        known = self._outbox.sent_platform_ids(item.mention_id)
        try:
            try:
                return connector.find_sent(post, since=item.created_at, known=known)
            except (Offline, ServerTrouble):
                # One lost answer should not hold the reply back a whole sync: ask once more.
                return connector.find_sent(post, since=item.created_at, known=known)
        except (Offline, RateLimited, NeedsSignIn) as problem:
            until = problem.until if isinstance(problem, RateLimited) else None
            self._outbox.postpone_check(item.id, str(problem), until or self._clock())
            raise
        except NetworkError as problem:
            when = self._clock() + retry_delay(item.attempts + 1)
            self._outbox.postpone_check(item.id, str(problem), when)
            raise _LookFailed from problem

    def _record_sent(
        self, item: OutboxItem, sent: SentPost, mention: Mention, report: SendReport
    ) -> None:
        # First, alone: nothing after this (storing the post, a full disk) can undo "sent".
        if self._outbox.mark_sent(item.id, sent.platform_id, sent.url):
            report.sent += 1
            report.moved.append(item.id)
            if self._reply_gate is not None:  # teammates' histories say it was answered
                self._reply_gate.sent(item, sent.url, sent.platform_id)
        if sent.as_mention is None:
            return
        own = replace(
            sent.as_mention,
            is_own=True,
            parent_platform_id=sent.as_mention.parent_platform_id or mention.platform_id,
            root_platform_id=sent.as_mention.root_platform_id
            or mention.root_platform_id
            or mention.platform_id,
        )
        try:
            self._mentions.ingest([own])
        except StoreError as problem:  # the reply is sent; the thread shows it after a fetch
            log.warning("reply %d is sent, but its post was not stored: %s", item.id, problem)


class _LookFailed(Exception):
    """Looking for one reply got no answer: it waits, the rest of the outbox goes on."""


def hold_outbox_for_check(database: Path) -> list[int]:
    """After a backup was put in place of `database`: every reply it has as not sent yet is
    held for a check against the network before any send (it may have gone out after the
    backup was made). Returns their ids. Call before anything opens the restored file."""
    store = open_store(database)
    try:
        held = OutboxRepository(store).hold_all_for_check()
    finally:
        store.close()
    if held:
        log.warning("%d repl(ies) from the backup are checked before sending", len(held))
    return held
