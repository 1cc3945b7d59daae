"""What reports filter and group by: one registry, so a new dimension is one entry here.

Each dimension says where its value comes from when a day is packed, as SQL over the aliases
`f` (report_facts), `m` (mentions) and `ac` (accounts) of that day's rows; or, for a dimension
with several values per mention (tags), a query of (mention_id, value) pairs. A dimension that
needs a column another part of Heedful adds later (the care analysis's sentiment and cluster)
names it in `requires` and appears once the column exists; the packs are then built again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from storage.records import MentionKind, Network


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str  # as typed: `--by network`, `network:mastodon`
    label: str
    value_sql: str | None = None  # one value per mention
    # (mention_id, value) pairs for the mentions in `report_batch_day` (several per mention)
    pairs_sql: str | None = None
    coded: bool = True  # text values, stored as report_codes; False: an integer id
    labels_sql: str | None = None  # (id, label) for integer ids
    requires: tuple[str, ...] = ()  # "table.column" that must exist
    aliases: tuple[str, ...] = ()
    # Replies carry their own value (the agent who sent each one), not the mention's.
    per_reply: bool = False
    # Every value there can be (a filter on one no mention has is empty, not a typo).
    vocabulary: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.value_sql is None) == (self.pairs_sql is None):
            raise ValueError(f"dimension {self.name}: give value_sql or pairs_sql, not both")

    @property
    def multi(self) -> bool:
        return self.pairs_sql is not None

    @property
    def column(self) -> str:
        """The pack column holding its values (for `multi`: the pairs' value column)."""
        return f"dim_{self.name}"


_TAG_PAIRS = (
    "SELECT mt.mention_id, mt.tag_id FROM mention_tags AS mt"
    " WHERE mt.mention_id IN (SELECT mention_id FROM temp.report_batch_day)"
)

DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("brand", "Brand", "f.brand"),
    Dimension("network", "Network", "ac.network", vocabulary=tuple(n.value for n in Network)),
    Dimension(
        "account",
        "Account",
        "m.account_id",
        coded=False,
        labels_sql="SELECT id, handle FROM accounts",
    ),
    Dimension("agent", "Agent", "f.agent", aliases=("assignee",), per_reply=True),
    Dimension(
        "tag",
        "Tag",
        pairs_sql=_TAG_PAIRS,
        coded=False,
        labels_sql="SELECT id, name FROM tags",
    ),
    Dimension("language", "Language", "coalesce(lower(m.language), '')", aliases=("lang",)),
    Dimension("kind", "Kind", "m.kind", vocabulary=tuple(k.value for k in MentionKind)),
    # From the care analysis, once it stores them on the mention.
    Dimension("sentiment", "Sentiment", "m.sentiment", requires=("mentions.sentiment",)),
    Dimension("cluster", "Cluster", "m.cluster", requires=("mentions.cluster",)),
)


class DimensionRegistry:
    def __init__(self, dimensions: Iterable[Dimension] = DIMENSIONS) -> None:
        self._all = tuple(dimensions)
        names = [d.name for d in self._all] + [a for d in self._all for a in d.aliases]
        if len(names) != len(set(names)):
            raise ValueError("two dimensions share a name")

    def __iter__(self) -> Iterator[Dimension]:
        return iter(self._all)

    def available(self, columns: set[str]) -> tuple[Dimension, ...]:
        """The dimensions whose columns exist (`columns`: "table.column" names)."""
        return tuple(d for d in self._all if all(need in columns for need in d.requires))

    def find(self, name: str, columns: set[str] | None = None) -> Dimension | None:
        key = name.strip().lower()
        pool = self._all if columns is None else self.available(columns)
        return next((d for d in pool if key == d.name or key in d.aliases), None)

    def names(self, columns: set[str] | None = None) -> list[str]:
        pool = self._all if columns is None else self.available(columns)
        return [d.name for d in pool]


REGISTRY = DimensionRegistry()
