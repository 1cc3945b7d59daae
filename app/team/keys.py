"""Between local mention ids and the natural keys the team's events name them by."""

from __future__ import annotations

from collections.abc import Callable

from storage.identity import NaturalKeys
from storage.store import Store

from app.team.wire import TeamMentionKey


def key_finder(store: Store) -> Callable[[int], TeamMentionKey | None]:
    """`key_of(mention_id)`: the mention's natural key (storage.identity) as the team's
    events carry it; None when its account has no platform user id yet, or no such mention."""
    keys = NaturalKeys(store)

    def key_of(mention_id: int) -> TeamMentionKey | None:
        try:
            key = keys.key_of(mention_id)
        except KeyError:
            return None
        if key is None:
            return None
        return TeamMentionKey(key.network.value, key.server, key.account, key.platform_id)

    return key_of
