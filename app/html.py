"""Network HTML made safe to show: an nh3 allow-list that keeps links and nothing remote."""

from __future__ import annotations

import nh3

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
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
