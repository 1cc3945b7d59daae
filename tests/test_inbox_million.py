"""The inbox on 1,000,000 mentions: the right rows on the first screen, at the end, through a
filter and a search, and query plans that walk indexes instead of scanning the table.

No timings here (they belong in benchmarks/); the store is built once per session.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from PySide6.QtCore import QModelIndex
from pytestqt.modeltest import ModelTester

from storage.mentions import InboxFilter, MentionRepository, count_query, page_query
from storage.records import from_timestamp
from storage.store import Store, open_store

from app.inbox.service import InboxService, InboxView, inbox_filter

from ui.inbox.model import MENTION_ID_ROLE, InboxModel

from tests import big_store
from tests.big_store import SIZE, BigStore

# After the last generated mention: nothing in the store is snoozed, so "now" only matters
# for the open views' snooze check.
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def million(tmp_path_factory: pytest.TempPathFactory) -> BigStore:
    return big_store.build(tmp_path_factory.mktemp("million") / "heedful.db")


@pytest.fixture
def inbox(million: BigStore) -> Iterator[InboxService]:
    store = open_store(million.path)
    yield InboxService(MentionRepository(store))
    store.close()


def _newest_first(keep: object) -> list[int]:
    """Ids (number + 1) of the generated mentions for which `keep(number)` holds."""
    return [n + 1 for n in range(SIZE - 1, -1, -1) if keep(n)]  # type: ignore[operator]


def test_generated_rows_follow_the_rules_the_tests_rely_on(million: BigStore) -> None:
    with sqlite3.connect(million.path) as conn:
        assert conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == SIZE
        for number in (0, 1, 13, 20_013, 997 + 5, SIZE - 1):
            row = conn.execute(
                "SELECT kind, language, status, assignee, created_at, text,"
                " EXISTS (SELECT 1 FROM mention_tags WHERE mention_id = mentions.id)"
                " FROM mentions WHERE id = ?",
                [number + 1],
            ).fetchone()
            assert row[:4] == (
                big_store.kind(number),
                big_store.language(number),
                big_store.status(number),
                big_store.assignee(number),
            )
            assert from_timestamp(row[4]) == big_store.created_at(number)
            assert (big_store.RARE_WORD in row[5]) == big_store.has_rare_word(number)
            assert bool(row[6]) == big_store.is_tagged(number)


def test_the_first_screen_shows_the_newest_open_mentions(
    qtmodeltester: ModelTester, inbox: InboxService
) -> None:
    model = InboxModel(inbox, page_size=200)
    model.set_filter(inbox_filter(InboxView.OPEN, now=NOW))
    expected = _newest_first(lambda n: big_store.status(n) != "done")[:200]
    shown = [model.data(model.index(row, 0), MENTION_ID_ROLE) for row in range(model.rowCount())]
    assert shown == expected
    assert model.canFetchMore(QModelIndex())
    qtmodeltester.check(model)


def test_paging_a_view_to_its_end_returns_every_row_once(inbox: InboxService) -> None:
    model = InboxModel(inbox, page_size=2000)
    model.set_filter(inbox_filter(InboxView.DMS, now=NOW))
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    expected = _newest_first(lambda n: big_store.kind(n) == "direct")
    assert len(expected) == SIZE // 50
    assert [model.mention_id(row) for row in range(model.rowCount())] == expected


def test_jumping_to_the_end_of_everything_finds_the_oldest_mentions(inbox: InboxService) -> None:
    oldest = inbox.last_page(inbox_filter(InboxView.ALL, now=NOW), 5)
    # Inbox order (newest first); mentions 0 and 1 share a minute, so the higher id is first.
    assert oldest == [5, 4, 3, 2, 1]


def test_a_filter_returns_exactly_the_matching_rows(inbox: InboxService) -> None:
    view = inbox_filter(InboxView.ALL, "tag:billing lang:fr", now=NOW)
    expected = _newest_first(lambda n: big_store.is_tagged(n) and big_store.language(n) == "fr")
    assert inbox.count(view) == len(expected) == SIZE // 1000
    assert inbox.page(view, None, 50).ids == expected[:50]
    assert inbox.count(inbox_filter(InboxView.ALL, "tag:billing lang:en", now=NOW)) == 0

    mine = inbox_filter(InboxView.OPEN, "assignee:ana", now=NOW)
    expected_mine = _newest_first(
        lambda n: big_store.assignee(n) == "ana" and big_store.status(n) != "done"
    )
    assert inbox.count(mine) == len(expected_mine) > 0
    assert inbox.page(mine, None, 100).ids == expected_mine[:100]


def test_a_search_returns_exactly_the_matching_rows(inbox: InboxService) -> None:
    model = InboxModel(inbox, page_size=20)
    model.set_filter(inbox_filter(InboxView.ALL, big_store.RARE_WORD, now=NOW))
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    expected = _newest_first(big_store.has_rare_word)
    assert len(expected) == SIZE // 20_000
    assert [model.mention_id(row) for row in range(model.rowCount())] == expected


def _plan(store: Store, sql: str, params: list[object]) -> list[str]:
    rows = store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    return [str(row[3]) for row in rows]


def _scans_the_table(plan: list[str]) -> bool:
    """A full scan reads every row of mentions ("SCAN m"), not an index of it."""
    return any(step.startswith("SCAN m") and "INDEX" not in step for step in plan)


@pytest.mark.parametrize("view", [InboxView.OPEN, InboxView.UNANSWERED, InboxView.ALL])
def test_pages_walk_the_time_index_without_scanning_or_sorting(
    million: BigStore, view: InboxView
) -> None:
    store = open_store(million.path)
    try:
        sql, params = page_query(inbox_filter(view, now=NOW), None)
        plan = _plan(store, sql, [*params, 200])
    finally:
        store.close()
    assert not _scans_the_table(plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan  # no sort of the result


@pytest.mark.parametrize(
    "view",
    [
        inbox_filter(InboxView.OPEN, now=NOW),
        inbox_filter(InboxView.UNANSWERED, now=NOW),  # deleted posts left out, from the index
        inbox_filter(InboxView.DMS, now=NOW),
        inbox_filter(InboxView.MINE, now=NOW, agent_name="ana"),
        InboxFilter(match='"zeppelin"'),
    ],
)
def test_counts_of_the_views_use_an_index(million: BigStore, view: InboxFilter) -> None:
    store = open_store(million.path)
    try:
        sql, params = count_query(view)
        plan = _plan(store, sql, params)
    finally:
        store.close()
    assert not _scans_the_table(plan), plan
