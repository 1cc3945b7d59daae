"""What to do about a damaged database: restore the latest automatic backup, or keep the
damaged file aside and start empty. Nothing is ever deleted."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.backup import Backup, back_up_if_due, latest_backup, move_aside, restore
from storage.errors import StoreCorruptError
from storage.outbox import OutboxRepository
from storage.records import utc_now
from storage.store import Stopper, Store, open_store

log = logging.getLogger(__name__)


def backup_dir_for(database: Path) -> Path:
    return database.parent / "backups"


@dataclass(frozen=True, slots=True)
class RecoveryOffer:
    """What a person is told, and can choose, when the database is damaged."""

    database: Path
    detail: str
    backup: Backup | None

    @property
    def message(self) -> str:
        text = f"Heedful's database is damaged ({self.detail})."
        if self.backup is None:
            return text + " There is no automatic backup to restore yet."
        return text + (
            f" Restore it from the automatic backup of {self.backup.day:%A %d %B %Y}? "
            "What arrived since then is fetched again at the next sync; replies typed since "
            "then may be lost. The damaged file is kept beside it."
        )


def offer_for(error: StoreCorruptError) -> RecoveryOffer:
    return RecoveryOffer(error.path, error.detail, latest_backup(backup_dir_for(error.path)))


def restore_latest(offer: RecoveryOffer, now: datetime | None = None) -> Path | None:
    """Put the backup in place and bring it up to date (`after_restore`); returns where the
    damaged file was kept. Raises DatabaseInUseError (nothing changed) while another Heedful
    process has the database open."""
    if offer.backup is None:
        raise ValueError("no backup to restore")
    kept = restore(offer.backup, offer.database, now or utc_now())
    store = open_store(offer.database)
    try:
        after_restore(store)
    finally:
        store.close()
    return kept


def after_restore(store: Store) -> None:
    """What must happen to a database put back from a backup before anything else uses it:
    the one place for it. The backup is of yesterday, so what it says is waiting (replies
    queued, being sent, outcome unknown) may have gone out since: they are held, and checked
    against the network before any of them is sent again (the outbox's "check" state)."""
    held = OutboxRepository(store).hold_all_for_check()
    if held:
        log.warning("%d repl(ies) from the backup are checked before sending", len(held))


def start_empty(offer: RecoveryOffer, now: datetime | None = None) -> Path:
    """Keep the damaged file aside; the next open creates an empty database."""
    kept = move_aside(offer.database, now or utc_now())
    log.warning("moved the damaged database aside to %s", kept)
    return kept


def daily_backup(
    database: Path, now: datetime | None = None, stopper: Stopper | None = None
) -> Backup | None:
    """Today's automatic backup of a profile's database (call from a worker thread);
    WorkStopped when `stopper` ends it (the window closing)."""
    return back_up_if_due(database, backup_dir_for(database), now or utc_now(), stopper=stopper)
