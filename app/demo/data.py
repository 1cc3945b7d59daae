"""The demo's hand-written data files (resources/demo/, documented in its README) and the
fixed choices every part of the generator shares."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from typing import Any, NotRequired, TypedDict, cast

from app.resources import resource_path


class AccountSpec(TypedDict):
    key: str
    network: str
    server: str
    user: str
    display_name: str
    created: str


class AnnouncementSpec(TypedDict):
    key: str
    days_ago: float
    text: str


class BrandFile(TypedDict):
    name: str
    order_prefix: str
    accounts: list[AccountSpec]
    agents: dict[str, list[str]]
    mastodon_servers: dict[str, list[str]]
    mastodon_share: dict[str, float]
    announcements: list[AnnouncementSpec]


class AuthorSpec(TypedDict):
    name: str
    user: str
    first: str
    network: NotRequired[str]


class PoolEntry(TypedDict):
    topic: str
    text: str
    kind: NotRequired[str]
    on: NotRequired[str]
    cw: NotRequired[str]
    network: NotRequired[str]
    common: NotRequired[bool]


class ThreadSpec(TypedDict):
    lang: str
    topic: str
    customer: str
    brand: str
    followup: NotRequired[str]
    brand2: NotRequired[str]


class OutageEntry(TypedDict):
    lang: str
    text: str
    brand: NotRequired[str]


class OutageFile(TypedDict):
    starts_hours_ago: float
    minutes: float
    mentions: list[OutageEntry]


class RepeatPost(TypedDict):
    days_ago: float
    text: str


class RepeatSpec(TypedDict):
    user: str
    lang: str
    topic: str
    mentions: list[RepeatPost]


def load(name: str) -> Any:
    return json.loads(resource_path("demo", name).read_text(encoding="utf-8"))


@cache
def brand_file() -> BrandFile:
    return cast(BrandFile, load("brand.json"))


BRAND_NAME: str = brand_file()["name"]

# Fixed, so the same `now` always builds the same workspace (tests and screenshots rely on it).
SEED = 0x46_4A_45_4C  # "FJEL"
WINDOW = timedelta(days=30)
LANGUAGES = ("en", "nb", "de", "es", "fr")
NOTHING_TO_SOLVE = frozenset({"praise", "other", "newsletter"})
