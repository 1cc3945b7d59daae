"""Schema 18: the inbox is ordered and aged by when a post arrived (`arrived_at`, schema 17).

The indexes that walk the inbox in order are made again on the arrival time, so every view
stays a walk of an index that stops at the page's end; counting Unanswered (which leaves
deleted posts out) still reads one covering index. Two small partial indexes serve the
re-check of recent open posts and a filtered request's mentions.
"""

from __future__ import annotations

from storage.migrations.machinery import Migration

MIGRATION = Migration(
    18,
    "inbox order by arrival; re-check and filtered-request indexes",
    statements=[
        "DROP INDEX mentions_inbox_order",
        "CREATE INDEX mentions_inbox_order ON mentions (arrived_at DESC, id DESC) WHERE is_own = 0",
        "DROP INDEX mentions_by_status",
        "CREATE INDEX mentions_by_status ON mentions (status, arrived_at DESC) WHERE is_own = 0",
        "DROP INDEX mentions_by_assignee",
        "CREATE INDEX mentions_by_assignee ON mentions (assignee, arrived_at DESC, id DESC)"
        " WHERE is_own = 0 AND assignee IS NOT NULL",
        "DROP INDEX mentions_by_kind",
        "CREATE INDEX mentions_by_kind ON mentions (kind, arrived_at DESC, id DESC)"
        " WHERE is_own = 0",
        "DROP INDEX mentions_open_work",
        "CREATE INDEX mentions_open_work ON mentions"
        " (status, snoozed_until, account_id, platform_id, is_own, is_context, deleted_at)"
        " WHERE is_own = 0 AND is_context = 0",
        # Recent open posts of an account, looked up again for edits and deletion.
        "CREATE INDEX mentions_to_recheck ON mentions (account_id, arrived_at)"
        " WHERE is_own = 0 AND is_context = 0 AND deleted_at IS NULL",
        # A filtered request's posts, cleared or closed together when it is accepted or
        # dismissed; few posts are filtered, so the index is small.
        "CREATE INDEX mentions_filtered ON mentions (account_id, author_id)"
        " WHERE filtered IS NOT NULL",
    ],
)
