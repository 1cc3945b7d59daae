"""How long a post is, counted the way each network counts (no SDK needed, so the composer
can check before anything is queued)."""

from __future__ import annotations

import re

import regex

from storage.records import Network

BLUESKY_MAX_GRAPHEMES = 300
MASTODON_URL_LENGTH = 23  # Mastodon counts every link as 23 characters

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


def post_length(network: Network, text: str) -> int:
    return mastodon_length(text) if network is Network.MASTODON else grapheme_length(text)


# What a Mastodon server allows unless it says otherwise (instance configuration
# `statuses.max_characters`); a sync learns the server's own limit.
MASTODON_DEFAULT_MAX_CHARACTERS = 500


def max_length(network: Network, server_limit: int | None) -> int | None:
    """The limit to check a reply against: Bluesky's, or the Mastodon server's as last
    synced (Mastodon's default before the first sync, so a long reply is never let through
    unchecked)."""
    if network is Network.BLUESKY:
        return BLUESKY_MAX_GRAPHEMES
    return server_limit or MASTODON_DEFAULT_MAX_CHARACTERS
