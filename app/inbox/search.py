"""What a person types into the search box: qualifiers (from `app.inbox.qualifiers`) and the
words left for full-text search (`app.inbox.fts`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.inbox.fts import match_expression
from app.inbox.qualifiers import NAMES, QUALIFIERS, Qualifier, QualifierValueError, find_qualifier

__all__ = ["ParsedQuery", "match_expression", "parse_query", "with_qualifier"]

# name:value, name:"a quoted value" (the closing quote may be still to come), or name: alone.
# A name starts at a word's start ("tag:" inside '"tag:x"' is a quoted word) and has two
# letters or more, so times (10:30), ratios (16:9) and drive letters never look like one.
_TOKEN = re.compile(
    r'(?<!\S)(?P<name>[A-Za-z][A-Za-z_-]*[A-Za-z]):(?:"(?P<quoted>[^"]*)"?|(?P<bare>\S+))?'
)
# Pasted addresses that are not qualifiers although they look like one (besides any
# scheme:// link): mailto:kari@example.com, a Bluesky did:plc:…, tel:+47…
_SCHEMES = frozenset({"mailto", "tel", "sms", "did", "urn", "xmpp", "magnet", "geo"})


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """What a person typed, split into qualifiers and the words left for full-text search.

    `problems` says, in words a person understands, which qualifiers could not be used
    (they are left out of the query; nothing typed is lost from the box)."""

    words: str = ""
    # Each qualifier used, in the registry's order, with its values in the order typed.
    qualifiers: tuple[tuple[Qualifier, tuple[Any, ...]], ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def has_qualifiers(self) -> bool:
        return bool(self.qualifiers)

    def values(self, name: str) -> tuple[Any, ...]:
        """What `name:` was given (parsed: `kind:dm` gives MentionKind.DIRECT), in order."""
        return next((values for q, values in self.qualifiers if q.name == name), ())

    @property
    def match(self) -> str | None:
        """The FTS5 expression for the words (author: adds its own when narrowing)."""
        return match_expression(self.words)


def _value(hit: re.Match[str]) -> str | None:
    if hit.group("quoted") is not None:
        return hit.group("quoted").strip()
    return hit.group("bare")


def _qualifier_of(hit: re.Match[str]) -> Qualifier | str | None:
    """The qualifier a token names; its name when it is meant as one but there is none;
    None when it is an ordinary word (a link, `Re:`, `mailto:…`)."""
    name = hit.group("name")
    known = find_qualifier(name)
    if known is not None:
        return known
    value = _value(hit)
    if not value or value.startswith("//") or name.casefold() in _SCHEMES:
        return None
    return name


def parse_query(typed: str) -> ParsedQuery:
    """Split the search box's text into qualifiers and free words. An unknown qualifier is
    a problem, never search text (quotes make it words: "colour:red")."""
    found: dict[Qualifier, list[Any]] = {qualifier: [] for qualifier in QUALIFIERS}
    problems: list[str] = []

    def take(hit: re.Match[str]) -> str:
        qualifier = _qualifier_of(hit)
        if qualifier is None:
            return hit.group(0)
        if isinstance(qualifier, str):
            problems.append(
                f"{qualifier}:{_value(hit)} is not a filter (filters: {', '.join(NAMES)};"
                f' to search for these words, put them in quotes: "{hit.group(0)}")'
            )
            return " "
        try:
            found[qualifier].append(qualifier.read(_value(hit) or ""))
        except QualifierValueError as error:
            problems.append(str(error))
        return " "

    words = _TOKEN.sub(take, typed)
    return ParsedQuery(
        words=" ".join(words.split()),
        qualifiers=tuple((q, tuple(values)) for q, values in found.items() if values),
        problems=tuple(dict.fromkeys(problems)),
    )


def with_qualifier(typed: str, name: str, value: str) -> str:
    """The search text with qualifier `name` set to `value` (every earlier `name:` removed;
    an empty value just removes it). The words typed stay as they were."""

    def drop(hit: re.Match[str]) -> str:
        return " " if hit.group("name").casefold() == name.casefold() else hit.group(0)

    kept = " ".join(_TOKEN.sub(drop, typed).split())
    if not value:
        return kept
    shown = f'"{value}"' if any(ch.isspace() for ch in value) else value
    return f"{kept} {name}:{shown}".strip()
