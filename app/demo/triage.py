"""How far a demo mention has been triaged: a status by its age, and the tags a community
manager would have added once they had looked at it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from storage.records import TriageStatus

from app.demo.data import NOTHING_TO_SOLVE
from app.demo.world import DemoWorld

# Topics that a community manager would turn into a tag once they have looked at a mention.
_TAGGED_TOPICS = frozenset(
    {
        "delivery", "refund", "returns", "sizing", "stock", "app", "login", "damaged",
        "wrong-item", "praise", "store", "repair", "pricing", "sustainability", "account",
    }
)  # fmt: skip

_PII = re.compile(r"FF-\d{6}|[\w.+-]+@[\w-]+\.[\w.]+|\+\d{2}")


def status_for(world: DemoWorld, created_at: datetime, topic: str) -> TriageStatus:
    """A status for a mention nobody has answered in public: the older, the more handled."""
    age = world.now - created_at
    odds: tuple[tuple[float, TriageStatus], ...]
    if age < timedelta(hours=36):
        odds = ((0.82, TriageStatus.NEW), (0.94, TriageStatus.OPEN), (1, TriageStatus.PENDING))
    elif age < timedelta(days=5):
        odds = (
            (0.25, TriageStatus.NEW),
            (0.5, TriageStatus.OPEN),
            (0.65, TriageStatus.PENDING),
            (1, TriageStatus.DONE),
        )
    else:
        odds = (
            (0.05, TriageStatus.NEW),
            (0.12, TriageStatus.OPEN),
            (0.18, TriageStatus.PENDING),
            (1, TriageStatus.DONE),
        )
    roll = world.rng.random()
    status = next(status for limit, status in odds if roll < limit)
    # Waiting for the customer only makes sense when there was something to solve.
    if status is TriageStatus.PENDING and topic in NOTHING_TO_SOLVE:
        return TriageStatus.DONE
    return status


def tags_for(world: DemoWorld, status: TriageStatus, topic: str, text: str) -> tuple[str, ...]:
    if status is TriageStatus.NEW:
        return ()
    tags: list[str] = []
    if topic in _TAGGED_TOPICS and world.rng.random() < 0.7:
        tags.append(topic)
    if _PII.search(text) and world.rng.random() < 0.6:
        tags.append("pii")
    return tuple(tags)
