"""Turning what a person types into the search box into a safe FTS5 query."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

# Words as FTS5's unicode61 tokenizer sees them; handles like @kari@social.example are words
# joined by punctuation, kept together as a phrase.
_TERM = re.compile(r"@?[\w.@-]*\w", re.UNICODE)


def match_expression(typed: str) -> str | None:
    """An FTS5 MATCH expression finding every typed word (in text or author; `@word` in the
    author only), the last one as a prefix so results appear while typing. None when
    nothing searchable was typed.

    Every term is quoted, so FTS5 operators typed by accident (AND, NEAR, quotes, *) are
    searched as words and never raise a syntax error.
    """
    found = [term for term in _TERM.findall(typed) if term.lstrip("@")]
    if not found:
        return None
    parts = []
    for position, term in enumerate(found):
        quoted = '"' + term.lstrip("@").replace('"', '""') + '"'
        if position == len(found) - 1:
            quoted += "*"
        # "@kari" means the author, not every post that mentions Kari.
        parts.append(f"author : {quoted}" if term.startswith("@") else quoted)
    return " ".join(parts)


# --- Qualifiers: "tag:billing lang:nb is:unanswered late delivery" ----------------------------

QUALIFIERS = (
    "author",
    "lang",
    "is",
    "tag",
    "assignee",
    "network",
    "account",
    "kind",
    "status",
    "after",
    "before",
    "waiting",
)
IS_VALUES = ("dm", "open", "done", "snoozed", "unanswered", "mine", "new", "pending")
KIND_VALUES = {
    "mention": "mention",
    "reply": "reply",
    "quote": "quote",
    "dm": "direct",
    "direct": "direct",
}
STATUS_VALUES = ("new", "open", "pending", "done")
NETWORK_VALUES = ("mastodon", "bluesky")

# name:value or name:"a quoted value"; only the names above count, so a typed URL
# ("https://…") or a time ("10:30") stays part of the words.
_QUALIFIER = re.compile(
    r"(?<!\S)(?P<name>" + "|".join(QUALIFIERS) + r'):(?:"(?P<quoted>[^"]*)"?|(?P<bare>\S+))',
    re.IGNORECASE,
)
_DURATION = re.compile(r"^(?P<amount>\d+)\s*(?P<unit>m|min|h|d|w|wk)$", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800, "wk": 604800}


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """What a person typed, split into qualifiers and the words left for full-text search.

    `problems` says, in words a person understands, which qualifiers could not be used
    (they are left out of the query; nothing typed is lost from the box)."""

    words: str = ""
    authors: tuple[str, ...] = ()
    languages: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()  # the is: values
    tags: frozenset[str] = frozenset()
    assignees: frozenset[str] = frozenset()
    networks: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()  # stored kind values ("direct" for dm)
    statuses: frozenset[str] = frozenset()
    after: date | None = None
    before: date | None = None
    waiting: timedelta | None = None  # waiting longer than this
    problems: tuple[str, ...] = ()

    @property
    def has_qualifiers(self) -> bool:
        return replace(self, words="", problems=()) != ParsedQuery()

    @property
    def match(self) -> str | None:
        """The FTS5 expression for the words and the author: qualifiers."""
        words = match_expression(self.words)
        authors = [
            'author : "' + author.lstrip("@").replace('"', '""') + '"*'
            for author in self.authors
            if author.lstrip("@")
        ]
        parts = [*authors, *([words] if words else [])]
        return " ".join(parts) or None


def parse_query(typed: str) -> ParsedQuery:
    """Split the search box's text into qualifiers and free words."""
    found: dict[str, list[str]] = {name: [] for name in QUALIFIERS}
    problems: list[str] = []

    def take(hit: re.Match[str]) -> str:
        value = hit.group("quoted") if hit.group("quoted") is not None else hit.group("bare")
        found[hit.group("name").lower()].append(value.strip())
        return " "

    words = _QUALIFIER.sub(take, typed)
    flags = {value.lower() for value in found["is"]}
    for flag in sorted(flags - set(IS_VALUES)):
        problems.append(f"is:{flag} is not known (use one of {', '.join(IS_VALUES)})")
    kinds = set()
    for value in found["kind"]:
        if value.lower() in KIND_VALUES:
            kinds.add(KIND_VALUES[value.lower()])
        else:
            problems.append(f"kind:{value} is not known (use mention, reply, quote or dm)")
    statuses = {value.lower() for value in found["status"]}
    for status in sorted(statuses - set(STATUS_VALUES)):
        problems.append(f"status:{status} is not known (use {', '.join(STATUS_VALUES)})")
    networks = {value.lower() for value in found["network"]}
    for network in sorted(networks - set(NETWORK_VALUES)):
        problems.append(f"network:{network} is not known (use mastodon or bluesky)")
    dates: dict[str, date | None] = {"after": None, "before": None}
    for name in dates:
        for value in found[name]:
            try:
                dates[name] = date.fromisoformat(value)
            except ValueError:
                problems.append(f"{name}:{value} is not a date (write it as 2026-11-23)")
    waiting = None
    for value in found["waiting"]:
        duration = _DURATION.match(value)
        if duration is None:
            problems.append(f"waiting:{value} is not a duration (write 30m, 4h, 2d or 1w)")
            continue
        unit = duration.group("unit").lower()
        waiting = timedelta(seconds=int(duration.group("amount")) * _UNIT_SECONDS[unit])
    return ParsedQuery(
        words=" ".join(words.split()),
        authors=tuple(value for value in found["author"] if value),
        languages=frozenset(value.lower() for value in found["lang"] if value),
        flags=frozenset(flags & set(IS_VALUES)),
        tags=frozenset(value for value in found["tag"] if value),
        assignees=frozenset(value for value in found["assignee"] if value),
        networks=frozenset(networks & set(NETWORK_VALUES)),
        accounts=frozenset(value.lstrip("@") for value in found["account"] if value),
        kinds=frozenset(kinds),
        statuses=frozenset(statuses & set(STATUS_VALUES)),
        after=dates["after"],
        before=dates["before"],
        waiting=waiting,
        problems=tuple(problems),
    )


def with_qualifier(typed: str, name: str, value: str) -> str:
    """The search text with qualifier `name` set to `value` (every earlier `name:` removed;
    an empty value just removes it). The words typed stay as they were."""
    kept = _QUALIFIER.sub(
        lambda hit: " " if hit.group("name").lower() == name.lower() else hit.group(0), typed
    )
    kept = " ".join(kept.split())
    if not value:
        return kept
    shown = f'"{value}"' if any(ch.isspace() for ch in value) else value
    return f"{kept} {name}:{shown}".strip()
