"""Each guardrail fires on realistic traps and stays quiet on realistic good replies.

The examples live in tests/data/guardrails/<kind>.json (at least 20 positive and 20 negative
each, in several languages); language detection is the real on-device model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from storage.records import Network

from app.compose.brand import BrandProfile, EmojiPolicy
from app.compose.guardrails import ReplyContext, blocking, check, find_personal_data

DATA = Path(__file__).parent / "data" / "guardrails"
BLOCKING_KINDS = {"placeholder", "length", "pii"}


def _examples(sign: str) -> list[Any]:
    cases = []
    for path in sorted(DATA.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for number, example in enumerate(data[sign]):
            cases.append(pytest.param(data["kind"], example, id=f"{data['kind']}-{number}"))
    return cases


def _context(example: dict[str, Any]) -> ReplyContext:
    return ReplyContext(
        text=example["text"],
        network=Network(example.get("network", "mastodon")),
        server_limit=example.get("server_limit", 500),
        direct=example.get("direct", False),
        mention_text=example.get("mention_text", ""),
        mention_language=example.get("mention_language"),
        author_id=example.get("author_id"),
        sent_today=[tuple(pair) for pair in example.get("sent_today", [])],
    )


def test_every_guardrail_has_enough_examples() -> None:
    for path in DATA.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert len(data["positive"]) >= 20, path.name
        assert len(data["negative"]) >= 20, path.name
    assert {p.stem for p in DATA.glob("*.json")} >= {
        "banned_phrase", "pii", "language", "length", "repetition", "placeholder", "formality"
    }  # fmt: skip


def _profile(example: dict[str, Any]) -> BrandProfile:
    """The default profile, with what an example says about the brand's formality."""
    return BrandProfile.from_json(
        {key: example[key] for key in ("formality", "formality_by_language") if key in example}
    )


@pytest.mark.parametrize(("kind", "example"), _examples("positive"))
def test_guardrail_fires(kind: str, example: dict[str, Any]) -> None:
    findings = check(_context(example), _profile(example))
    fired = [finding for finding in findings if finding.kind == kind]
    assert fired, f"{kind} did not fire on: {example['text'][:80]}"
    assert fired[0].message
    assert "\n" not in fired[0].message
    assert fired[0].blocking is (kind in BLOCKING_KINDS)


@pytest.mark.parametrize(("kind", "example"), _examples("negative"))
def test_guardrail_stays_quiet(kind: str, example: dict[str, Any]) -> None:
    findings = check(_context(example), _profile(example))
    assert kind not in [finding.kind for finding in findings], findings


def test_confirming_personal_data_lets_a_public_reply_through() -> None:
    context = ReplyContext("Refund for FF-171775 is on its way.", Network.MASTODON)
    assert [f.kind for f in blocking(check(context, BrandProfile()))] == ["pii"]
    confirmed = ReplyContext(
        "Refund for FF-171775 is on its way.", Network.MASTODON, personal_data_confirmed=True
    )
    assert blocking(check(confirmed, BrandProfile())) == []


def test_personal_data_in_the_mention_suggests_a_dm_without_blocking() -> None:
    context = ReplyContext(
        "Hi Lucy, I've sent you a DM to sort it out. – Ingrid",
        Network.BLUESKY,
        mention_text="Ordered under lbrennan@example.org, order FF-171775. Wrong size!",
    )
    findings = check(context, BrandProfile())
    assert [(f.kind, f.blocking) for f in findings] == [("pii_in_mention", False)]
    assert "DM" in findings[0].fix


def test_the_brand_can_add_its_own_phrases_terms_and_number_patterns() -> None:
    profile = BrandProfile(
        banned_phrases=("no worries",),
        preferred_terms={"customer service": "our team"},
        order_patterns=(r"\bSAK\d{4}\b",),
        emoji=EmojiPolicy.NONE,
    )
    text = "No worries! Customer service has SAK1234 open 🙂"
    kinds = [f.kind for f in check(ReplyContext(text, Network.MASTODON), profile)]
    assert sorted(kinds) == ["banned_phrase", "emoji", "pii", "preferred_term"]


def test_order_patterns_are_configurable() -> None:
    assert find_personal_data("Order SAK1234", [r"\bSAK\d{4}\b"])[0].kind == (
        "order or ticket number"
    )
    assert find_personal_data("Order SAK1234", []) == []


def test_brand_profile_survives_bad_values() -> None:
    profile = BrandProfile.from_json(
        {"name": "Fjellform", "emoji": "lots", "order_patterns": ["("], "repetition_threshold": 3}
    )
    assert profile.name == "Fjellform"
    assert profile.emoji is EmojiPolicy.SPARING  # "lots" is not a policy: the default stays
    assert profile.order_patterns == BrandProfile().order_patterns  # "(" is not a pattern
    assert profile.repetition_threshold == 3
    assert BrandProfile.from_json(profile.to_json()) == profile
    _, problems = BrandProfile.from_json_reporting({"emoji": "lots", "colour": "red"})
    assert problems == [
        "emoji: 'lots' is not valid ('lots' is not a valid EmojiPolicy); default kept",
        "unknown setting 'colour' ignored",
    ]


def test_a_mastodon_reply_is_checked_against_the_default_limit_before_the_first_sync() -> None:
    """A Mastodon account that has not synced yet does not know its server's limit: the
    reply is held to Mastodon's default (500) rather than let through unchecked."""
    long_reply = "Thanks for waiting! " * 30  # 600 characters
    findings = check(ReplyContext(text=long_reply, network=Network.MASTODON), BrandProfile())
    assert [f.kind for f in findings if f.blocking] == ["length"]
    assert "allows 500" in next(f.message for f in findings if f.kind == "length")
    short = ReplyContext(text="Thanks!", network=Network.MASTODON)
    assert blocking(check(short, BrandProfile())) == []
