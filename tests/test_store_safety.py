"""Store safety: private files, damage detected at start with the automatic backup offered,
daily backups kept N days, and a full disk that fails a sync clearly and loses nothing."""

from __future__ import annotations

import logging
import logging.handlers
import os
import random
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pytestqt.qtbot import QtBot

from storage.accounts import AccountRepository
from storage.backup import DatabaseInUseError, back_up_if_due, backups
from storage.drafts import DraftRepository
from storage.errors import StoreCorruptError, StoreFullError
from storage.mentions import InboxFilter, MentionRepository
from storage.migrations import LATEST_VERSION
from storage.records import Account, Mention
from storage.store import Stopper, WorkStopped, check_integrity, open_store

from app.bootstrap import StartupOptions, Workspace, build_workspace
from app.logs import configure_logging
from app.networks.base import (
    AccountIdentity,
    FetchedPage,
    OutgoingPost,
    RateLimitState,
    ReplyTarget,
    SentPost,
)
from app.recovery import daily_backup, offer_for, restore_latest, start_empty

from ui.store_problem import Choice, StoreProblemDialog

from tests import factories

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


# --- permissions ----------------------------------------------------------------------------


def test_database_wal_settings_logs_and_backups_are_the_owners_alone(
    workspace: Workspace,
) -> None:
    profile = workspace.profile
    account_id = workspace.accounts.add(factories.brand_account()).id
    workspace.mentions.ingest([factories.mention(account_id, 1)])
    log_file = configure_logging(workspace.paths.log_dir)
    logging.getLogger("heedful.test").warning("a line")
    backup = daily_backup(profile.database, NOW)
    assert backup is not None
    files = [
        profile.database,
        profile.database.with_name("heedful.db-wal"),
        profile.settings,
        log_file,
        backup.path,
    ]
    for path in files:
        assert path.exists(), path
        assert _private(path), f"{path} is {oct(path.stat().st_mode)}"
    for folder in (profile.data_dir, profile.config_dir, workspace.paths.log_dir):
        assert _private(folder), folder
    # A log file started at rotation is private too.
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "heedful-file")
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    handler.doRollover()
    assert _private(log_file)
    assert _private(log_file.with_name("heedful.log.1"))


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if (handler.get_name() or "").startswith("heedful"):
            root.removeHandler(handler)
            handler.close()


# --- damage and backups -------------------------------------------------------------------------


def _checkpointed_copy(workspace: Workspace) -> Path:
    """The workspace's database closed and checkpointed: all of it in the main file."""
    database = workspace.profile.database
    workspace.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    workspace.close()
    return database


def _damage_a_page(database: Path) -> None:
    size = database.stat().st_size
    page = 4096
    rng = random.Random(9)
    with database.open("r+b") as file:
        # Pages in the middle of the file: mentions' b-tree pages, not the header.
        for number in range(size // page // 3, size // page // 3 + 4):
            file.seek(number * page)
            file.write(rng.randbytes(page))


def _truncate(database: Path) -> None:
    with database.open("r+b") as file:
        file.truncate(database.stat().st_size // 2)


def _found_at_start(database: Path) -> StoreCorruptError:
    """Start-up refuses the file (constant time: the header says it is cut short)."""
    with pytest.raises(StoreCorruptError) as found:
        build_workspace(StartupOptions(demo=True))
    return found.value


def _found_in_background(database: Path) -> StoreCorruptError:
    """The whole-file check the window runs on a worker once the inbox is on screen finds
    it, and today's backup is not made from the damaged file."""
    from ui import launcher

    backups_before = backups(database.parent / "backups")
    found = launcher._check_then_back_up(database)
    assert found is not None
    assert backups(database.parent / "backups") == backups_before
    return found


@pytest.mark.parametrize(
    ("damage", "find"),
    [(_truncate, _found_at_start), (_damage_a_page, _found_in_background)],
    ids=["truncated", "random-page"],
)
def test_a_damaged_database_is_found_and_the_backup_restores_it(
    demo_workspace: Workspace, damage: object, find: object
) -> None:
    mentions_before = demo_workspace.mentions.count(InboxFilter())
    database = _checkpointed_copy(demo_workspace)
    backup = back_up_if_due(database, database.parent / "backups", NOW)
    assert backup is not None

    assert callable(damage)
    assert callable(find)
    damage(database)
    found = find(database)
    assert isinstance(found, StoreCorruptError)
    assert "damaged" in str(found)

    offer = offer_for(found)
    assert offer.backup == backup
    assert "Monday 23 November 2026" in offer.message
    kept = restore_latest(offer, NOW + timedelta(hours=1))
    assert kept is not None
    assert kept.exists()  # the damaged file is kept, never deleted

    restored = build_workspace(StartupOptions(demo=True))
    try:
        assert restored.mentions.count(InboxFilter()) == mentions_before
    finally:
        restored.close()


def test_a_sound_database_passes_the_background_check_and_is_backed_up(
    demo_workspace: Workspace,
) -> None:
    from ui import launcher

    database = demo_workspace.profile.database
    assert launcher._check_then_back_up(database) is None
    assert backups(database.parent / "backups")


def test_the_window_start_restores_when_the_person_chooses_the_backup(
    demo_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui import launcher

    database = _checkpointed_copy(demo_workspace)
    back_up_if_due(database, database.parent / "backups", NOW)
    _damage_a_page(database)
    with pytest.raises(StoreCorruptError) as found:
        check_integrity(database)
    asked: list[str] = []
    monkeypatch.setattr(
        launcher, "ask_about_damage", lambda offer: asked.append(offer.message) or Choice.RESTORE
    )
    assert launcher._recover(found.value)
    assert "23 November 2026" in asked[0]
    open_store(database).close()  # sound again
    monkeypatch.setattr(launcher, "ask_about_damage", lambda offer: Choice.QUIT)
    _truncate(database)
    with pytest.raises(StoreCorruptError) as again:
        open_store(database)
    assert not launcher._recover(again.value)  # quitting changes nothing
    assert database.exists()


def test_with_no_backup_the_damaged_file_is_kept_aside_and_a_new_one_starts(
    demo_workspace: Workspace,
) -> None:
    database = _checkpointed_copy(demo_workspace)
    _truncate(database)
    with pytest.raises(StoreCorruptError) as found:
        open_store(database)
    offer = offer_for(found.value)
    assert offer.backup is None
    assert "no automatic backup" in offer.message
    kept = start_empty(offer, NOW)
    assert kept.exists()
    assert not database.exists()
    open_store(database).close()


def test_backups_are_daily_and_kept_for_n_days(workspace: Workspace) -> None:
    database = workspace.profile.database
    folder = database.parent / "backups"
    for day in range(10):
        made = back_up_if_due(database, folder, NOW + timedelta(days=day), keep_days=3)
        assert made is not None
        assert back_up_if_due(database, folder, NOW + timedelta(days=day, hours=5)) is None
    kept = backups(folder)
    assert [b.day for b in kept] == [(NOW + timedelta(days=d)).date() for d in (9, 8, 7)]
    assert not list(folder.glob("*.partial"))


def test_the_damage_dialog_offers_the_backup_of_its_day(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    database = _checkpointed_copy(demo_workspace)
    back_up_if_due(database, database.parent / "backups", NOW)
    _damage_a_page(database)
    with pytest.raises(StoreCorruptError) as found:
        check_integrity(database)
    dialog = StoreProblemDialog(offer_for(found.value))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert "damaged" in dialog.text()
    assert "Monday 23 November 2026" in dialog.text()
    restore = next(b for b in dialog.buttons() if "Restore the backup of 23 Nov 2026" in b.text())
    with qtbot.waitSignal(dialog.finished):
        restore.click()
    assert dialog.choice() is Choice.RESTORE


def test_without_a_backup_the_dialog_offers_only_to_start_empty_or_quit(
    qtbot: QtBot, demo_workspace: Workspace
) -> None:
    database = _checkpointed_copy(demo_workspace)
    _truncate(database)
    with pytest.raises(StoreCorruptError) as found:
        open_store(database)
    dialog = StoreProblemDialog(offer_for(found.value))
    qtbot.addWidget(dialog)
    labels = [b.text() for b in dialog.buttons()]
    assert sorted(labels) == ["Keep it aside and start empty", "Quit"]
    dialog.show()
    with qtbot.waitSignal(dialog.finished):
        dialog.reject()
    assert dialog.choice() is Choice.QUIT


# --- a full disk during sync --------------------------------------------------------------------


class _FloodConnector:
    """Implements the Connector interface; every page is large, the feed never ends."""

    def __init__(self, account: Account) -> None:
        from storage.records import Network

        self.network = Network.MASTODON
        self._account = account

    def verify(self) -> AccountIdentity:
        return AccountIdentity("1", self._account.handle, "")

    def fetch_new(self, cursor: str | None) -> Iterator[FetchedPage]:
        number = int(cursor or "0")
        while True:
            items = [
                factories.mention(
                    self._account.id, number + n, "too much to say " * 2000, minutes=n
                )
                for n in range(50)
            ]
            number += 50
            yield FetchedPage(items=items, cursor=str(number))

    def fetch_thread(self, platform_id: str) -> list:  # type: ignore[type-arg]
        return []

    def reply_target(self, mention: Mention) -> ReplyTarget:
        return ReplyTarget(platform_id=mention.platform_id)

    def send(self, post: OutgoingPost) -> SentPost:
        raise AssertionError("nothing is queued")

    def max_post_length(self) -> int | None:
        return 500

    def rate_limit(self) -> RateLimitState:
        return RateLimitState()

    def close(self) -> None:
        pass


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a size-limited file system needs root (mount -t tmpfs)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a small tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_fails_the_sync_clearly_and_loses_nothing(small_disk: Path) -> None:
    from storage.cursors import CursorRepository
    from storage.outbox import OutboxRepository

    from app.sync.service import SyncService

    store = open_store(small_disk / "heedful.db")
    try:
        accounts = AccountRepository(store)
        account = accounts.add(factories.brand_account())
        mentions = MentionRepository(store)
        mentions.ingest([factories.mention(account.id, 9_000_000, "Where is my parcel?")])
        first_id = store.conn.execute("SELECT id FROM mentions").fetchone()[0]
        drafts = DraftRepository(store)
        drafts.save(first_id, "Hei! Vi sjekker pakken din nå — beklager ventetiden.")
        sync = SyncService(
            store,
            accounts,
            mentions,
            CursorRepository(store),
            OutboxRepository(store),
            _FloodConnector,
        )
        with pytest.raises(StoreFullError) as full:
            sync.sync_all()
        assert "full" in str(full.value)
        assert "Free some space" in str(full.value)

        # Everything stored before is intact and readable, the draft too.
        assert drafts.get(first_id) == "Hei! Vi sjekker pakken din nå — beklager ventetiden."
        stored = store.conn.execute("SELECT count(*) FROM mentions").fetchone()[0]
        cursor = CursorRepository(store).get(account.id, "notifications")
        # Pages and their cursor commit together: the cursor says exactly what is stored.
        assert stored == 1 + int(cursor or "0")
        assert store.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        store.close()
    reopened = open_store(small_disk / "heedful.db")
    try:
        assert DraftRepository(reopened).get(first_id).startswith("Hei!")
    finally:
        reopened.close()


# --- the whole-file check, and stopping it -----------------------------------------------------


def _index_out_of_step(database: Path) -> None:
    """What a WAL deleted under a connection leaves: an index that no longer matches its
    table (here made by re-defining the index in the schema, without rebuilding it)."""
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute(
            "UPDATE sqlite_master SET sql = replace(sql, '(status,', '(language,')"
            " WHERE name = 'mentions_by_status'"
        )
    conn.close()


def test_the_background_check_finds_an_index_that_lost_its_rows(demo_workspace: Workspace) -> None:
    database = _checkpointed_copy(demo_workspace)
    _index_out_of_step(database)
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]  # it misses this
    conn.close()
    from ui import launcher

    found = launcher._check_then_back_up(database)
    assert found is not None
    assert "mentions_by_status" in str(found)
    assert backups(database.parent / "backups") == []  # no backup of a damaged file


class _StopAfter(Stopper):
    """Stops the work after `steps` of its stop checks: the window closing mid-backup."""

    def __init__(self, steps: int) -> None:
        super().__init__()
        self.steps = steps

    def check(self) -> None:
        self.steps -= 1
        if self.steps == 0:
            self.stop()
        super().check()


def test_a_backup_stopped_midway_leaves_nothing_and_is_made_next_time(
    demo_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = demo_workspace.profile.database
    folder = database.parent / "backups"
    monkeypatch.setattr("storage.backup.PAGES_PER_STEP", 8)  # many steps on a small file
    stopper = _StopAfter(2)
    with pytest.raises(WorkStopped):
        back_up_if_due(database, folder, NOW, stopper=stopper)
    assert stopper.steps == 0  # it stopped at the step it was told to, not at the end
    assert list(folder.iterdir()) == []
    made = back_up_if_due(database, folder, NOW)
    assert made is not None
    restored = open_store(made.path)
    try:
        assert MentionRepository(restored).count(InboxFilter()) == demo_workspace.mentions.count(
            InboxFilter()
        )
    finally:
        restored.close()


def test_a_stopped_integrity_check_is_not_damage(demo_workspace: Workspace) -> None:
    stopper = Stopper()
    stopper.stop()
    with pytest.raises(WorkStopped):
        check_integrity(demo_workspace.profile.database, stopper)
    from ui import launcher

    assert launcher._check_then_back_up(demo_workspace.profile.database, stopper) is None
    assert backups(demo_workspace.profile.database.parent / "backups") == []


# --- restoring while another process has the file open -------------------------------------------

_HOLD_OPEN = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
print("open", flush=True)
sys.stdin.readline()
connection.close()
"""


def test_restoring_while_another_heedful_has_the_file_open_changes_nothing(
    demo_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renaming the file under another process would leave it writing into the damaged copy
    and, when it closes, deleting the WAL of the restored database by its name."""
    import sys

    from ui import launcher

    database = _checkpointed_copy(demo_workspace)
    back_up_if_due(database, database.parent / "backups", NOW)
    _damage_a_page(database)
    with pytest.raises(StoreCorruptError) as found:
        check_integrity(database)
    inode = database.stat().st_ino
    other = subprocess.Popen(
        [sys.executable, "-c", _HOLD_OPEN, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None
        assert other.stdout.readline().strip() == "open"
        with pytest.raises(DatabaseInUseError) as refused:
            restore_latest(offer_for(found.value), NOW + timedelta(hours=1))
        assert "Close the other window" in str(refused.value)
        assert database.stat().st_ino == inode  # not moved, not replaced
        assert not list(database.parent.glob("*.damaged-*"))
        # The window tells the person and asks again; they quit this time.
        choices = iter([Choice.RESTORE, Choice.QUIT])
        told: list[str] = []
        monkeypatch.setattr(launcher, "ask_about_damage", lambda offer: next(choices))
        monkeypatch.setattr(
            launcher.QMessageBox, "warning", lambda _parent, _title, text: told.append(text)
        )
        assert not launcher._recover(found.value)
        assert "Another Heedful is still using" in told[0]
    finally:
        assert other.stdin is not None
        other.communicate("\n", timeout=30)
    assert database.stat().st_ino == inode
    # Once it has closed, the backup goes in, and what runs after a restore has run on it.
    restored_stores: list[int] = []
    monkeypatch.setattr(
        "app.recovery.after_restore", lambda store: restored_stores.append(store.schema_version())
    )
    assert restore_latest(offer_for(found.value), NOW + timedelta(hours=2)) is not None
    assert restored_stores == [LATEST_VERSION]
    open_store(database).close()
