"""Network HTML made safe to show: an nh3 allow-list that keeps links and nothing remote."""

from __future__ import annotations

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


class _TextExtractor(HTMLParser):
    """Mastodon status HTML to the plain text a person reads: paragraphs, line breaks, and
    links as their full address (Mastodon hides parts of long links in invisible spans)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._link_stack: list[str | None] = []  # href of a plain link being read, else None
        self._skip_depth = 0  # inside <script>/<style>: not text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("script", "style"):
            self._skip_depth += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")
        elif tag == "a":
            classes = (attributes.get("class") or "").split()
            href = attributes.get("href") or ""
            is_plain_link = not ({"mention", "hashtag"} & set(classes)) and href.startswith(
                ("http://", "https://")
            )
            self._link_stack.append(href if is_plain_link else None)
            if is_plain_link:
                self.parts.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip_depth:
            self._skip_depth -= 1
        elif tag == "a" and self._link_stack:
            self._link_stack.pop()

    def handle_data(self, data: str) -> None:
        if self._skip_depth or any(href is not None for href in self._link_stack):
            return  # a plain link's text is already there, as its full address
        self.parts.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return "".join(extractor.parts).strip()
