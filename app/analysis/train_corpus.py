"""The sentiment corpus as JSONL, built from the posts and fragments we wrote and labelled.

    python -m app.analysis.train_corpus        rewrites resources/analysis/training/{train,dev}/

Two sources, both written and labelled by hand (never copied from a data set):

- `training/written/<lang>.txt`: whole posts, one a line, after a label (`neg`, `sar` =
  sarcastic and negative, `pos`, `neu`, `mix`). The first half of each file trains; the second
  half is the dev split used for our own measurements. `<lang>.more.txt` holds more posts
  from other domains, for training only. The files follow roughly the same
  order of situations, so a situation in the dev half of one language is in the dev half of
  the others too and never leaks into training through a translation.
- `training/fragments/<lang>.txt`: complaint and praise clauses, questions, sarcasm and mixed
  templates, openers, closers, emoji and hashtags, which a seeded builder composes into
  varied posts (with casing, typos, missing punctuation, URLs, handles and a little
  code-switching) for the training split only.

The output is deterministic: the same files and seed give byte-identical JSONL.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

TRAINING = Path(__file__).resolve().parent.parent.parent / "resources" / "analysis" / "training"
LANGUAGES = ("en", "nb", "nn", "da", "sv", "de", "fr", "es", "nl", "it", "pt", "pl")
SEED = 20_240_917
COMPOSED_PER_LANGUAGE = 900
LABELS = {
    "neg": ("negative", False),
    "sar": ("negative", True),
    "pos": ("positive", False),
    "neu": ("neutral", False),
    "mix": ("mixed", False),
}
# Share of each kind among the composed posts (the written posts bring their own mix).
COMPOSED_MIX = (("neg", 0.30), ("sar", 0.15), ("pos", 0.22), ("neu", 0.19), ("mix", 0.14))
# Handles that appear under every label, so that no brand name carries a sentiment.
BRANDS = (
    "fjellform", "nordtel", "skyfibre", "northrail", "peakgear", "voltbank", "parcelpoint",
    "quickbasket", "bytecloud", "tidalenergy", "airnord", "metroline", "streamly", "hotelhaven",
    "ferjeco", "kjedebutikken", "postnord_help", "bankly", "trailgear", "homefibre",
)  # fmt: skip
SWITCHES = {
    "neg": ("wtf", "smh", "ffs", "fml", "seriously", "customer service lol", "epic fail"),
    "pos": ("love it", "amazing", "so good", "thx", "best ever"),
    "any": ("lol", "btw", "tbh", "asap", "pls"),
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Post:
    text: str
    language: str
    sentiment: str
    sarcasm: bool
    source: str  # "written" or "composed"

    def json_line(self) -> str:
        return json.dumps(
            {
                "text": self.text,
                "language": self.language,
                "sentiment": self.sentiment,
                "sarcasm": self.sarcasm,
                "source": self.source,
            },
            ensure_ascii=False,
        )


def read_sections(path: Path) -> dict[str, list[str]]:
    """A fragment file: `[section]` headers, one item a line (emoji and tags: a line of
    space-separated items), `#` comments."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    name = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("# "):
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1]
            current = sections.setdefault(name, [])
            continue
        if current is None:
            raise ValueError(f"{path}: text before the first [section]")
        if name.startswith(("emoji_", "tags_")):
            current.extend(line.split())
        else:
            current.append(line)
    return sections


def read_written(path: Path) -> list[tuple[str, str]]:
    """(label, text) for each hand-written post."""
    posts = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        label, _, text = line.partition(" ")
        if label not in LABELS or not text.strip():
            raise ValueError(f"{path}:{number}: expected a label ({', '.join(LABELS)}) and a post")
        posts.append((label, text.strip()))
    return posts


def written_posts(language: str) -> tuple[list[Post], list[Post]]:
    """The hand-written posts of one language as (train, dev)."""
    entries = read_written(TRAINING / "written" / f"{language}.txt")
    half = len(entries) // 2
    more = TRAINING / "written" / f"{language}.more.txt"
    extra = read_written(more) if more.exists() else []

    def post(label: str, text: str) -> Post:
        return Post(text, language, LABELS[label][0], LABELS[label][1], "written")

    train = [post(*entry) for entry in entries[:half]] + [post(*entry) for entry in extra]
    return train, [post(*entry) for entry in entries[half:]]


class Composer:
    """Builds believable posts of one language from its fragment bank."""

    def __init__(self, language: str, sections: dict[str, list[str]], rng: random.Random):
        self.language = language
        self.s = sections
        self.rng = rng

    def pick(self, section: str) -> str:
        return self.fill(self.rng.choice(self.s[section]))

    def fill(self, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            key = match.group(1)
            if key == "brand":
                return self.rng.choice(BRANDS)
            if key == "n":
                return str(self.rng.randint(2, 9))
            if key == "nn":
                return str(self.rng.randint(10, 60))
            if key in ("neg", "pos"):
                return match.group(0)  # filled by the caller
            return self.rng.choice(self.s[key])

        return _PLACEHOLDER.sub(value, text)

    def clause(self, section: str) -> str:
        return self.pick(section)

    def sentence(self, section: str, end: str = ".") -> str:
        return capitalise(self.clause(section)) + end

    def maybe(self, probability: float) -> bool:
        return self.rng.random() < probability

    def compose(self, kind: str) -> str:
        parts: list[str] = []
        if self.maybe({"neu": 0.45, "sar": 0.25}.get(kind, 0.45)):
            parts.append(self.pick("open"))
        parts.extend(getattr(self, f"_{kind}")())
        text = " ".join(part for part in parts if part)
        return self.decorate(text, kind)

    def _neg(self) -> list[str]:
        if self.maybe(0.2):
            parts = [self.pick("neg_question")]
            if self.maybe(0.5):
                parts.insert(0, self.sentence("neg"))
            return parts
        parts = [self.sentence("neg", self.rng.choice((".", ".", "!", "...", " 😡", "?!")))]
        if self.maybe(0.3):
            parts.append(self.sentence("neg"))
        if self.maybe(0.3):
            parts.append(self.pick("neg_extra"))
        if self.maybe(0.4):
            parts.append(self.pick("close_neg"))
        return parts

    def _sar(self) -> list[str]:
        template = self.pick("sarcasm")
        if "{neg}" in template:
            template = template.replace("{neg}", self.clause("neg"), 1)
            if template[:1].islower():
                template = capitalise(template)
        parts = [template]
        if self.maybe(0.15):
            parts.append(self.pick("close_neg"))
        return parts

    def _pos(self) -> list[str]:
        if self.maybe(0.15):
            return [self.pick("pos_extra")]
        if self.maybe(0.2):
            return [self.pick("pos_fix")]
        if self.maybe(0.35):
            frame = self.pick("pos_frame").replace("{pos}", self.clause("pos"), 1)
            parts = [capitalise(frame) if frame[:1].islower() else frame]
        else:
            parts = [self.sentence("pos", self.rng.choice((".", "!", "!!", " 🙌", "")))]
        if self.maybe(0.25):
            parts.append(self.sentence("pos"))
        if self.maybe(0.55):
            parts.append(self.pick("pos_extra"))
        if self.maybe(0.25):
            parts.append(self.pick("close_pos"))
        return parts

    def _neu(self) -> list[str]:
        parts = [self.pick("question" if self.maybe(0.7) else "neutral")]
        if self.maybe(0.15):
            parts.append(self.pick("question"))
        if self.maybe(0.1):
            parts.append(self.pick("close_any"))
        return parts

    def _mix(self) -> list[str]:
        if self.maybe(0.35):
            return [capitalise(self.pick("mixed_short"))]
        template = self.pick("mixed")
        template = template.replace("{pos}", self.clause("pos"), 1)
        template = template.replace("{neg}", self.clause("neg"), 1)
        parts = [capitalise(template) if template[:1].islower() else template]
        if self.maybe(0.2):
            parts.append(self.pick("close_neg" if self.maybe(0.5) else "close_pos"))
        return parts

    def decorate(self, text: str, kind: str) -> str:
        rng = self.rng
        mood = {"neg": "neg", "sar": "neg", "pos": "pos"}.get(kind, "any")
        if kind == "sar" and self.maybe(0.25):
            text += " " + rng.choice(("🙃", "🙄", "😒", "😂", "🤡", "👌"))
        elif mood != "any" and self.maybe(0.3):
            text += " " + rng.choice(self.s[f"emoji_{mood}"]) * rng.choice((1, 1, 2, 3))
        elif self.maybe(0.1):
            text += " " + rng.choice(self.s["emoji_any"])
        if self.maybe(0.15):
            text += " " + rng.choice(
                self.s[f"tags_{mood}"] if mood != "any" else self.s["tags_any"]
            )
        if self.maybe(0.05):
            host, kind, number = (
                rng.choice(BRANDS),
                rng.choice(("o", "help", "s")),
                rng.randint(1000, 99999),
            )
            text += f" https://{host}.example/{kind}/{number}"
        if self.language != "en" and self.maybe(0.05):
            text += " " + rng.choice(SWITCHES[mood if mood != "any" else "any"])
        if self.maybe(0.12):
            text = text.rstrip(".!")
        if self.maybe(0.2):
            text = text.lower()
        elif kind == "neg" and self.maybe(0.03):
            text = text.upper()
        if self.maybe(0.12):
            text = typo(text, rng)
        if self.maybe(0.05):
            text = elongate(text, rng)
        return re.sub(r"\s+", " ", text).strip()


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def typo(text: str, rng: random.Random) -> str:
    """One slip of the thumb: two letters swapped, one dropped or doubled."""
    words = text.split(" ")
    candidates = [i for i, word in enumerate(words) if len(word) > 3 and word.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    at = rng.randrange(1, len(word) - 1)
    slip = rng.choice(("swap", "drop", "double"))
    if slip == "swap":
        word = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
    elif slip == "drop":
        word = word[:at] + word[at + 1 :]
    else:
        word = word[:at] + word[at] + word[at:]
    words[i] = word
    return " ".join(words)


def elongate(text: str, rng: random.Random) -> str:
    """A stretched vowel ("sooo", "neeei")."""
    spots = [m.start() for m in re.finditer(r"[aeiouyæøåäöéè](?=\w)", text)]
    if not spots:
        return text
    at = rng.choice(spots)
    return text[:at] + text[at] * rng.randint(3, 5) + text[at + 1 :]


def composed_posts(language: str, count: int, seed: int) -> list[Post]:
    sections = read_sections(TRAINING / "fragments" / f"{language}.txt")
    rng = random.Random(f"{seed}:{language}")
    composer = Composer(language, sections, rng)
    kinds = [kind for kind, _ in COMPOSED_MIX]
    weights = [weight for _, weight in COMPOSED_MIX]
    posts: list[Post] = []
    seen: set[str] = set()
    attempts = 0
    while len(posts) < count and attempts < count * 20:
        attempts += 1
        kind = rng.choices(kinds, weights)[0]
        text = composer.compose(kind)
        if text.casefold() in seen:
            continue
        seen.add(text.casefold())
        sentiment, sarcasm = LABELS[kind]
        posts.append(Post(text, language, sentiment, sarcasm, "composed"))
    return posts


def corpus(
    languages: Sequence[str] = LANGUAGES, composed: int = COMPOSED_PER_LANGUAGE, seed: int = SEED
) -> Iterator[tuple[str, str, list[Post]]]:
    """(split, language, posts) for every language: split is "train" or "dev"."""
    for language in languages:
        train, dev = written_posts(language)
        yield "train", language, train + composed_posts(language, composed, seed)
        yield "dev", language, dev


def write(root: Path = TRAINING) -> list[Path]:
    written = []
    for split, language, posts in corpus():
        path = root / split / f"{language}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(post.json_line() + "\n" for post in posts), encoding="utf-8")
        written.append(path)
    return written


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def main() -> int:
    for path in write():
        print(f"{path.relative_to(TRAINING.parent.parent.parent)}: {len(read_jsonl(path))} posts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
