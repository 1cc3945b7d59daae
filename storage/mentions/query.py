"""The inbox's query builder: an `InboxFilter` as SQL, for pages in inbox order and counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from storage.mentions.conditions import NamedCondition
from storage.mentions.filters import InboxFilter, PageCursor

# The filter's own single-value fields, in the order their conditions are written.
_STORED_AFTER = NamedCondition("stored after", "m.id > ?")
_CREATED_FROM = NamedCondition("arrived from", "m.arrived_at >= ?")
_CREATED_BEFORE = NamedCondition("arrived before", "m.arrived_at < ?")
_AWAKE_AT = NamedCondition("awake at", "(m.snoozed_until IS NULL OR m.snoozed_until <= ?)")
_SNOOZED_PAST = NamedCondition("snoozed past", "m.snoozed_until > ?")


def page_query(
    view: InboxFilter, after: PageCursor | None, *, oldest_first: bool = False
) -> tuple[str, list[Any]]:
    """The SQL (and parameters, less the LIMIT) for one page of a view."""
    where, params = where_clauses(view, for_page=True)
    before_cursor(where, params, after)
    order = "ASC" if oldest_first else "DESC"
    sql = (
        f"SELECT m.id, m.arrived_at FROM mentions AS m WHERE {' AND '.join(where)}"
        f" ORDER BY m.arrived_at {order}, m.id {order} LIMIT ?"
    )
    return sql, params


def count_query(view: InboxFilter) -> tuple[str, list[Any]]:
    where, params = where_clauses(view)
    return f"SELECT count(*) FROM mentions AS m WHERE {' AND '.join(where)}", params


def without_search(view: InboxFilter) -> tuple[list[str], list[Any]]:
    """The view's conditions but its full-text match, for a statement that finds the hits
    its own way (the FTS planner)."""
    return where_clauses(replace(view, match=None), for_page=True)


def before_cursor(
    where: list[str], params: list[Any], after: PageCursor | None, *, table: str = "m."
) -> None:
    """Only what comes after the cursor in inbox order (newest arrival first; ties by id)."""
    if after is not None:
        where.append(f"({table}arrived_at < ? OR ({table}arrived_at = ? AND {table}id < ?))")
        params += [after.arrived_at, after.arrived_at, after.id]


def where_clauses(view: InboxFilter, *, for_page: bool = False) -> tuple[list[str], list[Any]]:
    """The view's conditions. `for_page`: the statement returns a page in inbox order, so
    a condition on several statuses must not lead the planner to the status index (it would
    read every open mention and sort them: 1.5 s at a million); `+` keeps it a filter on
    the time-ordered walk, which stops at the page's end."""
    where = ["m.is_own = 0", "m.is_context = 0"]
    params: list[Any] = []
    if view.matches_nothing:
        where.append("0")

    def one_of(column: str, values: Iterable[str | int]) -> None:
        chosen = sorted(values)
        if chosen:
            where.append(f"{column} IN ({', '.join('?' * len(chosen))})")
            params.extend(chosen)

    if view.match:
        # The matching ids are found once; joining the index into the time-ordered scan
        # would re-run the match for every row (seconds per keystroke on a big store).
        where.append("m.id IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?)")
        params.append(view.match)
    several = for_page and len(view.statuses) > 1
    one_of("+m.status" if several else "m.status", (status.value for status in view.statuses))
    one_of("m.account_id", view.account_ids)
    one_of("m.kind", (kind.value for kind in view.kinds))
    one_of("m.assignee", view.assignees)
    if view.languages:
        # The language Heedful reads it in, or any other the post is tagged with.
        chosen = sorted(language.lower() for language in view.languages)
        tagged = " OR ".join(["(',' || lower(m.languages) || ',') LIKE ?"] * len(chosen))
        where.append(f"(lower(m.language) IN ({', '.join('?' * len(chosen))}) OR {tagged})")
        params.extend(chosen)
        params.extend(f"%,{language},%" for language in chosen)
    if view.networks or view.account_handles:
        accounts = ["1"]
        if view.networks:
            marks = ", ".join("?" * len(view.networks))
            accounts.append(f"network IN ({marks})")
            params.extend(sorted(network.value for network in view.networks))
        if view.account_handles:
            marks = ", ".join("?" * len(view.account_handles))
            accounts.append(f"lower(handle) IN ({marks})")
            params.extend(sorted(handle.lower() for handle in view.account_handles))
        where.append(f"m.account_id IN (SELECT id FROM accounts WHERE {' AND '.join(accounts)})")
    for tag in sorted(view.tags):
        # From the tag's side: a tag is on few mentions, so its list drives the query.
        where.append(
            "m.id IN (SELECT mt.mention_id FROM tags AS t"
            " JOIN mention_tags AS mt ON mt.tag_id = t.id WHERE t.name = ?)"
        )
        params.append(tag)
    moments = (
        (_STORED_AFTER, view.after_id),
        (_CREATED_FROM, view.created_after),
        (_CREATED_BEFORE, view.created_before),
        (_AWAKE_AT, view.awake_at),
        (_SNOOZED_PAST, view.snoozed_at),
    )
    given = [named(value) for named, value in moments if value is not None]
    for condition in (*given, *view.conditions):
        sql, values = condition.sql()
        where.append(sql)
        params.extend(values)
    if view.unanswered:
        # A deleted post is kept for the record, but there is nothing left to answer.
        where.append("m.deleted_at IS NULL")
        where.append(
            "NOT EXISTS (SELECT 1 FROM outbox AS o WHERE o.mention_id = m.id"
            " AND o.state IN ('queued', 'sending', 'unknown', 'check', 'sent'))"
            " AND NOT EXISTS (SELECT 1 FROM mentions AS r WHERE r.account_id = m.account_id"
            " AND r.parent_platform_id = m.platform_id AND r.is_own = 1)"
        )
    return where, params
