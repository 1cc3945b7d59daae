"""Which language a short post is in, on this computer (no service is asked).

The detector is app/analysis/langid.py: py3langid's model scored in pure Python (neither
numpy nor py3langid is needed at run time, which keeps 42 MB of numpy and OpenBLAS out of the
bundle) and our own specialist that tells Bokmål, Nynorsk, Danish and Swedish apart
(benchmarks/language_detection.py compares it with py3langid). The guardrails ask only about
text long enough to judge and trust only confident answers, so a short "Thanks!" in a reply
never raises a language warning. The model is loaded on first use (never at start-up) and
kept; call from a worker thread.
"""

from __future__ import annotations

import re
from typing import Any

# Below this many letters, names aside, a post says too little to warn about (“ok 👍”,
# “takk!”, “Thanks, Kari! – Ingrid”).
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.5

_ALIASES = {"no": "nb", "nn": "nb", "nob": "nb", "nno": "nb", "eng": "en", "deu": "de", "ger": "de"}
_NOISE = re.compile(r"https?://\S+|[@#][\w.@-]+|\{[^{}]*\}")
# A capitalised word that does not start a sentence is most likely a name (or a German noun,
# of which a real sentence has enough other words).
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)(?<=\W)[A-ZÆØÅÄÖÜÉ][\w'’-]*")

# The loaded detector, once load() or detect() has run (kept for the window's check that the
# model is read soon after it opens, not at the first keystroke).
_identifier: Any = None


def normalise(code: str | None) -> str | None:
    """A BCP-47 tag as Heedful compares languages: 'nb-NO', 'no', 'nn' and 'NB' are all 'nb'
    (a Bokmål reply to a Nynorsk post is in the customer's language)."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-")[0].casefold()
    return _ALIASES.get(primary, primary) or None


def load() -> None:
    """Load the model now (a fraction of a second), so the first guardrail check of a session
    does not wait for it; the window does this on a worker soon after it opens."""
    global _identifier
    from app.analysis import langid  # not at import: start-up never pays for the detector

    langid.load()
    _identifier = langid


def detect(text: str) -> str | None:
    """The language of `text`, or None when it is too short or the model is unsure."""
    cleaned = _NOISE.sub(" ", text)
    if sum(ch.isalpha() for ch in _NAME.sub(" ", cleaned.strip())) < MIN_LETTERS:
        return None
    if _identifier is None:
        load()
    guess = _identifier.detect(cleaned)
    if guess.language is None or guess.confidence < MIN_CONFIDENCE:
        return None
    return normalise(guess.language)
