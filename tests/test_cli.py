"""The `heedful` command line, run as a user runs it: a separate process."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storage.migrations import LATEST_VERSION

from app import __version__
from app.paths import DEMO_PROFILE, AppPaths

DOCUMENTED_KEYS = {
    "id", "network", "account", "author_handle", "author_name", "kind", "text", "language",
    "created_at", "status", "assignee",
}  # fmt: skip


def heedful(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        env=env or dict(os.environ),
    )


@pytest.fixture
def demo_home(heedful_home: Path, demo_database: Path) -> Path:
    target = AppPaths.resolve(heedful_home).profile(DEMO_PROFILE).database
    target.parent.mkdir(parents=True)
    shutil.copy2(demo_database, target)
    return heedful_home


def test_version() -> None:
    result = heedful("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"Heedful {__version__}"


def test_inbox_list_json_has_the_documented_keys_newest_first(demo_home: Path) -> None:
    result = heedful("--demo", "inbox", "list", "--json", "--limit", "7")
    assert result.returncode == 0, result.stderr
    mentions = json.loads(result.stdout)
    assert len(mentions) == 7
    for item in mentions:
        assert set(item) == DOCUMENTED_KEYS
        assert item["status"] in {"new", "open", "pending"}
        assert item["network"] in {"mastodon", "bluesky"}
    times = [item["created_at"] for item in mentions]
    assert times == sorted(times, reverse=True)


def test_search_finds_demo_mentions_by_word_and_by_author(demo_home: Path) -> None:
    listed = json.loads(heedful("--demo", "inbox", "list", "--json", "--limit", "40").stdout)
    sample = max(listed, key=lambda item: len(item["text"]))
    words = [w.strip(".,!?:;()") for w in sample["text"].split() if not w.startswith("@")]
    word = max(words, key=len)

    by_word = json.loads(heedful("--demo", "search", word, "--json").stdout)
    assert sample["id"] in [item["id"] for item in by_word]
    assert all(word.lower() in (m["text"] + m["author_handle"]).lower() for m in by_word)

    handle = sample["author_handle"]
    by_author = json.loads(heedful("--demo", "search", handle, "--json").stdout)
    assert sample["id"] in [item["id"] for item in by_author]
    assert {item["author_handle"] for item in by_author} == {handle}


def test_human_output_is_one_line_per_mention(demo_home: Path) -> None:
    result = heedful("--demo", "inbox", "list", "--limit", "5")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert all(("mastodon" in line) or ("bluesky" in line) for line in lines)


def test_demo_with_heedful_home_never_touches_the_real_profile(tmp_path: Path) -> None:
    fake_user = tmp_path / "user"
    fake_user.mkdir()
    home = tmp_path / "portable"
    env = {
        **os.environ,
        "HOME": str(fake_user),
        "XDG_DATA_HOME": str(fake_user / ".local/share"),
        "XDG_CONFIG_HOME": str(fake_user / ".config"),
        "XDG_CACHE_HOME": str(fake_user / ".cache"),
        "XDG_STATE_HOME": str(fake_user / ".local/state"),
        "HEEDFUL_HOME": str(home),
    }
    result = heedful("--demo", "inbox", "list", "--limit", "3", env=env)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3
    assert list(fake_user.iterdir()) == []
    assert (home / "data" / "demo" / "heedful.db").exists()


def test_a_store_from_a_newer_heedful_is_refused_with_a_clear_message(demo_home: Path) -> None:
    database = AppPaths.resolve(demo_home).profile(DEMO_PROFILE).database
    with sqlite3.connect(database) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    result = heedful("--demo", "inbox", "list")
    assert result.returncode == 2
    assert "newer version of Heedful" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_default_profile_starts_empty(heedful_home: Path) -> None:
    result = heedful("inbox", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_a_demo_store_from_an_older_heedful_is_migrated_on_open(heedful_home: Path) -> None:
    from storage.store import open_store

    from app.demo import generator as demo

    from tests.conftest import DEMO_NOW
    from tests.factories import add_account_as_schema_1, ingest_as_schema_1

    database = AppPaths.resolve(heedful_home).profile(DEMO_PROFILE).database
    old = open_store(database, target_version=1)  # as the first Heedful left it: no search index
    ids = {a.handle: add_account_as_schema_1(old, a) for a in demo.demo_accounts()}
    ingest_as_schema_1(old, demo.demo_mentions(ids, DEMO_NOW))
    old.close()

    newest = json.loads(heedful("--demo", "inbox", "list", "--json", "--limit", "1").stdout)[0]
    found = json.loads(heedful("--demo", "search", newest["author_handle"], "--json").stdout)
    assert newest["id"] in [item["id"] for item in found]
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION


def test_piping_into_a_command_that_stops_reading_is_not_an_error(demo_home: Path) -> None:
    result = subprocess.run(
        f"{sys.executable} -m app --demo inbox list --limit 200 | head -1",
        shell=True, capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )  # fmt: skip
    assert len(result.stdout.splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert "BrokenPipe" not in result.stderr


def test_an_unusable_home_folder_is_a_clear_message(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    result = heedful("--home", str(blocked / "home"), "--demo", "inbox", "list")
    assert result.returncode == 2
    assert "cannot write to" in result.stderr
    assert "Traceback" not in result.stderr


def test_search_for_nothing_searchable_still_prints_json(demo_home: Path) -> None:
    result = heedful("--demo", "search", "!!!", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == []
    assert "nothing to search for" in result.stderr


def test_at_handle_searches_authors_only(demo_home: Path) -> None:
    found = json.loads(heedful("--demo", "search", "@fjellform", "--json").stdout)
    assert found == []  # every post mentions the brand; none is written by it in the inbox
    listed = json.loads(heedful("--demo", "inbox", "list", "--json", "--limit", "1").stdout)
    author = listed[0]["author_handle"].split("@")[0].split(".")[0]
    by_author = json.loads(heedful("--demo", "search", f"@{author}", "--json").stdout)
    assert by_author
    assert all(author in item["author_handle"] for item in by_author)


def test_the_demo_refuses_to_send_and_says_what_to_do_instead(demo_home: Path) -> None:
    result = heedful("--demo", "reply", "1", "--text", "hi")
    assert result.returncode == 1
    assert "heedful accounts add" in result.stderr


def test_empty_lists_say_so(heedful_home: Path) -> None:
    accounts = heedful("accounts", "list")
    assert (accounts.returncode, accounts.stdout) == (0, "")
    assert "No accounts yet" in accounts.stderr
    assert "outbox is empty" in heedful("outbox", "list").stderr


def test_a_bluesky_sign_in_without_a_password_says_so(heedful_home: Path) -> None:
    result = heedful("accounts", "add", "bluesky", "--handle", "brand.bsky.social", stdin="")
    assert result.returncode == 1
    assert "no app password given" in result.stderr
    assert "Traceback" not in result.stderr
