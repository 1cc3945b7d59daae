"""Which on-device language detector to ship: the one before (py3langid with numpy) against
the one now (app/analysis/langid.py: py3langid's model scored in pure Python, plus our own
specialist), in the same run, on short posts whose language is known.

    python -m benchmarks.language_detection            # needs the dev dependencies
    .venv/bin/pip install lingua-language-detector==2.1.1   # optional: lingua joins the table

Posts: the demo workspace's hand-written customer posts and brand replies (en, nb, de, es, fr)
and the dev split of our sentiment corpus (resources/analysis/training/dev/: 12 languages,
Bokmål, Nynorsk, Danish and Swedish side by side), which neither model was trained on. The
independent care evaluation set (benchmarks/care/) measures the same detector on posts
written by someone else.

Detectors, each timed from a cold import in a fresh process and then per post:
- py3langid before: Heedful's previous setup (12 candidates, "no" read as nb, no Nynorsk).
- pure Python, py3langid model only: the converted model without the specialist, to show
  that the conversion changes nothing (it should equal py3langid with the same candidates).
- Heedful now: app.analysis.langid.detect (None when unsure counts as wrong).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "resources" / "demo"
DEV = ROOT / "resources" / "analysis" / "training" / "dev"
OLD_CANDIDATES = ("en", "nb", "de", "es", "fr", "sv", "da", "nl", "it", "pt", "fi", "pl")
NORDIC = ("nb", "nn", "da", "sv")
_FILL = {"order": "FF-482913", "email": "kari@example.com", "phone": "+47 912 34 567",
         "first": "Kari", "agent": "Ingrid", "brand": "@fjellform"}  # fmt: skip
Detector = Callable[[str], str | None]


def demo_posts() -> Iterator[tuple[str, str]]:
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


def dev_posts() -> Iterator[tuple[str, str]]:
    for path in sorted(DEV.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            post = json.loads(line)
            yield post["language"], post["text"]


def py3langid_before() -> Detector:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([("no" if code == "nb" else code) for code in OLD_CANDIDATES])

    def detect(text: str) -> str | None:
        code, _ = identifier.classify(text)
        return "nb" if code == "no" else str(code)

    return detect


def converted_only() -> Detector:
    from app.analysis import langid

    langid._model = None  # read it afresh, so its load time is measured
    model = langid._loaded()

    def detect(text: str) -> str | None:
        scores = model.naive_bayes(text)
        return model.languages[scores.index(max(scores))]

    return detect


def heedful_now() -> Detector:
    from app.analysis import langid

    langid._model = None  # read it afresh, so its load time is measured
    langid.load()
    return lambda text: langid.detect(text).language


def lingua_detector() -> Detector:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    wanted = {"nb": "BOKMAL", "nn": "NYNORSK"}
    languages = [
        getattr(Language, wanted[code]) if code in wanted
        else Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in (*OLD_CANDIDATES, "nn")
    ]  # fmt: skip
    detector = LanguageDetectorBuilder.from_languages(*languages).build()

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        if found is None:
            return None
        return {"BOKMAL": "nb", "NYNORSK": "nn"}.get(found.name, found.iso_code_639_1.name.lower())

    return detect


IMPORTS = {
    "py3langid before": "import py3langid.langid",
    "pure Python, py3langid model only": "import app.analysis.langid",
    "Heedful now": "import app.analysis.langid",
    "lingua": "import lingua",
}


def cold_import_ms(statement: str) -> float:
    """Import time in a fresh interpreter, best of three (the machine is shared)."""
    best = float("inf")
    for _ in range(3):
        code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        best = min(best, float(out) * 1000)
    return best


def measure(name: str, build: Callable[[], Detector]) -> None:
    try:
        began = time.perf_counter()
        detect = build()
        detect("warm up: models load on first use")
        loaded = time.perf_counter() - began
    except ImportError as error:
        print(f"{name}: not installed ({error.name})")
        return
    for label, posts in (("demo", list(demo_posts())), ("dev split", list(dev_posts()))):
        right: Counter[str] = Counter()
        total: Counter[str] = Counter()
        began = time.perf_counter()
        for language, text in posts:
            right[language] += detect(text) == language
            total[language] += 1
        took = time.perf_counter() - began
        overall = sum(right.values()) / sum(total.values())
        nordic = [code for code in NORDIC if total[code]]
        nordic_share = sum(right[c] for c in nordic) / max(1, sum(total[c] for c in nordic))
        per = ", ".join(f"{code} {right[code]}/{total[code]}" for code in sorted(total))
        print(
            f"{name:<34} {label:<9} accuracy {overall:6.1%}  nb/nn/da/sv {nordic_share:6.1%}  "
            f"{took / len(posts) * 1000:.2f} ms/post  ({per})"
        )
    print(
        f"{'':<34} load {loaded * 1000:.0f} ms, cold import {cold_import_ms(IMPORTS[name]):.0f} ms"
    )


def sizes() -> None:
    """What each detector brings into the bundle."""
    import importlib.util

    def tree(package: str) -> int:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            return 0
        total = 0
        for location in spec.submodule_search_locations:
            root = Path(location)
            total += sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
            libs = root.parent / f"{package}.libs"
            if libs.exists():
                total += sum(p.stat().st_size for p in libs.rglob("*") if p.is_file())
        return total

    before = tree("numpy") + tree("py3langid")
    now = (ROOT / "resources" / "analysis" / "langid.model").stat().st_size
    print(
        f"on disk: py3langid + numpy (+ OpenBLAS) {before / 1e6:.1f} MB installed; "
        f"Heedful now: langid.model {now / 1e6:.1f} MB and a few kB of Python"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    measure("py3langid before", py3langid_before)
    measure("pure Python, py3langid model only", converted_only)
    measure("Heedful now", heedful_now)
    measure("lingua", lingua_detector)
    sizes()
