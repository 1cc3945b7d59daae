"""Mentions in the local store: ingesting what the networks send, and paging the inbox in SQL.

- `filters`: what a view asks for (`InboxFilter`) and where a page ended
- `conditions`: named, parameterised conditions a filter can add (`priority`…)
- `query`: the query builder: a filter as SQL for pages and counts
- `fts_planner`: search pages, from the hits or by walking the time index
- `ingest`: storing new mentions, their authors and tags
- `rows`: inbox rows and whole mentions as SQL reads them
- `repository`: `MentionRepository`, the one object callers hold
"""

from storage.mentions.conditions import CONDITIONS, Condition, NamedCondition
from storage.mentions.filters import InboxFilter, InboxPage, PageCursor
from storage.mentions.query import count_query, page_query
from storage.mentions.repository import MentionRepository

__all__ = [
    "CONDITIONS",
    "Condition",
    "InboxFilter",
    "InboxPage",
    "MentionRepository",
    "NamedCondition",
    "PageCursor",
    "count_query",
    "page_query",
]
