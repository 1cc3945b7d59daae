"""When a run of posts about one problem is a spike: a per-brand, per-problem baseline and a
surprise test on the latest minutes.

Two questions must both say "unusual" before a spike is called, so neither the quiet of the
night nor the rush of a morning (or of a popular post's replies) raises one by itself:

- *rate*: so many distinct customers on this problem in the last W minutes, against the
  brand's everyday rate for it (Poisson tail);
- *share*: so many of the posts in those W minutes on this problem, against its everyday share
  of the brand's posts (binomial tail): a busy hour brings more of every topic, not more of one.

W is 10, 30 and 60 minutes (the smallest p-value, times three for looking three times). The
baseline counts only posts that have left the last two hours and joined no cluster, decayed
with a one-day half-life, and starts from the lexicon's everyday shares and one post an hour.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

WINDOWS = (timedelta(minutes=10), timedelta(minutes=30), timedelta(minutes=60))
RECENT = timedelta(hours=2)  # posts this recent are "now", not yet baseline
HALF_LIFE = timedelta(days=1)
PRIOR_RATE_PER_HOUR = 1.0  # the brand's volume before its own traffic is known…
PRIOR_HOURS = 12.0  # …and how much that guess weighs, in hours of traffic
PRIOR_WEIGHT = 20.0  # how many posts' worth the lexicon's everyday shares weigh


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    p = min(max(p, 1e-9), 1 - 1e-9)
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(k, n + 1):
        log_term = (
            math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + i * log_p + (n - i) * log_q
        )  # fmt: skip
        total += math.exp(log_term)
    return min(1.0, total)


def poisson_tail(k: int, mean: float) -> float:
    """P(N ≥ k) for N ~ Poisson(mean)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    below = sum(math.exp(i * math.log(mean) - mean - math.lgamma(i + 1)) for i in range(k))
    if below < 0.999:
        return max(0.0, 1.0 - below)
    # Far in the tail: add the terms themselves (1 - below loses them to rounding).
    return sum(math.exp(i * math.log(mean) - mean - math.lgamma(i + 1)) for i in range(k, k + 60))


@dataclass(slots=True)
class _Recent:
    at: datetime
    post_id: str
    author: str
    group: str | None


@dataclass(slots=True)
class Baseline:
    """One brand's everyday traffic: total posts and posts per problem group, decayed."""

    priors: Mapping[str, float]
    total: float = 0.0
    per_group: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    exposure_hours: float = 0.0  # decayed hours of traffic observed
    clock: datetime | None = None

    def advance(self, now: datetime) -> None:
        if self.clock is None:
            self.clock = now
            return
        hours = (now - self.clock).total_seconds() / 3600
        if hours <= 0:
            return
        decay = 0.5 ** (hours / (HALF_LIFE.total_seconds() / 3600))
        self.total *= decay
        for group in self.per_group:
            self.per_group[group] *= decay
        half_life_hours = HALF_LIFE.total_seconds() / 3600
        self.exposure_hours = self.exposure_hours * decay + half_life_hours / math.log(2) * (
            1 - decay
        )
        self.clock = now

    def count(self, group: str | None) -> None:
        self.total += 1
        if group is not None:
            self.per_group[group] += 1

    def share(self, group: str) -> float:
        prior = self.priors.get(group, 0.02)
        return (self.per_group.get(group, 0.0) + PRIOR_WEIGHT * prior) / (self.total + PRIOR_WEIGHT)

    def rate_per_hour(self) -> float:
        return (self.total + PRIOR_RATE_PER_HOUR * PRIOR_HOURS) / (
            self.exposure_hours + PRIOR_HOURS
        )


@dataclass(frozen=True, slots=True)
class Surprise:
    p_value: float  # smaller is stranger; already corrected for the three windows
    authors: int  # distinct customers on this problem in the window that decided it
    window: timedelta


class BrandTraffic:
    """The last two hours of one brand's posts, and its baseline."""

    def __init__(self, priors: Mapping[str, float]) -> None:
        self.baseline = Baseline(priors)
        self._recent: deque[_Recent] = deque()
        self._clustered: set[str] = set()

    def add(self, post_id: str, author: str, at: datetime, group: str | None) -> None:
        latest = self._recent[-1].at if self._recent else at
        now = max(at, latest)
        while self._recent and now - self._recent[0].at > RECENT:
            old = self._recent.popleft()
            self.baseline.advance(old.at)
            if old.post_id not in self._clustered:
                self.baseline.count(old.group)
            self._clustered.discard(old.post_id)
        self._recent.append(_Recent(at, post_id, author, group))

    def mark_clustered(self, post_ids: list[str]) -> None:
        """Posts in a cluster are the spike, not everyday traffic: kept out of the baseline."""
        self._clustered.update(post_ids)

    def surprise(self, group: str, now: datetime) -> Surprise:
        self.baseline.advance(now - RECENT)
        share = self.baseline.share(group)
        rate = self.baseline.rate_per_hour() * share
        best = Surprise(1.0, 0, WINDOWS[0])
        for window in WINDOWS:
            inside = [r for r in self._recent if now - window <= r.at <= now]
            authors = len({r.author for r in inside if r.group == group})
            posts = len(inside)
            p_share = binomial_tail(authors, posts, share)
            p_rate = poisson_tail(authors, rate * window.total_seconds() / 3600)
            p_value = min(1.0, max(p_share, p_rate) * len(WINDOWS))
            if p_value < best.p_value:
                best = Surprise(p_value, authors, window)
        return best
