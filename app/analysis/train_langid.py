"""Builds the language detector's model file: py3langid's model without numpy, plus our own
Nordic specialist.

    pip install py3langid==0.4.0 numpy      # dev dependencies, for this script only
    python -m app.analysis.train_langid      # rewrites resources/analysis/langid.model
    python -m app.analysis.train_langid --check

Two parts, one file (gzip, byte-identical for the same inputs):

1. py3langid's naive Bayes model, converted once: its byte n-gram DFA is unrolled into the
   n-grams themselves (each DFA state emits the longest feature ending there, so a scorer
   that looks up the longest known n-gram ending at each byte counts exactly the same
   features), and its table is cut to the languages in CANDIDATES, dropping n-grams that
   none of them ever saw. Scored in pure Python by app/analysis/langid.py, it agrees with
   py3langid on every post of our corpus.
2. Our own linear model for the twelve languages of the corpus, trained on it (the same
   hashed features and trainer as the sentiment model, plus a hand-written list of words
   that only one of Bokmål, Nynorsk, Danish and Swedish uses, training/nordic.txt): py3langid
   confuses those four on short posts (on our written posts it gets Nynorsk right 79 % of
   the time) and is unsure of two-word posts ("Tusen takk!", "Danke!") that our corpus is
   full of. It decides whenever py3langid thinks the post is most likely one of the twelve.

py3langid and numpy are imported only inside `convert`, by name, so that neither the app
nor the packaged binary ever needs them.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import struct
import sys
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.analysis import features
from app.analysis.train import Example, corpus_digest, quantise, train_weights
from app.analysis.train_corpus import LANGUAGES, TRAINING, read_jsonl

MODEL_PATH = TRAINING.parent / "langid.model"
MARKERS_PATH = TRAINING / "nordic.txt"
MAGIC = b"heedful-langid"
FORMAT = 1
# The languages a European brand meets, in py3langid's codes ("no" is Bokmål). Script-
# distinct ones (Cyrillic, Greek, Arabic, Hebrew, CJK, Devanagari, Thai) cost nothing on
# Latin text; Catalan, Galician, Basque and Estonian are left out: on our corpus they only
# ever stole Spanish and German posts.
CANDIDATES = (
    "en", "no", "nn", "da", "sv", "de", "fr", "es", "nl", "it", "pt", "pl", "fi", "is",
    "cs", "sk", "sl", "hr", "hu", "ro", "tr", "lt", "lv", "ru", "uk", "el", "bg", "ar",
    "he", "zh", "ja", "ko", "hi", "th",
)  # fmt: skip
SPECIALIST = LANGUAGES
SPECIALIST_BUCKETS = 1 << 18
SPECIALIST_EPOCHS = 12
SPECIALIST_SEED = 29
# An n-gram whose log-probability stays this close to each language's floor (the value of
# an n-gram the language never saw) tells the candidates nothing and is dropped.
FLOOR_MARGIN = 0.01


@dataclass(frozen=True)
class NaiveBayesTable:
    languages: tuple[str, ...]  # ISO 639-1 ("nb", not py3langid's "no")
    ngrams: tuple[bytes, ...]
    table: bytes  # len(ngrams) rows of len(languages) little-endian float16
    prior: tuple[float, ...]
    source: str


def _unroll(nextmove: Any, rowbase: Sequence[int], output: Sequence[int]) -> dict[int, bytes]:
    """Each feature's byte string: the shortest path to a DFA state that emits it."""
    path = {0: b""}
    queue = deque([0])
    while queue:
        state = queue.popleft()
        base = rowbase[state]
        for byte in range(256):
            target = nextmove[base + byte]
            if target not in path:
                path[target] = path[state] + bytes([byte])
                queue.append(target)
    strings: dict[int, bytes] = {}
    for state, string in path.items():
        feature = output[state]
        if feature >= 0 and (feature not in strings or len(string) < len(strings[feature])):
            strings[feature] = string
    return strings


def convert(candidates: Sequence[str] = CANDIDATES) -> NaiveBayesTable:
    """py3langid's model restricted to `candidates`, as plain bytes and floats."""
    numpy = importlib.import_module("numpy")
    langid = importlib.import_module("py3langid.langid")
    metadata = importlib.import_module("importlib.metadata")
    identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)
    strings = _unroll(identifier.tk_nextmove, identifier._rowbase, identifier.tk_output)
    columns = [identifier.nb_classes.index(code) for code in candidates]
    ptc = numpy.asarray(identifier.nb_ptc, dtype=numpy.float16)[:, columns]
    prior = numpy.asarray(identifier.nb_pc, dtype=numpy.float64)[columns]
    floor = ptc.astype(numpy.float64).min(axis=0)
    informative = (ptc.astype(numpy.float64) - floor).max(axis=1) > FLOOR_MARGIN
    kept = [f for f in range(ptc.shape[0]) if informative[f]]
    kept.sort(key=lambda f: strings[f])
    table = numpy.ascontiguousarray(ptc[kept]).astype("<f2").tobytes()
    return NaiveBayesTable(
        languages=tuple("nb" if code == "no" else code for code in candidates),
        ngrams=tuple(strings[f] for f in kept),
        table=table,
        prior=tuple(float(f"{value:.9g}") for value in prior),
        source=f"py3langid {metadata.version('py3langid')} (model.npz.xz)",
    )


def corpus_posts(split: str) -> list[dict[str, object]]:
    posts: list[dict[str, object]] = []
    for language in SPECIALIST:
        posts.extend(read_jsonl(TRAINING / split / f"{language}.jsonl"))
    return posts


def markers() -> features.Lexicon:
    return features.Lexicon(MARKERS_PATH.read_text(encoding="utf-8"))


def train_specialist(
    posts: Sequence[dict[str, object]],
    lexicon: features.Lexicon,
    buckets: int = SPECIALIST_BUCKETS,
    epochs: int = SPECIALIST_EPOCHS,
    seed: int = SPECIALIST_SEED,
) -> tuple[list[list[float]], list[float]]:
    examples = [
        Example(
            features.buckets(str(post["text"]), buckets, lexicon),
            SPECIALIST.index(str(post["language"])),
        )
        for post in posts
    ]
    classes = len(SPECIALIST)
    return train_weights(examples, buckets, epochs, seed=seed, classes=classes, balance=1.0)


def pack(
    nb: NaiveBayesTable,
    specialist: tuple[list[list[float]], list[float]],
    lexicon: features.Lexicon,
    corpus: str,
) -> bytes:
    weights, bias = specialist
    rows, scales = quantise(weights)
    ngram_blob = b"".join(struct.pack("B", len(gram)) + gram for gram in nb.ngrams)
    header = {
        "format": FORMAT,
        "languages": list(nb.languages),
        "prior": list(nb.prior),
        "ngrams": len(nb.ngrams),
        "ngram_bytes": len(ngram_blob),
        "source": nb.source,
        "specialist": {
            "languages": list(SPECIALIST),
            "buckets": len(weights[0]),
            "scales": scales,
            "bias": [float(f"{value:.9g}") for value in bias],
            "markers": lexicon.text,
            "corpus": corpus,
        },
    }
    body = b"\n".join([MAGIC, json.dumps(header, sort_keys=True).encode(), b""])
    return gzip.compress(body + ngram_blob + nb.table + b"".join(rows), compresslevel=9, mtime=0)


def build() -> bytes:
    lexicon = markers()
    posts = corpus_posts("train")
    return pack(convert(), train_specialist(posts, lexicon), lexicon, corpus_digest(posts))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.analysis.train_langid", description=__doc__
    )
    parser.add_argument("--check", action="store_true", help="fail if the model file is stale")
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    data = build()
    if args.check:
        same = args.output.exists() and args.output.read_bytes() == data
        print(f"{args.output}: {'up to date' if same else 'differs from a fresh build'}")
        return 0 if same else 1
    args.output.write_bytes(data)
    print(f"{args.output}: {len(data) / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
