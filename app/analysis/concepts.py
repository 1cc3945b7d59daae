"""Words as the analysis compares them, and the multilingual lexicon of customer problems.

The lexicon is data (`resources/analysis/concepts/*.json`): one file per problem concept
(checkout, login, delivery late, …) with its topic words and its "this is broken" phrases in
every supported language, plus `signals.json` (failure, complaint, follow-up, gratitude and
function words shared by all concepts). Every language's terms are tried on every post, so a
post needs no language detection to be read, and a Norwegian and a German post about a broken
checkout land on the same concept.

Term syntax, matched against folded tokens (lower case, accents and ø/æ/ß folded):
`word` matches tokens starting with it when it has 4+ letters (stems: `betal` ~ betale,
betaling), else exactly; `=word` always exactly; `word*` always as a prefix; `a b` consecutive
tokens; `a ~ b` b within three tokens after a.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from app.resources import resource_path

LANGUAGES = ("en", "nb", "nn", "sv", "da", "de", "fr", "es", "nl", "it", "pt", "pl")
GAP = 3  # how many tokens `a ~ b` may skip
MAX_CHARS = 20_000  # a post is read up to here (hostile posts can be megabytes)

# Letters Unicode does not decompose, spelled as a reader of that language would type them
# without the key (ø → o, æ → ae, ß → ss).
_SPECIAL = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d",
                          "ð": "d", "þ": "th", "ı": "i", "’": "'", "‘": "'", "ʼ": "'"})  # fmt: skip
_WORD = re.compile(r"[^\W_]+(?:['’ʼ][^\W_]+)*")
# English contractions join ("can't" → cant); anything else at an apostrophe splits
# (French and Italian elision: "l'appli" → l, appli).
_JOINED_SUFFIXES = frozenset({"t", "s", "re", "ve", "ll", "d", "m"})


def fold(text: str) -> str:
    """Lower case without accents: 'Bezahlung schlägt FEHL' → 'bezahlung schlagt fehl'."""
    text = text.casefold().translate(_SPECIAL)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # folded
    start: int  # span in the original string (Python str indices)
    end: int


def tokens(text: str) -> list[Token]:
    found: list[Token] = []
    for match in _WORD.finditer(text):
        word = match.group(0)
        parts = re.split(r"['’ʼ]", word)
        if len(parts) == 1:
            found.append(Token(fold(word), match.start(), match.end()))
            continue
        if len(parts) == 2 and fold(parts[1]) in _JOINED_SUFFIXES:
            found.append(Token(fold(parts[0] + parts[1]), match.start(), match.end()))
            continue
        position = match.start()
        for part in parts:
            found.append(Token(fold(part), position, position + len(part)))
            position += len(part) + 1
    return found


# --- terms and lexicons ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Matcher:
    text: str
    prefix: bool

    def matches(self, token: str) -> bool:
        return token.startswith(self.text) if self.prefix else token == self.text


@dataclass(frozen=True, slots=True)
class _Term:
    label: str
    source: str  # as written in the data, for explanations
    matchers: tuple[_Matcher, ...]
    gaps: tuple[int, ...]  # tokens the next matcher may skip (0: consecutive)


@dataclass(frozen=True, slots=True)
class Hit:
    label: str
    term: str  # the term as written in the data
    first: int  # token indices, inclusive
    last: int


def _matcher(word: str) -> _Matcher:
    if word.startswith("="):
        return _Matcher(fold(word[1:]), prefix=False)
    if word.endswith("*"):
        return _Matcher(fold(word[:-1]), prefix=True)
    folded = fold(word)
    return _Matcher(folded, prefix=len(folded) >= 4)


def compile_term(label: str, source: str) -> _Term:
    matchers: list[_Matcher] = []
    gaps: list[int] = []
    gap = 0
    for part in source.split():
        if part == "~":
            gap = GAP
            continue
        marker = "=" if part.startswith("=") else ""
        star = "*" if part.endswith("*") else ""
        words = [w for w in (t.text for t in tokens(part.strip("=*"))) if w]
        for number, word in enumerate(words):
            if matchers:
                gaps.append(gap)
            gap = 0
            # A word the tokenizer splits ("l'appli") keeps its markers on the last piece.
            last = number == len(words) - 1
            written = (marker if number == 0 else "") + word + (star if last else "")
            matchers.append(_matcher(written))
    if not matchers:
        raise ValueError(f"empty term {source!r} for {label}")
    return _Term(label, source, tuple(matchers), tuple(gaps))


class Lexicon:
    """Labelled terms, found in a token list fast (indexed by each term's first word)."""

    def __init__(self, terms: Iterable[tuple[str, str]]) -> None:
        self._exact: dict[str, list[_Term]] = defaultdict(list)
        self._prefix: dict[str, list[_Term]] = defaultdict(list)
        self.labels: set[str] = set()
        for label, source in terms:
            term = compile_term(label, source)
            self.labels.add(label)
            first = term.matchers[0]
            if first.prefix and len(first.text) >= 3:
                self._prefix[first.text[:3]].append(term)
            else:
                self._exact[first.text].append(term)

    def find(self, words: Sequence[str]) -> list[Hit]:
        hits: list[Hit] = []
        for index, word in enumerate(words):
            candidates = self._exact.get(word, [])
            if len(word) >= 3:
                candidates = candidates + self._prefix.get(word[:3], [])
            for term in candidates:
                last = _match_at(term, words, index)
                if last is not None:
                    hits.append(Hit(term.label, term.source, index, last))
        return hits

    def labels_in(self, words: Sequence[str]) -> set[str]:
        return {hit.label for hit in self.find(words)}


def _match_at(term: _Term, words: Sequence[str], index: int) -> int | None:
    if not term.matchers[0].matches(words[index]):
        return None
    position = index
    for matcher, gap in zip(term.matchers[1:], term.gaps, strict=True):
        for candidate in range(position + 1, min(len(words), position + 2 + gap)):
            if matcher.matches(words[candidate]):
                position = candidate
                break
        else:
            return None
    return position


# --- the concept data --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Concept:
    key: str  # "checkout"
    group: str  # what clusters together: the checkout, the site and errors are one "outage"
    problem: bool  # something is wrong for the customer (praise and questions are not)
    needs_failure: bool  # topic words alone ("app", "login") say nothing is wrong
    label: Mapping[str, str]  # per language, for people: "Checkout and payment failing"
    # The share of a brand's everyday posts about it, before the brand's own traffic says
    # otherwise (spike alerts start from this).
    prior_share: float = 0.02


@dataclass(frozen=True, slots=True)
class ConceptData:
    concepts: Mapping[str, Concept]
    topics: Lexicon  # label: concept key
    failures: Lexicon  # label: concept key (a phrase that says that concept is broken)
    signals: Lexicon  # label: failure, complaint, follow_up, gratitude, resolved, question
    stopwords: frozenset[str]

    def group_prior(self, group: str) -> float:
        """The everyday share of a problem group: its concepts' shares added up."""
        return sum(c.prior_share for c in self.concepts.values() if c.group == group) or 0.02

    def group_label(self, group: str, language: str = "en") -> str:
        members = [c for c in self.concepts.values() if c.group == group]
        labels = [c.label for c in sorted(members, key=lambda c: c.key != group)]
        for label in labels:
            if language in label:
                return label[language]
        return labels[0].get("en", group) if labels else group


CONCEPT_DIR = ("analysis", "concepts")


def _terms_of(block: object, where: str) -> list[str]:
    if not isinstance(block, dict):
        raise ValueError(f"{where}: expected an object of language → terms")
    terms: list[str] = []
    for language, items in block.items():
        if language not in LANGUAGES and language != "any":
            raise ValueError(f"{where}: unknown language {language!r}")
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise ValueError(f"{where}.{language}: expected a list of terms")
        terms += items
    return terms


def load_concepts(directory: Path | None = None) -> ConceptData:
    """Read and index the lexicon (a ValueError names the file and place that is wrong)."""
    folder = directory or resource_path(*CONCEPT_DIR)
    concepts: dict[str, Concept] = {}
    topics: list[tuple[str, str]] = []
    failures: list[tuple[str, str]] = []
    signals: list[tuple[str, str]] = []
    stopwords: set[str] = set()
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if path.stem == "signals":
            for label, block in data["signals"].items():
                signals += [(label, term) for term in _terms_of(block, f"{path.name}:{label}")]
            for word in _terms_of(data["stopwords"], f"{path.name}:stopwords"):
                stopwords.update(token.text for token in tokens(word))
            continue
        key = data["concept"]
        concepts[key] = Concept(
            key=key,
            group=data.get("group", key),
            problem=bool(data.get("problem", True)),
            needs_failure=bool(data.get("needs_failure", False)),
            label=dict(data.get("label", {"en": key})),
            prior_share=float(data.get("prior_share", 0.02)),
        )
        topics += [(key, term) for term in _terms_of(data.get("topic", {}), f"{path.name}:topic")]
        failures += [
            (key, term) for term in _terms_of(data.get("failure", {}), f"{path.name}:failure")
        ]
    return ConceptData(
        concepts, Lexicon(topics), Lexicon(failures), Lexicon(signals), frozenset(stopwords)
    )


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _bundled() -> ConceptData:
    return load_concepts()


def bundled() -> ConceptData:
    """The lexicon shipped with Heedful, loaded once (about 20 ms) and shared."""
    with _lock:
        return _bundled()


# --- reading a post ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """What the lexicon sees in one text."""

    concepts: Mapping[str, float]  # concept key → strength, only those present
    problem_concepts: tuple[str, ...]  # strongest first
    signals: frozenset[str]  # failure, complaint, follow_up, gratitude, resolved, question
    keywords: frozenset[str]  # content words, cut to a stem, for overlap between posts
    numbers: frozenset[str] = field(default=frozenset())  # 3+ digit numbers ("502", order ids)

    @property
    def is_problem(self) -> bool:
        return bool(self.problem_concepts)

    @property
    def is_thanks(self) -> bool:
        """A thank-you that complains about nothing (sarcastic thanks carry a complaint)."""
        return "gratitude" in self.signals and not (
            self.problem_concepts or {"complaint", "follow_up"} & self.signals
        )

    def group(self, data: ConceptData) -> str | None:
        return data.concepts[self.problem_concepts[0]].group if self.problem_concepts else None


KEYWORD_STEM = 6  # cross-inflection overlap: 'delivery'/'delivered' → 'delive'


def keyword_stems(words: Sequence[str], stopwords: frozenset[str]) -> frozenset[str]:
    return frozenset(
        word[:KEYWORD_STEM]
        for word in words
        if len(word) >= 3 and word not in stopwords and not word.isdigit()
    )


def read(text: str, data: ConceptData | None = None) -> Reading:
    data = data or bundled()
    cleaned = _LINKS.sub(" ", text[:MAX_CHARS])
    words = [token.text for token in tokens(cleaned)]
    hits = data.signals.find(words)
    # "can't wait" is no failure: a failure hit inside a look-alike's span does not count.
    excused = {i for h in hits if h.label == "not_failure" for i in range(h.first, h.last + 1)}
    signals = {
        h.label
        for h in hits
        if h.label != "not_failure" and not (h.label == "failure" and h.first in excused)
    }
    strength: dict[str, float] = defaultdict(float)
    for hit in data.topics.find(words):
        strength[hit.label] += 1.0
    failed: dict[str, float] = defaultdict(float)
    for hit in data.failures.find(words):
        failed[hit.label] += 2.0
    present: dict[str, float] = {}
    for key in set(strength) | set(failed):
        concept = data.concepts[key]
        if failed.get(key) or not concept.needs_failure or "failure" in signals:
            present[key] = strength.get(key, 0.0) + failed.get(key, 0.0)
    problems = sorted(
        (key for key in present if data.concepts[key].problem),
        key=lambda key: (-present[key], key),
    )
    # A thank-you for a fix ("the refund arrived, thanks!") names the topic but is no problem.
    if "resolved" in signals and not ({"complaint", "follow_up", "failure"} & signals):
        problems = [key for key in problems if failed.get(key)]
    numbers = frozenset(re.findall(r"\d{3,}", cleaned))
    return Reading(
        concepts=present,
        problem_concepts=tuple(problems),
        signals=frozenset(signals),
        keywords=keyword_stems(words, data.stopwords),
        numbers=numbers,
    )


_LINKS = re.compile(r"https?://\S+|www\.\S+|[@#][\w.@-]+")
