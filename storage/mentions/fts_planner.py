"""The FTS planner: a page of a search, from the hits when they are few, or by walking the
time index in inbox order when they are many (no search ever sorts every hit it has)."""

from __future__ import annotations

import math
import sqlite3
from typing import Any

from storage.mentions.filters import InboxFilter, PageCursor
from storage.mentions.query import before_cursor, without_search

# A search with few hits sorts them all; with more, the time index is walked in inbox
# order, chunk by chunk (the first chunk at least this long, then 4× each time).
_FEW_HITS = 2_000  # at least; more on a big store (see search_page)
_WALK_CHUNK = 1_000
_WALK_MARGIN = 4  # the first chunk: this many times what the hits' density needs
_WALK_PER_HIT = 2  # mentions walked, at most, per hit that sorting would have read


def search_page(
    conn: sqlite3.Connection, view: InboxFilter, after: PageCursor | None, limit: int
) -> list[tuple[int, str]]:
    """A page of a search, in inbox order, without reading every hit when there are many.

    Few hits: all of them, joined by primary key and sorted. Many: the time index is
    walked in inbox order in chunks (it holds only the time and the id: no row is read),
    each chunk's ids checked against the hits in that id range (FTS5 seeks a rowid
    range), and only the ids that match are checked against the view, until the page is
    full. A walk that finds too little (the hits are elsewhere: "thank" in the open view,
    mostly done) finishes from the hits after where it stopped. Correct for any id
    order; fastest when ids roughly follow time, as they do for mentions stored as they
    arrive."""
    assert view.match is not None
    stored = int(conn.execute("SELECT coalesce(max(id), 0) FROM mentions").fetchone()[0])
    # Sorting every hit costs about as much per hit as walking costs per hit found.
    few = max(_FEW_HITS, math.isqrt(limit * stored))
    hits = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM mentions_fts WHERE mentions_fts MATCH ? LIMIT ?)",
        [view.match, few + 1],
    ).fetchone()[0]
    if hits <= few:
        sql, params = _hits_page_query(view, after)
        return [(int(row[0]), str(row[1])) for row in conn.execute(sql, [*params, limit])]
    found: list[tuple[int, str]] = []
    cursor = after
    walked = 0
    # Enough of the time index, at the hits' density, for a page; then more each time.
    chunk = max(_WALK_CHUNK, _WALK_MARGIN * limit * max(stored, 1) // few)
    while walked < few * _WALK_PER_HIT:
        # The chunk's id range and where it ends, computed in SQL (no rows to Python).
        sql, params = _walk_query(cursor)
        lowest, highest, taken = conn.execute(
            f"SELECT min(id), max(id), count(*) FROM ({sql})", [*params, chunk]
        ).fetchone()
        if not taken:
            return found
        end = conn.execute(
            f"SELECT arrived_at, id FROM ({sql}) ORDER BY arrived_at, id LIMIT 1",
            [*params, chunk],
        ).fetchone()
        sql, params = _chunk_page_query(view, cursor, PageCursor(str(end[0]), int(end[1])))
        rows = conn.execute(sql, [*params, lowest, highest, limit - len(found)]).fetchall()
        found += [(int(row[0]), str(row[1])) for row in rows]
        if len(found) == limit or taken < chunk:
            return found
        walked += taken
        cursor = PageCursor(str(end[0]), int(end[1]))
        chunk *= 4
    sql, params = _hits_page_query(view, cursor)
    rest = conn.execute(sql, [*params, limit - len(found)]).fetchall()
    return found + [(int(row[0]), str(row[1])) for row in rest]


def _walk_query(after: PageCursor | None) -> tuple[str, list[Any]]:
    """Ids in inbox order from the time index alone (every view is a part of it)."""
    where = ["is_own = 0"]
    params: list[Any] = []
    before_cursor(where, params, after, table="")
    sql = (
        "SELECT id, arrived_at FROM mentions INDEXED BY mentions_inbox_order"
        f" WHERE {' AND '.join(where)} ORDER BY arrived_at DESC, id DESC LIMIT ?"
    )
    return sql, params


def _chunk_page_query(
    view: InboxFilter, after: PageCursor | None, until: PageCursor
) -> tuple[str, list[Any]]:
    """A search page from one chunk of the time index (after `after`, up to `until`
    included), the hits looked up in the chunk's id range only (parameters: then the
    range's lowest and highest id, and the LIMIT)."""
    where, params = without_search(view)
    before_cursor(where, params, after)
    where.append("(m.arrived_at > ? OR (m.arrived_at = ? AND m.id >= ?))")
    params += [until.arrived_at, until.arrived_at, until.id]
    sql = (
        "SELECT m.id, m.arrived_at FROM mentions AS m INDEXED BY mentions_inbox_order"
        f" WHERE {' AND '.join(where)} AND m.id IN (SELECT rowid FROM mentions_fts"
        " WHERE mentions_fts MATCH ? AND rowid BETWEEN ? AND ?)"
        " ORDER BY m.arrived_at DESC, m.id DESC LIMIT ?"
    )
    return sql, [*params, view.match]


def _hits_page_query(view: InboxFilter, after: PageCursor | None) -> tuple[str, list[Any]]:
    """A search page driven from the hits: each joined by primary key, then sorted (cheap
    while the hits are few; CROSS JOIN keeps SQLite from walking the mentions instead)."""
    where, params = without_search(view)
    before_cursor(where, params, after)
    sql = (
        "SELECT m.id, m.arrived_at FROM mentions_fts CROSS JOIN mentions AS m"
        f" ON m.id = mentions_fts.rowid WHERE mentions_fts MATCH ? AND {' AND '.join(where)}"
        " ORDER BY m.arrived_at DESC, m.id DESC LIMIT ?"
    )
    return sql, [view.match, *params]
