"""The hostile content corpus through the real parse functions and the store: no crash, no hang,
nothing half-stored; each item stored safely or skipped with a reason, the rest of the page kept."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.accounts import AccountRepository
from storage.mentions import MentionRepository
from storage.records import Network, utc_now
from storage.skipped import SkippedItemRepository
from storage.store import Store, open_store

from app.networks.mastodon.connector import MastodonConnector

from tests.factories import brand_account
from tests.hostile.corpus import (
    MASTODON_OWN_ID,
    HostileCase,
    all_cases,
    mastodon_template,
)
from tests.hostile.harness import run_case

CASES = all_cases()
SERIAL = {case.name: number for number, case in enumerate(CASES)}


def test_the_corpus_is_big_and_covers_both_networks() -> None:
    assert len(CASES) >= 150
    assert len({case.name for case in CASES}) == len(CASES)
    assert sum(case.network == "bluesky" for case in CASES) >= 60


@pytest.fixture(scope="module")
def shared_store(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Store, dict[str, int]]]:
    """One store for the whole corpus (every case has its own ids): a migration per case
    would cost more than the cases."""
    store = open_store(tmp_path_factory.mktemp("hostile") / "heedful.db")
    accounts = AccountRepository(store)
    ids = {
        "mastodon": accounts.add(brand_account(Network.MASTODON)).id,
        "bluesky": accounts.add(brand_account(Network.BLUESKY)).id,
    }
    yield store, ids
    store.close()


_SAFE_TAGS = {"p", "br", "a", "span", "strong", "em", "b", "i", "u", "ul", "ol", "li",
              "blockquote", "code", "pre", "del", "s"}  # fmt: skip


def _active_parts(html: str) -> list[str]:
    """Every tag, attribute or link target in stored HTML that could run or load anything."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Finder(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag not in _SAFE_TAGS:
                found.append(f"<{tag}>")
            for name, value in attrs:
                if name not in ("href", "class", "rel", "target", "translate"):
                    found.append(f"{tag}[{name}]")
                if name == "href" and not (value or "").startswith(
                    ("http://", "https://", "mailto:")
                ):
                    found.append(f"href={value}")

    finder = Finder()
    finder.feed(html)
    finder.close()
    return found


def _stored(store: Store, account_id: int, platform_id: str) -> sqlite3.Row | None:
    store.conn.row_factory = sqlite3.Row
    try:
        row: sqlite3.Row | None = store.conn.execute(
            "SELECT m.text, m.html, m.raw, a.handle, a.display_name FROM mentions AS m"
            " JOIN authors AS a ON a.id = m.author_id"
            " WHERE m.account_id = ? AND m.platform_id = ?",
            [account_id, platform_id],
        ).fetchone()
    finally:
        store.conn.row_factory = None
    return row


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_item_is_stored_safely_or_skipped_and_the_page_survives(
    case: HostileCase, shared_store: tuple[Store, dict[str, int]]
) -> None:
    store, account_ids = shared_store
    account_id = account_ids[case.network]
    skipped_before = SkippedItemRepository(store).count(account_id)

    outcome = run_case(case, store, account_id, SERIAL[case.name])

    # The well-formed items on the same page are stored whatever the hostile one did.
    for neighbour in outcome.neighbour_ids:
        assert _stored(store, account_id, neighbour) is not None
    items, skipped = outcome.page.items, outcome.page.skipped
    hostile_stored = len(items) == 3
    assert len(items) in (2, 3)
    assert outcome.added == len(items)  # all of what was parsed, in one transaction
    if case.expect == "stored":
        assert hostile_stored, f"skipped: {skipped}"
    elif case.expect == "skipped":
        assert not hostile_stored
    if hostile_stored:
        hostile = next(i for i in items if i.platform_id not in outcome.neighbour_ids)
        row = _stored(store, account_id, hostile.platform_id)
        assert row is not None
        for column in ("text", "html", "raw", "handle", "display_name"):
            value = row[column] or ""
            assert "\x00" not in value
            assert not any("\ud800" <= ch <= "\udfff" for ch in value)
        assert _active_parts(row["html"] or "") == []
        for forbidden in case.forbidden:
            assert forbidden not in (row["html"] or "").lower().replace("&lt;", "")
        assert len(row["text"]) < 200_000  # 1 MB and 10 MB posts are cut, with a note
    elif skipped:
        # Skipped with a reason a person can read in the log, and counted for channel health.
        assert all(reason.strip() for reason in skipped)
        assert SkippedItemRepository(store).count(account_id) > skipped_before
    else:
        assert case.name.endswith("reason-like")  # a like is not inbox work: left out quietly


def test_look_alike_handles_show_their_invisible_characters(
    shared_store: tuple[Store, dict[str, int]],
) -> None:
    store, account_ids = shared_store
    case = next(c for c in CASES if c.name == "mastodon-handle-zero-width-space")
    outcome = run_case(case, store, account_ids["mastodon"], len(CASES) + 1)
    hostile = next(i for i in outcome.page.items if i.platform_id not in outcome.neighbour_ids)
    assert hostile.author.handle == "ka<U+200B>ri@toot.example"
    case = next(c for c in CASES if c.name == "bluesky-handle-rtl-override-handle")
    outcome = run_case(case, store, account_ids["bluesky"], len(CASES) + 2)
    hostile = next(i for i in outcome.page.items if i.platform_id not in outcome.neighbour_ids)
    assert hostile.author.handle == "kari<U+202E>evil"


def test_duplicate_ids_within_a_page_store_one_mention(store: Store) -> None:
    account_id = AccountRepository(store).add(brand_account()).id
    first, second = mastodon_template(1), mastodon_template(1)
    second["status"]["content"] = "<p>the same id, other words</p>"
    from app.networks.mastodon.connector import notifications_to_page

    page = notifications_to_page(
        [first, second, first],
        account_id=account_id,
        own_user_id=MASTODON_OWN_ID,
        server="https://social.example",
        cursor=None,
    )
    assert MentionRepository(store).ingest(page.items) == 1
    assert store.conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == 1


class _BadJsonServer:
    """A loopback HTTP server answering every request with the same bytes."""

    def __init__(self, body: bytes) -> None:
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _good_page_bytes() -> bytes:
    import json

    return json.dumps([mastodon_template(7)]).encode()


BAD_BODIES = {
    "truncated": _good_page_bytes()[:-40],
    "not-json": b"<html><body>502 Bad Gateway</body></html>",
    "empty": b"",
    "invalid-utf8": _good_page_bytes().replace(b"Ordre", b"Or\xff\xfe\xc3"),
    "nul-bytes": _good_page_bytes().replace(b"Ordre", b"Or\x00de"),
    "lone-surrogate-escape": _good_page_bytes().replace(b"Ordre", b"Or\\ud800de"),
    "object-not-list": b'{"error": "nope"}',
    "deep-nesting": b"[" * 100_000 + b"]" * 100_000,
    "huge-number": b"[" + b"9" * 50_000 + b"]",
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_malformed_json_from_a_server_fails_clearly_or_stores_cleanly(
    name: str, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """Through the real connector (Mastodon.py over HTTP on loopback): a response that cannot
    be read is a clear error for this sync and stores nothing; one that can is stored clean."""
    from app.networks.errors import NetworkError, ServerTrouble

    account_id = AccountRepository(store).add(brand_account()).id
    mentions = MentionRepository(store)
    caplog.set_level(logging.WARNING)
    with _BadJsonServer(BAD_BODIES[name]) as server:
        connector = MastodonConnector(
            account_id=account_id,
            server=server,
            access_token="token-for-a-test",
            own_user_id=MASTODON_OWN_ID,
            own_handle="fjellform@127.0.0.1",
        )
        problem: NetworkError | None = None
        stored = 0
        try:
            for page in connector.fetch_new(None):
                stored += mentions.ingest(page.items)
                break  # the server answers the same page for ever
        except NetworkError as error:
            problem = error
        finally:
            connector.close()
    count = store.conn.execute("SELECT count(*) FROM mentions").fetchone()[0]
    if problem is not None:
        # Not "refused", not "sign in again": an unreadable answer, tried again later.
        assert isinstance(problem, ServerTrouble)
        assert "Unreadable answer" in str(problem)
        assert count == 0
        return
    text = store.conn.execute("SELECT coalesce(group_concat(text), '') FROM mentions").fetchone()
    assert "\x00" not in text[0]
    assert stored == count


def test_the_corpus_generator_runs_as_a_script() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "tests.hostile.corpus"],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"{len(CASES)} cases" in done.stdout


def test_a_sync_counts_skipped_items_per_account_for_channel_health(store: Store) -> None:
    """Through the real connector and SyncService: the good item is stored, the unreadable
    one is skipped, logged and counted once (a page fetched again is not counted twice)."""
    import json

    from storage.cursors import CursorRepository
    from storage.outbox import OutboxRepository

    from app.sync.service import SyncService

    accounts = AccountRepository(store)
    account = accounts.add(brand_account())
    broken = mastodon_template(2)
    broken["status"]["created_at"] = "the day after tomorrow"
    body = json.dumps([mastodon_template(1), broken]).encode()
    with _BadJsonServer(body) as server:

        def connector_for(_account: object) -> MastodonConnector:
            return MastodonConnector(
                account_id=account.id,
                server=server,
                access_token="token-for-a-test",
                own_user_id=MASTODON_OWN_ID,
                own_handle="fjellform@127.0.0.1",
            )

        sync = SyncService(
            store,
            accounts,
            MentionRepository(store),
            CursorRepository(store),
            OutboxRepository(store),
            connector_for,
        )
        (first,) = sync.sync_all()
        (second,) = sync.sync_all()
    # (This server answers the same page to every request, so each sync reads it twice.)
    assert first.added == 1
    assert first.skipped >= 1
    assert second.added == 0
    skipped = SkippedItemRepository(store)
    assert skipped.count(account.id) == 1
    ((platform_id, reason),) = skipped.recent(account.id)
    assert platform_id == broken["id"]
    assert "unreadable time" in reason

    # Channel health (window and `heedful sync --once`) says how many were skipped, and why.
    from storage.accounts import AccountHealthRepository

    from app.sync.health import HealthService

    health = HealthService(
        accounts, AccountHealthRepository(store), OutboxRepository(store), skipped
    )
    (channel,) = health.channels()
    assert channel.skipped == 1
    assert channel.skipped_text() == f"1 (latest: {broken['id']}: {reason})"
    assert f"skipped 1 (latest: {broken['id']}" in channel.summary(utc_now())
