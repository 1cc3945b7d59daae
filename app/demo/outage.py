"""The checkout outage: about thirty posts within minutes, in every language, the first
ones answered by the brand (outage.json)."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from storage.records import MentionKind, TriageStatus

from app.demo.data import OutageFile, load
from app.demo.posts import post
from app.demo.world import DemoWorld


def write_outage(world: DemoWorld) -> None:
    outage = cast(OutageFile, load("outage.json"))
    start = world.now - timedelta(hours=outage["starts_hours_ago"])
    entries = list(outage["mentions"])
    world.rng.shuffle(entries)
    # The posts the brand answered were among the first to come in.
    answered = [e for e in entries if "brand" in e]
    entries = [e for e in entries if "brand" not in e]
    for position, entry in zip((0, 3), answered, strict=False):
        entries.insert(position, entry)
    offsets = sorted(world.rng.uniform(0, outage["minutes"]) for _ in entries)
    offsets[0] = 0.0
    offsets[-1] = min(offsets[-1], outage["minutes"] - 1)
    writers: set[str] = set()
    for entry, offset in zip(entries, offsets, strict=True):
        lang = entry["lang"]
        author = world.pick_author(lang, avoid=frozenset(writers))
        writers.add(author.handle)
        account = world.account_for(author)
        created_at = start + timedelta(minutes=offset, seconds=world.rng.uniform(0, 59))
        tags: tuple[str, ...] = ()
        if "brand" in entry:
            status, tags = TriageStatus.PENDING, ("outage",)
        elif world.rng.random() < 0.2:
            status, tags = TriageStatus.OPEN, ("outage",)
        else:
            status = TriageStatus.NEW
        values = world.values(author, lang, account)
        question = post(
            world,
            account=account,
            author=author,
            kind=MentionKind.MENTION,
            text=values.fill(entry["text"]),
            lang=lang,
            created_at=created_at,
            status=status,
            tags=tags,
        )
        if "brand" in entry:
            post(
                world,
                account=account,
                author=None,
                kind=MentionKind.REPLY,
                text=values.fill(entry["brand"]),
                lang=lang,
                created_at=created_at + timedelta(minutes=world.rng.uniform(7, 12)),
                parent=question,
            )
