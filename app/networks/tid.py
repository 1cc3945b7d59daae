"""Timestamp identifiers (TIDs), the record keys of the AT Protocol.

A TID is chosen when a reply is queued and kept: Bluesky then stores the post under that
key, so a retry of a post that already arrived is recognised instead of posted twice. The
same value serves Mastodon as its Idempotency-Key.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable
_last = 0


def new_tid(now_us: int | None = None) -> str:
    """53 bits of microseconds since 1970, then 10 bits of clock id, as 13 characters."""
    global _last
    micros = now_us if now_us is not None else time.time_ns() // 1000
    micros = max(micros, _last + 1)  # strictly increasing within this process
    _last = micros
    value = (micros << 10) | secrets.randbelow(1024)
    return "".join(_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def tid_time(tid: str) -> datetime:
    value = 0
    for char in tid:
        value = (value << 5) | _ALPHABET.index(char)
    return datetime.fromtimestamp((value >> 10) / 1_000_000, UTC)


def is_tid(text: str) -> bool:
    return len(text) == 13 and all(c in _ALPHABET for c in text) and text[0] in "234567abcdefghij"
