"""The inbox service: views, search and the JSON shape of a mention, for the window and CLI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from storage.mentions import InboxFilter, InboxPage, MentionRepository, PageCursor
from storage.records import (
    InboxRow,
    Mention,
    MentionKind,
    TriageStatus,
    to_timestamp,
    utc_now,
)
from storage.store import open_store
from storage.views import SavedView, SavedViewRepository

from app.inbox.qualifiers import Context
from app.inbox.search import ParsedQuery, parse_query
from app.text.display import iso_time


class InboxView(StrEnum):
    """The built-in views, in the order the window shows them. The values are the CLI's
    `--view` names; "open" and "all" keep their meaning from before the views grew."""

    UNANSWERED = "unanswered"  # open work the brand has not replied to
    MINE = "mine"  # open work assigned to me (the agent name in the settings)
    OPEN = "open"  # everything not done and not snoozed: where the work is
    DONE = "done"
    DMS = "dms"  # direct messages, whatever their status
    ALL = "all"

    @property
    def label(self) -> str:
        return _VIEW_LABELS[self]


_VIEW_LABELS = {
    InboxView.UNANSWERED: "Unanswered",
    InboxView.MINE: "Mine",
    InboxView.OPEN: "All open",
    InboxView.DONE: "Done",
    InboxView.DMS: "DMs",
    InboxView.ALL: "All",
}
_NOT_DONE = frozenset({TriageStatus.NEW, TriageStatus.OPEN, TriageStatus.PENDING})


def view_filter(view: InboxView, *, now: datetime, agent_name: str = "") -> InboxFilter:
    """A built-in view's filter at this moment (snoozes end by themselves as time passes)."""
    awake = to_timestamp(now)
    if view is InboxView.UNANSWERED:
        return InboxFilter(statuses=_NOT_DONE, awake_at=awake, unanswered=True)
    if view is InboxView.MINE:
        # Nobody's name: nothing is "mine" (rather than every unassigned mention).
        mine = frozenset({agent_name}) if agent_name else frozenset()
        return InboxFilter(
            statuses=_NOT_DONE, awake_at=awake, assignees=mine, matches_nothing=not agent_name
        )
    if view is InboxView.OPEN:
        return InboxFilter(statuses=_NOT_DONE, awake_at=awake)
    if view is InboxView.DONE:
        return InboxFilter(statuses=frozenset({TriageStatus.DONE}))
    if view is InboxView.DMS:
        return InboxFilter(kinds=frozenset({MentionKind.DIRECT}))
    return InboxFilter()


def query_filter(
    base: InboxFilter, query: ParsedQuery, *, now: datetime, agent_name: str = ""
) -> InboxFilter:
    """`base` narrowed by what was typed: every qualifier must hold as well as the view (each
    narrows it as its entry in `app.inbox.qualifiers` says), then the words."""
    context = Context(now=now, agent_name=agent_name)
    view = base
    for qualifier, values in query.qualifiers:
        view = qualifier.narrowed(view, values, context)
    match = " ".join(filter(None, [view.match, query.match])) or None
    return replace(view, match=match)


def inbox_filter(
    view: InboxView, typed_search: str = "", *, now: datetime | None = None, agent_name: str = ""
) -> InboxFilter:
    """A view narrowed by the search box's text (words, and qualifiers like tag:billing)."""
    moment = now or utc_now()
    base = view_filter(view, now=moment, agent_name=agent_name)
    return query_filter(base, parse_query(typed_search), now=moment, agent_name=agent_name)


_Key = TypeVar("_Key")


@dataclass(frozen=True, slots=True)
class Arrivals:
    count: int
    latest: list[InboxRow]  # newest first, a few


class InboxService:
    def __init__(
        self, mentions: MentionRepository, saved_views: SavedViewRepository | None = None
    ) -> None:
        self._mentions = mentions
        self._saved_views = saved_views

    def counts(self, views: Mapping[_Key, InboxFilter]) -> dict[_Key, int]:
        """How many mentions each view holds (can take a while on a big store: run it off
        the GUI thread, on a connection of its own)."""
        return {key: self._mentions.count(view) for key, view in views.items()}

    def newest_id(self) -> int:
        return self._mentions.newest_id()

    def filter_choices(self) -> dict[str, list[str]]:
        """Values to offer in the filter menus: accounts, tags and assignees (small lookups)."""
        return self._mentions.filter_choices()

    def news(self, views: Mapping[_Key, InboxFilter], since_id: int) -> dict[_Key, Arrivals]:
        """What arrived in each view after mention `since_id` (views with nothing new are
        left out): how many, and the newest few, enough to say who wrote."""
        found: dict[_Key, Arrivals] = {}
        for key, view in views.items():
            recent = replace(view, after_id=since_id)
            page = self._mentions.page(recent, None, 3)
            if page.ids:
                rows = self._mentions.rows(page.ids, preview_chars=200)
                found[key] = Arrivals(
                    self._mentions.count(recent), [rows[i] for i in page.ids if i in rows]
                )
        return found

    # --- saved views ------------------------------------------------------------------------

    def saved_views(self) -> list[SavedView]:
        return [] if self._saved_views is None else self._saved_views.all()

    def save_view(self, name: str, query: str, *, notify: bool = False) -> SavedView:
        """Keep a search as a named view. Raises ValueError with a message for a person."""
        name = " ".join(name.split())
        if not name:
            raise ValueError("A saved view needs a name.")
        problems = parse_query(query).problems
        if problems:
            raise ValueError("; ".join(problems))
        if self._saved_views is None:
            raise RuntimeError("this inbox has no store for saved views")
        return self._saved_views.add(name, query.strip(), notify=notify)

    def update_view(self, view: SavedView) -> None:
        if self._saved_views is not None:
            self._saved_views.update(view)

    def remove_view(self, view_id: int) -> None:
        if self._saved_views is not None:
            self._saved_views.remove(view_id)

    def page(
        self, view: InboxFilter, after: PageCursor | None = None, limit: int = 200
    ) -> InboxPage:
        return self._mentions.page(view, after, limit)

    def last_page(self, view: InboxFilter, limit: int = 200) -> list[int]:
        """The oldest `limit` mentions of a view, in inbox order (the end of the list)."""
        return self._mentions.last_page(view, limit)

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


@dataclass(frozen=True, slots=True)
class InboxSnapshot:
    """What the window shows about the whole inbox, computed off the GUI thread."""

    counts: dict[Any, int]
    news: dict[Any, Arrivals]  # per watched view: what is new since the last snapshot
    newest_id: int


def snapshot_on_own_connection(
    database: Path,
    counted: Mapping[Any, InboxFilter],
    watched: Mapping[Any, InboxFilter],
    since_id: int | None,
) -> InboxSnapshot:
    """Counts (and news since `since_id`) over a connection of this thread's own: SQLite
    connections are not shared between threads, and counting a big store takes a while."""
    store = open_store(database)
    try:
        inbox = InboxService(MentionRepository(store))
        newest = inbox.newest_id()
        news = {} if since_id is None else inbox.news(watched, since_id)
        return InboxSnapshot(inbox.counts(counted), news, newest)
    finally:
        store.close()
