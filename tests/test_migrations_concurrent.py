"""Two processes opening one older database at once both succeed: the second one's migrations
wait for the first's to commit and then find nothing left to do (the schema version is read
again under the write lock), instead of failing with "table mentions_fts already exists"."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from storage.migrations import LATEST_VERSION
from storage.store import open_store

from tests.factories import add_account_as_schema_1, brand_account, ingest_as_schema_1, mention

OPENER = Path(__file__).resolve().parent / "store_opener.py"


@contextlib.contextmanager
def opening(path: Path, *options: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, str(OPENER), str(path), *options],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            process.communicate(timeout=60)


def _said(process: subprocess.Popen[str], line: str) -> None:
    assert process.stdout is not None
    assert process.stdout.readline().strip() == line


def test_two_processes_opening_an_older_database_at_once_both_succeed(tmp_path: Path) -> None:
    path = tmp_path / "heedful.db"
    old = open_store(path, target_version=1)
    account_id = add_account_as_schema_1(old, brand_account())
    ingest_as_schema_1(
        old, [mention(account_id, n, f"Where are my boots? ({n})") for n in range(5)]
    )
    old.close()

    with contextlib.ExitStack() as stack, opening(path, "--hold") as first:
        _said(first, "waiting-for-the-write-lock")
        _said(first, "holding")  # migrated, not yet committed: it holds the write lock
        # Only now the second starts (started together, it could take the lock first): it
        # reads version 1 too, as the first has not committed, and waits for the same lock.
        second = stack.enter_context(opening(path))
        _said(second, "waiting-for-the-write-lock")
        assert first.stdin is not None
        first.stdin.write("go\n")
        first.stdin.flush()
        _said(first, f"version {LATEST_VERSION}")
        outputs = {name: p.communicate(timeout=60) for name, p in (("1", first), ("2", second))}
        codes = {"1": first.returncode, "2": second.returncode}
    assert codes == {"1": 0, "2": 0}, outputs
    assert outputs["2"][0].strip() == f"version {LATEST_VERSION}"

    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        assert conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == 5
        found = conn.execute("SELECT count(*) FROM mentions_fts WHERE mentions_fts MATCH 'boots'")
        assert found.fetchone()[0] == 5  # the search index was built once, with every mention
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
