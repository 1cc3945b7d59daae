"""The demo workspace: a fictional brand's accounts and a month of believable customer traffic.

Each story is its own module, written in this order into one `DemoWorld` (the order is part
of the output: every story draws from the same seeded random source).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from storage.records import NewAccount, NewMention

from app.demo.data import BRAND_NAME, brand_file
from app.demo.outage import write_outage
from app.demo.people import brand_account
from app.demo.pool import write_announcements, write_pool
from app.demo.regulars import write_regulars
from app.demo.threads import write_threads
from app.demo.world import DemoWorld

__all__ = ["BRAND_NAME", "demo_accounts", "demo_mentions"]


def demo_accounts() -> tuple[NewAccount, ...]:
    """The brand's accounts in the demo workspace: two on Mastodon, one on Bluesky."""
    return tuple(brand_account(spec).as_account() for spec in brand_file()["accounts"])


def demo_mentions(account_ids: Mapping[str, int], now: datetime) -> list[NewMention]:
    """Every demo mention, deterministic for a given `now` (seeded random). `account_ids` maps each
    demo account's handle to its database id (the caller inserts accounts first)."""
    if now.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
    world = DemoWorld(account_ids, now.astimezone(UTC))
    write_announcements(world)
    write_pool(world)
    write_threads(world)
    write_outage(world)
    write_regulars(world)
    world.out.sort(key=lambda m: (m.created_at, m.platform_id))
    return world.out
