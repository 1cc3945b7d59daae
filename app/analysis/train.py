"""Trains the on-device sentiment and sarcasm model from the corpus, reproducibly.

    python -m app.analysis.train_corpus     # only after editing the written posts or fragments
    python -m app.analysis.train            # rewrites resources/analysis/sentiment.model
    python -m app.analysis.train --check    # retrains in memory, fails if the file differs
    python -m app.analysis.train --evaluate # the shipped model on our dev split

The model is a multinomial logistic regression over hashed features (app/analysis/features.py)
with five classes: positive, negative, neutral, mixed and sarcastic (a sarcastic post reads as
negative). It is trained in pure Python (no numpy, here or at run time) by stochastic gradient
descent averaged over the epochs: a fixed seed shuffles the posts and the weights are
fixed-point integers, so every sum is exact whatever its order, and they are rounded to int8
at the end. The same corpus and seed therefore give a byte-identical model file (`--check`,
tests/test_sentiment.py). Only `math.exp` comes from the platform's C library: another libm
could in rare cases round a step differently, so compare files built on one platform.
Classes are partly evened out (BALANCE), so that the rarer sarcastic and mixed posts are not
drowned by complaints. About three minutes on two shared cores.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import random
import sys
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.analysis import features
from app.analysis.train_corpus import LANGUAGES, TRAINING, read_jsonl

MODEL_PATH = TRAINING.parent / "sentiment.model"
LEXICON_PATH = TRAINING / "lexicon.txt"
CLASSES = ("positive", "negative", "neutral", "mixed", "sarcastic")
MAGIC = b"heedful-sentiment"
FORMAT = 1
BUCKETS = 1 << 19
EPOCHS = 8
LEARNING_RATE = 0.5
SEED = 17
FIXED_POINT = 24
# Posts the model already gets right (to within this much probability) teach it nothing.
SKIP_GRADIENT = 1e-3
# How far classes are evened out: 0 leaves the corpus mix alone, 1 counts every class the same.
BALANCE = 0.5


@dataclass(frozen=True)
class Example:
    buckets: list[int]
    label: int


def label_of(post: dict[str, object]) -> int:
    if post["sarcasm"]:
        return CLASSES.index("sarcastic")
    return CLASSES.index(str(post["sentiment"]))


def load_posts(
    split: str = "train", languages: Sequence[str] = LANGUAGES
) -> list[dict[str, object]]:
    posts: list[dict[str, object]] = []
    for language in languages:
        posts.extend(read_jsonl(TRAINING / split / f"{language}.jsonl"))
    return posts


def corpus_digest(posts: Sequence[dict[str, object]]) -> str:
    digest = hashlib.sha256()
    for post in posts:
        digest.update(json.dumps(post, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def train_weights(
    examples: Sequence[Example],
    buckets: int = BUCKETS,
    epochs: int = EPOCHS,
    learning_rate: float = LEARNING_RATE,
    seed: int = SEED,
    classes: int = len(CLASSES),
    balance: float | None = None,
) -> tuple[list[list[float]], list[float]]:
    """SGD on the softmax loss, averaged over the epochs: (weights per class, bias per class).

    Weights are kept as integers in units of 2**-FIXED_POINT, so that every sum is exact
    whatever its order and whatever Python version runs it: the same corpus and seed give
    the same model everywhere, and fast (no float objects for the big tables)."""
    k = classes
    unit = float(1 << FIXED_POINT)
    counts = Counter(example.label for example in examples)
    evening = BALANCE if balance is None else balance
    class_weight = [
        (len(examples) / (k * counts[c])) ** evening if counts[c] else 0.0 for c in range(k)
    ]
    w = [[0] * buckets for _ in range(k)]
    total_w = [[0] * buckets for _ in range(k)]
    b = [0.0] * k
    total_b = [0.0] * k
    order = list(range(len(examples)))
    rng = random.Random(seed)
    step = 0
    steps = epochs * len(examples)
    for _ in range(epochs):
        rng.shuffle(order)
        for index in order:
            example = examples[index]
            idx = example.buckets
            scale = 1.0 / math.sqrt(len(idx))
            scores = [b[c] + scale * sum(map(w[c].__getitem__, idx)) / unit for c in range(k)]
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            norm = math.fsum(exps)
            rate = learning_rate * (1.0 - step / steps) * class_weight[example.label]
            step += 1
            for c in range(k):
                gradient = exps[c] / norm - (1.0 if c == example.label else 0.0)
                if -SKIP_GRADIENT < gradient < SKIP_GRADIENT:
                    continue
                b[c] -= rate * gradient
                change = round(-rate * gradient * scale * unit)
                if change:
                    wc = w[c]
                    for f in idx:
                        wc[f] += change
        for c in range(k):
            total_w[c] = [t + x for t, x in zip(total_w[c], w[c], strict=True)]
            total_b[c] += b[c]
    weights = [[t / (epochs * unit) for t in row] for row in total_w]
    bias = [t / epochs for t in total_b]
    return weights, bias


def quantise(weights: Sequence[Sequence[float]]) -> tuple[list[bytes], list[float]]:
    """Each class's weights as int8 and the scale that turns them back into floats."""
    packed, scales = [], []
    for row in weights:
        largest = max((abs(value) for value in row), default=0.0) or 1.0
        scale = largest / 127.0
        packed.append(array("b", [round(value / scale) for value in row]).tobytes())
        scales.append(float(f"{scale:.9g}"))
    return packed, scales


def pack(
    weights: Sequence[Sequence[float]], bias: Sequence[float], meta: dict[str, object]
) -> bytes:
    rows, scales = quantise(weights)
    header = {
        "format": FORMAT,
        "classes": list(CLASSES),
        "buckets": len(weights[0]),
        "scales": scales,
        "bias": [float(f"{value:.9g}") for value in bias],
        **meta,
    }
    body = MAGIC + b"\n" + json.dumps(header, sort_keys=True).encode() + b"\n" + b"".join(rows)
    return gzip.compress(body, compresslevel=9, mtime=0)


def read_header(packed: bytes) -> dict[str, object]:
    """The JSON header of a model file (what it was trained on, and how)."""
    header: dict[str, object] = json.loads(gzip.decompress(packed).split(b"\n", 2)[1])
    return header


def examples_of(
    posts: Sequence[dict[str, object]], buckets: int, lexicon: features.Lexicon
) -> list[Example]:
    return [
        Example(features.buckets(str(post["text"]), buckets, lexicon), label_of(post))
        for post in posts
    ]


def build(
    posts: Sequence[dict[str, object]],
    buckets: int = BUCKETS,
    epochs: int = EPOCHS,
    seed: int = SEED,
) -> bytes:
    """The model file's bytes for `posts`."""
    lexicon = features.Lexicon(LEXICON_PATH.read_text(encoding="utf-8"))
    examples = examples_of(posts, buckets, lexicon)
    weights, bias = train_weights(examples, buckets, epochs, seed=seed)
    meta = {
        "epochs": epochs,
        "seed": seed,
        "posts": len(posts),
        "corpus": corpus_digest(posts),
        "lexicon": lexicon.text,
    }
    return pack(weights, bias, meta)


def evaluate(model: Path = MODEL_PATH) -> str:
    """Macro-F1, per-class scores, sarcasm and per-language accuracy on the dev split."""
    from app.analysis import sentiment

    classifier = sentiment._Model.read(model)
    labels = sentiment.LABELS
    confusion: Counter[tuple[str, str]] = Counter()
    by_language: dict[str, list[int]] = {}
    sarcastic_negative = sarcastic = flagged_right = 0
    posts = load_posts("dev")
    for post in posts:
        result = sentiment.classify_with(classifier, str(post["text"]))
        gold = str(post["sentiment"])
        confusion[gold, result.label] += 1
        tally = by_language.setdefault(str(post["language"]), [0, 0])
        tally[0] += result.label == gold
        tally[1] += 1
        if post["sarcasm"]:
            sarcastic += 1
            sarcastic_negative += result.label == "negative"
        flagged_right += result.sarcasm == bool(post["sarcasm"])
    lines, f1s = [], []
    for label in labels:
        tp = confusion[label, label]
        fp = sum(confusion[other, label] for other in labels if other != label)
        fn = sum(confusion[label, other] for other in labels if other != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1s.append(f1)
        row = " ".join(f"{confusion[label, other]:4d}" for other in labels)
        lines.append(f"  {label:<9} P {precision:.2f} R {recall:.2f} F1 {f1:.2f}   {row}")
    languages = " ".join(f"{code} {r / n:.0%}" for code, (r, n) in by_language.items())
    return "\n".join(
        [
            f"dev split: {len(posts)} hand-written posts, {len(by_language)} languages",
            f"macro-F1 {sum(f1s) / len(f1s):.3f}   (rows: gold; columns: {' '.join(labels)})",
            *lines,
            f"sarcastic posts read as negative: {sarcastic_negative}/{sarcastic} "
            f"({sarcastic_negative / max(1, sarcastic):.0%}); sarcasm flag right on "
            f"{flagged_right / len(posts):.0%} of posts",
            f"accuracy by language: {languages}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.analysis.train", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the model file is stale")
    parser.add_argument("--evaluate", action="store_true", help="score the model on the dev split")
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    if args.evaluate:
        print(evaluate(args.output))
        return 0
    posts = load_posts("train")
    data = build(posts)
    if args.check:
        same = args.output.exists() and args.output.read_bytes() == data
        print(f"{args.output}: {'up to date' if same else 'differs from a fresh training run'}")
        return 0 if same else 1
    args.output.write_bytes(data)
    print(f"{args.output}: {len(data) / 1e6:.2f} MB from {len(posts)} posts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
