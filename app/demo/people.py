"""Who is talking in the demo: the brand's accounts, and customers with their handles,
e-mail addresses and phone numbers (all fiction: .example servers and reserved ranges)."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from storage.records import Network, NewAccount, NewAuthor

from app.demo.data import AccountSpec, AuthorSpec, BrandFile
from app.demo.ids import account_snowflake, did, digest


@dataclass(frozen=True, slots=True)
class BrandAccount:
    key: str
    network: Network
    server: str
    user: str
    handle: str
    display_name: str
    platform_user_id: str

    @property
    def mention(self) -> str:
        return "@" + (self.user if self.network is Network.MASTODON else self.handle)

    @property
    def profile_url(self) -> str:
        if self.network is Network.MASTODON:
            return f"{self.server}/@{self.user}"
        return f"https://bsky.app/profile/{self.handle}"

    def as_author(self) -> NewAuthor:
        return NewAuthor(self.network, self.platform_user_id, self.handle, self.display_name)

    def as_account(self) -> NewAccount:
        return NewAccount(
            self.network, self.server, self.handle, self.display_name, self.platform_user_id
        )


def brand_account(spec: AccountSpec) -> BrandAccount:
    network = Network(spec["network"])
    if network is Network.MASTODON:
        host = spec["server"].removeprefix("https://")
        handle = f"{spec['user']}@{host}"
        created = date.fromisoformat(spec["created"])
        user_id = account_snowflake(handle, created, created + timedelta(days=1))
    else:
        handle = spec["user"]
        user_id = did(handle)
    return BrandAccount(
        spec["key"], network, spec["server"], spec["user"], handle, spec["display_name"], user_id
    )


@dataclass(frozen=True, slots=True)
class Customer:
    lang: str
    name: str
    user: str
    first: str
    network: Network
    host: str  # Mastodon server; empty on Bluesky
    handle: str
    platform_id: str

    @property
    def profile_url(self) -> str:
        if self.network is Network.MASTODON:
            return f"https://{self.host}/@{self.user}"
        return f"https://bsky.app/profile/{self.handle}"

    def as_author(self) -> NewAuthor:
        return NewAuthor(self.network, self.platform_id, self.handle, self.name)


def customer(lang: str, spec: AuthorSpec, brand: BrandFile) -> Customer:
    # Network and server come from a hash of the user name: stable whatever else changes.
    number = int.from_bytes(digest(f"{lang}:{spec['user']}")[:8], "big")
    if "network" in spec:
        network = Network(spec["network"])
    else:
        on_mastodon = (number % 1000) / 1000 < brand["mastodon_share"][lang]
        network = Network.MASTODON if on_mastodon else Network.BLUESKY
    if network is Network.MASTODON:
        servers = brand["mastodon_servers"][lang]
        host = servers[(number >> 12) % len(servers)]
        handle = f"{spec['user']}@{host}"
        # Most fediverse accounts date from the waves of late 2022 and 2023.
        platform_id = account_snowflake(handle, date(2022, 4, 1), date(2024, 12, 31))
    else:
        host = ""
        handle = spec["user"].replace("_", "-").lower() + ".bsky.social"
        platform_id = did(handle)
    return Customer(
        lang, spec["name"], spec["user"], spec["first"], network, host, handle, platform_id
    )


# NFKD folds most accents; these Norwegian letters are not accents and need spelling out.
_NORWEGIAN_LETTERS: dict[str, str | int | None] = {"æ": "ae", "ø": "o", "å": "a"}


def _ascii(text: str) -> str:
    text = text.lower().translate(str.maketrans(_NORWEGIAN_LETTERS))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", text.lower())


def email(rng: random.Random, author: Customer) -> str:
    # Only real name words: no titles ("Dr."), pronouns ("she/her"), emoji or nicknames.
    words = [w for w in author.name.split() if w.replace("'", "").replace("-", "").isalpha()]
    domain = rng.choice(("example.com", "example.net", "example.org", "mail.example"))
    if len(words) < 2 or not author.first:
        return f"{_ascii(author.user) or 'me'}{rng.randint(1, 99)}@{domain}"
    first, last = _ascii(author.first), _ascii(words[-1])
    local = rng.choice(
        (f"{first}.{last}", f"{first}{last}{rng.randint(70, 99)}", f"{first[0]}{last}")
    )
    return f"{local}@{domain}"


def phone(rng: random.Random, lang: str) -> str:
    def digits(count: int) -> str:
        return "".join(str(rng.randint(0, 9)) for _ in range(count))

    formats: dict[str, Sequence[Callable[[], str]]] = {
        "nb": (
            lambda: f"+47 9{digits(2)} {digits(2)} {digits(3)}",
            lambda: f"+47 4{digits(7)}",
            lambda: f"9{digits(2)} {digits(2)} {digits(3)}",
        ),
        # UK numbers from Ofcom's range reserved for drama, so no real person is called.
        "en": (
            lambda: f"+44 7700 900{digits(3)}",
            lambda: f"07700 900{digits(3)}",
            lambda: f"+353 87 {digits(3)} {digits(4)}",
        ),
        "de": (lambda: f"+49 151 {digits(8)}", lambda: f"0176 {digits(8)}"),
        "es": (lambda: f"+34 6{digits(2)} {digits(3)} {digits(3)}",),
        # French numbers from ARCEP's range reserved for fiction.
        "fr": (
            lambda: f"06 39 98 {digits(2)} {digits(2)}",
            lambda: f"+33 6 39 98 {digits(2)} {digits(2)}",
        ),
    }
    return rng.choice(formats[lang])()
