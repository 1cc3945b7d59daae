"""The repeat complainers: people who post the same complaint again and again, and get
angrier each time (repeat.json)."""

from __future__ import annotations

from datetime import timedelta

from storage.records import MentionKind, TriageStatus

from app.demo.posts import post
from app.demo.world import DemoWorld


def write_regulars(world: DemoWorld) -> None:
    for spec in world.repeats:
        lang = spec["lang"]
        author = next(c for c in world.customers[lang] if c.user == spec["user"])
        account = world.account_for(author)
        values = world.values(author, lang, account)
        for mention in spec["mentions"]:
            jitter = timedelta(minutes=world.rng.uniform(-90, 90))
            created_at = min(
                world.now - timedelta(days=mention["days_ago"]) + jitter,
                world.now - timedelta(minutes=20),
            )
            older = world.now - created_at > timedelta(days=3)
            status = TriageStatus.OPEN if older else TriageStatus.NEW
            post(
                world,
                account=account,
                author=author,
                kind=MentionKind.MENTION,
                text=values.fill(mention["text"]),
                lang=lang,
                created_at=created_at,
                status=status,
                tags=(spec["topic"],) if older else (),
            )
