"""Snippet placeholders: `{author.first_name|there}`, `{brand.name}`, fill-ins `{?order number}`.

Rendering never guesses: a placeholder with no value and no fallback stays in the text, exactly
as written, and is reported; the composer and the CLI refuse to send such a text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from storage.records import Mention, Network

# {key}, {key|fallback}, {?prompt}. Keys are words with dots; prompts are a few words.
PLACEHOLDER = re.compile(
    r"\{(?P<ask>\?)?(?P<key>[^\W\d][\w .-]{0,40}?)(?:\|(?P<fallback>[^{}]*))?\}"
)

KNOWN_KEYS = (
    "author.first_name",
    "author.name",
    "author.handle",
    "agent.name",
    "brand.name",
    "brand.sign_off",
    "mention.link",
)


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    unfilled: tuple[str, ...]  # placeholders left in the text as written, e.g. "{?order number}"
    prompts: tuple[str, ...]  # fill-in prompts the text asks for, filled or not


def prompt_key(text: str) -> str:
    """One spelling for a fill-in's name: `order number`, `Order_Number` and `order-number`."""
    return " ".join(re.split(r"[\s_-]+", text.strip().casefold()))


def render(
    template: str, values: Mapping[str, str], fills: Mapping[str, str] | None = None
) -> Rendered:
    """Replace every placeholder it has a value (or a fallback) for."""
    answers = {prompt_key(key): value for key, value in (fills or {}).items()}
    unfilled: list[str] = []
    prompts: list[str] = []

    def replace(match: re.Match[str]) -> str:
        key = match.group("key").strip()
        fallback = match.group("fallback")
        if match.group("ask"):
            prompts.append(key)
            value = answers.get(prompt_key(key), "").strip()
        else:
            value = values.get(key.casefold(), "").strip()
        if value:
            return value
        if fallback is not None and fallback.strip():
            return fallback.strip()
        unfilled.append(match.group(0))
        return match.group(0)

    text = PLACEHOLDER.sub(replace, template)
    return Rendered(text, tuple(unfilled), tuple(dict.fromkeys(prompts)))


def unfilled_in(text: str) -> list[str]:
    """Placeholders still in a text (typed by hand, or left by a snippet)."""
    return [match.group(0) for match in PLACEHOLDER.finditer(text)]


_NAME_PARTICLES = frozenset(
    [
        "van",
        "von",
        "de",
        "da",
        "das",
        "dos",
        "di",
        "del",
        "della",
        "der",
        "den",
        "du",
        "le",
        "la",
        "af",
        "av",
        "bin",
        "ibn",
        "ben",
        "al",
        "el",
        "zu",
        "ter",
    ]
)


def first_name(display_name: str) -> str:
    """How to address someone, from the name they show: 'Åsa Øvrebø 🏔️' → 'Åsa'.

    Nicknames and handles ('trailrunner_88', 'THE BOOT GUY') give '' so the fallback is used.
    """
    display_name = re.sub(r"\([^)]*\)|\[[^]]*\]", " ", display_name)  # "(they/them)"
    words = [w for w in display_name.split() if any(ch.isalpha() for ch in w)]
    if not words:
        return ""
    # "Turglad i Bergen", "Montaña y café": a lowercase word that is not a name particle
    # means a nickname, not a name.
    if any(w[0].islower() and w.casefold() not in _NAME_PARTICLES for w in words[1:]):
        return ""
    word = words[0].strip(".,:;!?()[]\"'")
    if not word or not all(ch.isalpha() or ch in "-'’" for ch in word):
        return ""
    first = word[0]
    if not first.isupper() and unicodedata.category(first) != "Lo":  # Lo: scripts without case
        return ""
    if word.isupper() and len(word) > 1:  # shouting, not a name
        return ""
    return word


def author_handle(network: Network, handle: str) -> str:
    """The author as the network expects to be addressed: @user@server or @name.bsky.social."""
    return "@" + handle.lstrip("@")


def mention_values(
    mention: Mention, *, agent_name: str, brand_name: str, sign_off: str = ""
) -> dict[str, str]:
    """Every known placeholder's value for a reply to this mention."""
    return {
        "author.first_name": first_name(mention.author.display_name),
        "author.name": mention.author.display_name.strip(),
        "author.handle": author_handle(mention.network, mention.author.handle),
        "agent.name": agent_name,
        "brand.name": brand_name,
        "brand.sign_off": sign_off.replace("{agent.name}", agent_name),
        "mention.link": mention.url or "",
    }
