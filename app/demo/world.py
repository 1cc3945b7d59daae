"""The demo world while it is written: the seeded random source, the brand's accounts, the
customers, what has been posted so far, and choosing who writes when."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from storage.records import Network, NewMention

from app.demo.data import LANGUAGES, SEED, AuthorSpec, RepeatSpec, brand_file, load
from app.demo.ids import digest
from app.demo.people import BrandAccount, Customer, brand_account, customer, email, phone
from app.demo.text import Values

# Nobody but the regulars (resources/demo/repeat.json) should look like a repeat complainer.
_MOST_PICKS = 6

# Volume by UTC hour: European customers write from breakfast to late evening.
_HOUR_WEIGHTS = (
    0.25, 0.12, 0.08, 0.06, 0.10, 0.30, 0.65, 0.95, 1.10, 1.15, 1.20, 1.30,
    1.20, 1.10, 1.10, 1.20, 1.30, 1.45, 1.60, 1.55, 1.30, 0.95, 0.60, 0.40,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Posted:
    """What a later reply needs to know about a post."""

    platform_id: str
    root_id: str
    created_at: datetime


class DemoWorld:
    def __init__(self, account_ids: Mapping[str, int], now: datetime) -> None:
        self.now = now
        self.rng = random.Random(SEED)
        self.brand = brand_file()
        self.accounts = {spec["key"]: brand_account(spec) for spec in self.brand["accounts"]}
        for account in self.accounts.values():
            if account.handle not in account_ids:
                raise KeyError(f"no database id given for demo account {account.handle}")
        self.account_ids = account_ids
        authors = cast(dict[str, list[AuthorSpec]], load("authors.json"))
        self.customers = {
            lang: [customer(lang, spec, self.brand) for spec in authors[lang]] for lang in LANGUAGES
        }
        self.repeats = cast(list[RepeatSpec], load("repeat.json"))
        reserved = {spec["user"] for spec in self.repeats}
        # The regulars have their own story; the other mentions are written by everyone else.
        self.pool = {
            lang: [c for c in people if c.user not in reserved]
            for lang, people in self.customers.items()
        }
        # A few people write far more often than the rest, as in any real inbox.
        self.chattiness = {
            c.handle: self.rng.choice((1, 1, 1, 1, 2, 2, 3, 4))
            for people in self.pool.values()
            for c in people
        }
        self.picks: Counter[str] = Counter()
        self.taken: dict[str, set[str]] = {key: set() for key in self.accounts}
        self.announcements: dict[tuple[str, str], Posted] = {}
        # Per post, the customer the conversation is with: whom a brand reply addresses.
        self.customer_of: dict[str, Customer] = {}
        self.out: list[NewMention] = []

    def pick_author(
        self,
        lang: str,
        network: Network | None = None,
        *,
        named: bool = False,
        avoid: frozenset[str] = frozenset(),
    ) -> Customer:
        candidates = [
            c
            for c in self.pool[lang]
            if (network is None or c.network is network)
            and (c.first or not named)
            and c.handle not in avoid
            and self.picks[c.handle] < _MOST_PICKS
        ]
        fresh = [c for c in candidates if not self.picks[c.handle]]
        if fresh and (avoid or self.rng.random() < 0.72):
            chosen = self.rng.choice(fresh)
        else:
            weights = [self.chattiness[c.handle] for c in candidates]
            chosen = self.rng.choices(candidates, weights)[0]
        self.picks[chosen.handle] += 1
        return chosen

    def account_for(self, author: Customer) -> BrandAccount:
        if author.network is Network.BLUESKY:
            return self.accounts["bluesky"]
        # Norwegians mostly write to the Norwegian account; each person keeps to one.
        number = digest("account-for:" + author.handle)[0] / 256
        local = number < (0.8 if author.lang == "nb" else 0.08)
        return self.accounts["norway" if local else "international"]

    def random_time(self, earliest: datetime, latest: datetime) -> datetime:
        """A moment between the two, with the daily rhythm and more traffic lately."""
        span = (latest - earliest).total_seconds()
        best = max(_HOUR_WEIGHTS) * 1.5
        while True:
            moment = earliest + timedelta(seconds=self.rng.random() * span)
            age_days = (self.now - moment).total_seconds() / 86400
            weight = _HOUR_WEIGHTS[moment.hour] * (0.5 + max(0.0, 1 - age_days / 30))
            if self.rng.random() * best < weight:
                return moment

    def values(self, author: Customer, lang: str, account: BrandAccount) -> Values:
        rng = self.rng
        agents = self.brand["agents"][lang]
        return Values(
            {
                "order": lambda: f"{self.brand['order_prefix']}{rng.randint(100000, 999999)}",
                "email": lambda: email(rng, author),
                "phone": lambda: phone(rng, lang),
                "first": lambda: author.first,
                "agent": lambda: rng.choice(agents),
                "brand": lambda: account.mention,
            }
        )
