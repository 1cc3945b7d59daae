"""Identifiers that look like the networks' own: Mastodon snowflakes, Bluesky DIDs, CIDs and
record keys, each a pure function of what it names (stable between runs)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime, time, timedelta

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _base32(data: bytes) -> str:
    return base64.b32encode(data).decode().lower().rstrip("=")


def did(handle: str) -> str:
    return "did:plc:" + _base32(digest("did:" + handle))[:24]


def cid(uri: str) -> str:
    # CIDv1, dag-cbor, sha2-256: always "bafyrei" and 52 more base32 characters.
    return "bafyrei" + _base32(digest("cid:" + uri))[:52]


def snowflake(moment: datetime, low_bits: int) -> int:
    # Mastodon ids: milliseconds since the epoch, shifted 16 bits, so they sort by time.
    return (int(moment.timestamp() * 1000) << 16) | (low_bits & 0xFFFF)


def tid(moment: datetime, clock_id: int) -> str:
    # AT Protocol record keys: microseconds and a clock id in sortable base32, 13 characters.
    value = (int(moment.timestamp() * 1_000_000) << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def account_snowflake(seed: str, earliest: date, latest: date) -> str:
    # A stable creation day for each account, so its id never changes between runs.
    number = int.from_bytes(digest("account:" + seed)[:8], "big")
    days = (latest - earliest).days
    created = datetime.combine(earliest, time(), UTC) + timedelta(
        days=number % days, seconds=(number >> 20) % 86400
    )
    return str(snowflake(created, number >> 40))
