"""The inbox service: views, search and the JSON shape of a mention, for the window and CLI."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.mentions import InboxFilter, InboxPage, MentionRepository, PageCursor
from storage.records import InboxRow, Mention, TriageStatus

from app.search import match_expression
from app.text import iso_time


class InboxView(StrEnum):
    OPEN = "open"  # everything not done yet: where the work is
    ALL = "all"
    DONE = "done"

    @property
    def label(self) -> str:
        return {"open": "Open", "all": "All", "done": "Done"}[self.value]


_VIEW_STATUSES = {
    InboxView.OPEN: frozenset({TriageStatus.NEW, TriageStatus.OPEN, TriageStatus.PENDING}),
    InboxView.ALL: frozenset[TriageStatus](),
    InboxView.DONE: frozenset({TriageStatus.DONE}),
}


def inbox_filter(view: InboxView, typed_search: str = "") -> InboxFilter:
    return InboxFilter(statuses=_VIEW_STATUSES[view], match=match_expression(typed_search))


class InboxService:
    def __init__(self, mentions: MentionRepository) -> None:
        self._mentions = mentions

    def page(
        self, view: InboxFilter, after: PageCursor | None = None, limit: int = 200
    ) -> InboxPage:
        return self._mentions.page(view, after, limit)

    def count(self, view: InboxFilter) -> int:
        return self._mentions.count(view)

    def rows(self, ids: list[int], *, preview_chars: int | None = 280) -> dict[int, InboxRow]:
        return self._mentions.rows(ids, preview_chars=preview_chars)

    def mention(self, mention_id: int) -> Mention:
        return self._mentions.get(mention_id)

    def thread(self, mention_id: int) -> list[InboxRow]:
        return self._mentions.thread(mention_id)

    def author_history(self, author_id: int, limit: int = 50) -> list[InboxRow]:
        return self._mentions.by_author(author_id, limit=limit)

    def parent_is_missing(self, mention: Mention) -> bool:
        """Whether the post this one answers is not in the store (its thread needs fetching)."""
        parent = mention.parent_platform_id
        return parent is not None and not self._mentions.is_stored(mention.account_id, parent)

    def author_first_seen(self, author_id: int) -> datetime | None:
        return self._mentions.author_first_seen(author_id)

    def list_rows(self, view: InboxFilter, limit: int) -> list[InboxRow]:
        """Up to `limit` rows of a view in inbox order, with full text (for the command line)."""
        ids: list[int] = []
        cursor: PageCursor | None = None
        while len(ids) < limit:
            page = self._mentions.page(view, cursor, min(500, limit - len(ids)))
            ids += page.ids
            if page.next is None:
                break
            cursor = page.next
        rows = self._mentions.rows(ids)
        return [rows[i] for i in ids]


def mention_json(row: InboxRow) -> dict[str, Any]:
    """The stable, documented JSON shape of one mention (README: "JSON output")."""
    return {
        "id": row.id,
        "network": row.network.value,
        "account": row.account_handle,
        "author_handle": row.author_handle,
        "author_name": row.author_name,
        "kind": row.kind.value,
        "text": row.text,
        "language": row.language,
        "created_at": iso_time(row.created_at),
        "status": row.status.value,
        "assignee": row.assignee,
    }
