"""Common-issue clusters and spike alerts, on streams that look like a brand's week.

Streams are built from tests/data/analysis/traffic.json with a seeded random clock: uneven
everyday traffic (busy mornings, quiet nights, a popular announcement drawing dozens of
replies in half an hour), with or without bursts of one problem in several languages.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.analysis import concepts
from app.analysis.clusters import SpikeAlert
from app.analysis.pipeline import Analyser, Post, Step
from app.analysis.spikes import binomial_tail, poisson_tail
from app.demo.generator import demo_accounts, demo_mentions

TRAFFIC = json.loads(
    (Path(__file__).parent / "data" / "analysis" / "traffic.json").read_text("utf-8")
)
START = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Burst:
    problem: str
    at: datetime
    size: int = 6
    brand: str = "fjellform"


def _hourly_rate(hour: int) -> float:
    if hour < 6:
        return 0.3
    if hour < 10:
        return 7.0  # the morning rush
    if hour < 22:
        return 2.5
    return 0.8


def stream(
    seed: int, days: int = 5, bursts: tuple[Burst, ...] = (), popular: bool = True
) -> list[Post]:
    rng = random.Random(seed)
    posts: list[Post] = []
    authors = [f"customer{n}" for n in range(400)]

    def add(
        text: str, at: datetime, author: str, kind: str = "mention", brand: str = "fjellform"
    ) -> None:
        posts.append(Post(id=f"{kind[0]}{len(posts)}", author=author, created_at=at, text=text,
                          kind=kind, network="mastodon", brand=brand))  # fmt: skip

    moment = START
    end = START + timedelta(days=days)
    while moment < end:
        rate = _hourly_rate(moment.hour)
        moment += timedelta(hours=rng.expovariate(rate))
        add(rng.choice(TRAFFIC["background"])["text"], moment, rng.choice(authors))
    if popular:  # day 2, 18:00: an announcement everybody answers
        announced = START + timedelta(days=2, hours=18)
        for number in range(45):
            at = announced + timedelta(minutes=rng.uniform(0, 40))
            add(rng.choice(TRAFFIC["popular_replies"]), at, f"fan{number}", kind="reply")
    for number, burst in enumerate(bursts):
        texts = TRAFFIC["bursts"][burst.problem]
        at = burst.at
        for index in range(burst.size):
            add(texts[index % len(texts)]["text"], at, f"burst{number}-{index}", brand=burst.brand)
            at += timedelta(minutes=rng.uniform(0.5, 3.0))
    posts.sort(key=lambda post: post.created_at)
    return posts


def run(posts: list[Post]) -> list[Step]:
    analyser = Analyser(detect_language=lambda text: None, read_sentiment=None)
    return [analyser.add(post) for post in posts]


def alerts(steps: list[Step]) -> list[SpikeAlert]:
    return [step.alert for step in steps if step.alert is not None]


def clusters_of(steps: list[Step]) -> dict[str, set[str]]:
    """Each cluster's posts, with the earlier posts that joined it later."""
    members: dict[str, set[str]] = defaultdict(set)
    for step in steps:
        if step.analysis.cluster is not None:
            members[step.analysis.cluster].add(step.analysis.post_id)
            members[step.analysis.cluster].update(step.joined)
    return members


@pytest.mark.parametrize("seed", range(6))
def test_ordinary_uneven_traffic_raises_no_alert(seed: int) -> None:
    posts = stream(seed, days=7)
    steps = run(posts)
    assert len(posts) > 300
    assert alerts(steps) == []
    # No everyday post is lumped together with others as "a common issue" either.
    assert sum(len(posts) for posts in clusters_of(steps).values()) <= 3


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("problem", ["checkout", "login", "app_crash", "outage"])
def test_a_burst_is_alerted_by_its_third_post_within_ten_minutes(seed: int, problem: str) -> None:
    rng = random.Random(seed)
    burst = Burst(problem, START + timedelta(days=3, hours=rng.choice([3, 8, 13, 20]),
                                             minutes=rng.randint(0, 59)))  # fmt: skip
    posts = stream(seed, bursts=(burst,))
    steps = run(posts)
    burst_posts = [p for p in posts if p.author.startswith("burst")]
    [alert] = alerts(steps)
    assert alert.raised_by in [p.id for p in burst_posts[:3]]
    assert alert.at - burst_posts[0].created_at <= timedelta(minutes=10)
    assert alert.brand == "fjellform"
    # Every post of the burst, in every language, is in the alert's cluster.
    assert {p.id for p in burst_posts} <= clusters_of(steps)[alert.cluster]


def test_one_outage_in_many_languages_is_one_cluster() -> None:
    burst = Burst("checkout", START + timedelta(days=3, hours=12), size=12)
    steps = run(stream(7, bursts=(burst,)))
    groups = clusters_of(steps)
    burst_ids = {s.analysis.post_id for s in steps if s.analysis.post_id in {
        p.id for p in stream(7, bursts=(burst,)) if p.author.startswith("burst")}}  # fmt: skip
    [cluster] = [c for c, members in groups.items() if members & burst_ids]
    assert burst_ids <= groups[cluster]
    assert cluster.startswith("fjellform/outage-")


def test_one_customer_posting_again_and_again_is_a_repeat_not_a_spike() -> None:
    at = START + timedelta(days=1, hours=12)
    rant = [
        Post(id=f"rant{n}", author="ranter", created_at=at + timedelta(minutes=2 * n),
             text=text["text"], network="mastodon", brand="fjellform")
        for n, text in enumerate(TRAFFIC["bursts"]["checkout"][:6])
    ]  # fmt: skip
    steps = run(sorted(stream(3, days=2) + rant, key=lambda p: p.created_at))
    assert alerts(steps) == []
    repeats = [s.analysis.repeat_of for s in steps if s.analysis.post_id.startswith("rant")]
    assert repeats == [None] + ["rant0"] * 5


def test_posts_of_different_brands_never_share_a_cluster_or_an_alert() -> None:
    at = START + timedelta(days=2, hours=12)
    bursts = (
        Burst("login", at, size=2, brand="fjellform"),
        Burst("login", at, size=2, brand="bre"),
    )
    steps = run(stream(5, days=3, bursts=bursts, popular=False))
    assert alerts(steps) == []
    by_brand = Analyser(detect_language=lambda text: None, read_sentiment=None)
    both = [by_brand.add(p) for p in stream(5, days=3, bursts=(
        Burst("login", at, size=4, brand="fjellform"), Burst("login", at, size=4, brand="bre")),
        popular=False)]  # fmt: skip
    raised = alerts(both)
    assert sorted(alert.brand or "" for alert in raised) == ["bre", "fjellform"]
    assert raised[0].cluster != raised[1].cluster


def test_replies_to_a_popular_post_about_nothing_wrong_are_no_cluster() -> None:
    steps = run(stream(11, days=3))
    replies = [s for s in steps if s.analysis.post_id.startswith("r")]
    assert len(replies) == 45
    assert all(s.analysis.cluster is None for s in replies)


def test_the_demo_outage_is_one_cluster_with_one_alert_and_its_repeat_complainer_is_flagged() -> (
    None
):
    accounts = {account.handle: number for number, account in enumerate(demo_accounts(), 1)}
    mentions = demo_mentions(accounts, datetime(2026, 11, 20, 12, tzinfo=UTC))
    customer = sorted((m for m in mentions if not m.is_own), key=lambda m: m.created_at)
    posts = [
        Post(id=f"m{n}", author=m.author.handle, created_at=m.created_at, text=m.text,
             network=m.author.network.value, brand="fjellform")
        for n, m in enumerate(customer)
    ]  # fmt: skip
    outage_texts = {entry["text"] for entry in _demo("outage.json")["mentions"]}
    outage = {p.id for p in posts if any(text in p.text for text in outage_texts)}
    steps = run(posts)
    [alert] = alerts(steps)
    assert clusters_of(steps)[alert.cluster] == outage
    first_three = sorted(outage, key=lambda i: int(i[1:]))[:3]
    assert alert.raised_by in first_three
    regular = [p.id for p in posts if p.author.startswith("danwhitfield")]
    flagged = {s.analysis.post_id for s in steps if s.analysis.repeat_of == regular[0]}
    assert flagged == set(regular[1:])


def _demo(name: str) -> dict[str, list[dict[str, str]]]:
    path = Path(__file__).parent.parent / "resources" / "demo" / name
    data: dict[str, list[dict[str, str]]] = json.loads(path.read_text("utf-8"))
    return data


# --- the concept lexicon and the statistics -------------------------------------------------------


def test_the_same_problem_in_any_language_reads_as_one_group() -> None:
    data = concepts.bundled()
    for problem, texts in TRAFFIC["bursts"].items():
        groups = {concepts.read(item["text"]).group(data) for item in texts}
        assert None not in groups, (problem, groups)
        assert len(groups) == 1, (problem, groups)


def test_the_lexicon_has_every_language_for_every_problem() -> None:
    folder = Path(__file__).parent.parent / "resources" / "analysis" / "concepts"
    for path in folder.glob("*.json"):
        if path.stem == "signals":
            continue
        data = json.loads(path.read_text("utf-8"))
        if data["problem"]:
            missing = set(concepts.LANGUAGES) - {"nn"} - set(data["topic"])
            assert not missing, (path.name, missing)


@given(st.integers(0, 30), st.integers(0, 60), st.floats(0.001, 0.999))
def test_tail_probabilities_are_probabilities_and_shrink_as_k_grows(
    k: int, n: int, p: float
) -> None:
    assert 0.0 <= binomial_tail(k + 1, n, p) <= binomial_tail(k, n, p) <= 1.0
    mean = p * 10
    assert 0.0 <= poisson_tail(k + 1, mean) <= poisson_tail(k, mean) <= 1.0
