"""Schema 19: the team's shared library: snippets, the brand profile, saved views marked "team".

- `saved_views.team`: a view the whole team sees (on every laptop); others stay one person's.
- `team_library`: each shared thing as the team's stream has it, by what it is
  (`snippet:<uuid>`, `view:<uuid>`, `brand`, `sla:<brand>`): the version (the UUID of the event
  that last wrote it), whether it is deleted, its name among the team's (a snippet's shortcut,
  a view's name, unique without case among the live ones), and the document itself (what a
  merge starts from, and what a laptop that had another version of its own goes back to).
- `team_library_conflicts`: saves and deletes written against a version someone else had
  replaced first; theirs stands, the author chooses (keep both, merge, apply mine anyway).
"""

from __future__ import annotations

from storage.migrations.machinery import Migration

_LIBRARY = [
    "ALTER TABLE saved_views ADD COLUMN team INTEGER NOT NULL DEFAULT 0 CHECK (team IN (0, 1))",
    """
    CREATE TABLE team_library (
        target TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('snippet', 'view', 'brand', 'sla')),
        version TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
        name TEXT COLLATE NOCASE,
        actor TEXT NOT NULL,
        user TEXT NOT NULL,
        at TEXT NOT NULL,
        seq INTEGER NOT NULL,
        document TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    "CREATE INDEX team_library_by_name ON team_library (kind, name) WHERE deleted = 0",
    """
    CREATE TABLE team_library_conflicts (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        target TEXT NOT NULL,
        kind TEXT NOT NULL,
        operation TEXT NOT NULL CHECK (operation IN ('save', 'delete')),
        mine_user TEXT NOT NULL,
        mine_actor TEXT NOT NULL,
        mine_at TEXT NOT NULL,
        mine_document TEXT NOT NULL,
        base_document TEXT,
        theirs_version TEXT NOT NULL,
        theirs_actor TEXT NOT NULL,
        theirs_at TEXT NOT NULL,
        theirs_deleted INTEGER NOT NULL DEFAULT 0,
        seq INTEGER NOT NULL,
        resolved_at TEXT,
        resolution TEXT
    )
    """,
    "CREATE INDEX team_library_conflicts_open ON team_library_conflicts (target)"
    " WHERE resolved_at IS NULL",
]

MIGRATION = Migration(
    19,
    "the team's shared library: snippets, the brand profile and team views, by version",
    statements=_LIBRARY,
)
