"""The on-device analysis models (app/analysis/): time per post, load and import cost, size
and memory, each beside a baseline measured in the same run.

    python -m benchmarks.analysis_models

- Sentiment (app.analysis.sentiment) against a lexicon vote with the same cue words
  (app/analysis/features.py's lexicon, counted: what a VADER-style tool does), on our dev
  split, which neither was trained on: macro-F1, sarcasm read as negative, ms per post.
- Language (app.analysis.langid) against py3langid with numpy, if installed (dev dependency):
  ms per post (accuracy: benchmarks/language_detection.py).
- What importing each module adds in a fresh interpreter that has already loaded what the app
  loads before its first paint, beside the few standard-library modules they add: the
  models are read on first use, never at import, and app.text.language imports the detector
  only then too. Load time and memory of each model (py3langid + numpy beside it).

Goals (issue 17): ≤ 1 ms per post, model ≤ 20 MB. Figures on a shared machine are noisy:
each timing is the best of several passes.
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.analysis import features, langid, sentiment, train

from benchmarks.report import Measure, machine, table

ROOT = Path(__file__).resolve().parent.parent

PASSES = 3


def dev_posts() -> list[dict[str, object]]:
    return train.load_posts("dev")


def per_post_ms(function: Callable[[str], object], texts: Sequence[str]) -> float:
    """Mean milliseconds per post, best of PASSES passes over all texts."""
    best = float("inf")
    for _ in range(PASSES):
        began = time.perf_counter()
        for text in texts:
            function(text)
        best = min(best, (time.perf_counter() - began) / len(texts) * 1000)
    return best


def cold_import_ms(statement: str, setup: str = "") -> float:
    """Milliseconds `statement` takes in a fresh interpreter after `setup`, best of five."""
    best = float("inf")
    for _ in range(5):
        code = (
            f"import time; {setup}; t = time.perf_counter(); {statement}; "
            "print(time.perf_counter() - t)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        best = min(best, float(out) * 1000)
    return best


def lexicon_vote() -> Callable[[str], str]:
    """The simple baseline: count praise and complaint words, no model."""
    header = train.read_header(sentiment.model_path().read_bytes())
    lexicon = features.Lexicon(str(header["lexicon"]))

    def classify(text: str) -> str:
        normal, _ = features.normalise(text)
        kinds = Counter(lexicon.kind(token) for token in features.tokens(normal))
        good, bad = kinds["pos"], kinds["neg"] + kinds["prob"]
        if good and bad:
            return "mixed"
        if good:
            return "positive"
        if bad:
            return "negative"
        return "neutral"

    return classify


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    scores = []
    for label in sentiment.LABELS:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return statistics.fmean(scores)


def load_ms(module: Any) -> float:
    """Reading a model file afresh (what the first post pays), best of PASSES."""
    best = float("inf")
    for _ in range(PASSES):
        module._model = None
        began = time.perf_counter()
        module.load()
        best = min(best, (time.perf_counter() - began) * 1000)
    return best


def loaded_memory_mb(module: Any) -> float:
    """Python memory a loaded model holds (traced separately: tracing slows loading)."""
    module._model = None
    tracemalloc.start()
    module.load()
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size / 1e6


def rss_growth_mb(statement: str) -> float:
    """How much a fresh interpreter's resident memory grows while `statement` runs."""
    code = (
        "import gc\n"
        "def rss():\n"
        "    with open('/proc/self/statm') as f: return int(f.read().split()[1]) * 4096\n"
        f"before = rss()\n{statement}\ngc.collect()\nprint((rss() - before) / 1e6)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return float(out)


def run() -> list[Measure]:
    posts = dev_posts()
    texts = [str(post["text"]) for post in posts]
    gold = [str(post["sentiment"]) for post in posts]
    sarcastic = [i for i, post in enumerate(posts) if post["sarcasm"]]
    measures: list[Measure] = []

    sentiment_load = load_ms(sentiment)
    sentiment_memory = loaded_memory_mb(sentiment)
    results = [sentiment.classify(text) for text in texts]
    vote = lexicon_vote()
    votes = [vote(text) for text in texts]
    ours, theirs = macro_f1(gold, [r.label for r in results]), macro_f1(gold, votes)
    measures.append(
        Measure(
            "Sentiment",
            f"macro-F1, dev split ({len(posts)} posts, 12 languages)",
            ours,
            "",
            theirs,
            "lexicon vote",
            "≥ 0.80",
            ours >= 0.80,
        )
    )
    read_negative = sum(results[i].label == "negative" for i in sarcastic) / len(sarcastic)
    vote_negative = sum(votes[i] == "negative" for i in sarcastic) / len(sarcastic)
    measures.append(
        Measure(
            "Sentiment",
            f"sarcasm read as negative ({len(sarcastic)} posts)",
            read_negative * 100,
            "%",
            vote_negative * 100,
            "lexicon vote",
            "≥ 80 %",
            read_negative >= 0.80,
        )
    )
    ms = per_post_ms(sentiment.classify, texts)
    measures.append(
        Measure(
            "Sentiment",
            "time per post",
            ms,
            "ms",
            per_post_ms(vote, texts),
            "lexicon vote",
            "≤ 1 ms",
            ms <= 1.0,
        )
    )
    size = sentiment.model_path().stat().st_size / 1e6
    measures.append(Measure("Sentiment", "model file", size, "MB", goal="≤ 20 MB", met=size <= 20))
    measures.append(
        Measure(
            "Sentiment",
            "model load (first use) / memory held",
            sentiment_load,
            "ms",
            notes=[f"sentiment model holds {sentiment_memory:.1f} MB once loaded"],
        )
    )

    langid_load = load_ms(langid)
    langid_memory = loaded_memory_mb(langid)
    baseline: float | None = None
    baseline_name = "py3langid + numpy (not installed)"
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        from app.analysis.train_langid import CANDIDATES

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        identifier.set_languages(list(CANDIDATES))
        baseline = per_post_ms(identifier.classify, texts)
        baseline_name = "py3langid + numpy, same 34 languages"
    except ImportError:
        pass
    ms = per_post_ms(langid.detect, texts)
    measures.append(
        Measure("Language", "time per post", ms, "ms", baseline, baseline_name, "≤ 1 ms", ms <= 1.0)
    )
    both = per_post_ms(lambda text: (langid.detect(text), sentiment.classify(text)), texts)
    measures.append(Measure("Analysis", "language + sentiment, per post", both, "ms"))
    size = langid.model_path().stat().st_size / 1e6
    measures.append(Measure("Language", "model file", size, "MB"))
    if Path("/proc/self/statm").exists():
        ours_rss = rss_growth_mb("from app.text import language; language.load()")
        theirs_rss: float | None = None
        with contextlib.suppress(subprocess.CalledProcessError):  # py3langid not installed
            theirs_rss = rss_growth_mb(
                "from py3langid.langid import MODEL_FILE, LanguageIdentifier\n"
                "LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)"
            )
        measures.append(
            Measure(
                "Language",
                "resident memory, detector loaded",
                ours_rss,
                "MB",
                theirs_rss,
                "py3langid + numpy" if theirs_rss is not None else "",
            )
        )
    measures.append(
        Measure(
            "Language",
            "model load (first use)",
            langid_load,
            "ms",
            notes=[f"language model holds {langid_memory:.1f} MB once loaded"],
        )
    )

    # What the app has loaded before its first paint anyway; each row is what importing the
    # module adds on top (the models themselves are read on first use, never at import).
    shared = "import dataclasses, json, pathlib, re, threading, typing, app.resources"
    baseline_import = cold_import_ms("import gzip, math, struct, unicodedata", shared)
    for module in ("app.analysis.sentiment", "app.analysis.langid", "app.text.language"):
        measures.append(
            Measure(
                "Start-up",
                f"import of {module} on top of the app's own (no model read)",
                cold_import_ms(f"import {module}", shared),
                "ms",
                baseline_import,
                "gzip, math, struct, unicodedata",
            )
        )
    try:
        numpy_import = cold_import_ms("import py3langid.langid", shared)
        measures.append(
            Measure(
                "Start-up",
                "import of the detector before (py3langid + numpy), at first use",
                numpy_import,
                "ms",
                baseline_import,
                "gzip, math, struct, unicodedata",
            )
        )
    except subprocess.CalledProcessError:
        pass
    return measures


def main() -> int:
    print(machine())
    measures = run()
    print(table(measures))
    for measure in measures:
        for note in measure.notes:
            print(f"- {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
