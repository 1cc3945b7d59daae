"""Filling in a demo text (order numbers, e-mail addresses, names) and rendering it as the
HTML Mastodon would send."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_MENTION = re.compile(r"(?<![\w@.])@(\w+)(?:@[\w.-]+)?")
_HASHTAG = re.compile(r"(?<![\w#&])#(\w+)")
_LINK = re.compile(r"https?://[^\s<]+[^\s<.,;:!?)]")


class Values:
    """Placeholder values for one post or one thread, made on first use."""

    def __init__(self, make: Mapping[str, Callable[[], str]]) -> None:
        self._make = make
        self._made: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._made:
            if name not in self._make:
                raise KeyError(f"unknown placeholder {{{name}}} in a demo text")
            self._made[name] = self._make[name]()
        return self._made[name]

    def fill(self, template: str) -> str:
        return _PLACEHOLDER.sub(lambda match: self[match.group(1)], template)


def mastodon_html(text: str, mentions: Mapping[str, str], tag_host: str) -> str:
    """Status HTML the way Mastodon renders it: h-card mentions, hashtag and link anchors."""

    def inline(line: str) -> str:
        parts: list[str] = []
        position = 0
        pattern = re.compile(f"{_MENTION.pattern}|{_HASHTAG.pattern}|{_LINK.pattern}")
        for match in pattern.finditer(line):
            token = match.group(0)
            if token.startswith("@"):
                url = mentions.get("@" + match.group(1))
                if url is None:
                    continue
                piece = (
                    f'<span class="h-card" translate="no"><a href="{_escape(url)}"'
                    f' class="u-url mention">@<span>{_escape(match.group(1))}</span></a></span>'
                )
            elif token.startswith("#"):
                tag = match.group(2)
                piece = (
                    f'<a href="https://{tag_host}/tags/{_escape(tag.lower())}"'
                    f' class="mention hashtag" rel="tag">#<span>{_escape(tag)}</span></a>'
                )
            else:
                scheme, rest = token.split("://", 1)
                piece = (
                    f'<a href="{_escape(token)}" rel="nofollow noopener" target="_blank"'
                    f' translate="no"><span class="invisible">{scheme}://</span>'
                    f'<span class="">{_escape(rest)}</span><span class="invisible"></span></a>'
                )
            parts.append(_escape(line[position : match.start()]))
            parts.append(piece)
            position = match.end()
        parts.append(_escape(line[position:]))
        return "".join(parts)

    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br />".join(inline(line) for line in p.split("\n")) + "</p>" for p in paragraphs
    )


def _escape(text: str) -> str:
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")
