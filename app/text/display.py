"""Making untrusted text safe to show on one line (lists, terminals, window titles)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

# Bidi overrides and isolates can make text render backwards ("evil.exe" shown as "exe.live");
# in a one-line preview they are dropped, the full text keeps them for the detail pane.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_WHITESPACE = re.compile(r"\s+")
_LEADING_MENTIONS = re.compile(r"^(?:@[\w.@-]+\s+)+")


_SURROGATES = re.compile(r"[\ud800-\udfff]")


def encodable(text: str) -> str:
    """Lone surrogates (from JSON's `\\ud800` escapes) cannot be encoded as UTF-8: SQLite,
    nh3 and Qt all refuse them. Each becomes U+FFFD, the replacement character."""
    return _SURROGATES.sub("\ufffd", text)


def reveal_invisible(text: str) -> str:
    """Characters a reader cannot see (zero-width, bidi controls, other format and control
    characters) written out as `<U+200B>`, so a look-alike handle such as `ka\u200bri` shows
    as `ka<U+200B>ri` and never passes for `kari`. Real handles never contain them."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(f"<U+{ord(ch):04X}>" if _is_invisible(ch) else ch for ch in text)


def _is_invisible(ch: str) -> bool:
    category = unicodedata.category(ch)
    return (
        category in ("Cf", "Cc", "Cs", "Co", "Cn", "Zl", "Zp")
        or (category == "Zs" and ch != " ")
        or ch in "\u115f\u1160\u3164\uffa0"
    )  # Hangul fillers: blank, yet not spaces


def one_line(text: str, limit: int = 200) -> str:
    """Whitespace collapsed, control and bidi-override characters removed, cut at `limit`."""
    # Posts can be megabytes; only the start can ever show on one line.
    text = text[: limit * 4 + 64]
    text = text.translate(_BIDI_CONTROLS)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch in "\t\n\r ")
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def preview(text: str, limit: int = 160) -> str:
    """A list preview: one line, without the run of @-mentions most posts start with
    (the account column already says whom it was addressed to)."""
    line = one_line(text, limit + 200)
    stripped = _LEADING_MENTIONS.sub("", line)
    return one_line(stripped or line, limit)


def age(moment: datetime, now: datetime) -> str:
    """How long ago, the way an inbox says it: "now", "5 min", "3 h", "2 d", "7 wk"."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    if seconds < 86400 * 14:
        return f"{seconds // 86400} d"
    return f"{seconds // (86400 * 7)} wk"


def iso_time(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC to the second, as the JSON output documents it."""
    if moment is None:
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
