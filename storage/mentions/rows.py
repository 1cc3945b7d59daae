"""Inbox rows and whole mentions as the store reads them: one statement a page, badges
included."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.records import (
    Author,
    InboxRow,
    Mention,
    MentionKind,
    Network,
    OutboxState,
    TriageStatus,
    from_timestamp,
)

# Badges come from correlated subqueries in the page's own statement: one query per page,
# never one per row. Tag names are joined with the unit separator, which nobody types.
ROW_SELECT = """
    SELECT m.id, ac.network, ac.handle AS account_handle, au.handle AS author_handle,
           au.display_name AS author_name, m.kind, {text} AS text, m.language, m.created_at,
           m.status, m.assignee, m.is_own, m.snoozed_until, m.arrived_at, m.filtered,
           m.deleted_at IS NOT NULL AS deleted, m.edited_at IS NOT NULL AS edited,
           (SELECT group_concat(t.name, char(31)) FROM mention_tags AS mt
              JOIN tags AS t ON t.id = mt.tag_id WHERE mt.mention_id = m.id) AS tags,
           EXISTS (SELECT 1 FROM drafts AS d WHERE d.mention_id = m.id) AS has_draft,
           (SELECT o.state FROM outbox AS o WHERE o.mention_id = m.id
              ORDER BY o.id DESC LIMIT 1) AS reply_state,
           EXISTS (SELECT 1 FROM mentions AS r WHERE r.account_id = m.account_id
              AND r.parent_platform_id = m.platform_id AND r.is_own = 1) AS replied_in_thread
    FROM mentions AS m
    JOIN accounts AS ac ON ac.id = m.account_id
    JOIN authors AS au ON au.id = m.author_id
"""

# SQLite's default limit on host parameters is far above this; batches keep statements small.
ID_BATCH = 500


# The whole mention, with its account's network and its author (for the detail pane).
MENTION_SELECT = """
    SELECT m.*, ac.network, ac.handle AS account_handle,
           au.id AS a_id, au.network AS a_network, au.platform_id AS a_platform_id,
           au.handle AS a_handle, au.display_name AS a_display_name,
           au.avatar_url AS a_avatar_url, au.first_seen_at AS a_first_seen_at
    FROM mentions AS m
    JOIN accounts AS ac ON ac.id = m.account_id
    JOIN authors AS au ON au.id = m.author_id
    WHERE m.id = ?
"""


def inbox_row(row: dict[str, Any]) -> InboxRow:
    return InboxRow(
        id=row["id"],
        network=Network(row["network"]),
        account_handle=row["account_handle"],
        author_handle=row["author_handle"],
        author_name=row["author_name"],
        kind=MentionKind(row["kind"]),
        text=row["text"],
        language=row["language"],
        created_at=from_timestamp(row["created_at"]),
        status=TriageStatus(row["status"]),
        assignee=row["assignee"],
        is_own=bool(row["is_own"]),
        tags=tuple(sorted(row["tags"].split("\x1f"), key=str.casefold)) if row["tags"] else (),
        has_draft=bool(row["has_draft"]),
        reply_state=None if row["reply_state"] is None else OutboxState(row["reply_state"]),
        answered=row["reply_state"] == OutboxState.SENT.value or bool(row["replied_in_thread"]),
        snoozed_until=None
        if row["snoozed_until"] is None
        else from_timestamp(row["snoozed_until"]),
        arrived_at=_maybe_time(row["arrived_at"]),
        filtered=row["filtered"],
        deleted=bool(row["deleted"]),
        edited=bool(row["edited"]),
    )


def _maybe_time(text: str | None) -> datetime | None:
    return from_timestamp(text) if text else None


def _languages(text: str | None) -> tuple[str, ...]:
    return tuple(code for code in (text or "").split(",") if code)


def mention(row: dict[str, Any], tags: tuple[str, ...]) -> Mention:
    return Mention(
        id=row["id"],
        account_id=row["account_id"],
        network=Network(row["network"]),
        account_handle=row["account_handle"],
        platform_id=row["platform_id"],
        url=row["url"],
        author=Author(
            id=row["a_id"],
            network=Network(row["a_network"]),
            platform_id=row["a_platform_id"],
            handle=row["a_handle"],
            display_name=row["a_display_name"],
            avatar_url=row["a_avatar_url"],
            first_seen_at=from_timestamp(row["a_first_seen_at"]),
        ),
        kind=MentionKind(row["kind"]),
        text=row["text"],
        html=row["html"],
        spoiler_text=row["spoiler_text"],
        language=row["language"],
        visibility=row["visibility"],
        created_at=from_timestamp(row["created_at"]),
        fetched_at=from_timestamp(row["fetched_at"]),
        parent_platform_id=row["parent_platform_id"],
        root_platform_id=row["root_platform_id"],
        is_own=bool(row["is_own"]),
        status=TriageStatus(row["status"]),
        assignee=row["assignee"],
        tags=tags,
        platform_cid=row["platform_cid"],
        raw=row["raw"],
        arrived_at=_maybe_time(row["arrived_at"]),
        filtered=row["filtered"],
        edited_at=_maybe_time(row["edited_at"]),
        original_text=row["original_text"],
        deleted_at=_maybe_time(row["deleted_at"]),
        checked_at=_maybe_time(row["checked_at"]),
        languages=_languages(row["languages"]),
        language_source=row["language_source"],
    )
