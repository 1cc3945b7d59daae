"""Pulling an account's new mentions, page by page, each page stored with the cursor after it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from storage.cursors import CursorRepository
from storage.mentions import MentionRepository
from storage.records import Account
from storage.skipped import SkippedItemRepository
from storage.store import Store

from app.networks.base import Connector
from app.networks.errors import Offline

STREAM = "notifications"

# Called on the sync's own thread after each stored page: the account, new items so far.
ProgressCallback = Callable[[Account, int], None]


@dataclass
class PullReport:
    added: list[int] = field(default_factory=list)  # ids of the mentions new in the store
    skipped: int = 0


class PullingService:
    def __init__(
        self,
        store: Store,
        mentions: MentionRepository,
        cursors: CursorRepository,
        *,
        stop: threading.Event,
    ) -> None:
        self._store = store
        self._mentions = mentions
        self._cursors = cursors
        self._skipped = SkippedItemRepository(store)
        self._stop = stop

    def pull(
        self,
        account: Account,
        connector: Connector,
        *,
        keep_lease: Callable[[], None],
        report: PullReport,
        progress: ProgressCallback | None = None,
    ) -> None:
        """Fetch and store every new item. `keep_lease` is called as each page is stored, in
        its transaction (it raises LeaseLost when another sync has the account: that page is
        not stored, those before stay, each whole with its cursor); `report` holds what was
        stored when anything is raised."""
        cursor = self._cursors.get(account.id, STREAM)
        for page in connector.fetch_new(cursor):
            # Items and the cursor after them commit together: a crash re-fetches at most
            # this page, and the store's uniqueness keeps it from being stored twice.
            with self._store.write():
                keep_lease()  # only while this sync holds the account
                # Ids only grow, and nobody else writes inside this transaction: the new
                # mentions are exactly those above the newest one before.
                before = self._mentions.newest_id()
                added = self._mentions.ingest(page.items)
                self._cursors.put(account.id, STREAM, page.cursor)
                self._skipped.record(account.id, page.skipped)
                if added:
                    report.added.extend(range(before + 1, self._mentions.newest_id() + 1))
            report.skipped += len(page.skipped)
            if progress is not None:
                progress(account, len(report.added))
            if self._stop.is_set():
                raise Offline("Sync stopped.")
