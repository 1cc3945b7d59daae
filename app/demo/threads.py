"""Conversations the brand has already answered: a customer's post, the brand's reply, and
sometimes the customer's answer and a second brand reply (threads.json)."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from storage.records import MentionKind, Network, TriageStatus

from app.demo.data import NOTHING_TO_SOLVE, ThreadSpec, load
from app.demo.posts import post
from app.demo.triage import tags_for
from app.demo.world import DemoWorld


def write_threads(world: DemoWorld) -> None:
    threads = cast(list[ThreadSpec], load("threads.json"))
    for spec in threads:
        lang = spec["lang"]
        parts = [spec["customer"], spec["brand"], spec.get("followup", "")]
        network = Network.MASTODON if max(map(len, parts)) > 260 else None
        author = world.pick_author(lang, network, named=True)
        account = world.account_for(author)
        values = world.values(author, lang, account)
        # Times first, then slide the whole thread back if its last post would be too recent.
        start = world.random_time(world.now - timedelta(days=29), world.now - timedelta(hours=2))
        times = [start, start + timedelta(minutes=world.rng.uniform(6, 200))]
        if "followup" in spec:
            times.append(times[-1] + timedelta(minutes=world.rng.uniform(4, 300)))
        if "brand2" in spec:
            times.append(times[-1] + timedelta(minutes=world.rng.uniform(15, 180)))
        latest = world.now - timedelta(minutes=world.rng.uniform(5, 90))
        if times[-1] > latest:
            times = [moment - (times[-1] - latest) for moment in times]
        answered_long_ago = world.now - times[1] > timedelta(hours=12)
        if spec["topic"] in NOTHING_TO_SOLVE:
            status = TriageStatus.DONE
        elif "followup" in spec or answered_long_ago:
            status = TriageStatus.DONE if world.rng.random() < 0.8 else TriageStatus.PENDING
        else:
            status = TriageStatus.PENDING
        customer_text = values.fill(spec["customer"])
        tags = tags_for(world, status, spec["topic"], customer_text)
        question = post(
            world,
            account=account,
            author=author,
            kind=MentionKind.MENTION,
            text=customer_text,
            lang=lang,
            created_at=times[0],
            status=status,
            tags=tags,
        )
        answer = post(
            world,
            account=account,
            author=None,
            kind=MentionKind.REPLY,
            text=values.fill(spec["brand"]),
            lang=lang,
            created_at=times[1],
            parent=question,
        )
        # A second brand reply answers the customer's reply, or else their first post.
        last = question
        if "followup" in spec:
            recent = world.now - times[2] < timedelta(hours=20)
            last = post(
                world,
                account=account,
                author=author,
                kind=MentionKind.REPLY,
                text=values.fill(spec["followup"]),
                lang=lang,
                created_at=times[2],
                parent=answer,
                status=TriageStatus.NEW if recent else TriageStatus.DONE,
            )
        if "brand2" in spec:
            post(
                world,
                account=account,
                author=None,
                kind=MentionKind.REPLY,
                text=values.fill(spec["brand2"]),
                lang=lang,
                created_at=times[-1],
                parent=last,
            )
