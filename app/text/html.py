"""Network HTML made safe to show: an nh3 allow-list that keeps links and nothing remote."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

from app.text.display import encodable

_TAGS = {
    "p",
    "br",
    "a",
    "span",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "del",
    "s",
}
_ATTRIBUTES = {"a": {"href", "class"}, "span": {"class"}}


def sanitize_html(html: str) -> str:
    """Only text formatting and http(s)/mailto links survive: no scripts, styles, images,
    frames or event handlers, so rendering a mention can never load anything remote."""
    return nh3.clean(
        encodable(html),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        # A relative link has no meaning outside the server's page, and a <base> could aim it.
        url_relative="deny",
    )


# Blocks that start on a line of their own, and how many line breaks set them apart.
_BLOCK_BREAKS = {"p": 2, "blockquote": 2, "pre": 2, "ul": 1, "ol": 1, "li": 1}
# Elements a client that shows quotes itself hides (Mastodon 4.5's "RE: <link>" fallback).
QUOTE_FALLBACK_CLASS = "quote-inline"
_QUOTE_FALLBACK = re.compile(
    r"<(p|span|div)\b[^>]*\bclass=(?:\"[^\"]*\bquote-inline\b[^\"]*\"|'[^']*\bquote-inline\b[^']*')"
    r"[^>]*>.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL,
)


def without_quote_fallback(html: str) -> str:
    """The post's HTML without the `quote-inline` paragraph Mastodon 4.5 adds to a quote for
    clients that do not show quotes ("RE: <link>"): Heedful shows the quoted post itself.
    (Those elements never nest in what Mastodon sends.)"""
    return _QUOTE_FALLBACK.sub("", html)


class _TextExtractor(HTMLParser):
    """Mastodon status HTML to the plain text a person reads: paragraphs, line breaks, list
    items (Mastodon 4.2+ sends lists), quoted blocks as `> ` lines, preformatted text with its
    own line breaks, and links as their full address (Mastodon hides parts of long links in
    invisible spans)."""

    def __init__(self, *, hide_quote_fallback: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._link_stack: list[str | None] = []  # href of a plain link being read, else None
        self._skip_depth = 0  # inside <script>/<style>: not text
        self._hide_quote_fallback = hide_quote_fallback
        self._hidden: list[str] = []  # the fallback element being left out, and its children
        self._breaks = 0  # line breaks owed before the next text
        self._break_depth = 0  # the quote depth the blank lines owed belong to
        self._quote_depth = 0
        self._pre_depth = 0
        self._lists: list[list[int]] = []  # per open list: [next number] (ol) or [] (ul)
        self._bullet = ""  # what the next line starts with (a list item's marker)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if self._hidden:
            if tag not in _VOID:
                self._hidden.append(tag)
            return
        if self._hide_quote_fallback and QUOTE_FALLBACK_CLASS in classes and tag not in _VOID:
            self._hidden.append(tag)
            return
        if tag in ("script", "style"):
            self._skip_depth += 1
        elif tag == "br":
            self._line_break()
        elif tag in _BLOCK_BREAKS:
            self._owe(_BLOCK_BREAKS[tag])
            if tag == "blockquote":
                self._quote_depth += 1
            elif tag == "pre":
                self._pre_depth += 1
            elif tag == "ul":
                self._lists.append([])
            elif tag == "ol":
                start = attributes.get("start") or ""
                self._lists.append([int(start) if start.isdigit() else 1])
            elif tag == "li":
                numbering = self._lists[-1] if self._lists else []
                if numbering:
                    self._bullet = f"{numbering[0]}. "
                    numbering[0] += 1
                else:
                    self._bullet = "• "
        elif tag == "a":
            href = attributes.get("href") or ""
            is_plain_link = not ({"mention", "hashtag"} & set(classes)) and href.startswith(
                ("http://", "https://")
            )
            self._link_stack.append(href if is_plain_link else None)
            if is_plain_link:
                self._text(href)

    def handle_endtag(self, tag: str) -> None:
        if self._hidden:
            if tag == self._hidden[-1]:
                self._hidden.pop()
            return
        if tag in ("script", "style") and self._skip_depth:
            self._skip_depth -= 1
        elif tag == "a" and self._link_stack:
            self._link_stack.pop()
        elif tag in _BLOCK_BREAKS:
            if tag == "blockquote" and self._quote_depth:
                self._quote_depth -= 1
            elif tag == "pre" and self._pre_depth:
                self._pre_depth -= 1
            elif tag in ("ul", "ol") and self._lists:
                self._lists.pop()
            self._owe(_BLOCK_BREAKS[tag])

    def handle_data(self, data: str) -> None:
        if self._hidden or self._skip_depth:
            return
        if any(href is not None for href in self._link_stack):
            return  # a plain link's text is already there, as its full address
        if self._pre_depth:
            lines = data.split("\n")
            for number, line in enumerate(lines):
                if number:
                    self._line_break()
                if line:
                    self._text(line)
            return
        if not self.parts and not data.strip():
            return  # whitespace between blocks before any text
        if self._breaks and not data.strip():
            return  # the indentation between list items and blocks
        self._text(data)

    def _owe(self, breaks: int) -> None:
        if self.parts:
            if not self._breaks:
                self._break_depth = self._quote_depth
            self._breaks = max(self._breaks, breaks)
            self._break_depth = min(self._break_depth, self._quote_depth)

    def _line_break(self) -> None:
        self.parts.append("\n")
        self._breaks = 0
        self._start_line()

    def _start_line(self) -> None:
        if self._quote_depth:
            self.parts.append("> " * self._quote_depth)

    def _text(self, text: str) -> None:
        if self._breaks:
            # A blank line inside a quote stays part of it; one between blocks does not.
            blank = "\n" + ("> " * self._break_depth).rstrip()
            self.parts.append(blank * (self._breaks - 1) + "\n")
            self._breaks = 0
            self._start_line()
        elif not self.parts:
            self._start_line()
        if self._bullet:
            self.parts.append(self._bullet)
            self._bullet = ""
        self.parts.append(text)


_VOID = {"br", "img", "hr", "input", "meta", "link", "wbr", "source", "area", "col", "embed"}


def html_to_text(html: str, *, hide_quote_fallback: bool = False) -> str:
    """What a person reads in the post. `hide_quote_fallback`: the post is a quote that
    Heedful shows itself, so Mastodon's "RE: <link>" fallback paragraph is left out."""
    extractor = _TextExtractor(hide_quote_fallback=hide_quote_fallback)
    extractor.feed(html)
    extractor.close()
    lines = "".join(extractor.parts).split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()
