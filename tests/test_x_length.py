"""Heedful counts an X post as X does: compared with twitter-text-parser, a port of X's own
twitter-text that passes its conformance suite, on the text a community manager writes."""

from __future__ import annotations

import pytest
from twitter_text import parse_tweet

from storage.records import Network

from app.networks.registry import max_length, post_length

CASES = [
    "Thanks for waiting, Kari!",
    "See https://status.example.com/incidents/2026-11-20 for updates.",
    "example.com is down for us too",
    "Visit www.example.org/help?lang=nb.",
    "ご迷惑をおかけして申し訳ございません。",
    "고객님, 불편을 드려 죄송합니다",
    "Спасибо, мы уже разбираемся",
    "شكراً لتواصلك معنا",
    "धन्यवाद, हम देख रहे हैं",
    "👨‍👩‍👧 family plans are 20% off 🇳🇴",
    "Keycap 1️⃣ and skin tone 👍🏽",
    "“Quoted” — dashes… and ‘marks’",
    "line one\r\nline two",
    "a" * 280,
    "日" * 140,
    "x" * 250 + " https://example.com/" + "p" * 80,
]


@pytest.mark.parametrize("text", CASES)
def test_the_count_is_xs_own(text: str) -> None:
    assert post_length(Network.X, text) == parse_tweet(text).weightedLength


def test_280_is_the_limit() -> None:
    assert max_length(Network.X, None) == 280
    assert post_length(Network.X, "日" * 141) == 282  # over: CJK counts twice
