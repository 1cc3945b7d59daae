"""Channel health: how each account's sync is doing, as records the window and the CLI show."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from storage.accounts import AccountHealth, AccountHealthRepository, AccountRepository
from storage.outbox import OutboxRepository
from storage.records import Account, AccountState, utc_now
from storage.skipped import SkippedItemRepository
from storage.usage import AccountLimits, UsageCounts, UsageRepository

from app.changes import Changes
from app.networks.base import DELETED_BEFORE_FETCH
from app.networks.registry import network_info
from app.networks.x.spend import PRICE_NAMES, SMALLEST_PAGE_READS, UnitPrices, billing_day
from app.text.display import age

UNKNOWN = "unknown"


def ago(moment: datetime, now: datetime) -> str:
    text = age(moment, now)
    return "just now" if text == "now" else f"{text} ago"


def from_now(moment: datetime, now: datetime) -> str:
    text = age(now, moment)
    return "in under a minute" if text == "now" else f"in {text}"


@dataclass(frozen=True, slots=True)
class Spend:
    """What a metered network (X) was asked for today and this month, and what it may cost."""

    today: UsageCounts
    month: UsageCounts
    prices: UnitPrices
    limits: AccountLimits

    def text(self) -> str:
        def line(counts: UsageCounts) -> str:
            posts = counts.posts_created + counts.dms_created
            return f"{counts.reads:,} reads, {posts:,} posts (≈ ${self.prices.cost(counts):,.2f})"

        return f"today {line(self.today)}; this month {line(self.month)} (estimated)"

    def budget_text(self) -> str:
        budget = self.limits.daily_read_budget
        if budget is None:
            return "no daily read budget"
        left = budget - self.today.reads
        if left < SMALLEST_PAGE_READS:
            return (
                f"daily read budget of {budget:,} reached ({max(0, left):,} left, too few for "
                "a page): reading waits until 00:00 UTC; replies still go out"
            )
        return f"{left:,} of {budget:,} reads left today"

    def wall_text(self) -> str:
        return self.limits.history_wall_note


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    account: Account
    facts: AccountHealth
    skipped: int = 0  # items the network sent that could not be stored safely
    last_skip_reason: str = ""
    deleted_before_fetch: int = 0  # notifications whose post was already gone
    spend: Spend | None = None  # metered networks only

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
            return "does not expire" if self.account.network.value == "mastodon" else UNKNOWN
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
            + (
                ""
                if self.spend is None
                else f"; spent {self.spend.text()}; {self.spend.budget_text()}"
                + (f"; {self.spend.wall_text()}" if self.spend.wall_text() else "")
            )
        )


class HealthService:
    def __init__(
        self,
        accounts: AccountRepository,
        health: AccountHealthRepository,
        outbox: OutboxRepository,
        skipped: SkippedItemRepository,
        usage: UsageRepository | None = None,
    ) -> None:
        self._accounts = accounts
        self._health = health
        self._outbox = outbox
        self._skipped = skipped
        self._usage = usage

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
            spend=self.spend(account),
        )

    def spend(self, account: Account, now: datetime | None = None) -> Spend | None:
        """Reads and posts spent on a metered network, today (UTC) and this month."""
        if self._usage is None or not network_info(account.network).metered:
            return None
        day = billing_day(now or utc_now())
        limits = self._usage.limits(account.id)
        return Spend(
            today=self._usage.day(account.id, day),
            month=self._usage.month(account.id, day),
            prices=UnitPrices.with_overrides(limits.unit_prices),
            limits=limits,
        )

    def set_read_budget(self, account_id: int, reads_per_day: int | None) -> Changes:
        """How many resources (posts, users, messages) a metered account may read per UTC
        day; None: no budget. Sync slows past 80 % of it and stops at it; sending never
        waits for it."""
        self._metered(account_id)
        if reads_per_day is not None and reads_per_day < 0:
            raise BudgetRefused("A daily read budget is a number of reads: 0 or more.")
        assert self._usage is not None
        self._usage.set_daily_read_budget(account_id, reads_per_day)
        return Changes.of(accounts=[account_id], description="Read budget saved")

    def set_unit_prices(self, account_id: int, prices: Mapping[str, float] | None) -> Changes:
        """Prices other than the network's published ones (US dollars per unit), merged
        into those set before; None: back to the published prices."""
        self._metered(account_id)
        assert self._usage is not None
        if prices is None:
            self._usage.set_unit_prices(account_id, None)
            return Changes.of(accounts=[account_id], description="Published prices restored")
        for name, price in prices.items():
            if name not in PRICE_NAMES:
                raise BudgetRefused(
                    f"No price called {name!r}; the prices are {', '.join(PRICE_NAMES)}."
                )
            if not math.isfinite(price) or price < 0:
                raise BudgetRefused(f"The price of {name} must be 0 or more US dollars.")
        merged = {**(self._usage.limits(account_id).unit_prices or {}), **prices}
        self._usage.set_unit_prices(account_id, merged)
        return Changes.of(accounts=[account_id], description="Prices saved")

    def _metered(self, account_id: int) -> Account:
        account = self._accounts.get(account_id)
        if self._usage is None or not network_info(account.network).metered:
            raise BudgetRefused(
                f"{account.handle} is on {network_info(account.network).label}, which does "
                "not bill per read: it has no read budget or prices."
            )
        return account

    def queued_replies(self) -> int:
        return self._outbox.count_waiting()


class BudgetRefused(ValueError):
    """A read budget or price that cannot be set; the message says why."""
