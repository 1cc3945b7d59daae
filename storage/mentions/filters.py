"""What an inbox view asks the store for (`InboxFilter`), and where a page of it ended."""

from __future__ import annotations

from dataclasses import dataclass

from storage.mentions.conditions import Condition
from storage.records import MentionKind, Network, TriageStatus


@dataclass(frozen=True, slots=True)
class InboxFilter:
    """Which mentions a view shows. Empty sets mean "any"; every set is "one of these",
    except tags: a mention must carry every tag asked for. Times are stored-timestamp text.

    The typed fields are what the built-in views and the query planner reason about;
    anything else a search qualifier asks for is one of storage's named `conditions`."""

    statuses: frozenset[TriageStatus] = frozenset()
    account_ids: frozenset[int] = frozenset()
    match: str | None = (
        None  # an FTS5 MATCH expression, built by app.inbox.search from what was typed
    )
    networks: frozenset[Network] = frozenset()
    account_handles: frozenset[str] = frozenset()
    kinds: frozenset[MentionKind] = frozenset()
    languages: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    assignees: frozenset[str] = frozenset()
    # On the inbox's time (when a post arrived, `arrived_at`), which views are ordered by.
    created_after: str | None = None  # inclusive
    created_before: str | None = None  # exclusive; "waiting longer than X" ends up here too
    # Snoozed mentions are hidden while snoozed_until is later than this moment (they come
    # back by themselves: the caller passes "now" each time it builds the filter).
    awake_at: str | None = None
    snoozed_at: str | None = None  # only mentions snoozed past this moment
    unanswered: bool = False  # no reply from the brand sent, queued, or seen in the thread
    matches_nothing: bool = False  # the view contradicts itself (is:done in an open view)
    after_id: int | None = None  # only mentions stored after this one (what is new since)
    conditions: tuple[Condition, ...] = ()  # each must hold too (storage.mentions.conditions)


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where the last page ended, in inbox order (newest arrival first)."""

    arrived_at: str
    id: int


@dataclass(frozen=True, slots=True)
class InboxPage:
    ids: list[int]
    next: PageCursor | None  # None: this was the last page
