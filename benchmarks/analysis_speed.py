"""How long the care analysis takes per post, beside what Heedful already did per post.

    PYTHONPATH=. .venv/bin/python -m benchmarks.analysis_speed [--repeat 5]

Posts: the demo workspace's 566 customer posts (five languages, a 31-post outage, two repeat
complainers), in time order. The baseline, measured in the same run on the same posts, is
what the inbox already does for every post today: on-device language detection (py3langid).
Each part is timed on its own too. Models load before timing starts (first-use costs are
printed separately). Without app.analysis.sentiment installed, sentiment is not included.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from app.analysis import concepts, deflection, pii
from app.analysis.pipeline import Analyser, Post, default_sentiment_reader
from app.demo.generator import demo_accounts, demo_mentions
from app.text import language


def demo_posts() -> list[Post]:
    accounts = {account.handle: number for number, account in enumerate(demo_accounts(), 1)}
    mentions = demo_mentions(accounts, datetime(2026, 11, 20, 12, tzinfo=UTC))
    customer = sorted((m for m in mentions if not m.is_own), key=lambda m: m.created_at)
    return [
        Post(id=f"m{n}", author=m.author.handle, created_at=m.created_at, text=m.text,
             network=m.author.network.value, brand="fjellform")
        for n, m in enumerate(customer)
    ]  # fmt: skip


def ms_per_item(run: Callable[[], object], items: int, repeat: int) -> float:
    """The median of `repeat` runs, in milliseconds per item."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000 / items


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measure (median)")
    args = parser.parse_args(argv)
    posts = demo_posts()
    texts = [post.text for post in posts]

    started = time.perf_counter()
    language.load()
    langid_load = time.perf_counter() - started
    started = time.perf_counter()
    data = concepts.bundled()
    lexicon_load = time.perf_counter() - started
    started = time.perf_counter()
    pii.find("IBAN NO93 8601 1117 947")  # imports python-stdnum
    stdnum_load = time.perf_counter() - started
    sentiment = default_sentiment_reader()

    def pipeline() -> None:
        analyser = Analyser(detect_language=language.detect, read_sentiment=sentiment, data=data)
        for post in posts:
            analyser.add(post)

    def baseline() -> None:
        for text in texts:
            language.detect(text)

    def pii_only() -> None:
        for text in texts:
            pii.find(text)

    def concepts_only() -> None:
        for text in texts:
            concepts.read(text, data)

    def deflection_only() -> None:
        for text in texts:
            deflection.find(text)

    def without_language() -> None:
        analyser = Analyser(detect_language=lambda text: None, read_sentiment=sentiment, data=data)
        for post in posts:
            analyser.add(post)

    n = len(posts)
    rows = [
        ("Whole pipeline (language, sentiment if installed, PII, repeats, clusters)",
         ms_per_item(pipeline, n, args.repeat)),
        ("Baseline: language detection alone (py3langid, as the inbox does today)",
         ms_per_item(baseline, n, args.repeat)),
        ("Pipeline without language detection", ms_per_item(without_language, n, args.repeat)),
        ("  personal data (pii.find)", ms_per_item(pii_only, n, args.repeat)),
        ("  concept lexicon (concepts.read)", ms_per_item(concepts_only, n, args.repeat)),
        ("Deflection check on the same texts (a reply's guardrail)",
         ms_per_item(deflection_only, n, args.repeat)),
    ]  # fmt: skip
    whole, base = rows[0][1], rows[1][1]
    print(f"{n} demo posts, median of {args.repeat} runs; sentiment model: "
          f"{'installed' if sentiment else 'not installed'}")  # fmt: skip
    print()
    print("| Measure | ms per post |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value:.3f} |")
    print()
    print(f"Whole pipeline / baseline: {whole / base:.2f}×")
    print(f"First use: language model {langid_load * 1000:.0f} ms, concept lexicon "
          f"{lexicon_load * 1000:.0f} ms, python-stdnum {stdnum_load * 1000:.0f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
