"""Repeat complaints: a customer restating a complaint to the same brand, from the second post.

Each customer (per brand and network) has open *cases*: complaints not yet resolved. A new
post continues a case when it is about the same problem, read from what it says rather than
how: the same order or booking number, the same problem group (a late parcel in English and a
"pakken har ikke kommet" in Norwegian are both *delivery*), enough shared content words, or a
chase ("still nothing", "third time asking", "nobody answers") soon after. A complaint about
not being answered continues whatever case is open. A thank-you or "it works again" closes the
customer's cases: a later complaint starts a new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.analysis.concepts import ConceptData, Reading

# A case nobody has added to for this long is over (a complaint a month later is a new one).
CASE_LIFETIME = timedelta(days=30)
# A bare chase ("anyone??") belongs to a case this recent.
CHASE_WINDOW = timedelta(days=14)
MIN_SHARED_KEYWORDS = 2
MIN_KEYWORD_OVERLAP = 0.2  # Jaccard of content-word stems
RECENT = timedelta(days=3)  # a post this soon after on the same problem restates it
# Evidence needed: the same problem concept (2), shared words (1–2), a chase ("still
# nothing", "nobody answers": 2), soon after (1). An order number settles it on its own.
CONTINUES = 3.0
WILDCARD_GROUPS = frozenset({"service"})  # "nobody answers me" restates any open case
NEGATIVE = frozenset({"negative", "mixed"})


@dataclass(slots=True)
class _Case:
    first_id: str
    first_at: datetime
    last_at: datetime
    groups: set[str]
    concepts: set[str]
    keywords: set[str]
    identifiers: set[str]  # order and booking numbers, other long numbers
    posts: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Repeat:
    """Where a post stands among its author's complaints."""

    repeat_of: str | None  # the first post of the complaint this one restates
    nth: int  # 1 for a first complaint (or no complaint), 2 for the first repeat, …
    earlier: tuple[str, ...] = ()  # every earlier post of that complaint, oldest first


NOT_A_REPEAT = Repeat(None, 1)


class RepeatTracker:
    """Streaming, in time order: call `observe` once per post."""

    def __init__(self, data: ConceptData) -> None:
        self._data = data
        self._cases: dict[tuple[str, ...], list[_Case]] = {}

    def observe(
        self,
        author: tuple[str, ...],  # (brand, network, author): never shared across brands
        post_id: str,
        at: datetime,
        reading: Reading,
        identifiers: Iterable[str] = (),
        sentiment: str | None = None,
    ) -> Repeat:
        cases = [c for c in self._cases.get(author, []) if at - c.last_at <= CASE_LIFETIME]
        self._cases[author] = cases
        named = {value.casefold() for value in identifiers}  # order and booking numbers
        ids = named | set(reading.numbers)
        groups = {self._data.concepts[key].group for key in reading.problem_concepts}
        unhappy = sentiment in NEGATIVE or bool({"complaint", "follow_up"} & reading.signals)
        complaint = reading.is_problem or unhappy or "failure" in reading.signals
        if sentiment == "positive" and not reading.is_problem:
            complaint = False  # "still waterproof after five years!" is praise
        resolved = (reading.is_thanks or "resolved" in reading.signals) and not (
            groups or sentiment in NEGATIVE or {"complaint", "follow_up"} & reading.signals
        )
        if resolved:
            cases.clear()  # "thanks, it arrived!": the case is over, and this is no repeat
            return NOT_A_REPEAT
        scored = [
            (score, case)
            for case in cases
            if (score := self._continuation(case, at, reading, ids, complaint, sentiment))
            >= CONTINUES
        ]
        if scored:
            best = max(scored, key=lambda pair: (pair[0], pair[1].last_at))[1]
            earlier = tuple(best.posts)
            best.posts.append(post_id)
            best.last_at = at
            best.groups |= groups - WILDCARD_GROUPS
            best.concepts |= set(reading.problem_concepts)
            best.keywords |= reading.keywords
            best.identifiers |= ids
            return Repeat(best.first_id, len(best.posts), earlier)
        # A new complaint opens a case (a question or praise does not), and so does asking
        # after an order by its number ("could you check FF-481122?").
        if (
            reading.is_problem
            or sentiment in NEGATIVE
            or named
            or (complaint and not _praise(reading))
        ):
            cases.append(
                _Case(post_id, at, at, groups - WILDCARD_GROUPS, set(reading.problem_concepts),
                      set(reading.keywords), ids, [post_id])
            )  # fmt: skip
        return NOT_A_REPEAT

    def _continuation(
        self,
        case: _Case,
        at: datetime,
        reading: Reading,
        ids: set[str],
        complaint: bool,
        sentiment: str | None,
    ) -> float:
        """How surely this post restates `case` (CONTINUES or more: it does)."""
        if ids & case.identifiers:
            return 10.0  # the same order number: the same case, whatever the words
        if not complaint:
            return 0.0
        groups = {self._data.concepts[key].group for key in reading.problem_concepts}
        concrete = groups - WILDCARD_GROUPS
        if concrete and case.groups and not concrete & case.groups:
            return 0.0  # a login problem after a late parcel is a new complaint
        if concrete and not case.groups:
            return 0.0  # a problem now, after a question then
        score = 0.0
        if set(reading.problem_concepts) & case.concepts:
            score += 2.0
        elif concrete & case.groups:
            score += 1.5
        shared = reading.keywords & case.keywords
        if (
            len(shared) >= MIN_SHARED_KEYWORDS
            and len(shared) / max(1, len(reading.keywords | case.keywords)) >= MIN_KEYWORD_OVERLAP
        ):
            score += 2.0
        elif shared:
            score += 1.0
        # Chasing, complaining of silence, or just angry with nothing new to say.
        angry = sentiment in NEGATIVE and not concrete
        chase = "follow_up" in reading.signals or bool(groups & WILDCARD_GROUPS) or angry
        if chase and at - case.last_at <= CHASE_WINDOW:
            score += 2.0
        if at - case.last_at <= RECENT:
            score += 1.0
        return score


def _praise(reading: Reading) -> bool:
    return "gratitude" in reading.signals or "praise" in reading.concepts
