"""The everyday pool: one customer post per entry of mentions.json, some of them replies to
and quotes of the brand's own announcements."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from storage.records import MentionKind, Network

from app.demo.data import LANGUAGES, WINDOW, PoolEntry, load
from app.demo.posts import new_ids, post
from app.demo.triage import status_for, tags_for
from app.demo.world import DemoWorld, Posted


def write_announcements(world: DemoWorld) -> None:
    # The brand's own posts are not in the demo, but replies and quotes point at them.
    for spec in world.brand["announcements"]:
        moment = world.now - timedelta(days=spec["days_ago"])
        for account in world.accounts.values():
            platform_id, _ = new_ids(world, account, account.platform_user_id, moment)
            world.announcements[(account.key, spec["key"])] = Posted(
                platform_id, platform_id, moment
            )


def write_pool(world: DemoWorld) -> None:
    pool = cast(dict[str, list[PoolEntry]], load("mentions.json"))
    jobs = [
        (lang, entry)
        for lang in LANGUAGES
        for entry in pool[lang]
        for _ in range(3 if entry.get("common") else 1)
    ]
    world.rng.shuffle(jobs)
    for lang, entry in jobs:
        kind = MentionKind(entry.get("kind", "mention"))
        network: Network | None = None
        if kind is MentionKind.DIRECT or "cw" in entry or len(entry["text"]) > 270:
            network = Network.MASTODON
        elif kind is MentionKind.QUOTE:
            network = Network.BLUESKY
        elif "network" in entry:
            network = Network(entry["network"])
        author = world.pick_author(lang, network)
        account = world.account_for(author)
        parent: Posted | None = None
        if "on" in entry:
            announced = world.announcements[(account.key, entry["on"])]
            if kind is MentionKind.REPLY:
                parent = announced
            created_at = _reaction_time(world, announced.created_at)
        else:
            created_at = world.random_time(world.now - WINDOW, world.now)
        text = world.values(author, lang, account).fill(entry["text"])
        status = status_for(world, created_at, entry["topic"])
        post(
            world,
            account=account,
            author=author,
            kind=kind,
            text=text,
            lang=lang,
            created_at=created_at,
            parent=parent,
            status=status,
            tags=tags_for(world, status, entry["topic"], text),
            spoiler_text=entry.get("cw", ""),
        )


def _reaction_time(world: DemoWorld, announced: datetime) -> datetime:
    # Most reactions come within hours of a post, a few days later at most.
    delay = timedelta(minutes=3) + timedelta(hours=min(world.rng.expovariate(1 / 9), 96))
    if announced + delay >= world.now:
        delay = (world.now - announced) * world.rng.uniform(0.05, 0.9)
    return announced + delay
