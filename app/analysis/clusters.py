"""Common-issue clusters: posts about the same problem within one brand, as they arrive.

A problem post (the concept lexicon says what problem, in any language) waits as *pending*
for its problem group. When the pending posts of a group from distinct customers are more
than the brand's everyday traffic explains (spikes.py), they become one cluster, the earlier
ones included; later posts on that problem join it while it is active (a post within the
last 90 minutes). A spike alert is raised once per cluster, as soon as three distinct
customers make it unusual enough: normally by the third post of a burst.

Streaming, in time order; each brand has its own traffic, baseline and clusters, so posts of
different brands never share one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.analysis.concepts import ConceptData, Reading
from app.analysis.spikes import BrandTraffic, Surprise

PENDING_WINDOW = timedelta(minutes=60)  # how far back a forming cluster reaches
ACTIVE_GAP = timedelta(minutes=90)  # a cluster with no new post for this long is over
FORM_P = 0.002  # two customers this unusual make a cluster…
ALERT_P = 0.001  # …three this unusual make an alert
MIN_ALERT_AUTHORS = 3
# Everyday problems (a late parcel is a quarter of all posts) pile up by chance far more often
# than rare ones (checkout failing): their thresholds shrink with the square of their share
# above this, so three late-parcel posts in a row are no spike but three checkout ones are.
RARE_SHARE = 0.05


def threshold(base: float, share: float) -> float:
    return base * min(1.0, (RARE_SHARE / max(share, 1e-6)) ** 2)


@dataclass(frozen=True, slots=True)
class SpikeAlert:
    brand: str | None
    cluster: str
    group: str
    label: str  # for people: "Checkout and payment failing"
    at: datetime  # the created_at of the post that raised it
    raised_by: str  # that post's id
    posts: tuple[str, ...]  # the cluster's posts so far
    authors: int
    p_value: float

    def as_json(self, ids: Callable[[str], Any] = str, at: str | None = None) -> dict[str, Any]:
        """The alert's line of `heedful analyse --json` (`at` as the input wrote it)."""
        return {
            "alert": "spike",
            "brand": self.brand,
            "cluster": self.cluster,
            "at": at or self.at.isoformat(),
            "posts": [ids(post_id) for post_id in self.posts],
        }


@dataclass(slots=True)
class Cluster:
    id: str
    brand: str | None
    group: str
    started_at: datetime
    last_at: datetime
    posts: list[str] = field(default_factory=list)
    authors: set[str] = field(default_factory=set)
    keywords: Counter[str] = field(default_factory=Counter)
    alerted: bool = False

    def active_at(self, at: datetime) -> bool:
        return at - self.last_at <= ACTIVE_GAP


@dataclass(frozen=True, slots=True)
class Placement:
    """What one post did to the clusters."""

    cluster: str | None  # the cluster this post is in
    joined: tuple[str, ...] = ()  # earlier posts that joined that cluster just now
    alert: SpikeAlert | None = None


@dataclass(slots=True)
class _Pending:
    post_id: str
    author: str
    at: datetime
    keywords: frozenset[str]


class _BrandClusters:
    def __init__(self, brand: str | None, data: ConceptData) -> None:
        self.brand = brand
        self.data = data
        priors = {c.group: data.group_prior(c.group) for c in data.concepts.values()}
        self.traffic = BrandTraffic(priors)
        self.active: dict[str, Cluster] = {}
        self.pending: dict[str, list[_Pending]] = {}
        self.numbers: Counter[str] = Counter()

    def _new_id(self, group: str) -> str:
        self.numbers[group] += 1
        prefix = f"{self.brand}/" if self.brand else ""
        return f"{prefix}{group}-{self.numbers[group]}"

    def place(self, post_id: str, author: str, at: datetime, reading: Reading) -> Placement:
        groups = list(dict.fromkeys(self.data.concepts[k].group for k in reading.problem_concepts))
        # Join an active cluster on any of the post's problems, the biggest first.
        open_clusters = [self.active[g] for g in groups if g in self.active]
        open_clusters = [c for c in open_clusters if c.active_at(at)]
        group = max(open_clusters, key=lambda c: len(c.posts)).group if open_clusters else None
        group = group or (groups[0] if groups else None)
        self.traffic.add(post_id, author, at, group)
        if group is None:
            return Placement(None)
        cluster = self.active.get(group)
        if cluster is not None and cluster.active_at(at):
            self._add(cluster, post_id, author, at, reading.keywords)
            return Placement(cluster.id, alert=self._maybe_alert(cluster, post_id, at))
        self.active.pop(group, None)
        pending = [p for p in self.pending.get(group, []) if at - p.at <= PENDING_WINDOW]
        pending.append(_Pending(post_id, author, at, reading.keywords))
        self.pending[group] = pending
        if len({p.author for p in pending}) < 2:
            return Placement(None)
        surprise = self.traffic.surprise(group, at)
        if surprise.p_value >= self._threshold(FORM_P, group) or surprise.authors < 2:
            return Placement(None)
        cluster = Cluster(self._new_id(group), self.brand, group, pending[0].at, at)
        for item in pending:
            self._add(cluster, item.post_id, item.author, item.at, item.keywords)
        self.active[group] = cluster
        self.pending[group] = []
        earlier = tuple(p.post_id for p in pending[:-1])
        return Placement(cluster.id, earlier, self._maybe_alert(cluster, post_id, at, surprise))

    def _threshold(self, base: float, group: str) -> float:
        return threshold(base, self.traffic.baseline.share(group))

    def _add(
        self, cluster: Cluster, post_id: str, author: str, at: datetime, words: frozenset[str]
    ) -> None:
        cluster.posts.append(post_id)
        cluster.authors.add(author)
        cluster.keywords.update(words)
        cluster.last_at = max(cluster.last_at, at)
        self.traffic.mark_clustered([post_id])

    def _maybe_alert(
        self, cluster: Cluster, post_id: str, at: datetime, surprise: Surprise | None = None
    ) -> SpikeAlert | None:
        if cluster.alerted or len(cluster.authors) < MIN_ALERT_AUTHORS:
            return None
        surprise = surprise or self.traffic.surprise(cluster.group, at)
        if surprise.authors < MIN_ALERT_AUTHORS or surprise.p_value >= self._threshold(
            ALERT_P, cluster.group
        ):
            return None
        cluster.alerted = True
        return SpikeAlert(
            brand=self.brand,
            cluster=cluster.id,
            group=cluster.group,
            label=self.data.group_label(cluster.group),
            at=at,
            raised_by=post_id,
            posts=tuple(cluster.posts),
            authors=len(cluster.authors),
            p_value=surprise.p_value,
        )


class ClusterTracker:
    """Every brand's clusters; call `place` once per post, in time order."""

    def __init__(self, data: ConceptData) -> None:
        self._data = data
        self._brands: dict[str | None, _BrandClusters] = {}

    def place(
        self, brand: str | None, post_id: str, author: str, at: datetime, reading: Reading
    ) -> Placement:
        clusters = self._brands.get(brand)
        if clusters is None:
            clusters = self._brands[brand] = _BrandClusters(brand, self._data)
        return clusters.place(post_id, author, at, reading)

    def active(self, brand: str | None) -> Sequence[Cluster]:
        clusters = self._brands.get(brand)
        return list(clusters.active.values()) if clusters else []
