"""Ingest: mentions stored per second, Heedful's repository against plain executemany.

A batch of new mentions (the demo generator's, with fresh ids, as a sync page brings them:
new and known authors, tags, full payloads) goes into a store that already holds mentions,
through MentionRepository.ingest, the call the sync thread makes. The baseline inserts the
same rows into a copy of the same store (same schema, same indexes and full-text trigger,
the same connection settings: WAL, synchronous=NORMAL, foreign keys) with one plain
`executemany`, the rows' values and author ids prepared beforehand: the
fastest the schema allows. Each side gets its own copy, so both write the same amount.
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from storage.mentions import MentionRepository
from storage.records import NewMention, to_timestamp, utc_now
from storage.store import open_store

from app.demo.generator import demo_mentions

from benchmarks.report import Measure
from benchmarks.stores import GENERATED_AT

_INSERT = (
    "INSERT INTO mentions (account_id, platform_id, platform_cid, url, author_id, kind, text,"
    " html, spoiler_text, language, visibility, created_at, fetched_at, parent_platform_id,"
    " root_platform_id, is_own, raw, status, is_context)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def batch(database: Path, size: int) -> list[NewMention]:
    """`size` new mentions for the accounts in `database`, none of them stored yet."""
    conn = sqlite3.connect(database)
    try:
        ids = dict(conn.execute("SELECT handle, id FROM accounts").fetchall())
    finally:
        conn.close()
    base = demo_mentions(ids, GENERATED_AT)
    items: list[NewMention] = []
    round_number = 0
    while len(items) < size:
        items += [
            dataclasses.replace(item, platform_id=f"{item.platform_id}~new{round_number}")
            for item in base[: size - len(items)]
        ]
        round_number += 1
    return items


def _raw_rows(conn: sqlite3.Connection, items: list[NewMention]) -> list[tuple[object, ...]]:
    authors = {
        (network, platform_id): author_id
        for author_id, network, platform_id in conn.execute(
            "SELECT id, network, platform_id FROM authors"
        )
    }
    fetched_at = to_timestamp(utc_now())
    missing = {
        (item.author.network.value, item.author.platform_id): item.author
        for item in items
        if (item.author.network.value, item.author.platform_id) not in authors
    }
    for key, author in missing.items():
        authors[key] = conn.execute(
            "INSERT INTO authors (network, platform_id, handle, display_name, first_seen_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            [*key, author.handle, author.display_name, fetched_at],
        ).fetchone()[0]
    conn.commit()
    return [
        (
            item.account_id, item.platform_id, item.platform_cid, item.url,
            authors[(item.author.network.value, item.author.platform_id)], item.kind.value,
            item.text, item.html, item.spoiler_text, item.language, item.visibility,
            to_timestamp(item.created_at), fetched_at, item.parent_platform_id,
            item.root_platform_id, int(item.is_own), item.raw, item.status.value,
            int(item.is_context),
        )
        for item in items
    ]  # fmt: skip


def _heedful_once(database: Path, folder: Path, items: list[NewMention]) -> float:
    copy = folder / "heedful.db"
    shutil.copyfile(database, copy)
    store = open_store(copy)
    try:
        began = time.perf_counter()
        added = MentionRepository(store).ingest(items)
        took = time.perf_counter() - began
    finally:
        store.close()
        copy.unlink()
    if added != len(items):
        raise RuntimeError(f"ingest stored {added} of {len(items)} new mentions")
    return took


def _raw_once(database: Path, folder: Path, items: list[NewMention]) -> float:
    copy = folder / "raw.db"
    shutil.copyfile(database, copy)
    raw = sqlite3.connect(copy)
    try:
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("PRAGMA synchronous = NORMAL")
        raw.execute("PRAGMA foreign_keys = ON")  # the same constraints Heedful's store checks
        rows = _raw_rows(raw, items)
        began = time.perf_counter()
        with raw:
            raw.executemany(_INSERT, rows)
        return time.perf_counter() - began
    finally:
        raw.close()
        copy.unlink()


def run(database: Path, mentions: int, size: int, *, repeat: int = 1) -> list[Measure]:
    """Alternating runs, each on a fresh copy of the store; the median of each side."""
    items = batch(database, size)
    heedful_runs, raw_runs = [], []
    with tempfile.TemporaryDirectory(prefix="heedful-bench-ingest-") as folder:
        for _ in range(repeat):
            heedful_runs.append(_heedful_once(database, Path(folder), items))
            raw_runs.append(_raw_once(database, Path(folder), items))
    heedful_s, raw_s = statistics.median(heedful_runs), statistics.median(raw_runs)
    heedful_rate, raw_rate = size / heedful_s, size / raw_s
    return [
        Measure(
            "Ingest",
            f"{size:,} new mentions into {mentions:,}",
            heedful_rate,
            "/s",
            raw_rate,
            "plain executemany",
            "≥ 50 %",
            heedful_rate >= 0.5 * raw_rate,
        )
    ]
