"""Between local mention ids and the natural keys the team's events name them by."""

from __future__ import annotations

from collections.abc import Callable

from storage.store import Store
from storage.team.state import TeamStateRepository

from app.team.wire import TeamMentionKey


def key_finder(store: Store) -> Callable[[int], TeamMentionKey | None]:
    """`key_of(mention_id)`: the mention's natural key, None when it has none yet."""
    state = TeamStateRepository(store)

    def key_of(mention_id: int) -> TeamMentionKey | None:
        parts = state.key_parts_of(mention_id)
        return None if parts is None else TeamMentionKey(*parts)

    return key_of


def same_server(stored: str, wanted: str) -> bool:
    """Whether an account's stored address and a key's address name one server."""
    return stored.rstrip("/").lower() == wanted.rstrip("/").lower()
