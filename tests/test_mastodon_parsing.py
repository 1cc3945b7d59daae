"""Mastodon's JSON to store records, on responses shaped like a real server's (pure functions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from storage.records import MentionKind

from app.networks.lengths import mastodon_length
from app.networks.mastodon.auth import pkce_challenge
from app.networks.mastodon.connector import addressed, notifications_to_page, strictest_visibility

DATA = Path(__file__).parent / "data" / "mastodon"
SERVER = "https://social.example"
OWN_ID = "109000000000000001"


@pytest.fixture
def notifications() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((DATA / "notifications.json").read_text())
    return loaded


def page(notifications: list[dict[str, Any]], cursor: str | None = None) -> Any:
    return notifications_to_page(
        notifications, account_id=1, own_user_id=OWN_ID, server=SERVER, cursor=cursor
    )


def test_a_reply_to_the_brand_reads_as_a_person_reads_it(
    notifications: list[dict[str, Any]],
) -> None:
    result = page(notifications)
    reply = result.items[0]
    assert reply.kind is MentionKind.REPLY  # in reply to the brand's own account
    assert reply.text == (
        "@fjellform Ordre FF-482913 har ikke kommet 😡 se "
        "https://posten.example/sporing/FF482913abcdef #kundeservice\n"
        "[image: Et tomt postkasse-skap]"
    )
    assert reply.language == "nb"
    assert reply.platform_id == "113512783260871938"
    assert reply.parent_platform_id == "113512700000000001"
    assert reply.author.handle == "kari@toot.example"
    assert reply.author.display_name == "Kari Nordmann"
    assert reply.url == "https://toot.example/@kari/113512783260871938"
    assert reply.html is not None
    assert 'class="u-url mention"' in reply.html  # mentions stay recognisable
    assert reply.created_at.isoformat() == "2026-11-20T14:03:11+00:00"
    assert json.loads(reply.raw or "{}")["id"] == "34975861"


def test_a_direct_message_with_a_content_warning(notifications: list[dict[str, Any]]) -> None:
    dm = page(notifications).items[1]
    assert dm.kind is MentionKind.DIRECT
    assert dm.spoiler_text == "Kundedata"
    assert dm.author.handle == "ole@social.example"  # local accounts get the server's host


def test_what_cannot_or_should_not_be_stored_is_skipped_with_a_reason(
    notifications: list[dict[str, Any]],
) -> None:
    result = page(notifications)
    assert len(result.items) == 2
    reasons = " | ".join(result.skipped)
    assert "34975863" in reasons  # a favourite is not a mention
    assert "without id or author" in reasons
    assert "own post" in reasons  # the brand's own echo
    assert "unreadable time" in reasons or "Invalid isoformat" in reasons
    assert result.cursor == "34975866"  # the cursor still moves past everything seen


def test_pages_come_oldest_first_whatever_order_the_server_used(
    notifications: list[dict[str, Any]],
) -> None:
    result = page(list(reversed(notifications)))
    assert [item.platform_id for item in result.items] == [
        "113512783260871938",
        "113512790000000002",
    ]


def test_an_empty_page_keeps_the_cursor() -> None:
    assert page([], cursor="77").cursor == "77"


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("see https://example.org/a/very/long/path/that/goes/on?and=on", 4 + 23),
        ("@kari@toot.example hi", len("@kari hi")),
        ("😀" * 3, 3),
    ],
)
def test_length_is_counted_as_mastodon_counts(text: str, length: int) -> None:
    assert mastodon_length(text) == length


def test_replies_address_everyone_who_must_be_notified_once() -> None:
    assert addressed("Thanks!", ("kari@toot.example", "ole")) == "@kari@toot.example @ole Thanks!"
    assert addressed("@ole and @kari@toot.example: thanks", ("kari@toot.example", "ole")) == (
        "@ole and @kari@toot.example: thanks"
    )


@pytest.mark.parametrize(
    ("asked", "original", "used"),
    [
        (None, "public", "public"),
        (None, "unlisted", "unlisted"),
        (None, "private", "private"),
        (None, "direct", "direct"),
        ("direct", "public", "direct"),
        ("direct", "private", "direct"),
        (None, None, "public"),
    ],
)
def test_a_reply_never_reaches_more_people_than_the_post_it_answers(
    asked: str | None, original: str | None, used: str
) -> None:
    assert strictest_visibility(asked, original) == used


def test_a_handle_that_only_starts_the_same_still_gets_its_mention() -> None:
    assert addressed("@bobby thanks", ("bob",)) == "@bob @bobby thanks"
    assert addressed("@bob@toot.example thanks", ("bob@toot.example",)) == (
        "@bob@toot.example thanks"
    )


def test_pkce_challenge_matches_rfc_7636() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
