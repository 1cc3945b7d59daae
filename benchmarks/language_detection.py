"""Which on-device language detector to ship: accuracy on short social posts whose language is
known (the demo workspace's customer posts and brand replies in en/nb/de/es/fr), import time
and time per post.

    .venv/bin/pip install lingua-language-detector==2.1.1 py3langid==0.4.0
    .venv/bin/python -m benchmarks.language_detection

Both detectors are restricted to the same candidate languages (those a European brand meets
most), as Heedful restricts them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent / "resources" / "demo"
CANDIDATES = ("en", "nb", "de", "es", "fr", "sv", "da", "nl", "it", "pt", "fi", "pl")
_FILL = {"order": "FF-482913", "email": "kari@example.com", "phone": "+47 912 34 567",
         "first": "Kari", "agent": "Ingrid", "brand": "@fjellform"}  # fmt: skip


def labelled_posts() -> Iterator[tuple[str, str]]:
    """(language, text) for every demo post written by hand."""

    def fill(text: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: _FILL.get(m.group(1), ""), text)

    mentions = json.loads((DEMO / "mentions.json").read_text(encoding="utf-8"))
    for language, entries in mentions.items():
        for entry in entries:
            yield language, fill(entry["text"])
    for thread in json.loads((DEMO / "threads.json").read_text(encoding="utf-8")):
        for key in ("customer", "brand", "followup", "brand2"):
            if thread.get(key):
                yield thread["lang"], fill(thread[key])
    for regular in json.loads((DEMO / "repeat.json").read_text(encoding="utf-8")):
        for post in regular["mentions"]:
            yield regular["lang"], fill(post["text"])


def lingua_detector() -> Callable[[str], str | None]:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    wanted = {"nb": "BOKMAL"}
    languages = [
        getattr(Language, wanted.get(code, "")) if code in wanted
        else Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in CANDIDATES
    ]  # fmt: skip
    detector = LanguageDetectorBuilder.from_languages(*languages).build()

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        if found is None:
            return None
        return "nb" if found.name == "BOKMAL" else found.iso_code_639_1.name.lower()

    return detect


def py3langid_detector() -> Callable[[str], str | None]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([("no" if code == "nb" else code) for code in CANDIDATES])

    def detect(text: str) -> str | None:
        code, _ = identifier.classify(text)
        return "nb" if code == "no" else str(code)

    return detect


def measure(name: str, build: Callable[[], Callable[[str], str | None]]) -> None:
    posts = list(labelled_posts())
    began = time.perf_counter()
    detect = build()
    detect("warm up: models load on first use")
    loaded = time.perf_counter() - began
    right: dict[str, list[int]] = {}
    began = time.perf_counter()
    for language, text in posts:
        counts = right.setdefault(language, [0, 0])
        counts[0] += detect(text) == language
        counts[1] += 1
    took = time.perf_counter() - began
    total = sum(c[0] for c in right.values()) / sum(c[1] for c in right.values())
    per = ", ".join(f"{lang} {c[0]}/{c[1]}" for lang, c in right.items())
    print(
        f"{name:<10} accuracy {total:.1%} ({per}); load {loaded * 1000:.0f} ms; "
        f"{took / len(posts) * 1000:.2f} ms per post"
    )


if __name__ == "__main__":
    measure("lingua", lingua_detector)
    measure("py3langid", py3langid_detector)
