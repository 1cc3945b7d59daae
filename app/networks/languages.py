"""Which language a fetched post is in: the network's tags, unless on-device detection is
confident they are wrong.

Clients tag a post with the language of their interface, not of what was typed: an English
post tagged `de` would have the guardrails say "the customer wrote in German". When the
detector is confident and disagrees with every tag, its answer is used (and the detail
pane says so); the tags are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.text import language as language_tools

log = logging.getLogger(__name__)

# Detection only overrules a tag when it is this sure, on at least this many letters:
# short posts ("ok thanks!") are where detectors guess.
CONFIDENT = 0.95
MIN_LETTERS = 25
DETECTION_CHARS = 2_000  # enough to tell; a huge post is not read whole

TAGGED = "network"
DETECTED = "detected"


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    language: str | None
    confidence: float


@dataclass(frozen=True, slots=True)
class LanguageReading:
    language: str | None  # what Heedful reads the post in
    languages: tuple[str, ...]  # every language the network tagged it with, primary tags
    source: str  # TAGGED or DETECTED


Guesser = Callable[[str], LanguageGuess]


def guess_language(text: str) -> LanguageGuess:
    """The on-device detector's guess (`app.analysis.langid`, loaded on first use) and how
    sure it is."""
    from app.analysis import langid

    guess = langid.detect(text)
    return LanguageGuess(language_tools.normalise(guess.language), guess.confidence)


def primary_tags(tags: Sequence[object]) -> tuple[str, ...]:
    """`["en-US", "nb", "no"]` → `("en", "nb")`: each tag's language, once, in order."""
    found: list[str] = []
    for tag in tags:
        code = language_tools.normalise(tag) if isinstance(tag, str) and len(tag) < 36 else None
        if code and code.isascii() and code.isalpha() and code not in found:
            found.append(code)
    return tuple(found)


def read_language(
    tags: Sequence[object], text: str, *, guess: Guesser = guess_language
) -> LanguageReading:
    """The language to read `text` in, given the network's `tags`: the first tag, unless the
    detector is confident the text is in a language none of the tags names."""
    tagged = primary_tags(tags)
    sample = text[:DETECTION_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return LanguageReading(tagged[0] if tagged else None, tagged, TAGGED)
    try:
        found = guess(sample)
    except Exception:  # a detector failing must never lose the post
        log.exception("language detection failed")
        return LanguageReading(tagged[0] if tagged else None, tagged, TAGGED)
    if found.language and found.confidence >= CONFIDENT and found.language not in tagged:
        return LanguageReading(found.language, tagged, DETECTED)
    return LanguageReading(tagged[0] if tagged else None, tagged, TAGGED)
