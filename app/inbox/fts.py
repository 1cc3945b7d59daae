"""Safe FTS5 MATCH expressions from what a person typed: every term quoted, so operators
typed by accident (AND, NEAR, quotes, *) are searched as words and never raise an error."""

from __future__ import annotations

import re

# Words as FTS5's unicode61 tokenizer sees them; handles like @kari@social.example are words
# joined by punctuation, kept together as a phrase.
_TERM = re.compile(r"@?[\w.@-]*\w", re.UNICODE)


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def match_expression(typed: str) -> str | None:
    """An FTS5 MATCH expression finding every typed word (in text or author; `@word` in the
    author only), the last one as a prefix so results appear while typing. None when
    nothing searchable was typed."""
    found = [term for term in _TERM.findall(typed) if term.lstrip("@")]
    if not found:
        return None
    parts = []
    for position, term in enumerate(found):
        quoted = _phrase(term.lstrip("@"))
        if position == len(found) - 1:
            quoted += "*"
        # "@kari" means the author, not every post that mentions Kari.
        parts.append(f"author : {quoted}" if term.startswith("@") else quoted)
    return " ".join(parts)


def author_phrase(name: str) -> str:
    """Posts whose author's name or handle starts with `name` (`author:kari`)."""
    return f"author : {_phrase(name.lstrip('@'))}*"
