"""How long a post is, counted the way each network counts (no SDK needed, so the composer
can check before anything is queued). Which rule a network uses: `app.networks.registry`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import regex

BLUESKY_MAX_GRAPHEMES = 300
MASTODON_URL_LENGTH = 23  # Mastodon counts every link as 23 characters
# What a Mastodon server allows unless it says otherwise (instance configuration
# `statuses.max_characters`); a sync learns the server's own limit.
MASTODON_DEFAULT_MAX_CHARACTERS = 500

_URL = re.compile(r"https?://\S+")
_REMOTE_MENTION = re.compile(r"(?<![\w/])@(\w+)@[\w.-]+\w")


def grapheme_length(text: str) -> int:
    """What a person sees as characters: 👨‍👩‍👧 is one, e + combining accent is one."""
    return len(regex.findall(r"\X", text))


def mastodon_length(text: str) -> int:
    """Characters as Mastodon counts them: links as 23, `@user@host` as `@user`."""
    text = _URL.sub("x" * MASTODON_URL_LENGTH, text)
    text = _REMOTE_MENTION.sub(lambda match: "@" + match.group(1), text)
    return len(text)


@dataclass(frozen=True, slots=True)
class LengthRule:
    """How one network measures a post, and how long it may be."""

    count: Callable[[str], int]
    default_limit: int
    # The server says its own limit (learnt at each sync); the default holds until then,
    # so a long reply is never let through unchecked.
    server_sets_limit: bool = False
    unit: str = ""  # what is counted, when it is not plain characters ("graphemes")

    def limit(self, server_limit: int | None) -> int:
        """The limit to check a reply against."""
        if self.server_sets_limit and server_limit:
            return server_limit
        return self.default_limit

    def counted(self, length: int) -> str:
        """A length for the person writing: "12", "12 graphemes"."""
        return f"{length} {self.unit}" if self.unit else str(length)

    @property
    def described(self) -> str:
        """What is counted, in a sentence: "characters", "characters (graphemes)"."""
        return f"characters ({self.unit})" if self.unit else "characters"


MASTODON_LENGTH = LengthRule(
    mastodon_length, MASTODON_DEFAULT_MAX_CHARACTERS, server_sets_limit=True
)
BLUESKY_LENGTH = LengthRule(grapheme_length, BLUESKY_MAX_GRAPHEMES, unit="graphemes")


def x_length(text: str) -> int:
    """Characters as X counts them (weighted: links 23, emoji and CJK 2)."""
    from app.networks.x.length import weighted_length  # only when an X reply is written

    return weighted_length(text)


X_LENGTH = LengthRule(x_length, 280)
