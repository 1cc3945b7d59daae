"""The demo workspace: a fictional brand's accounts and a month of believable customer traffic."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, NotRequired, TypedDict, cast

from storage.records import (
    MentionKind,
    Network,
    NewAccount,
    NewAuthor,
    NewMention,
    TriageStatus,
)

from app.resources import resource_path

# --- The data files (documented in resources/demo/README.md) ----------------------------


class _AccountSpec(TypedDict):
    key: str
    network: str
    server: str
    user: str
    display_name: str
    created: str


class _AnnouncementSpec(TypedDict):
    key: str
    days_ago: float
    text: str


class _BrandFile(TypedDict):
    name: str
    order_prefix: str
    accounts: list[_AccountSpec]
    agents: dict[str, list[str]]
    mastodon_servers: dict[str, list[str]]
    mastodon_share: dict[str, float]
    announcements: list[_AnnouncementSpec]


class _AuthorSpec(TypedDict):
    name: str
    user: str
    first: str
    network: NotRequired[str]


class _PoolEntry(TypedDict):
    topic: str
    text: str
    kind: NotRequired[str]
    on: NotRequired[str]
    cw: NotRequired[str]
    network: NotRequired[str]
    common: NotRequired[bool]


class _ThreadSpec(TypedDict):
    lang: str
    topic: str
    customer: str
    brand: str
    followup: NotRequired[str]
    brand2: NotRequired[str]


class _OutageEntry(TypedDict):
    lang: str
    text: str
    brand: NotRequired[str]


class _OutageFile(TypedDict):
    starts_hours_ago: float
    minutes: float
    mentions: list[_OutageEntry]


class _RepeatPost(TypedDict):
    days_ago: float
    text: str


class _RepeatSpec(TypedDict):
    user: str
    lang: str
    topic: str
    mentions: list[_RepeatPost]


def _load(name: str) -> Any:
    return json.loads(resource_path("demo", name).read_text(encoding="utf-8"))


@cache
def _brand_file() -> _BrandFile:
    return cast(_BrandFile, _load("brand.json"))


BRAND_NAME: str = _brand_file()["name"]

# Fixed, so the same `now` always builds the same workspace (tests and screenshots rely on it).
_SEED = 0x46_4A_45_4C  # "FJEL"
_WINDOW = timedelta(days=30)
_LANGUAGES = ("en", "nb", "de", "es", "fr")
_NOTHING_TO_SOLVE = frozenset({"praise", "other", "newsletter"})

# Nobody but the regulars (resources/demo/repeat.json) should look like a repeat complainer.
_MOST_PICKS = 6
# Bluesky allows 300 graphemes; counting code points is stricter. Longer texts go to Mastodon.
_BLUESKY_LIMIT = 300

# Volume by UTC hour: European customers write from breakfast to late evening.
_HOUR_WEIGHTS = (
    0.25, 0.12, 0.08, 0.06, 0.10, 0.30, 0.65, 0.95, 1.10, 1.15, 1.20, 1.30,
    1.20, 1.10, 1.10, 1.20, 1.30, 1.45, 1.60, 1.55, 1.30, 0.95, 0.60, 0.40,
)  # fmt: skip

# Topics that a community manager would turn into a tag once they have looked at a mention.
_TAGGED_TOPICS = frozenset(
    {
        "delivery", "refund", "returns", "sizing", "stock", "app", "login", "damaged",
        "wrong-item", "praise", "store", "repair", "pricing", "sustainability", "account",
    }
)  # fmt: skip

_PII = re.compile(r"FF-\d{6}|[\w.+-]+@[\w-]+\.[\w.]+|\+\d{2}")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_MENTION = re.compile(r"(?<![\w@.])@(\w+)(?:@[\w.-]+)?")
_HASHTAG = re.compile(r"(?<![\w#&])#(\w+)")
_LINK = re.compile(r"https?://[^\s<]+[^\s<.,;:!?)]")
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


# --- Identifiers that look like the networks' own ---------------------------------------


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _base32(data: bytes) -> str:
    return base64.b32encode(data).decode().lower().rstrip("=")


def _did(handle: str) -> str:
    return "did:plc:" + _base32(_digest("did:" + handle))[:24]


def _cid(uri: str) -> str:
    # CIDv1, dag-cbor, sha2-256: always "bafyrei" and 52 more base32 characters.
    return "bafyrei" + _base32(_digest("cid:" + uri))[:52]


def _snowflake(moment: datetime, low_bits: int) -> int:
    # Mastodon ids: milliseconds since the epoch, shifted 16 bits, so they sort by time.
    return (int(moment.timestamp() * 1000) << 16) | (low_bits & 0xFFFF)


def _tid(moment: datetime, clock_id: int) -> str:
    # AT Protocol record keys: microseconds and a clock id in sortable base32, 13 characters.
    value = (int(moment.timestamp() * 1_000_000) << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def _account_snowflake(seed: str, earliest: date, latest: date) -> str:
    # A stable creation day for each account, so its id never changes between runs.
    number = int.from_bytes(_digest("account:" + seed)[:8], "big")
    days = (latest - earliest).days
    created = datetime.combine(earliest, time(), UTC) + timedelta(
        days=number % days, seconds=(number >> 20) % 86400
    )
    return str(_snowflake(created, number >> 40))


# NFKD folds most accents; these Norwegian letters are not accents and need spelling out.
_NORWEGIAN_LETTERS: dict[str, str | int | None] = {"æ": "ae", "ø": "o", "å": "a"}


def _ascii(text: str) -> str:
    text = text.lower().translate(str.maketrans(_NORWEGIAN_LETTERS))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", text.lower())


# --- Who is talking ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _BrandAccount:
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


def _brand_account(spec: _AccountSpec) -> _BrandAccount:
    network = Network(spec["network"])
    if network is Network.MASTODON:
        host = spec["server"].removeprefix("https://")
        handle = f"{spec['user']}@{host}"
        created = date.fromisoformat(spec["created"])
        user_id = _account_snowflake(handle, created, created + timedelta(days=1))
    else:
        handle = spec["user"]
        user_id = _did(handle)
    return _BrandAccount(
        spec["key"], network, spec["server"], spec["user"], handle, spec["display_name"], user_id
    )


@dataclass(frozen=True, slots=True)
class _Customer:
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


def _customer(lang: str, spec: _AuthorSpec, brand: _BrandFile) -> _Customer:
    # Network and server come from a hash of the user name: stable whatever else changes.
    number = int.from_bytes(_digest(f"{lang}:{spec['user']}")[:8], "big")
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
        platform_id = _account_snowflake(handle, date(2022, 4, 1), date(2024, 12, 31))
    else:
        host = ""
        handle = spec["user"].replace("_", "-").lower() + ".bsky.social"
        platform_id = _did(handle)
    return _Customer(
        lang, spec["name"], spec["user"], spec["first"], network, host, handle, platform_id
    )


@dataclass(frozen=True, slots=True)
class _Posted:
    """What a later reply needs to know about a post."""

    platform_id: str
    root_id: str
    created_at: datetime


# --- Filling in a text ------------------------------------------------------------------


class _Values:
    """Placeholder values for one post or one thread, made on first use."""

    def __init__(self, make: Mapping[str, Callable[[], str]]) -> None:
        self._make = make
        self._made: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._made:
            if name not in self._make:
                raise KeyError(f"unknown placeholder {{{name}}} in a demo text")
            self._made[name] = self._make[name]()
        return self._made[name]

    def fill(self, template: str) -> str:
        return _PLACEHOLDER.sub(lambda match: self[match.group(1)], template)


def _mastodon_html(text: str, mentions: Mapping[str, str], tag_host: str) -> str:
    """Status HTML the way Mastodon renders it: h-card mentions, hashtag and link anchors."""

    def inline(line: str) -> str:
        parts: list[str] = []
        position = 0
        pattern = re.compile(f"{_MENTION.pattern}|{_HASHTAG.pattern}|{_LINK.pattern}")
        for match in pattern.finditer(line):
            token = match.group(0)
            if token.startswith("@"):
                url = mentions.get("@" + match.group(1))
                if url is None:
                    continue
                piece = (
                    f'<span class="h-card" translate="no"><a href="{_escape(url)}"'
                    f' class="u-url mention">@<span>{_escape(match.group(1))}</span></a></span>'
                )
            elif token.startswith("#"):
                tag = match.group(2)
                piece = (
                    f'<a href="https://{tag_host}/tags/{_escape(tag.lower())}"'
                    f' class="mention hashtag" rel="tag">#<span>{_escape(tag)}</span></a>'
                )
            else:
                scheme, rest = token.split("://", 1)
                piece = (
                    f'<a href="{_escape(token)}" rel="nofollow noopener" target="_blank"'
                    f' translate="no"><span class="invisible">{scheme}://</span>'
                    f'<span class="">{_escape(rest)}</span><span class="invisible"></span></a>'
                )
            parts.append(_escape(line[position : match.start()]))
            parts.append(piece)
            position = match.end()
        parts.append(_escape(line[position:]))
        return "".join(parts)

    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br />".join(inline(line) for line in p.split("\n")) + "</p>" for p in paragraphs
    )


def _escape(text: str) -> str:
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")


# --- The generator ----------------------------------------------------------------------


class _Generator:
    def __init__(self, account_ids: Mapping[str, int], now: datetime) -> None:
        self.now = now
        self.rng = random.Random(_SEED)
        self.brand = _brand_file()
        self.accounts = {spec["key"]: _brand_account(spec) for spec in self.brand["accounts"]}
        for account in self.accounts.values():
            if account.handle not in account_ids:
                raise KeyError(f"no database id given for demo account {account.handle}")
        self.account_ids = account_ids
        authors = cast(dict[str, list[_AuthorSpec]], _load("authors.json"))
        self.customers = {
            lang: [_customer(lang, spec, self.brand) for spec in authors[lang]]
            for lang in _LANGUAGES
        }
        self.repeats = cast(list[_RepeatSpec], _load("repeat.json"))
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
        self.announcements: dict[tuple[str, str], _Posted] = {}
        # Per post, the customer the conversation is with: whom a brand reply addresses.
        self.customer_of: dict[str, _Customer] = {}
        self.out: list[NewMention] = []

    # -- building one post --

    def _ids(self, account: _BrandAccount, did: str, created_at: datetime) -> tuple[str, str]:
        """A fresh (platform_id, record key or status id) for a post on `account`."""
        taken = self.taken[account.key]
        while True:
            if account.network is Network.MASTODON:
                status_id = str(_snowflake(created_at, self.rng.getrandbits(16)))
                platform_id, key = status_id, status_id
            else:
                key = _tid(created_at, self.rng.getrandbits(10))
                platform_id = f"at://{did}/app.bsky.feed.post/{key}"
            if platform_id not in taken:
                taken.add(platform_id)
                return platform_id, key

    def post(
        self,
        *,
        account: _BrandAccount,
        author: _Customer | None,
        kind: MentionKind,
        text: str,
        lang: str,
        created_at: datetime,
        parent: _Posted | None = None,
        status: TriageStatus = TriageStatus.NEW,
        tags: tuple[str, ...] = (),
        spoiler_text: str = "",
    ) -> _Posted:
        """Add one mention (author None: the brand itself) and return how to reply to it."""
        if not self.now - _WINDOW < created_at < self.now:
            raise ValueError(f"demo post outside the last 30 days: {text[:60]!r}")
        created_at = created_at.replace(microsecond=created_at.microsecond // 1000 * 1000)
        network = account.network
        if author is not None and author.network is not network:
            raise ValueError(f"{author.handle} cannot post to {account.handle}")
        mentions: dict[str, str] = {}
        if author is None:
            # The brand answers in a thread: Mastodon puts the person's name first.
            if network is Network.MASTODON and parent is not None:
                replying_to = self.customer_of[parent.platform_id]
                text = f"@{replying_to.user} {text}"
                mentions["@" + replying_to.user] = replying_to.profile_url
            poster_did, poster_handle = account.platform_user_id, account.handle
        else:
            text = self._with_brand_mention(account, kind, text)
            mentions[account.mention] = account.profile_url
            poster_did, poster_handle = author.platform_id, author.handle
        platform_id, key = self._ids(account, poster_did, created_at)
        if network is Network.MASTODON:
            host = account.server.removeprefix("https://") if author is None else author.host
            user = account.user if author is None else author.user
            url = f"https://{host}/@{user}/{key}"
            page = _mastodon_html(text, mentions, host)
            visibility = "public" if author is None else self._visibility(kind)
            cid = None
        else:
            if len(text) > _BLUESKY_LIMIT:
                raise ValueError(f"too long for Bluesky: {text[:60]!r}")
            url = f"https://bsky.app/profile/{poster_handle}/post/{key}"
            page, visibility, cid, spoiler_text = None, None, _cid(platform_id), ""
        root_id = parent.root_id if parent is not None else platform_id
        self.out.append(
            NewMention(
                account_id=self.account_ids[account.handle],
                platform_id=platform_id,
                author=account.as_author() if author is None else author.as_author(),
                kind=kind,
                text=text,
                created_at=created_at,
                html=page,
                language=lang,
                url=url,
                platform_cid=cid,
                spoiler_text=spoiler_text,
                visibility=visibility,
                parent_platform_id=parent.platform_id if parent is not None else None,
                root_platform_id=root_id if parent is not None else None,
                is_own=author is None,
                status=TriageStatus.DONE if author is None else status,
                tags=tags,
            )
        )
        if author is not None:
            self.customer_of[platform_id] = author
        elif parent is not None:
            self.customer_of[platform_id] = self.customer_of[parent.platform_id]
        return _Posted(platform_id, root_id, created_at)

    def _with_brand_mention(self, account: _BrandAccount, kind: MentionKind, text: str) -> str:
        if account.mention in text or kind is MentionKind.QUOTE:
            return text
        if account.network is Network.BLUESKY:
            if kind is MentionKind.REPLY:
                return text  # a Bluesky reply reaches the brand without naming it
            if self.rng.random() < 0.35:
                return f"{text} {account.mention}"
        return f"{account.mention} {text}"

    def _visibility(self, kind: MentionKind) -> str:
        if kind is MentionKind.DIRECT:
            return "direct"
        return "unlisted" if self.rng.random() < 0.12 else "public"

    # -- choosing people, places and times --

    def pick_author(
        self,
        lang: str,
        network: Network | None = None,
        *,
        named: bool = False,
        avoid: frozenset[str] = frozenset(),
    ) -> _Customer:
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

    def account_for(self, author: _Customer) -> _BrandAccount:
        if author.network is Network.BLUESKY:
            return self.accounts["bluesky"]
        # Norwegians mostly write to the Norwegian account; each person keeps to one.
        number = _digest("account-for:" + author.handle)[0] / 256
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

    def values(self, author: _Customer, lang: str, account: _BrandAccount) -> _Values:
        rng = self.rng
        agents = self.brand["agents"][lang]
        return _Values(
            {
                "order": lambda: f"{self.brand['order_prefix']}{rng.randint(100000, 999999)}",
                "email": lambda: self._email(author),
                "phone": lambda: _phone(rng, lang),
                "first": lambda: author.first,
                "agent": lambda: rng.choice(agents),
                "brand": lambda: account.mention,
            }
        )

    def _email(self, author: _Customer) -> str:
        # Only real name words: no titles ("Dr."), pronouns ("she/her"), emoji or nicknames.
        words = [w for w in author.name.split() if w.replace("'", "").replace("-", "").isalpha()]
        domain = self.rng.choice(("example.com", "example.net", "example.org", "mail.example"))
        if len(words) < 2 or not author.first:
            return f"{_ascii(author.user) or 'me'}{self.rng.randint(1, 99)}@{domain}"
        first, last = _ascii(author.first), _ascii(words[-1])
        local = self.rng.choice(
            (f"{first}.{last}", f"{first}{last}{self.rng.randint(70, 99)}", f"{first[0]}{last}")
        )
        return f"{local}@{domain}"

    def triage(self, created_at: datetime, topic: str) -> TriageStatus:
        """A status for a mention nobody has answered in public: the older, the more handled."""
        age = self.now - created_at
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
        roll = self.rng.random()
        status = next(status for limit, status in odds if roll < limit)
        # Waiting for the customer only makes sense when there was something to solve.
        if status is TriageStatus.PENDING and topic in _NOTHING_TO_SOLVE:
            return TriageStatus.DONE
        return status

    def tags(self, status: TriageStatus, topic: str, text: str) -> tuple[str, ...]:
        if status is TriageStatus.NEW:
            return ()
        tags: list[str] = []
        if topic in _TAGGED_TOPICS and self.rng.random() < 0.7:
            tags.append(topic)
        if _PII.search(text) and self.rng.random() < 0.6:
            tags.append("pii")
        return tuple(tags)

    # -- the stories --

    def run(self) -> list[NewMention]:
        self._announcements()
        self._pool()
        self._threads()
        self._outage()
        self._regulars()
        self.out.sort(key=lambda m: (m.created_at, m.platform_id))
        return self.out

    def _announcements(self) -> None:
        # The brand's own posts are not in the demo, but replies and quotes point at them.
        for spec in self.brand["announcements"]:
            moment = self.now - timedelta(days=spec["days_ago"])
            for account in self.accounts.values():
                platform_id, _ = self._ids(account, account.platform_user_id, moment)
                self.announcements[(account.key, spec["key"])] = _Posted(
                    platform_id, platform_id, moment
                )

    def _pool(self) -> None:
        pool = cast(dict[str, list[_PoolEntry]], _load("mentions.json"))
        jobs = [
            (lang, entry)
            for lang in _LANGUAGES
            for entry in pool[lang]
            for _ in range(3 if entry.get("common") else 1)
        ]
        self.rng.shuffle(jobs)
        for lang, entry in jobs:
            kind = MentionKind(entry.get("kind", "mention"))
            network: Network | None = None
            if kind is MentionKind.DIRECT or "cw" in entry or len(entry["text"]) > 270:
                network = Network.MASTODON
            elif kind is MentionKind.QUOTE:
                network = Network.BLUESKY
            elif "network" in entry:
                network = Network(entry["network"])
            author = self.pick_author(lang, network)
            account = self.account_for(author)
            parent: _Posted | None = None
            if "on" in entry:
                announced = self.announcements[(account.key, entry["on"])]
                if kind is MentionKind.REPLY:
                    parent = announced
                created_at = self._reaction_time(announced.created_at)
            else:
                created_at = self.random_time(self.now - _WINDOW, self.now)
            text = self.values(author, lang, account).fill(entry["text"])
            status = self.triage(created_at, entry["topic"])
            self.post(
                account=account,
                author=author,
                kind=kind,
                text=text,
                lang=lang,
                created_at=created_at,
                parent=parent,
                status=status,
                tags=self.tags(status, entry["topic"], text),
                spoiler_text=entry.get("cw", ""),
            )

    def _reaction_time(self, announced: datetime) -> datetime:
        # Most reactions come within hours of a post, a few days later at most.
        delay = timedelta(minutes=3) + timedelta(hours=min(self.rng.expovariate(1 / 9), 96))
        if announced + delay >= self.now:
            delay = (self.now - announced) * self.rng.uniform(0.05, 0.9)
        return announced + delay

    def _threads(self) -> None:
        threads = cast(list[_ThreadSpec], _load("threads.json"))
        for spec in threads:
            lang = spec["lang"]
            parts = [spec["customer"], spec["brand"], spec.get("followup", "")]
            network = Network.MASTODON if max(map(len, parts)) > 260 else None
            author = self.pick_author(lang, network, named=True)
            account = self.account_for(author)
            values = self.values(author, lang, account)
            # Times first, then slide the whole thread back if its last post would be too recent.
            start = self.random_time(self.now - timedelta(days=29), self.now - timedelta(hours=2))
            times = [start, start + timedelta(minutes=self.rng.uniform(6, 200))]
            if "followup" in spec:
                times.append(times[-1] + timedelta(minutes=self.rng.uniform(4, 300)))
            if "brand2" in spec:
                times.append(times[-1] + timedelta(minutes=self.rng.uniform(15, 180)))
            latest = self.now - timedelta(minutes=self.rng.uniform(5, 90))
            if times[-1] > latest:
                times = [moment - (times[-1] - latest) for moment in times]
            answered_long_ago = self.now - times[1] > timedelta(hours=12)
            if spec["topic"] in _NOTHING_TO_SOLVE:
                status = TriageStatus.DONE
            elif "followup" in spec or answered_long_ago:
                status = TriageStatus.DONE if self.rng.random() < 0.8 else TriageStatus.PENDING
            else:
                status = TriageStatus.PENDING
            customer_text = values.fill(spec["customer"])
            tags = self.tags(status, spec["topic"], customer_text)
            question = self.post(
                account=account,
                author=author,
                kind=MentionKind.MENTION,
                text=customer_text,
                lang=lang,
                created_at=times[0],
                status=status,
                tags=tags,
            )
            answer = self.post(
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
                recent = self.now - times[2] < timedelta(hours=20)
                last = self.post(
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
                self.post(
                    account=account,
                    author=None,
                    kind=MentionKind.REPLY,
                    text=values.fill(spec["brand2"]),
                    lang=lang,
                    created_at=times[-1],
                    parent=last,
                )

    def _outage(self) -> None:
        outage = cast(_OutageFile, _load("outage.json"))
        start = self.now - timedelta(hours=outage["starts_hours_ago"])
        entries = list(outage["mentions"])
        self.rng.shuffle(entries)
        # The posts the brand answered were among the first to come in.
        answered = [e for e in entries if "brand" in e]
        entries = [e for e in entries if "brand" not in e]
        for position, entry in zip((0, 3), answered, strict=False):
            entries.insert(position, entry)
        offsets = sorted(self.rng.uniform(0, outage["minutes"]) for _ in entries)
        offsets[0] = 0.0
        offsets[-1] = min(offsets[-1], outage["minutes"] - 1)
        writers: set[str] = set()
        for entry, offset in zip(entries, offsets, strict=True):
            lang = entry["lang"]
            author = self.pick_author(lang, avoid=frozenset(writers))
            writers.add(author.handle)
            account = self.account_for(author)
            created_at = start + timedelta(minutes=offset, seconds=self.rng.uniform(0, 59))
            tags: tuple[str, ...] = ()
            if "brand" in entry:
                status, tags = TriageStatus.PENDING, ("outage",)
            elif self.rng.random() < 0.2:
                status, tags = TriageStatus.OPEN, ("outage",)
            else:
                status = TriageStatus.NEW
            values = self.values(author, lang, account)
            question = self.post(
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
                self.post(
                    account=account,
                    author=None,
                    kind=MentionKind.REPLY,
                    text=values.fill(entry["brand"]),
                    lang=lang,
                    created_at=created_at + timedelta(minutes=self.rng.uniform(7, 12)),
                    parent=question,
                )

    def _regulars(self) -> None:
        # People who post the same complaint again and again, and get angrier each time.
        for spec in self.repeats:
            lang = spec["lang"]
            author = next(c for c in self.customers[lang] if c.user == spec["user"])
            account = self.account_for(author)
            values = self.values(author, lang, account)
            for post in spec["mentions"]:
                jitter = timedelta(minutes=self.rng.uniform(-90, 90))
                created_at = min(
                    self.now - timedelta(days=post["days_ago"]) + jitter,
                    self.now - timedelta(minutes=20),
                )
                older = self.now - created_at > timedelta(days=3)
                status = TriageStatus.OPEN if older else TriageStatus.NEW
                self.post(
                    account=account,
                    author=author,
                    kind=MentionKind.MENTION,
                    text=values.fill(post["text"]),
                    lang=lang,
                    created_at=created_at,
                    status=status,
                    tags=(spec["topic"],) if older else (),
                )


def _phone(rng: random.Random, lang: str) -> str:
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


# --- Public API -------------------------------------------------------------------------


def demo_accounts() -> tuple[NewAccount, ...]:
    """The brand's accounts in the demo workspace: two on Mastodon, one on Bluesky."""
    return tuple(_brand_account(spec).as_account() for spec in _brand_file()["accounts"])


def demo_mentions(account_ids: Mapping[str, int], now: datetime) -> list[NewMention]:
    """Every demo mention, deterministic for a given `now` (seeded random). `account_ids` maps each
    demo account's handle to its database id (the caller inserts accounts first)."""
    if now.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
    return _Generator(account_ids, now.astimezone(UTC)).run()
