"""Bluesky's JSON to store records, text counted and marked up as the network does (pure)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storage.records import MentionKind

from app.networks.bluesky.connector import (
    detect_facets,
    facets_to_html,
    grapheme_length,
    notification_to_mention,
    notifications_to_pages,
)
from app.networks.tid import is_tid, new_tid, tid_time

DATA = Path(__file__).parent / "data" / "bluesky"
OWN = "did:plc:brandbrandbrandbrandbran"


@pytest.fixture
def notifications() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((DATA / "notifications.json").read_text())
    return loaded


def test_a_mention_keeps_language_author_and_clickable_facets(
    notifications: list[dict[str, Any]],
) -> None:
    mention = notification_to_mention(notifications[0], account_id=1, own_did=OWN)
    assert mention.kind is MentionKind.MENTION
    assert mention.language == "nb"
    assert mention.author.handle == "ingvild.bsky.social"
    assert mention.author.display_name == "Ingvild 🏔️"
    assert (mention.platform_cid or "").startswith("bafy")
    assert mention.url == "https://bsky.app/profile/ingvild.bsky.social/post/3lbq2xyzabc2k"
    assert mention.html is not None
    # Byte offsets land on the right characters even after multi-byte text ("😢", "ø").
    assert '<a href="https://sporing.example/FF-1"' in mention.html
    assert ">@fjellform.bsky.social</a>" in mention.html
    assert mention.created_at.isoformat().startswith("2026-11-20T10:15:02")


def test_replies_and_quotes_carry_their_thread(notifications: list[dict[str, Any]]) -> None:
    reply = notification_to_mention(notifications[1], account_id=1, own_did=OWN)
    assert reply.kind is MentionKind.REPLY
    assert (reply.parent_platform_id or "").endswith("/3parent")
    assert (reply.root_platform_id or "").endswith("/3root")
    quote = notification_to_mention(notifications[2], account_id=1, own_did=OWN)
    assert quote.kind is MentionKind.QUOTE
    assert "[quoting at://" in quote.text


def fake_network(
    pages: list[list[dict[str, Any]]],
) -> tuple[Callable[[str | None], tuple[list[dict[str, Any]], str | None]], list[str | None]]:
    """Serve `pages` (newest first) as listNotifications does; record the cursors asked for."""
    asked: list[str | None] = []

    def fetch(cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        asked.append(cursor)
        index = int(cursor) if cursor else 0
        following = str(index + 1) if index + 1 < len(pages) else None
        return pages[index], following

    return fetch, asked


def numbered(count: int, newest: int) -> list[dict[str, Any]]:
    """`count` mention notifications, newest first, numbered down from `newest`."""
    template: dict[str, Any] = json.loads((DATA / "notifications.json").read_text())[0]
    made = []
    for number in range(newest, newest - count, -1):
        item = json.loads(json.dumps(template))
        item["uri"] = f"at://did:plc:x/app.bsky.feed.post/{number:013d}"
        item["indexedAt"] = f"2026-11-20T10:{number // 60:02d}:{number % 60:02d}.000Z"
        made.append(item)
    return made


def test_first_sync_backfills_everything_then_only_what_is_new(
    notifications: list[dict[str, Any]],
) -> None:
    everything = numbered(250, newest=300)
    fetch, _ = fake_network([everything[:100], everything[100:200], everything[200:]])
    pages = list(notifications_to_pages(fetch, None, account_id=1, own_did=OWN))
    stored = [m.platform_id for page in pages for m in page.items]
    assert len(stored) == len(set(stored)) == 250
    cursor = pages[-1].cursor

    fresh = numbered(3, newest=303)
    fetch, asked = fake_network([fresh + everything[:97], everything[97:197]])
    pages = list(notifications_to_pages(fetch, cursor, account_id=1, own_did=OWN))
    new = [m.platform_id for page in pages for m in page.items]
    # The three new ones, and the rest of the page as the overlap below the stopping point
    # (already stored: the store keeps each once); no second page fetched.
    assert {m.rsplit("/", 1)[1] for m in new} >= {"0000000000303", "0000000000302", "0000000000301"}
    assert len(new) == 100
    assert asked == [None]


def test_an_interrupted_backfill_resumes_refetching_at_most_one_page() -> None:
    everything = numbered(300, newest=300)
    pages_served = [everything[:100], everything[100:200], everything[200:]]
    fetch, _ = fake_network(pages_served)
    iterator = notifications_to_pages(fetch, None, account_id=1, own_did=OWN)
    first = next(iterator)  # stored and its cursor committed; then the process dies
    fetch, asked = fake_network(pages_served)
    rest = list(notifications_to_pages(fetch, first.cursor, account_id=1, own_did=OWN))
    assert asked == ["1", "2"]  # resumed after the committed page
    stored = {m.platform_id for page in [first, *rest] for m in page.items}
    assert len(stored) == 300


def test_likes_follows_and_unreadable_items_are_left_out(
    notifications: list[dict[str, Any]],
) -> None:
    fetch, _ = fake_network([list(reversed(notifications))])
    (page,) = notifications_to_pages(fetch, None, account_id=1, own_did=OWN)
    assert [m.kind for m in page.items] == [
        MentionKind.MENTION,
        MentionKind.REPLY,
        MentionKind.QUOTE,
    ]
    assert len(page.skipped) == 1  # the post without text: logged; the like is simply not work
    assert "without text" in page.skipped[0]


@pytest.mark.parametrize(
    ("text", "graphemes"),
    [
        ("hello", 5),
        ("👨‍👩‍👧‍👦", 1),  # a family: several code points, one character
        ("e\u0301", 1),  # e + combining accent
        ("🇳🇴", 1),
        ("漢字かな", 4),
        ("å" * 300, 300),
    ],
)
def test_graphemes_are_counted_as_bluesky_counts(text: str, graphemes: int) -> None:
    assert grapheme_length(text) == graphemes


def test_facets_use_utf8_byte_offsets() -> None:
    text = "Takk 😊 @kari.bsky.social, se https://fjellform.example/retur."
    facets = detect_facets(text, {"kari.bsky.social": "did:plc:kari"}.get)
    data = text.encode()
    spans = [data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in facets]
    assert spans == ["@kari.bsky.social", "https://fjellform.example/retur"]
    assert facets[0]["features"][0]["did"] == "did:plc:kari"


def test_an_unknown_handle_stays_plain_text() -> None:
    assert detect_facets("hi @nobody.example", lambda _handle: None) == []


def test_hostile_facets_never_produce_active_links() -> None:
    html = facets_to_html(
        "click me <script>",
        [
            {
                "index": {"byteStart": 0, "byteEnd": 8},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "javascript:x"}],
            },
            {"index": {"byteStart": 5, "byteEnd": 999}, "features": [{"$type": "x"}]},
        ],
    )
    assert "javascript" not in html
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_record_keys_are_valid_tids_in_time_order() -> None:
    keys = [new_tid() for _ in range(50)]
    assert all(is_tid(key) for key in keys)
    assert keys == sorted(keys)
    assert abs((tid_time(keys[0]) - tid_time(keys[-1])).total_seconds()) < 5
