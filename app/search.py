"""Turning what a person types into the search box into a safe FTS5 query."""

from __future__ import annotations

import re

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
