"""Channel health: how each account's sync is doing, as records the window and the CLI show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.accounts import AccountHealth, AccountHealthRepository, AccountRepository
from storage.outbox import OutboxRepository
from storage.records import Account, AccountState
from storage.skipped import SkippedItemRepository

from app.networks.base import DELETED_BEFORE_FETCH
from app.text.display import age

UNKNOWN = "unknown"


def ago(moment: datetime, now: datetime) -> str:
    text = age(moment, now)
    return "just now" if text == "now" else f"{text} ago"


def from_now(moment: datetime, now: datetime) -> str:
    text = age(now, moment)
    return "in under a minute" if text == "now" else f"in {text}"


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    account: Account
    facts: AccountHealth
    skipped: int = 0  # items the network sent that could not be stored safely
    last_skip_reason: str = ""
    deleted_before_fetch: int = 0  # notifications whose post was already gone

    @property
    def state(self) -> AccountState:
        return self.account.state

    def state_text(self) -> str:
        """ok / offline / rate-limited until T / needs sign-in again / error: why."""
        account = self.account
        if account.state is AccountState.RATE_LIMITED:
            if account.state_until is None:
                return "rate-limited"
            return f"rate-limited until {account.state_until.astimezone():%H:%M}"
        if account.state is AccountState.NEEDS_SIGN_IN:
            return "needs sign-in again"
        if account.state is AccountState.ERROR:
            return f"error: {account.state_detail}" if account.state_detail else "error"
        return account.state.value

    def last_sync_text(self, now: datetime) -> str:
        synced = self.account.last_synced_at
        return "never" if synced is None else ago(synced, now)

    def fetched_text(self) -> str:
        return f"{self.facts.fetched_last:,} last sync, {self.facts.fetched_total:,} in all"

    def budget_text(self) -> str:
        remaining, limit = self.facts.rate_remaining, self.facts.rate_limit
        if remaining is None:
            return UNKNOWN
        text = f"{remaining:,}" if limit is None else f"{remaining:,} of {limit:,}"
        if self.facts.rate_resets_at is not None:
            text += f" (resets {self.facts.rate_resets_at.astimezone():%H:%M})"
        return text

    def token_text(self, now: datetime) -> str:
        expires = self.facts.token_expires_at
        if expires is None:
            return UNKNOWN if self.account.network.value == "bluesky" else "does not expire"
        if expires <= now:
            return "expired (refreshed at the next sync)"
        return f"{from_now(expires, now)} ({expires.astimezone():%H:%M})"

    def skipped_text(self) -> str:
        if not self.skipped:
            return "none"
        return f"{self.skipped:,} (latest: {self.last_skip_reason})"

    def deleted_text(self) -> str:
        """Notifications whose post its author deleted before Heedful fetched it."""
        count = self.deleted_before_fetch
        return "none" if not count else f"{count:,} deleted by their authors before fetching"

    def held_back_text(self) -> str:
        """What the brand's server holds back (Mastodon 4.3+ notification policy)."""
        policy = self.facts.notification_policy
        if policy is None:
            return "nothing (the server has no notification policy)"
        waiting = self.facts.requests_waiting or 0
        notes = self.facts.notifications_waiting
        line = f"{waiting:,} request{'s' * (waiting != 1)} waiting"
        if notes:
            line += f" ({notes:,} notification{'s' * (notes != 1)})"
        return f"{line}; the server {policy}"

    def summary(self, now: datetime) -> str:
        """One line per account, as `heedful sync --once` prints it."""
        return (
            f"{self.account.handle} ({self.account.network.value}): {self.state_text()}; "
            f"last synced {self.last_sync_text(now)}; fetched {self.fetched_text()}; "
            f"rate budget {self.budget_text()}; token expires {self.token_text(now)}; "
            f"skipped {self.skipped_text()}"
            + (f"; held back {self.held_back_text()}" if self.facts.notification_policy else "")
        )


class HealthService:
    def __init__(
        self,
        accounts: AccountRepository,
        health: AccountHealthRepository,
        outbox: OutboxRepository,
        skipped: SkippedItemRepository,
    ) -> None:
        self._accounts = accounts
        self._health = health
        self._outbox = outbox
        self._skipped = skipped

    def channels(self) -> list[ChannelHealth]:
        return [self._channel(account) for account in self._accounts.all()]

    def _channel(self, account: Account) -> ChannelHealth:
        recent = self._skipped.recent(account.id, limit=1, except_reason=DELETED_BEFORE_FETCH)
        last_reason = ""
        if recent:
            platform_id, why = recent[0]
            last_reason = why if platform_id is None else f"{platform_id}: {why}"
        return ChannelHealth(
            account,
            self._health.get(account.id),
            skipped=self._skipped.count(account.id, except_reason=DELETED_BEFORE_FETCH),
            last_skip_reason=last_reason,
            deleted_before_fetch=self._skipped.count_of(account.id, DELETED_BEFORE_FETCH),
        )

    def queued_replies(self) -> int:
        return self._outbox.count_waiting()
