"""Realistic stores of any size, built from the demo workspace's generator.

The demo generator (app/demo.py) writes one fictional brand's month of mentions: real
languages, threads, authors, triage states. A store of N mentions is that month stored
through Heedful (accounts, authors, tags, the full-text index), then copied in SQL, each copy
a month further back with new platform ids, until N mentions are there: years of mentions,
as a long-time user would have. The copies are inserted in one statement with the indexes
and the full-text trigger set aside, then indexed in bulk (minutes instead of an hour at
1M); the result is the same schema and content the app would have written.

Stores are kept under build/benchmarks/ (or $HEEDFUL_BENCHMARK_CACHE) and reused while the
schema version is the same. Each lives inside a HEEDFUL_HOME of its own (as the demo
profile, so that opening it in the window never syncs), ready for start-up runs.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from storage.accounts import AccountRepository
from storage.mentions import MentionRepository
from storage.migrations import MIGRATIONS
from storage.store import open_store

from app.demo.generator import demo_accounts, demo_mentions
from app.paths import DEMO_PROFILE, AppPaths

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("HEEDFUL_BENCHMARK_CACHE") or ROOT / "build" / "benchmarks")
# A fixed "now" so that every store of a size has the same content.
GENERATED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAYS_PER_COPY = 30

_COPIED = (
    "account_id, platform_id, platform_cid, url, author_id, kind, text, html, spoiler_text,"
    " language, visibility, created_at, fetched_at, parent_platform_id, root_platform_id,"
    " is_own, raw, status, assignee, priority, snoozed_until, is_context"
)
_COPY = f"""
    INSERT INTO mentions ({_COPIED})
    SELECT account_id, platform_id || '~' || copy, platform_cid, url, author_id, kind, text,
           html, spoiler_text, language, visibility,
           strftime('%Y-%m-%dT%H:%M:%f', created_at, printf('-%d days', {DAYS_PER_COPY} * copy))
             || '000Z',
           fetched_at, NULL, NULL, is_own, raw, status, assignee, priority, snoozed_until,
           is_context
    FROM mentions, temp.copies
    WHERE mentions.id <= ?
    ORDER BY copy, mentions.id
    LIMIT ?
"""
_INDEX_NEW = """
    INSERT INTO mentions_fts (rowid, text, author)
    SELECT m.id, m.spoiler_text || ' ' || m.text, a.handle || ' ' || a.display_name
    FROM mentions AS m JOIN authors AS a ON a.id = m.author_id
    WHERE m.id > ?
"""


def schema_version() -> int:
    return max(migration.version for migration in MIGRATIONS)


def home_for(mentions: int, cache: Path = CACHE) -> Path:
    """The HEEDFUL_HOME holding a store of `mentions` mentions (built when missing)."""
    home = cache / f"home-{mentions}-schema{schema_version()}"
    database = AppPaths.resolve(home).profile(DEMO_PROFILE).database
    if not database.exists():
        if home.exists():
            shutil.rmtree(home)
        partial = cache / f"building-{mentions}"
        if partial.exists():
            shutil.rmtree(partial)
        target = AppPaths.resolve(partial).profile(DEMO_PROFILE).database
        target.parent.mkdir(parents=True)
        build_store(target, mentions)
        partial.rename(home)
    return home


def database_for(mentions: int, cache: Path = CACHE) -> Path:
    return AppPaths.resolve(home_for(mentions, cache)).profile(DEMO_PROFILE).database


def build_store(path: Path, mentions: int) -> None:
    store = open_store(path)
    accounts = AccountRepository(store)
    ids = {account.handle: accounts.add(account).id for account in demo_accounts()}
    base = demo_mentions(ids, GENERATED_AT)
    MentionRepository(store).ingest(base[:mentions])
    store.close()
    if mentions <= len(base):
        return
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        last_base_id, stored = conn.execute("SELECT max(id), count(*) FROM mentions").fetchone()
        copies = -(-(mentions - stored) // stored)
        # Indexes and triggers on mentions go aside while the copies go in, then come back.
        aside = conn.execute(
            "SELECT type, name, sql FROM sqlite_master"
            " WHERE tbl_name = 'mentions' AND type IN ('index', 'trigger') AND sql IS NOT NULL"
        ).fetchall()
        conn.execute("BEGIN")
        for kind, name, _sql in aside:
            conn.execute(f'DROP {kind.upper()} "{name}"')
        conn.execute("CREATE TEMP TABLE copies (copy INTEGER PRIMARY KEY)")
        conn.executemany("INSERT INTO temp.copies VALUES (?)", [(n,) for n in range(1, copies + 1)])
        conn.execute(_COPY, [last_base_id, mentions - stored])
        conn.execute(_INDEX_NEW, [last_base_id])
        for _kind, _name, sql in aside:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM mentions").fetchone()[0])
    finally:
        conn.close()
