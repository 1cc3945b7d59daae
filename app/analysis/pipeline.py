"""The analysis of a stream of posts: the one function the command line and the inbox share.

`analyse(posts)` reads posts in time order and yields one `Step` per post: its language,
sentiment, personal data, repeat and cluster, and what it changed for earlier posts (posts
that joined a cluster just now) and any spike alert it raised. Nothing is stored here: the
caller keeps what it needs (the inbox stores each Analysis with ANALYSIS_VERSION, and rebuilds
them all by replaying its posts through this function when the version changes).

The sentiment model (`app.analysis.sentiment`) and the language model (`app.analysis.langid`)
are optional: without them sentiment is None and the language comes from app.text.language.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from app.analysis import concepts, pii
from app.analysis.clusters import ClusterTracker, SpikeAlert
from app.analysis.concepts import ConceptData
from app.analysis.repeats import RepeatTracker
from app.analysis.urgency import Urgency, UrgencyFacts, rank

# Bump when anything here changes what an Analysis says: stored analyses of an older version
# are recomputed. The models' own versions are part of version() too.
ANALYSIS_VERSION = 1

KINDS = ("mention", "reply", "dm")
# Models read this much of a post: a hostile megabyte of text costs no more than a long post.
MODEL_CHARS = 5_000
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Post:
    id: str
    author: str
    created_at: datetime
    text: str
    kind: str = "mention"
    network: str = ""
    brand: str | None = None
    followers: int | None = None  # the author's, when the network says
    language: str | None = None  # as the network tagged it, when it did


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: str | None  # positive, negative, neutral, mixed; None without a model
    sarcasm: bool = False
    confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class Analysis:
    post_id: str
    brand: str | None
    created_at: datetime
    language: str | None
    sentiment: Sentiment
    pii: tuple[pii.PiiSpan, ...]
    repeat_of: str | None
    repeat_nth: int
    repeat_earlier: tuple[str, ...]
    cluster: str | None
    problems: tuple[str, ...]  # concept keys, strongest first
    followers: int | None = None
    version: str = ""

    def urgency(self, now: datetime, *, answered: bool = False, spike: bool = False) -> Urgency:
        return rank(
            UrgencyFacts(
                created_at=self.created_at,
                sentiment=self.sentiment.label,
                problem=bool(self.problems),
                followers=self.followers,
                nth_post=self.repeat_nth,
                cluster=self.cluster,
                spike=spike,
                answered=answered,
            ),
            now,
        )

    def with_cluster(self, cluster: str) -> Analysis:
        return replace(self, cluster=cluster)

    def as_json(self, ids: Callable[[str], Any] = str) -> dict[str, Any]:
        """The post's line of `heedful analyse --json`; `ids` turns post ids back into the
        caller's own (a number stays a number)."""
        return {
            "id": ids(self.post_id),
            "language": self.language,
            "sentiment": self.sentiment.label,
            "sarcasm": self.sentiment.sarcasm,
            "pii": [span.as_json() for span in self.pii],
            "repeat_of": ids(self.repeat_of) if self.repeat_of is not None else None,
            "cluster": self.cluster,
        }


@dataclass(frozen=True, slots=True)
class Step:
    analysis: Analysis
    joined: tuple[str, ...] = ()  # earlier posts that joined analysis.cluster just now
    alert: SpikeAlert | None = None


LanguageDetector = Callable[[str], str | None]
SentimentReader = Callable[[str, str | None], Sentiment]


def _model(name: str) -> Any | None:
    """An optional model module, or None when it is not installed (yet)."""
    try:
        return importlib.import_module(f"app.analysis.{name}")
    except ImportError as error:
        if error.name != f"app.analysis.{name}":  # there, but something it needs is not
            log.warning("app.analysis.%s cannot be loaded (%s): analysing without it", name, error)
        return None


def default_language_detector() -> LanguageDetector:
    langid = _model("langid")
    if langid is not None:

        def detect(text: str) -> str | None:
            guess = langid.detect(text)
            return getattr(guess, "language", None)

        return detect
    from app.text import language

    return language.detect


def default_sentiment_reader() -> SentimentReader | None:
    sentiment = _model("sentiment")
    if sentiment is None:
        return None

    def read(text: str, language: str | None) -> Sentiment:
        result = sentiment.classify(text, language=language)
        label = getattr(result.label, "value", result.label)
        return Sentiment(
            str(label) if label is not None else None,
            bool(getattr(result, "sarcasm", False)),
            float(getattr(result, "confidence", 0.0)),
        )

    return read


def version() -> str:
    """ANALYSIS_VERSION and the installed models' versions: a stored analysis with another
    version is out of date."""
    parts = [str(ANALYSIS_VERSION)]
    for name in ("sentiment", "langid"):
        module = _model(name)
        if module is not None:
            parts.append(
                f"{name}-{getattr(module, 'MODEL_VERSION', getattr(module, 'VERSION', 0))}"
            )
    return "+".join(parts)


@dataclass
class Analyser:
    """The state of a stream: repeats and clusters per brand. Feed posts in time order.
    `detect_language` None: the installed model, loaded on first use. `read_sentiment` None:
    no sentiment (default_sentiment_reader() is the installed model, if any)."""

    contacts: pii.BrandContacts = pii.DEFAULT_CONTACTS
    detect_language: LanguageDetector | None = None
    read_sentiment: SentimentReader | None = None
    data: ConceptData = field(default_factory=concepts.bundled)

    def __post_init__(self) -> None:
        self._repeats = RepeatTracker(self.data)
        self._clusters = ClusterTracker(self.data)
        self._version = version()

    def add(self, post: Post) -> Step:
        language = self._language(post)
        sample = post.text[:MODEL_CHARS]
        sentiment = (
            self.read_sentiment(sample, language) if self.read_sentiment else Sentiment(None)
        )
        spans = tuple(pii.find(post.text, self.contacts))
        reading = concepts.read(post.text, self.data)
        identifiers = [
            span.text.replace(" ", "")
            for span in spans
            if span.type in (pii.PiiType.ORDER_NUMBER, pii.PiiType.BOOKING_REF)
        ]
        person = (post.brand or "", post.network, post.author)
        repeat = self._repeats.observe(
            person, post.id, post.created_at, reading, identifiers, sentiment.label
        )
        placement = self._clusters.place(
            post.brand, post.id, f"{post.network}:{post.author}", post.created_at, reading
        )
        analysis = Analysis(
            post_id=post.id,
            brand=post.brand,
            created_at=post.created_at,
            language=language,
            sentiment=sentiment,
            pii=spans,
            repeat_of=repeat.repeat_of,
            repeat_nth=repeat.nth,
            repeat_earlier=repeat.earlier,
            cluster=placement.cluster,
            problems=reading.problem_concepts,
            followers=post.followers,
            version=self._version,
        )
        return Step(analysis, placement.joined, placement.alert)

    def _language(self, post: Post) -> str | None:
        from app.text.language import normalise

        if post.language:
            return normalise(post.language)
        if self.detect_language is None:
            self.detect_language = default_language_detector()
        return self.detect_language(post.text[:MODEL_CHARS])


def analyse(
    posts: Iterable[Post],
    contacts: pii.BrandContacts = pii.DEFAULT_CONTACTS,
    *,
    detect_language: LanguageDetector | None = None,
    read_sentiment: SentimentReader | bool | None = True,
) -> Iterator[Step]:
    """Every post's analysis, in the order given (time order, per brand). `read_sentiment`:
    True for the installed model (None without one), False for none, or a function."""
    reader: SentimentReader | None
    if read_sentiment is True:
        reader = default_sentiment_reader()
    elif read_sentiment is False:
        reader = None
    else:
        reader = read_sentiment
    analyser = Analyser(contacts, detect_language, reader)
    for post in posts:
        yield analyser.add(post)
