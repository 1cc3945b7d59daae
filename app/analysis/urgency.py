"""How urgent a post is, and why, in the words a person reads on hover:
"negative · 48k followers · 3rd post · in a spike · waiting 2 h".

A score from what the seeds say matters: how the customer feels (sentiment, or the problem
words when no sentiment model is installed), the reach of what they say (followers: "think
about the reach of negative"), how often they have had to say it (repeats), whether it is part
of a common issue (cluster, spike), and how long they have waited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Level(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class UrgencyFacts:
    """What urgency is ranked from; stored with a post's analysis, ranked when shown."""

    created_at: datetime
    sentiment: str | None = None  # positive, negative, neutral, mixed; None: no model
    problem: bool = False  # the lexicon read a problem ("my order hasn't arrived")
    followers: int | None = None
    nth_post: int = 1  # 2 for the first repeat of a complaint, …
    cluster: str | None = None
    spike: bool = False  # the cluster raised a spike alert
    answered: bool = False


@dataclass(frozen=True, slots=True)
class Urgency:
    score: float
    level: Level
    reasons: tuple[str, ...]

    @property
    def explanation(self) -> str:
        return " · ".join(self.reasons)


_FEELING = {"negative": 3.0, "mixed": 2.0, "neutral": 1.0, "positive": 0.3}


def followers_text(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M followers"
    if count >= 10_000:
        return f"{round(count / 1000)}k followers"
    if count >= 1000:
        return f"{count / 1000:.1f}".rstrip("0").rstrip(".") + "k followers"
    return f"{count} follower" + ("" if count == 1 else "s")


def ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def waited_text(waited: timedelta) -> str:
    minutes = max(0, int(waited.total_seconds() // 60))
    if minutes < 60:
        return f"waiting {minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"waiting {hours} h"
    return f"waiting {hours // 24} days"


def rank(facts: UrgencyFacts, now: datetime) -> Urgency:
    reasons: list[str] = []
    if facts.sentiment is not None:
        score = _FEELING.get(facts.sentiment, 1.0)
        reasons.append(facts.sentiment)
    else:
        score = 2.5 if facts.problem else 1.0
        if facts.problem:
            reasons.append("a problem")
    if facts.followers:
        # Reach matters most when the post is negative: a rant to 48k people.
        weight = 0.8 if score >= 2 else 0.3
        score += weight * math.log10(facts.followers + 1)
        if facts.followers >= 1000:
            reasons.append(followers_text(facts.followers))
    if facts.nth_post > 1:
        score += min(4.0, 1.2 * (facts.nth_post - 1))
        reasons.append(f"{ordinal(facts.nth_post)} post")
    if facts.cluster is not None:
        score += 1.5 if facts.spike else 0.8
        reasons.append("in a spike" if facts.spike else "common issue")
    if not facts.answered:
        waited = now - facts.created_at
        hours = max(0.0, waited.total_seconds() / 3600)
        score += 0.9 * math.log2(1 + hours)
        if waited >= timedelta(minutes=1):
            reasons.append(waited_text(waited))
    else:
        score *= 0.3
        reasons.append("answered")
    level = (
        Level.URGENT if score >= 9 else
        Level.HIGH if score >= 6 else
        Level.NORMAL if score >= 2.5 else
        Level.LOW
    )  # fmt: skip
    return Urgency(round(score, 2), level, tuple(reasons))
