"""What X bills for, counted as it is spent: reads and posts per account and UTC day, an
estimated cost, and the daily read budget the person sets (reading slows as it nears the
budget and stops at it; sending never waits for it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta

from storage.records import utc_now
from storage.usage import UsageCounts, UsageRepository


@dataclass(frozen=True, slots=True)
class UnitPrices:
    """US dollars per unit, from X's published pay-per-use prices (docs.x.com, "Pricing":
    Posts: Read $0.005 per resource, User: Read $0.010, DM Event: Read $0.010, Content:
    Create $0.015 per request, Content: Create (with URL) $0.200, DM Interaction: Create
    $0.015). X deducts a resource read twice in one UTC day once, which this does not follow:
    the estimate is an upper bound. X's console has the real figures."""

    post_read: float = 0.005
    user_read: float = 0.010
    dm_read: float = 0.010
    post_created: float = 0.015
    post_with_link_created: float = 0.200
    dm_created: float = 0.015

    @classmethod
    def with_overrides(cls, overrides: dict[str, float] | None) -> UnitPrices:
        known = {f.name for f in fields(cls)}
        return replace(cls(), **{k: v for k, v in (overrides or {}).items() if k in known})

    def cost(self, counts: UsageCounts) -> float:
        plain_posts = max(0, counts.posts_created - counts.posts_with_link)
        return (
            counts.post_reads * self.post_read
            + counts.user_reads * self.user_read
            + counts.dm_reads * self.dm_read
            + plain_posts * self.post_created
            + counts.posts_with_link * self.post_with_link_created
            + counts.dms_created * self.dm_created
        )


PRICE_NAMES = tuple(f.name for f in fields(UnitPrices))
# Reads a page needs at least (X's smallest page is 5 posts, each with its author and what
# it quotes): with fewer left, reading waits for the next day.
SMALLEST_PAGE_READS = 15

# Past this share of the day's budget, reading slows to one pass every SLOW_PASS.
SLOW_FROM = 0.8
SLOW_PASS = timedelta(minutes=15)


def billing_day(moment: datetime) -> date:
    """X's billing days are UTC days."""
    return moment.astimezone(UTC).date()


class Meter:
    """One account's spend, written as each answer arrives (its own small transaction)."""

    def __init__(
        self,
        usage: UsageRepository,
        account_id: int,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._usage = usage
        self._account_id = account_id
        self._clock = clock

    def record(self, counts: UsageCounts) -> None:
        now = self._clock()
        read_at = now if counts.reads else None
        self._usage.add(self._account_id, billing_day(now), counts, read_at=read_at)

    def today(self) -> UsageCounts:
        return self._usage.day(self._account_id, billing_day(self._clock()))

    def budget(self) -> int | None:
        return self._usage.limits(self._account_id).daily_read_budget

    def reads_left(self) -> int | None:
        """Reads the budget still allows today; None without a budget."""
        budget = self.budget()
        return None if budget is None else max(0, budget - self.today().reads)

    def pass_allowed(self) -> bool:
        """Whether a read pass may run now: always below SLOW_FROM of the budget; past it
        only once every SLOW_PASS; never once it is spent."""
        budget = self.budget()
        if budget is None:
            return True
        spent = self.today().reads
        if spent >= budget:
            return False
        if spent < budget * SLOW_FROM:
            return True
        last = self._usage.last_read_at(self._account_id, billing_day(self._clock()))
        return last is None or self._clock() - last >= SLOW_PASS

    def note_history_wall(self, note: str) -> None:
        self._usage.note_history_wall(self._account_id, self._clock(), note)
