"""Deflections and form letters in replies, in every supported language, read from phrasing.

The examples (tests/data/analysis/deflection.json) are paraphrases written for these tests:
none of them is a phrase of the detector's tables, so passing them means the building blocks
and the scorer generalise, not that a list was matched.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from storage.records import Network
from storage.snippets import Snippet, SnippetVariant

from app.analysis import concepts, deflection, pii
from app.compose.brand import BrandProfile
from app.compose.guardrails import ReplyContext, check

DATA = json.loads(
    (Path(__file__).parent / "data" / "analysis" / "deflection.json").read_text("utf-8")
)
BRAND = pii.BrandContacts(
    support_emails=tuple(DATA["brand"]["support_emails"]),
    support_phones=tuple(DATA["brand"]["support_phones"]),
    domains=tuple(DATA["brand"]["support_domains"]),
)
PROFILE = BrandProfile.from_json(DATA["brand"])


@pytest.mark.parametrize("example", DATA["positive"], ids=lambda e: f"{e['lang']}-{e['text'][:40]}")
def test_a_deflecting_reply_is_caught_with_its_kind(example: dict[str, Any]) -> None:
    found = deflection.find(example["text"], BRAND)
    assert example["kind"] in [item.kind.value for item in found], found
    for item in found:
        assert example["text"][item.start : item.end].strip()
        assert item.evidence
        assert "\n" not in item.message(example["text"])


@pytest.mark.parametrize("example", DATA["negative"], ids=lambda e: f"{e['lang']}-{e['text'][:40]}")
def test_a_reply_that_owns_the_problem_is_left_alone(example: dict[str, Any]) -> None:
    assert deflection.find(example["text"], BRAND) == []


def test_the_examples_are_paraphrases_not_table_entries() -> None:
    tables = [
        deflection.DIRECTIVE, deflection.CONTACT, deflection.CHANNEL, deflection.SELF_LIMIT,
        deflection.OFFICE_HOURS, deflection.NOT_OURS, deflection.THEY_HELP,
    ]  # fmt: skip
    terms = {concepts.fold(term) for table in tables for words in table.values() for term in words}
    terms |= {concepts.fold(t) for table in deflection.FORMULA.values() for t, _ in table}
    for example in DATA["positive"] + DATA["negative"]:
        sentence = " ".join(t.text for t in concepts.tokens(example["text"]))
        assert sentence not in terms


def test_every_supported_language_has_deflections_of_every_kind_it_needs() -> None:
    languages = {e["lang"] for e in DATA["positive"]}
    assert languages == set(concepts.LANGUAGES)
    for language in languages - {"nn"}:
        kinds = {e["kind"] for e in DATA["positive"] if e["lang"] == language}
        assert kinds >= {"not_us", "elsewhere", "office_hours", "passing_the_buck", "form_letter"}
    assert {e["lang"] for e in DATA["negative"]} == set(concepts.LANGUAGES)


# --- as the composer shows it ---------------------------------------------------------------------


def _snippet(body: str, **variants: str) -> Snippet:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    return Snippet(
        id=1, title="Late", body=body, shortcut="late", folder="", tags=(), is_shared=True,
        usage_count=0, last_used_at=None, created_at=now, updated_at=now,
        variants=tuple(SnippetVariant(text, language) for language, text in variants.items()),
    )  # fmt: skip


def test_the_only_the_social_media_team_reply_is_caught_and_a_better_sentence_offered() -> None:
    snippet = _snippet(
        "Hi {author.first_name|there}, sorry, that's far too long to wait. I'd like to look at "
        "your parcel myself: I've sent you a DM asking for the order number. – {agent.name}",
        nb="Hei {author.first_name|du}! Jeg har sendt deg en DM og spurt om ordrenummeret, og "
        "du hører fra meg i dag. – {agent.name}",
    )
    text = "Sorry, I'm only the social media team, I can't help with orders."
    findings = check(
        ReplyContext(text, Network.MASTODON, mention_language="en", snippets=[snippet]),
        BrandProfile(),
    )
    [finding] = [f for f in findings if f.kind == "deflection"]
    assert not finding.blocking
    assert finding.message.startswith("“only the social media team” says it isn't your job")
    assert finding.fix == (
        "Say instead: “I'd like to look at your parcel myself: I've sent you a DM asking for "
        "the order number.”"
    )
    norwegian = check(
        ReplyContext("Vi er bare sosiale medier-teamet her.", Network.MASTODON,
                     mention_language="nb", snippets=[snippet]),
        BrandProfile(banned_phrases=()),
    )  # fmt: skip
    assert [f.fix for f in norwegian if f.kind == "deflection"] == [
        "Say instead: “Jeg har sendt deg en DM og spurt om ordrenummeret, og du hører fra meg "
        "i dag.”"
    ]


def test_without_snippets_the_better_sentence_is_in_the_customers_language() -> None:
    findings = check(
        ReplyContext("Bitte wende dich an die Hotline.", Network.BLUESKY, mention_language="de"),
        BrandProfile(banned_phrases=()),
    )
    [finding] = [f for f in findings if f.kind == "deflection"]
    assert finding.fix == f"Say instead: “{deflection.FALLBACK['de']}”"


def test_the_brands_own_support_number_in_a_public_reply_is_a_deflection_not_personal_data() -> (
    None
):
    text = "You can call us on +47 22 00 00 00 about that."
    kinds = [f.kind for f in check(ReplyContext(text, Network.MASTODON), PROFILE)]
    assert kinds == ["deflection"]
    someone_else = [f.kind for f in check(ReplyContext(text, Network.MASTODON), BrandProfile())]
    assert "pii" in someone_else  # without the profile, it could be anyone's number


def test_a_banned_phrase_and_a_deflection_in_one_sentence_make_one_finding() -> None:
    text = "Please contact customer service for help with returns."
    findings = check(ReplyContext(text, Network.MASTODON, mention_language="en"), BrandProfile())
    assert [f.kind for f in findings] == ["banned_phrase"]
    assert findings[0].fix.startswith("Say instead: “")


def test_a_form_letter_is_caught_across_its_sentences() -> None:
    text = "Thank you for your message. We will get back to you. Kind regards"
    findings = check(ReplyContext(text, Network.MASTODON), BrandProfile(banned_phrases=()))
    assert [f.kind for f in findings] == ["form_letter"]
    assert "thank you for your message" in findings[0].message.casefold()


def test_a_personal_reply_with_a_handover_passes_every_guardrail() -> None:
    text = (
        "Hi Kari, that's not how it should be. I've passed this to our Oslo store and they'll "
        "call you today to sort out the exchange. – Ingrid"
    )
    assert check(ReplyContext(text, Network.MASTODON), PROFILE) == []
