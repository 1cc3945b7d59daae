"""Properties over generated input (hypothesis): the parsers are total, the sanitiser never lets
anything active through, html_to_text never fails, grapheme counts are consistent, and what a
parser returns can always be stored."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.accounts import AccountRepository
from storage.mentions import MentionRepository
from storage.records import Author, Mention, MentionKind, Network, TriageStatus
from storage.store import open_store

from app.compose.placeholders import (
    KNOWN_KEYS,
    PLACEHOLDER,
    first_name,
    mention_values,
    prompt_key,
    render,
    unfilled_in,
)
from app.networks.bluesky.connector import notification_to_mention, notifications_to_pages
from app.networks.lengths import grapheme_length, mastodon_length
from app.networks.mastodon.connector import notifications_to_page, status_to_mention
from app.networks.safety import SkipItem
from app.text.display import one_line, reveal_invisible
from app.text.html import html_to_text, sanitize_html

from tests.factories import brand_account
from tests.hostile.corpus import bluesky_template, mastodon_template

# Modest counts: the suite's time matters more than the last rare case (the corpus is there).
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Every Unicode code point, lone surrogates included (JSON's "\ud800" escapes give those).
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=12,
)

_MASTODON_PATHS = [
    ("id",), ("type",), ("status",), ("status", "id"), ("status", "content"),
    ("status", "created_at"), ("status", "account"), ("status", "account", "id"),
    ("status", "account", "acct"), ("status", "account", "display_name"),
    ("status", "visibility"), ("status", "language"), ("status", "in_reply_to_id"),
    ("status", "media_attachments"), ("status", "quote"), ("status", "spoiler_text"),
]  # fmt: skip
_BLUESKY_PATHS = [
    ("uri",), ("cid",), ("reason",), ("author",), ("author", "did"), ("author", "handle"),
    ("author", "displayName"), ("record",), ("record", "text"), ("record", "createdAt"),
    ("record", "langs"), ("record", "facets"), ("record", "reply"), ("record", "embed"),
    ("indexedAt",),
]  # fmt: skip


def _replaced(payload: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


MASTODON = mastodon_template(1)
BLUESKY = bluesky_template(1)


@FEW
@given(st.lists(json_values, max_size=5))
def test_the_mastodon_page_parser_never_raises_on_any_json(items: list[Any]) -> None:
    page = notifications_to_page(
        items, account_id=1, own_user_id="1", server="https://s.example", cursor="5"
    )
    assert len(page.items) + len(page.skipped) <= len(items)
    assert page.cursor


@FEW
@given(st.sampled_from(_MASTODON_PATHS), json_values)
def test_a_real_mastodon_notification_with_any_field_replaced_is_stored_or_skipped(
    path: tuple[str, ...], value: Any
) -> None:
    payload = _replaced(MASTODON, path, value)
    page = notifications_to_page(
        [payload], account_id=1, own_user_id="1", server="https://s.example", cursor=None
    )
    assert len(page.items) + len(page.skipped) == 1


@FEW
@given(json_values)
def test_status_to_mention_is_total(value: Any) -> None:
    reason = ""
    try:
        status_to_mention(value, account_id=1, own_user_id="1", server="https://s.example")
        reason = "stored"
    except SkipItem as why:
        reason = str(why)
    assert reason


@FEW
@given(st.sampled_from(_BLUESKY_PATHS), json_values)
def test_a_real_bluesky_notification_with_any_field_replaced_is_stored_or_skipped(
    path: tuple[str, ...], value: Any
) -> None:
    payload = _replaced(BLUESKY, path, value)
    reason = ""
    try:
        notification_to_mention(payload, account_id=1, own_did="did:plc:brand")
        reason = "stored"
    except SkipItem as why:
        reason = str(why)
    assert reason


@FEW
@given(st.lists(json_values, max_size=5), st.none() | any_text)
def test_the_bluesky_page_parser_never_raises_on_any_json(
    items: list[Any], cursor: str | None
) -> None:
    pages = list(
        notifications_to_pages(lambda _c: (items, None), cursor, account_id=1, own_did="did:x")
    )
    assert len(pages) == 1


_HTML_PIECES = [
    "<script>", "</script>", "<scr", "ipt>", "<img src=x onerror=alert(1)>", "<a href=\"",
    "javascript:", "java\tscript:", "JAVASCRIPT:", "data:text/html,", "vbscript:", "\">", "<a ",
    "href=", "onclick=", "onmouseover=\"x()\"", "<style>", "<iframe src=", "<svg onload=",
    "<p>", "</p>", "<!--", "-->", "<![CDATA[", "]]>", "&lt;", "&#60;", "&#x3C;", "<", ">",
    "'", "\"", "=", " ", "<math><mtext><table><mglyph><style>", "<noscript>", "<base href=",
    "<link rel=stylesheet href=", "style=\"background:url(", ")\"", "<object data=", "x",
]  # fmt: skip
html_soup = st.lists(st.sampled_from(_HTML_PIECES) | any_text, max_size=25).map("".join)


class _ActiveFinder(HTMLParser):
    ALLOWED_ATTRIBUTES = frozenset({"href", "class", "rel"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.active: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "img", "iframe", "object", "embed", "svg", "math", "link",
                   "base", "meta", "form", "noscript"):  # fmt: skip
            self.active.append(tag)
        for name, value in attrs:
            if name not in self.ALLOWED_ATTRIBUTES:
                self.active.append(f"{tag}[{name}]")
            if name == "href" and not (value or "").startswith(("http:", "https:", "mailto:")):
                self.active.append(f"href={value!r}")


@FEW
@given(html_soup)
def test_the_sanitiser_never_lets_anything_active_through(html: str) -> None:
    clean = sanitize_html(html)
    finder = _ActiveFinder()
    finder.feed(clean)
    finder.close()
    assert finder.active == []
    # Sanitising is stable: what is safe stays as it is.
    assert sanitize_html(clean) == clean


@FEW
@given(html_soup)
def test_html_to_text_is_total_and_never_returns_markup_it_was_told_to_drop(html: str) -> None:
    text = html_to_text(html)
    assert isinstance(text, str)
    assert "alert(1)</script>" not in text


@FEW
@given(any_text, any_text)
def test_grapheme_counts_are_consistent(first: str, second: str) -> None:
    one, two, both = (
        grapheme_length(first),
        grapheme_length(second),
        grapheme_length(first + second),
    )
    # Joining can only merge characters at the seam, never split them.
    assert both <= one + two
    assert one <= len(first)  # never more graphemes than code points
    assert (one == 0) == (first == "")
    assert mastodon_length(first) <= len(first) + 23 * first.count("http")


@FEW
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60))
def test_plain_ascii_counts_one_grapheme_per_character(text: str) -> None:
    assert grapheme_length(text) == len(text)


@FEW
@given(any_text)
def test_shown_handles_never_hide_a_character(handle: str) -> None:
    shown = reveal_invisible(handle)
    assert all(ch.isprintable() or ch == " " for ch in shown)
    assert "\n" not in one_line(shown)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(any_text, any_text, any_text), min_size=1, max_size=4))
def test_whatever_a_parser_returns_can_be_stored(tmp_path: Path, texts: list[Any]) -> None:
    notifications = []
    for number, (content, name, spoiler) in enumerate(texts):
        payload = mastodon_template(number)
        payload["status"]["content"] = content
        payload["status"]["account"]["display_name"] = name
        payload["status"]["spoiler_text"] = spoiler
        notifications.append(json.loads(json.dumps(payload)))
    page = notifications_to_page(
        notifications, account_id=1, own_user_id="1", server="https://s.example", cursor=None
    )
    store = open_store(tmp_path / f"p{abs(hash(str(texts)))}.db")
    try:
        account_id = AccountRepository(store).add(brand_account()).id
        assert account_id == 1
        MentionRepository(store).ingest(page.items)
        assert store.conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == len(page.items)
    finally:
        store.close()


# --- snippet placeholders ------------------------------------------------------------------------

_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
# Names as people write them, and some no one would: empty, blank, shouting, huge.
author_names = st.one_of(
    any_text,
    st.just(""),
    st.text(" \t\n\u00a0\u3000", max_size=5),
    any_text.map(lambda text: (text + "Åsa 🏔️ ") * 2000),
)


def _mention_by(name: str, handle: str, network: Network) -> Mention:
    by = Author(1, network, "id-1", handle, name, None, _NOW)
    return Mention(
        1, 1, network, "fjellform@social.example", "1", None, by, MentionKind.MENTION,
        "Where is my order?", None, "", None, None, _NOW, _NOW, None, None, False,
        TriageStatus.NEW, None, (),
    )  # fmt: skip


@FEW
@given(any_text, author_names, any_text, st.sampled_from(Network), any_text, any_text)
def test_rendering_never_raises_and_reports_what_it_leaves(
    template: str, name: str, handle: str, network: Network, agent: str, brand: str
) -> None:
    values = mention_values(
        _mention_by(name, handle, network), agent_name=agent, brand_name=brand, sign_off=agent
    )
    assert isinstance(first_name(name), str)
    rendered = render(template, values, {"order number": name})
    left = unfilled_in(rendered.text)
    assert all(placeholder in left for placeholder in rendered.unfilled)
    if not PLACEHOLDER.search(template):
        assert rendered.text == template  # nothing to fill: the text as written


_KEYS = st.sampled_from(KNOWN_KEYS)
_PROMPTS = st.from_regex(r"[A-Za-zÅØÆåøæ][A-Za-z åøæ-]{0,20}", fullmatch=True)
# Literal text around placeholders: anything but braces, so each brace belongs to one.
_LITERAL = st.text(st.characters(codec=None, exclude_characters="{}"), max_size=12)
# A value or a fallback: missing (empty or blank) or any text without braces.
_GIVEN = st.one_of(st.just(""), st.just("  "), _LITERAL)


@st.composite
def _templates(draw: st.DrawFn) -> tuple[str, dict[str, str], dict[str, str], str, list[str]]:
    """A template of literal text and placeholders, values and fill-ins for them, and what
    rendering must give: the text, and the placeholders left unfilled in order."""
    values = {key: draw(_GIVEN) for key in KNOWN_KEYS}
    fills: dict[str, str] = {}
    parts = [draw(_LITERAL)]
    expected = [parts[0]]
    unfilled: list[str] = []
    for _ in range(draw(st.integers(0, 5))):
        ask = draw(st.booleans())
        key = draw(_PROMPTS if ask else _KEYS)
        fallback = draw(st.none() | _GIVEN.map(lambda text: text.replace("|", "")))
        placeholder = (
            "{"
            + ("?" if ask else "")
            + key
            + (f"|{fallback}" if fallback is not None else "")
            + "}"
        )
        if ask:
            fills.setdefault(prompt_key(key), draw(_GIVEN))
            value = fills[prompt_key(key)]
        else:
            value = values[key]
        if value.strip():
            expected.append(value.strip())
        elif fallback is not None and fallback.strip():
            expected.append(fallback.strip())
        else:
            expected.append(placeholder)
            unfilled.append(placeholder)
        literal = draw(_LITERAL)
        parts += [placeholder, literal]
        expected.append(literal)
    return "".join(parts), values, fills, "".join(expected), unfilled


@FEW
@given(_templates())
def test_placeholders_are_filled_by_value_then_fallback_and_the_rest_reported(
    case: tuple[str, dict[str, str], dict[str, str], str, list[str]],
) -> None:
    template, values, fills, expected, unfilled = case
    rendered = render(template, values, fills)
    assert rendered.text == expected
    assert list(rendered.unfilled) == unfilled
    # Braces left behind are exactly the unfilled placeholders' own: a filled one leaves none.
    for brace in "{}":
        assert rendered.text.count(brace) == "".join(unfilled).count(brace)
    assert unfilled_in(rendered.text) == unfilled
