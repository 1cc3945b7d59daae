"""Which language a short post is in, on this computer (no service is asked).

py3langid was chosen over lingua-language-detector by measurement on the demo workspace's
hand-written posts (see benchmarks/language_detection.py): 98.9 % against 98.2 % right, its
model loads in under a second instead of seven, and it is a few MB instead of ~100 MB.
The model is loaded on first use (never at start-up) and kept; call from a worker thread.
"""

from __future__ import annotations

import re
import threading
from typing import Any

# The languages a European brand meets most. Restricting the candidates makes short texts
# far more reliable than letting the model choose among ~100 languages.
CANDIDATES = ("en", "nb", "de", "es", "fr", "sv", "da", "nl", "it", "pt", "fi", "pl")
# Below this many letters a post says too little to tell (“ok 👍”, “takk!”).
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.5

_ALIASES = {"no": "nb", "nn": "nb", "nob": "nb", "nno": "nb", "eng": "en", "deu": "de", "ger": "de"}
_NOISE = re.compile(r"https?://\S+|[@#][\w.@-]+|\{[^{}]*\}")

_lock = threading.Lock()
_identifier: Any = None


def normalise(code: str | None) -> str | None:
    """A BCP-47 tag as Heedful compares languages: 'nb-NO', 'no' and 'NB' are all 'nb'."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-")[0].casefold()
    return _ALIASES.get(primary, primary) or None


def _model() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages([("no" if code == "nb" else code) for code in CANDIDATES])
            _identifier = identifier
        return _identifier


def load() -> None:
    """Load the model now (about 2 s), so the first guardrail check of a session does not
    wait for it; the window does this on a worker soon after it opens."""
    _model()


def detect(text: str) -> str | None:
    """The language of `text`, or None when it is too short or the model is unsure."""
    cleaned = _NOISE.sub(" ", text)
    if sum(ch.isalpha() for ch in cleaned) < MIN_LETTERS:
        return None
    code, confidence = _model().classify(cleaned)
    if float(confidence) < MIN_CONFIDENCE:
        return None
    return normalise(str(code))
