"""Search as typed: safe FTS5 expressions, and what they find in the store."""

from __future__ import annotations

import pytest

from storage.accounts import AccountRepository
from storage.mentions import InboxFilter, MentionRepository
from storage.store import Store

from app.inbox.search import match_expression

from tests.factories import author, brand_account, mention


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", None),
        ("   ", None),
        ("!!! ???", None),
        ("refund", '"refund"*'),
        ("late delivery", '"late" "delivery"*'),
        ('say "AND" NEAR(x', '"say" "AND" "NEAR" "x"*'),
        ("@kari@toot.example", 'author : "kari@toot.example"*'),
        ("@kari refund", 'author : "kari" "refund"*'),
    ],
)
def test_match_expression(typed: str, expected: str | None) -> None:
    assert match_expression(typed) == expected


@pytest.fixture
def searchable(store: Store) -> MentionRepository:
    account = AccountRepository(store).add(brand_account())
    repository = MentionRepository(store)
    repository.ingest(
        [
            mention(account.id, 1, "Jeg venter fortsatt på refusjonen min 😡", language="nb"),
            mention(account.id, 2, "The café in your Oslo store is lovely", language="en"),
            mention(
                account.id,
                3,
                "Checkout is down again?",
                by=author("olav.berg@fedi.example", "Olav Berg"),
            ),
            mention(account.id, 4, "Versand nach München dauert ewig", language="de"),
        ]
    )
    return repository


@pytest.mark.parametrize(
    ("typed", "texts"),
    [
        ("refusjon", ["Jeg venter fortsatt på refusjonen min 😡"]),  # prefix while typing
        ("cafe", ["The café in your Oslo store is lovely"]),  # diacritics folded
        ("munchen", ["Versand nach München dauert ewig"]),
        ("olav", ["Checkout is down again?"]),  # by author name
        ("@olav.berg", ["Checkout is down again?"]),  # by handle
        ("@checkout", []),  # @ means the author: no author is called "checkout"
        ("checkout down", ["Checkout is down again?"]),  # every word must match
        ("checkout refund", []),
        ('"unbalanced quote AND (', []),  # typed syntax never raises
    ],
)
def test_search_finds_text_and_authors(
    searchable: MentionRepository, typed: str, texts: list[str]
) -> None:
    found = searchable.page(InboxFilter(match=match_expression(typed)), None, 50)
    rows = searchable.rows(found.ids)
    assert sorted(rows[i].text for i in found.ids) == sorted(texts)
