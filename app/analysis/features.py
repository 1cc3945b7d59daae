"""Text to hashed features for the on-device models, shared by training and use.

A post becomes a set of bucket numbers: UTF-8 byte n-grams (2–5) of each word padded with
spaces (so "kom " and " ikke" know where a word starts and ends), word unigrams and bigrams
with negation marking ("not good" → "¬good"), words after a contrast ("but", "men", "aber",
…) marked as such, and a few cues a lexicon cannot see: emoji, "!!", "?!", ALL CAPS,
stretched letters, a quoted word. A small hand-written lexicon (training/lexicon.txt, kept
inside the model file) adds what kind of cue each word is — praise, anger, a problem — and
which kinds meet in one post, on which side of a "but": that is how a linear model tells
sarcasm (praise about a problem, no "but") from a mixed post (praise, but a problem) and
lets a rare word share what common words of its kind have taught it. Buckets come from
CRC-32 (stable across processes and machines, unlike `hash()`), each kind of feature with its
own seed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from operator import itemgetter
from zlib import crc32


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that turn the next few words around, in the languages the model is trained on.
NEGATIONS = _words(
    """
    not no never cannot can't cant don't dont doesn't doesnt didn't didnt isn't isnt wasn't
    wasnt won't wont haven't havent hasn't hasnt hadn't nothing nobody none without aren't
    ikke ikkje ikk'e inga ingen aldri aldrig uten utan uden ingenting intet inte ej inget
    nicht kein keine keinen keinem keiner nie niemals nichts ohne niemand
    ne pas jamais rien aucun aucune sans n'est n'a n'ai n'y
    nunca nada nadie sin ningún ninguna ningun jamás
    niet geen nooit niks niets zonder niemand
    non mai niente nessuno nessuna senza
    não nao ninguém nenhum nenhuma sem
    nic nikt bez żaden żadna żadne nigdy
    """
)
# Words after which a post often turns (praise, then the complaint, or the reverse).
CONTRASTS = _words(
    """
    but although though however except shame pity
    men dessverre dessverre desværre synd ærgerligt även
    aber obwohl allerdings leider schade dafür
    mais pourtant dommage sauf bémol
    pero aunque lástima
    maar hoewel jammer helaas
    ma però peccato purtroppo
    mas embora pena porém infelizmente
    ale chociaż szkoda niestety
    """
)
NEGATION_SCOPE = 3

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<!\w)@[\w.]+")
_DIGITS = re.compile(r"\d+")
_STRETCH = re.compile(r"(\w)\1{2,}")
_TOKEN = re.compile(r"[#]?\w+(?:['’]\w+)*|[!?]+|\.{2,}|[^\w\s]", re.UNICODE)
_CLAUSE_END = frozenset(".,;:!?…")

# CRC-32 seeds, one per kind of feature, so that a word and a character n-gram that happen
# to be spelled the same never share a bucket by construction.
SEED_CHARS = 0x5EED0001
SEED_WORD = 0x5EED0002
SEED_BIGRAM = 0x5EED0003
SEED_CUE = 0x5EED0004
SEED_AFTER = 0x5EED0005
SEED_LEXICON = 0x5EED0006

# Emoji that usually mean the words around them are not meant (🙃 🙄 😒 🤡 😂 🤦); not 👏,
# which is as often sincere.
IRONY = frozenset("🙃🙄😒🤡😂🤦")


class Lexicon:
    """Cue words by kind (pos, neg, prob): whole words, and prefixes for `word*` entries."""

    def __init__(self, text: str = ""):
        self.text = text
        self.words: dict[str, str] = {}
        self.prefixes: dict[str, str] = {}
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            head, _, entries = line.partition(":")
            kind = head.split()[-1]
            for entry in entries.split():
                entry = entry.casefold()
                if entry.endswith("*"):
                    self.prefixes.setdefault(entry[:-1], kind)
                else:
                    self.words.setdefault(entry, kind)
        self.lengths = sorted({len(prefix) for prefix in self.prefixes}, reverse=True)

    def kind(self, word: str) -> str | None:
        found = self.words.get(word)
        if found is not None:
            return found
        for length in self.lengths:
            if length <= len(word):
                found = self.prefixes.get(word[:length])
                if found is not None:
                    return found
        return None


NO_LEXICON = Lexicon()


def normalise(text: str) -> tuple[str, list[str]]:
    """The post with links, handles and numbers reduced to placeholders, lower case, and the
    cues noticed on the way (which casing and stretching would otherwise erase)."""
    cues: list[str] = []
    text = unicodedata.normalize("NFC", text)
    if _URL.search(text):
        cues.append("url")
        text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    letters = [ch for ch in text if ch.isalpha()]
    capitals = sum(ch.isupper() for ch in letters)
    if len(letters) >= 8 and capitals >= 0.7 * len(letters):
        cues.append("shouting")
    elif re.search(r"\b[A-ZÆØÅÄÖÜ]{4,}\b", text):
        cues.append("caps-word")
    if _STRETCH.search(text):
        cues.append("stretched")
        text = _STRETCH.sub(r"\1\1", text)
    if re.search(r"[\"“”«»„]\s*\w[^\"“”«»„]{0,40}[\"“”«»„]", text):
        cues.append("scare-quotes")
    text = _DIGITS.sub("0", text.casefold())
    return text, cues


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def buckets(text: str, size: int, lexicon: Lexicon = NO_LEXICON) -> list[int]:
    """The distinct feature buckets of `text`, `size` a power of two."""
    mask = size - 1
    normal, cues = normalise(text)
    found: set[int] = set()
    add = found.add
    for cue in cues:
        add(crc32(cue.encode(), SEED_CUE) & mask)
    words: list[str] = []
    negated_left = 0
    after_contrast = False
    previous = "<s>"
    kinds_before: set[str] = set()
    kinds_after: set[str] = set()
    counts: dict[str, int] = {}
    first_kind = last_kind = ""
    irony = False
    for token in tokens(normal):
        first = token[0]
        if not (first.isalnum() or first == "#" or first == "_"):
            # Punctuation and emoji: a cue of their own, and the end of a negation's reach.
            add(crc32(token[:3].encode(), SEED_CUE) & mask)
            if first in _CLAUSE_END:
                negated_left = 0
            if first in IRONY:
                irony = True
            previous = token[:3]
            continue
        word = token.lstrip("#")
        if token[0] == "#":
            add(crc32(b"#", SEED_CUE) & mask)
        encoded = f" {word} ".encode()
        n = len(encoded)
        for size_ in (2, 3, 4, 5):
            for start in range(n - size_ + 1):
                add(crc32(encoded[start : start + size_], SEED_CHARS) & mask)
        marked = ("¬" + word) if negated_left > 0 else word
        add(crc32(marked.encode(), SEED_WORD) & mask)
        add(crc32(f"{previous} {marked}".encode(), SEED_BIGRAM) & mask)
        if after_contrast:
            add(crc32(marked.encode(), SEED_AFTER) & mask)
        kind = lexicon.kind(word)
        if kind is not None:
            if negated_left > 0:
                kind = "¬" + kind
            counts[kind] = counts.get(kind, 0) + 1
            (kinds_after if after_contrast else kinds_before).add(kind)
            first_kind = first_kind or kind
            last_kind = kind
        elif not first_kind and not words:
            first_kind = "-"
        if negated_left > 0:
            negated_left -= 1
        if word in NEGATIONS or word.endswith("n't"):
            negated_left = NEGATION_SCOPE
        if word in CONTRASTS:
            after_contrast = True
        previous = marked
        words.append(word)
    if words:
        add(crc32(f"{previous} </s>".encode(), SEED_BIGRAM) & mask)
    if counts:
        for kind, count in counts.items():
            add(crc32(f"{kind}:{min(count, 3)}".encode(), SEED_LEXICON) & mask)
        every = "+".join(sorted(kinds_before | kinds_after))
        turn = "but" if after_contrast else "nobut"
        add(crc32(f"set:{every}".encode(), SEED_LEXICON) & mask)
        add(crc32(f"set:{every}|{turn}".encode(), SEED_LEXICON) & mask)
        if irony:
            add(crc32(f"set:{every}|irony".encode(), SEED_LEXICON) & mask)
        if after_contrast:
            before = "+".join(sorted(kinds_before))
            after = "+".join(sorted(kinds_after))
            add(crc32(f"split:{before}>{after}".encode(), SEED_LEXICON) & mask)
        add(crc32(f"first:{first_kind}".encode(), SEED_LEXICON) & mask)
        add(crc32(f"last:{last_kind}".encode(), SEED_LEXICON) & mask)
        add(crc32(f"edges:{first_kind}:{last_kind}:{every}".encode(), SEED_LEXICON) & mask)
    add(crc32(f"len:{min(len(words) // 4, 8)}".encode(), SEED_CUE) & mask)
    return sorted(found)


_OFFSET = bytes((value + 128) & 0xFF for value in range(256))


def offset_row(signed: bytes) -> bytes:
    """An int8 weight row as unsigned bytes (+128): indexing `bytes` is the fastest gather
    pure Python has (`row_sums`)."""
    return signed.translate(_OFFSET)


def row_sums(rows: Sequence[bytes], idx: Sequence[int]) -> list[int]:
    """For each offset row, the sum of its int8 weights at `idx`."""
    if not idx:
        return [0] * len(rows)
    gather = itemgetter(*idx)
    offset = 128 * len(idx)
    if len(idx) == 1:
        return [row[idx[0]] - offset for row in rows]
    return [sum(gather(row)) - offset for row in rows]
