"""Repeat complaints from the second post, and urgency as a person reads it on hover."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.analysis.pipeline import Analyser, Post, Sentiment
from app.analysis.urgency import Level, UrgencyFacts, rank

TRAFFIC = json.loads(
    (Path(__file__).parent / "data" / "analysis" / "traffic.json").read_text("utf-8")
)
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _analyser(sentiment: dict[str, str] | None = None) -> Analyser:
    labels = sentiment or {}
    return Analyser(
        detect_language=lambda text: None,
        read_sentiment=lambda text, language: Sentiment(labels.get(text)),
    )


def _post(
    number: int, text: str, days: float, author: str = "kari", brand: str = "fjellform"
) -> Post:
    return Post(
        id=f"p{number}", author=author, created_at=START + timedelta(days=days), text=text,
        network="mastodon", brand=brand,
    )  # fmt: skip


@pytest.mark.parametrize("scenario", TRAFFIC["repeaters"], ids=lambda s: s["about"][:50])
def test_a_repeated_complaint_is_flagged_from_the_second_post(scenario: dict[str, Any]) -> None:
    analyser = _analyser()
    # Other customers write in between: their posts are never anyone else's repeat.
    results = []
    for number, item in enumerate(scenario["posts"]):
        analyser.add(
            _post(100 + number, item["text"], item["days"] - 0.01, author=f"other{number}")
        )
        results.append(analyser.add(_post(number, item["text"], item["days"])).analysis)
    flags = [result.repeat_of is not None for result in results]
    assert flags == [item["repeat"] for item in scenario["posts"]]
    for result in results:
        if result.repeat_of is not None:
            assert result.repeat_of == "p0" or scenario["about"].startswith("a thank-you")


def test_the_repeat_links_every_earlier_post_and_counts_them() -> None:
    scenario = TRAFFIC["repeaters"][0]["posts"]
    analyser = _analyser()
    results = [
        analyser.add(_post(n, p["text"], p["days"])).analysis for n, p in enumerate(scenario)
    ]
    assert [(r.repeat_of, r.repeat_nth) for r in results] == [
        (None, 1),
        ("p0", 2),
        ("p0", 3),
        ("p0", 4),
    ]
    assert results[3].repeat_earlier == ("p0", "p1", "p2")


def test_negative_sentiment_makes_a_wordless_restatement_a_repeat() -> None:
    first = "My order hasn't arrived and tracking hasn't moved in a week."
    second = "Honestly unbelievable. Jacket for my trip, gone."
    assert _analyser().add(_post(0, first, 0)).analysis.repeat_of is None
    analyser = _analyser({second: "negative"})
    analyser.add(_post(0, first, 0))
    assert analyser.add(_post(1, second, 0.5)).analysis.repeat_of == "p0"


def test_posts_of_different_brands_or_people_never_share_a_repeat() -> None:
    analyser = _analyser()
    analyser.add(_post(0, "My order FF-120034 hasn't arrived.", 0, brand="fjellform"))
    other_brand = analyser.add(_post(1, "My order FF-120034 hasn't arrived.", 1, brand="bre"))
    other_person = analyser.add(_post(2, "My order FF-120034 hasn't arrived.", 1, author="ola"))
    same = analyser.add(_post(3, "Still nothing on FF-120034!", 2))
    assert other_brand.analysis.repeat_of is None
    assert other_person.analysis.repeat_of is None
    assert same.analysis.repeat_of == "p0"


def test_a_complaint_a_month_later_is_a_new_one() -> None:
    analyser = _analyser()
    analyser.add(_post(0, "My parcel hasn't arrived.", 0))
    assert analyser.add(_post(1, "My parcel hasn't arrived.", 40)).analysis.repeat_of is None


# --- urgency -------------------------------------------------------------------------------------


def test_urgency_explains_itself_the_way_a_person_reads_it() -> None:
    facts = UrgencyFacts(
        created_at=START, sentiment="negative", followers=48_200, nth_post=3, cluster="c-1"
    )
    urgency = rank(facts, START + timedelta(hours=2, minutes=5))
    assert urgency.explanation == "negative · 48k followers · 3rd post · common issue · waiting 2 h"
    assert urgency.level is Level.URGENT


def test_urgency_ranks_the_angry_repeat_complainer_above_a_happy_fan() -> None:
    now = START + timedelta(hours=1)
    fan = rank(UrgencyFacts(START, sentiment="positive", followers=120_000), now)
    angry = rank(UrgencyFacts(START, sentiment="negative", followers=300, nth_post=2), now)
    waited = rank(UrgencyFacts(START - timedelta(days=2), sentiment="neutral"), now)
    fresh = rank(UrgencyFacts(now, sentiment="neutral"), now)
    assert angry.score > fan.score
    assert waited.score > fresh.score
    assert fan.level is Level.LOW or fan.score < angry.score
    answered = rank(UrgencyFacts(START, sentiment="negative", answered=True), now)
    assert answered.score < rank(UrgencyFacts(START, sentiment="negative"), now).score
    assert rank(UrgencyFacts(START, problem=True), now).reasons[0] == "a problem"


def test_a_posts_analysis_ranks_its_urgency_from_what_the_pipeline_found() -> None:
    analyser = _analyser({"Still no parcel, second week!": "negative"})
    analyser.add(_post(0, "My order hasn't arrived.", 0))
    post = Post(
        id="p1", author="kari", created_at=START + timedelta(days=1),
        text="Still no parcel, second week!", network="mastodon", brand="fjellform",
        followers=2500,
    )  # fmt: skip
    analysis = analyser.add(post).analysis
    urgency = analysis.urgency(START + timedelta(days=1, minutes=45))
    assert urgency.explanation == "negative · 2.5k followers · 2nd post · waiting 45 min"
