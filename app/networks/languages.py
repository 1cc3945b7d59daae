"""Which language a fetched post is in: the network's tags, unless on-device detection is
confident they are wrong.

Clients tag a post with the language of their interface, not of what was typed: an English
post tagged `de` would have the guardrails say "the customer wrote in German". When the
detector is confident and disagrees with every tag, its answer is used (and the detail
pane says so); the tags are kept.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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
    """The detector's guess and how sure it is. The one place that knows which detector:
    `app.analysis.langid` (numpy-free, with a confidence) once it is installed, else the
    py3langid model behind `app.text.language`."""
    detect = _analysis_detector()
    if detect is not None:
        guess = detect(text)
        return LanguageGuess(
            language_tools.normalise(getattr(guess, "language", None)),
            float(getattr(guess, "confidence", 0.0)),
        )
    cleaned = language_tools._NOISE.sub(" ", text)
    if sum(ch.isalpha() for ch in cleaned) < language_tools.MIN_LETTERS:
        return LanguageGuess(None, 0.0)
    code, confidence = language_tools._model().classify(cleaned)
    return LanguageGuess(language_tools.normalise(str(code)), float(confidence))


_ANALYSIS: list[Any] = []


def _analysis_detector() -> Callable[[str], Any] | None:
    if not _ANALYSIS:
        try:
            module = importlib.import_module("app.analysis.langid")
        except ImportError:
            _ANALYSIS.append(None)
        else:
            _ANALYSIS.append(getattr(module, "detect", None))
    detect: Callable[[str], Any] | None = _ANALYSIS[0]
    return detect


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
