"""What real Mastodon (4.2–4.5) and Mastodon-API servers send that the mock does not: quote
notifications, lists and quoted blocks, polls, video descriptions, Pleroma's visibilities, a
v1-only instance document, and language tags that lie (pure functions, on responses written
by hand from the Mastodon documentation's examples)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from storage.records import MentionKind

from app.networks.languages import DETECTED, TAGGED, LanguageGuess, read_language
from app.networks.mastodon.connector import (
    notifications_to_page,
    post_limit_of,
    strictest_visibility,
)
from app.networks.registry import MASTODON

DATA = Path(__file__).parent / "data" / "mastodon"
SERVER = "https://social.example"
OWN_ID = "109000000000000001"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def page_of(*notifications: dict[str, Any]) -> Any:
    return notifications_to_page(
        list(notifications), account_id=1, own_user_id=OWN_ID, server=SERVER, cursor=None
    )


def test_a_quote_of_the_brands_post_is_a_quote_without_its_fallback_paragraph() -> None:
    page = page_of(load("quote_notification.json"))

    quoted, quote = page.items
    assert quote.kind is MentionKind.QUOTE
    assert quote.platform_id == "113512900000000777"
    assert "RE:" not in quote.text
    assert quote.text == (
        "Winter sale, but the boots I ordered in October still have not arrived.\n"
        "[quoting @fjellform@social.example: Winter sale starts Monday! 30 % off every pair of "
        "boots.]"
    )
    assert quote.html is not None
    assert "quote-inline" not in quote.html
    assert "RE:" not in quote.html
    # The quoted post (the brand's own) is kept, as thread context.
    assert quoted.platform_id == "113512000000000100"
    assert quoted.is_own
    assert page.skipped == []


def test_a_quote_notification_without_the_quoted_post_is_still_a_quote() -> None:
    notification = load("quote_notification.json")
    # A ShallowQuote: only the id of the quoted post.
    notification["status"]["quote"] = {"state": "accepted", "quoted_status_id": "1135120000001"}

    [quote] = page_of(notification).items

    assert quote.kind is MentionKind.QUOTE
    assert "RE:" not in quote.text


def test_every_part_of_what_the_customer_wrote_is_in_the_text() -> None:
    [mention] = page_of(load("everything_written.json")).items

    assert mention.text == (
        "@fjellform the app crashes every time I try to pay. What I did:\n"
        "\n"
        "1. open the basket\n"
        "2. tap Pay with card\n"
        "\n"
        "Your support page says:\n"
        "\n"
        "> Payments are processed instantly.\n"
        "\n"
        "The error it shows:\n"
        "\n"
        "ERR_PAYMENT_4711\n"
        "at checkout.js:88\n"
        "\n"
        "Which should I do?\n"
        "[poll option: Wait for a fix]\n"
        "[poll option: Order by phone]\n"
        "[video: Screen recording of the checkout freezing]"
    )
    assert mention.edited_at is not None


def test_a_post_tagged_with_the_wrong_language_is_read_in_the_one_it_is_in() -> None:
    [mention] = page_of(load("everything_written.json")).items

    assert mention.language == "en"  # English text, tagged `de` by the client's interface
    assert mention.language_source == DETECTED
    assert mention.languages == ("de",)


def test_detection_overrules_a_tag_only_when_it_is_sure() -> None:
    english = "The parcel never arrived and nobody answers the phone at your shop."
    sure = read_language(["de"], english, guess=lambda _text: LanguageGuess("en", 0.99))
    assert (sure.language, sure.source) == ("en", DETECTED)
    unsure = read_language(["de"], english, guess=lambda _text: LanguageGuess("en", 0.7))
    assert (unsure.language, unsure.source) == ("de", TAGGED)
    agreeing = read_language(["en-GB", "de"], english, guess=lambda _t: LanguageGuess("de", 1.0))
    assert (agreeing.language, agreeing.languages) == ("en", ("en", "de"))  # a tag says so
    short = read_language(["de"], "ok thanks!", guess=lambda _t: LanguageGuess("en", 1.0))
    assert short.language == "de"  # too few letters to overrule anyone


@pytest.mark.parametrize(
    ("asked", "original", "used"),
    [
        (None, "local", "local"),  # Pleroma/Akkoma: this server's people only
        (None, "list", "direct"),  # a list cannot be named in a reply: narrower, never wider
        ("direct", "local", "direct"),
        (None, "mutuals_only", "direct"),  # a visibility nobody told Heedful about
        (None, "private", "private"),
        (None, None, "public"),
    ],
)
def test_no_visibility_of_a_mastodon_api_server_is_widened(
    asked: str | None, original: str | None, used: str
) -> None:
    assert strictest_visibility(asked, original) == used
    assert MASTODON.strictest(original) != "public" or original in (None, "public")


@pytest.mark.parametrize(
    ("document", "limit"),
    [
        ("instance_v1_pleroma.json", 5000),  # Pleroma and Akkoma: max_toot_chars
        ("instance_v1_mastodon3.json", 1000),  # Mastodon 3.x: configuration.statuses
    ],
)
def test_the_post_limit_is_read_from_a_v1_instance_document(document: str, limit: int) -> None:
    assert post_limit_of(load(document)) == limit


def test_an_instance_document_without_a_believable_limit_says_nothing() -> None:
    assert post_limit_of({"max_toot_chars": "lots"}) is None
    assert post_limit_of({"max_toot_chars": True}) is None
    assert post_limit_of({"configuration": {"statuses": {"max_characters": -5}}}) is None
    assert post_limit_of([]) is None
