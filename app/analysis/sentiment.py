"""How a customer feels in a post — positive, negative, neutral or mixed, and sarcastic — on
this computer, in the languages Heedful supports.

    >>> classify("Great, third day without internet. Super.")
    SentimentResult(label='negative', sarcasm=True, confidence=0.9…, scores={…})

The model (resources/analysis/sentiment.model, about 1 MB) is our own: a linear model over
hashed character n-grams and words, trained on a corpus we wrote and labelled
(resources/analysis/training/, rebuilt by `python -m app.analysis.train`). It reads en, nb,
nn, da, sv, de, fr, es, nl, it, pt and pl alike, so `language` is only a hint for callers
that know it. Pure Python, well under a millisecond a post; loaded on first use, never at
start-up, and safe to call from any thread.
"""

from __future__ import annotations

import gzip
import json
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.analysis import features
from app.resources import resource_path

LABELS = ("positive", "negative", "neutral", "mixed")
# Posts are at most a few hundred characters; a hostile 10 MB "post" is judged by its start
# rather than holding a worker for seconds.
MAX_CHARS = 4_000
_MAGIC = b"heedful-sentiment"


@dataclass(frozen=True)
class SentimentResult:
    """`label` is one of LABELS; a sarcastic post is negative with `sarcasm` set. `confidence`
    is the probability of `label` (0–1); `scores` holds every label's probability."""

    label: str
    sarcasm: bool
    confidence: float
    scores: Mapping[str, float] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class _Model:
    buckets: int
    classes: tuple[str, ...]
    rows: tuple[bytes, ...]  # int8 weights stored +128 (features.offset_row)
    scales: tuple[float, ...]
    bias: tuple[float, ...]
    lexicon: features.Lexicon

    @classmethod
    def read(cls, path: Path) -> _Model:
        return cls.from_bytes(path.read_bytes(), str(path))

    @classmethod
    def from_bytes(cls, packed: bytes, name: str = "the model") -> _Model:
        data = gzip.decompress(packed)
        magic, header_line, rest = data.split(b"\n", 2)
        if magic != _MAGIC:
            raise ValueError(f"{name} is not a Heedful sentiment model")
        header = json.loads(header_line)
        buckets = int(header["buckets"])
        classes = tuple(str(name) for name in header["classes"])
        if len(rest) != buckets * len(classes):
            raise ValueError(f"{name} is truncated")
        rows = tuple(
            features.offset_row(rest[i * buckets : (i + 1) * buckets]) for i in range(len(classes))
        )
        return cls(
            buckets,
            classes,
            rows,
            tuple(float(s) for s in header["scales"]),
            tuple(float(b) for b in header["bias"]),
            features.Lexicon(str(header.get("lexicon", ""))),
        )

    def probabilities(self, text: str) -> dict[str, float]:
        idx = features.buckets(text, self.buckets, self.lexicon)
        sums = features.row_sums(self.rows, idx)
        scale = 1.0 / math.sqrt(len(idx)) if idx else 0.0
        scores = [
            bias + weight_scale * scale * total
            for total, weight_scale, bias in zip(sums, self.scales, self.bias, strict=True)
        ]
        top = max(scores)
        exps = [math.exp(score - top) for score in scores]
        norm = sum(exps)
        return {name: value / norm for name, value in zip(self.classes, exps, strict=True)}


_lock = threading.Lock()
_model: _Model | None = None


def model_path() -> Path:
    return resource_path("analysis", "sentiment.model")


def _loaded() -> _Model:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = _Model.read(model_path())
    return _model


def load() -> None:
    """Read the model now (a few milliseconds) rather than on the first post."""
    _loaded()


def is_loaded() -> bool:
    return _model is not None


def classify(text: str, language: str | None = None) -> SentimentResult:
    """The sentiment of one post. `language` (ISO 639-1) may be given; the model needs none."""
    del language  # one model reads every supported language
    return classify_with(_loaded(), text)


def classify_with(model: _Model, text: str) -> SentimentResult:
    text = text[:MAX_CHARS]
    if not text.strip():
        return SentimentResult("neutral", False, 1.0, {"neutral": 1.0})
    probabilities = model.probabilities(text)
    sarcastic = probabilities.pop("sarcastic", 0.0)
    plain_negative = probabilities["negative"]
    probabilities["negative"] = plain_negative + sarcastic
    label = max(LABELS, key=probabilities.__getitem__)
    sarcasm = label == "negative" and sarcastic > plain_negative
    return SentimentResult(label, sarcasm, probabilities[label], probabilities)


def classify_many(texts: Iterable[str], language: str | None = None) -> list[SentimentResult]:
    return [classify(text, language) for text in texts]
