"""Who else is on a mention: viewing, typing a reply, or with a reply queued.

Each laptop writes its own entry (`<mention>.<user>`) in the team's presence bucket and
refreshes it every `REFRESH_S` seconds; the bucket forgets an entry `PRESENCE_TTL_S` after
its last refresh, and so does every reader (a crashed laptop's presence simply expires).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from app.team.wire import MAX_NAME, MalformedEvent

REFRESH_S = 2.5
PRESENCE_TTL_S = 8.0


class Activity(StrEnum):
    VIEWING = "viewing"
    TYPING = "typing"
    QUEUED = "queued"  # a reply to it is in this teammate's outbox


_WORDS = {
    Activity.VIEWING: "is viewing",
    Activity.TYPING: "is typing a reply",
    Activity.QUEUED: "has a reply queued",
}


@dataclass(frozen=True, slots=True)
class Presence:
    mention: str  # the mention's digest (TeamMentionKey.digest)
    user: str
    name: str
    activity: Activity

    def sentence(self) -> str:
        return f"{self.name} {_WORDS[self.activity]}"


def user_token(user: str) -> str:
    """A team user's name as a bucket-key token (user names may hold any character)."""
    return hashlib.sha256(user.encode()).hexdigest()[:16]


def presence_key(mention: str, user: str) -> str:
    return f"{mention}.{user_token(user)}"


def encode_presence(presence: Presence) -> bytes:
    return json.dumps(
        {
            "v": 1,
            "mention": presence.mention,
            "user": presence.user,
            "name": presence.name,
            "activity": presence.activity.value,
        },
        ensure_ascii=False,
    ).encode()


def decode_presence(data: bytes) -> Presence:
    if len(data) > 1024:
        raise MalformedEvent("a presence entry over 1 KB")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedEvent("presence is not JSON") from error
    if not isinstance(document, dict) or document.get("v") != 1:
        raise MalformedEvent("not a presence entry")
    try:
        activity = Activity(str(document.get("activity")))
    except ValueError as error:
        raise MalformedEvent("unknown activity") from error
    values = [document.get(name) for name in ("mention", "user", "name")]
    if not all(isinstance(value, str) and 0 < len(value) <= MAX_NAME for value in values):
        raise MalformedEvent("a presence entry with a bad name")
    mention, user, name = (str(value) for value in values)
    if any(ord(character) < 32 or 0x202A <= ord(character) <= 0x202E for character in name):
        raise MalformedEvent("a presence name with control characters")
    return Presence(mention, user, name, activity)


class PresenceBoard:
    """Teammates' presence as last heard, each entry forgotten after the TTL."""

    def __init__(
        self,
        me: str,
        clock: Callable[[], float] = time.monotonic,
        ttl: float = PRESENCE_TTL_S,
    ) -> None:
        self._me = me
        self._clock = clock
        self._ttl = ttl
        self._entries: dict[str, tuple[Presence, float]] = {}  # by bucket key

    def heard(self, key: str, presence: Presence | None) -> bool:
        """An entry was written (or deleted: None); True if what is shown changes."""
        if presence is None:
            return self._entries.pop(key, None) is not None
        if presence.user == self._me:
            return False
        old = self._entries.get(key)
        self._entries[key] = (presence, self._clock())
        return old is None or old[0] != presence

    def expire(self) -> bool:
        """Forget entries not refreshed within the TTL; True if any went."""
        now = self._clock()
        stale = [key for key, (_, heard) in self._entries.items() if now - heard > self._ttl]
        for key in stale:
            del self._entries[key]
        return bool(stale)

    def on(self, mention: str) -> list[Presence]:
        """Teammates on one mention, typing before queued before viewing."""
        order = {Activity.TYPING: 0, Activity.QUEUED: 1, Activity.VIEWING: 2}
        found = [p for p, _ in self._entries.values() if p.mention == mention]
        return sorted(found, key=lambda p: (order[p.activity], p.name))

    def snapshot(self) -> dict[str, list[Presence]]:
        """Everyone, by mention digest."""
        mentions = {p.mention for p, _ in self._entries.values()}
        return {mention: self.on(mention) for mention in mentions}
