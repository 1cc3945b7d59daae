"""Facts about the profile itself, such as the id its keyring entries are filed under."""

from __future__ import annotations

from storage.store import Store


class ProfileFacts:
    def __init__(self, store: Store) -> None:
        self._store = store

    def profile_id(self) -> str:
        """A random id of this workspace, filed with its keyring entries."""
        row = self._store.conn.execute(
            "SELECT value FROM profile_facts WHERE name = 'profile_id'"
        ).fetchone()
        return str(row[0])
