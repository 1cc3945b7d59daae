"""Search pages on a big store take shortcuts (few hits sorted, many hits found by walking
the time index in chunks); whichever is taken, every page holds exactly the rows, in exactly
the order, of the plain query, whatever order the ids are in."""

from __future__ import annotations

import random

import pytest

from storage.mentions import InboxFilter, MentionRepository, PageCursor, page_query
from storage.records import TriageStatus

from app.bootstrap import Workspace
from app.inbox.service import InboxView, inbox_filter

from tests import factories

WORDS = ("parcel", "refund", "jacket", "boots")


def _plain_ids(mentions: MentionRepository, view: InboxFilter) -> list[int]:
    sql, params = page_query(view, None)
    store = mentions._store  # the reference: one plain statement, every row of the view
    return [int(row[0]) for row in store.conn.execute(sql, [*params, 1_000_000])]


def _paged_ids(mentions: MentionRepository, view: InboxFilter, size: int) -> list[int]:
    ids: list[int] = []
    cursor: PageCursor | None = None
    while True:
        page = mentions.page(view, cursor, size)
        ids += page.ids
        if page.next is None:
            return ids
        cursor = page.next


@pytest.fixture
def shuffled(workspace: Workspace) -> MentionRepository:
    """600 mentions stored in random time order (ids say nothing about age); one word in
    four, a third of them done."""
    account_id = workspace.accounts.add(factories.brand_account()).id
    rng = random.Random(8)
    minutes = list(range(600))
    rng.shuffle(minutes)
    workspace.mentions.ingest(
        [
            factories.mention(
                account_id,
                number,
                f"About my {WORDS[number % 4]}, order {number}",
                minutes=minute,
                status=TriageStatus.DONE if number % 3 == 0 else TriageStatus.NEW,
            )
            for number, minute in enumerate(minutes)
        ]
    )
    return workspace.mentions


@pytest.mark.parametrize("shortcut", ["few hits", "walk", "walk then hits"])
@pytest.mark.parametrize("view", [InboxView.OPEN, InboxView.DONE, InboxView.ALL])
def test_every_search_page_is_the_plain_querys(
    shuffled: MentionRepository, monkeypatch: pytest.MonkeyPatch, shortcut: str, view: InboxView
) -> None:
    from storage.mentions import fts_planner as module

    if shortcut == "few hits":
        monkeypatch.setattr(module, "_FEW_HITS", 10_000)
    else:
        monkeypatch.setattr(module, "_FEW_HITS", 5)
        monkeypatch.setattr(module, "_WALK_CHUNK", 7)
        monkeypatch.setattr(module, "_WALK_MARGIN", 0)  # chunks of 7, 28, 112…
        monkeypatch.setattr(module, "_WALK_PER_HIT", 1_000 if shortcut == "walk" else 1)
    monkeypatch.setattr(module.math, "isqrt", lambda _n: 0)  # the floor above decides
    for typed in ("refund", "boots", "order", "zeppelin"):
        searched = inbox_filter(view, typed)
        expected = _plain_ids(shuffled, searched)
        assert _paged_ids(shuffled, searched, 25) == expected, typed
    # The words do find something, and the view narrows it.
    found = _plain_ids(shuffled, inbox_filter(view, "refund"))
    assert 0 < len(found) <= 150
