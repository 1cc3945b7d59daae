"""Which language a short post is in, on this computer, without numpy.

    >>> detect("Pakka mi har ikkje kome enno")
    LanguageGuess(language='nn', confidence=0.9…)

Two models in one file (resources/analysis/langid.model, built by
`python -m app.analysis.train_langid`): py3langid's naive Bayes model over byte n-grams for
34 languages, converted once and scored here in pure Python (it gives py3langid's own
answers), and our own specialist for the twelve languages Heedful's corpus covers, which
decides whenever py3langid thinks a post is one of those: it separates Bokmål, Nynorsk,
Danish and Swedish, which py3langid mixes up on short posts, and knows "Tusen takk!".
`language` is an ISO 639-1 code, or None when the post says too little (emoji, a name, "ok")
or the models are unsure. Loaded on first use, then kept; safe from any thread.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import struct
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from app.analysis import features
from app.resources import resource_path

MAGIC = b"heedful-langid"
# Fewer letters than this and a post says nothing about its language ("ok 👍", "@kari ❤️").
MIN_LETTERS = 4
# Below this confidence the answer is None: better no language than a wrong one. Gibberish
# ("asdfgh qwerty") and names score under 0.2; two-word posts in a known language over 0.4.
MIN_CONFIDENCE = 0.3
# A post this likely to be in one of the specialist's languages goes to the specialist even
# if py3langid's single best guess is, say, Icelandic.
SPECIALIST_MASS = 0.5
# py3langid this sure of a language other than the four Scandinavian standards needs no
# second opinion (most posts: it halves the time per post).
SURE = 0.98
NORDIC = frozenset(("nb", "nn", "da", "sv"))
# How much py3langid's own ranking among those languages counts beside the specialist's.
NB_VOTE = 0.3
# Bokmål is written by most Norwegians and can look exactly like Nynorsk or Danish in a
# short post ("Tusen takk!! Kom i dag"): ties go to it (log-odds added to its vote).
PRIOR = {"nb": 0.6}

# A post's language shows in its first lines; a hostile 10 MB "post" is judged by its start.
MAX_CHARS = 2_000

_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.@-]+|\{[^{}]*\}|\d+")


@dataclass(frozen=True)
class LanguageGuess:
    language: str | None
    confidence: float


class _Model:
    def __init__(self, packed: bytes, name: str = "the language model"):
        data = gzip.decompress(packed)
        magic, header_line, rest = data.split(b"\n", 2)
        if magic != MAGIC:
            raise ValueError(f"{name} is not a Heedful language model")
        header = json.loads(header_line)
        self.languages: tuple[str, ...] = tuple(header["languages"])
        self.prior: tuple[float, ...] = tuple(float(p) for p in header["prior"])
        count = int(header["ngrams"])
        blob_size = int(header["ngram_bytes"])
        blob = rest[:blob_size]
        index: dict[bytes, int] = {}
        at = 0
        for row in range(count):
            size = blob[at]
            index[blob[at + 1 : at + 1 + size]] = row
            at += 1 + size
        self.index = index
        self.longest = max((len(gram) for gram in index), default=0)
        width = len(self.languages)
        self.row = struct.Struct(f"<{width}e")
        table_size = count * self.row.size
        self.table = rest[blob_size : blob_size + table_size]
        specialist = header["specialist"]
        self.specialist_languages: tuple[str, ...] = tuple(specialist["languages"])
        self.group = frozenset(self.specialist_languages)
        self.specialist_buckets = b = int(specialist["buckets"])
        weights = rest[blob_size + table_size :]
        if len(weights) != b * len(self.specialist_languages):
            raise ValueError(f"{name} is truncated")
        self.specialist_rows = tuple(
            features.offset_row(weights[i * b : (i + 1) * b])
            for i in range(len(self.specialist_languages))
        )
        self.specialist_scales = tuple(float(s) for s in specialist["scales"])
        self.specialist_bias = tuple(float(s) for s in specialist["bias"])
        self.markers = features.Lexicon(str(specialist.get("markers", "")))

    def naive_bayes(self, text: str) -> list[float]:
        """py3langid's probabilities for each candidate language."""
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf-8", "surrogatepass")
        index, longest = self.index, self.longest
        counts: dict[int, int] = {}
        for end in range(2, len(data) + 1):
            for size in range(min(longest, end), 1, -1):
                row = index.get(data[end - size : end])
                if row is not None:
                    counts[row] = counts.get(row, 0) + 1
                    break
        # Rows seen the same number of times are summed column by column (in C), then
        # weighted once: py3langid's log1p(count) · log P(n-gram | language), summed.
        unpack, table, stride = self.row.unpack_from, self.table, self.row.size
        by_count: dict[int, list[tuple[float, ...]]] = {}
        for row, count in counts.items():
            by_count.setdefault(count, []).append(unpack(table, row * stride))
        scores = list(self.prior)
        for count, rows in by_count.items():
            weight = math.log1p(count)
            columns = map(sum, zip(*rows, strict=True))
            scores = [s + weight * v for s, v in zip(scores, columns, strict=True)]
        temperature = 1.0 / math.sqrt(len(data) or 1)  # py3langid's calibration
        return _softmax([s * temperature for s in scores])

    def specialist(self, text: str) -> list[float]:
        idx = features.buckets(text, self.specialist_buckets, self.markers)
        sums = features.row_sums(self.specialist_rows, idx)
        scale = 1.0 / math.sqrt(len(idx)) if idx else 0.0
        return _softmax(
            [
                bias + weight_scale * scale * total
                for total, weight_scale, bias in zip(
                    sums, self.specialist_scales, self.specialist_bias, strict=True
                )
            ]
        )

    def guess(self, text: str) -> LanguageGuess:
        cleaned = " ".join(_NOISE.sub(" ", text[:MAX_CHARS]).split())
        if sum(ch.isalpha() for ch in cleaned) < MIN_LETTERS:
            return LanguageGuess(None, 0.0)
        probabilities = dict(zip(self.languages, self.naive_bayes(cleaned), strict=True))
        best = max(probabilities, key=probabilities.__getitem__)
        mass = sum(probabilities.get(code, 0.0) for code in self.group)
        if best not in NORDIC and probabilities[best] >= SURE:
            return LanguageGuess(best, probabilities[best])  # the specialist would agree
        if best in self.group or mass >= SPECIALIST_MASS:
            # The specialist decides, with py3langid's view inside the group as a weaker vote.
            votes = {
                code: math.log(p)
                + NB_VOTE * math.log(probabilities.get(code, 0.0) + 1e-9)
                + PRIOR.get(code, 0.0)
                for code, p in zip(self.specialist_languages, self.specialist(cleaned), strict=True)
            }
            best = max(votes, key=votes.__getitem__)
            within = _softmax(list(votes.values()))[self.specialist_languages.index(best)]
            # Sure of the group (py3langid) or of the language (the specialist: "Tusen
            # takk!" is too short for py3langid), and then of the language within it.
            confidence = max(mass, within) * within
        else:
            confidence = probabilities[best]
        if confidence < MIN_CONFIDENCE:
            return LanguageGuess(None, confidence)
        return LanguageGuess(best, confidence)


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


_lock = threading.Lock()
_model: _Model | None = None


def model_path() -> Path:
    return resource_path("analysis", "langid.model")


def _loaded() -> _Model:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = _Model(model_path().read_bytes(), str(model_path()))
    return _model


def load() -> None:
    """Read the model now (a fraction of a second) rather than at the first post."""
    _loaded()


def is_loaded() -> bool:
    return _model is not None


def detect(text: str) -> LanguageGuess:
    """The language of `text` (ISO 639-1) and how sure the models are, or None for it."""
    return _loaded().guess(text)
