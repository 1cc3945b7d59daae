"""Schema 17: the team inbox: membership, the team outbox, and shared state by natural key.

A workspace joined to a team keeps, beside its own tables:
- `team_membership`: which server, team and user (the secret is in the keyring), the last
  stream sequence applied to this store (committed with what it applied), the last exchange;
- `team_outbox`: changes made here, waiting to be published, in order; a row leaves it when
  its event comes back through the stream (so a change is never lost before the team has it);
- `team_mentions`: the natural keys the team's events name (network, server, account,
  platform id), by a short digest;
- `team_fields`, `team_tags`: the team's state of each shared field and tag, by natural key,
  whether or not this laptop has fetched the mention yet;
- `team_events`: every event applied, so a mention fetched later gets its history;
- `team_conflicts`: changes written against a version someone else had already replaced;
- `team_rejected`: messages that were not valid events (never applied; kept for the log).
"""

from __future__ import annotations

from storage.migrations.machinery import Migration

_TEAM_TABLES = [
    """
    CREATE TABLE team_membership (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        server TEXT NOT NULL,
        team TEXT NOT NULL,
        user TEXT NOT NULL,
        joined_at TEXT NOT NULL,
        applied_seq INTEGER NOT NULL DEFAULT 0,
        last_exchange_at TEXT,
        last_error TEXT NOT NULL DEFAULT ''
    )
    """,
    """
    CREATE TABLE team_outbox (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        event_type TEXT NOT NULL,
        payload BLOB NOT NULL,
        target TEXT,
        state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'published')),
        seq INTEGER,
        created_at TEXT NOT NULL,
        published_at TEXT
    )
    """,
    "CREATE INDEX team_outbox_by_state ON team_outbox (state, id)",
    "CREATE INDEX team_outbox_by_target ON team_outbox (target) WHERE target IS NOT NULL",
    """
    CREATE TABLE team_mentions (
        mkey TEXT PRIMARY KEY,
        network TEXT NOT NULL,
        server TEXT NOT NULL,
        account TEXT NOT NULL,
        platform_id TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    "CREATE INDEX team_mentions_by_post ON team_mentions (network, account, platform_id)",
    """
    CREATE TABLE team_fields (
        mkey TEXT NOT NULL,
        field TEXT NOT NULL,
        value TEXT,
        version TEXT NOT NULL,
        actor TEXT NOT NULL,
        at TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (mkey, field)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE team_tags (
        add_id TEXT PRIMARY KEY,
        mkey TEXT NOT NULL,
        tag TEXT NOT NULL COLLATE NOCASE,
        removed INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1))
    ) WITHOUT ROWID
    """,
    "CREATE INDEX team_tags_by_mention ON team_tags (mkey, tag)",
    # A remove that arrived before the add it removes (never in one stream's order, but an
    # add of ours published late may be): the add is born removed.
    "CREATE TABLE team_tag_tombstones (add_id TEXT PRIMARY KEY) WITHOUT ROWID",
    """
    CREATE TABLE team_events (
        seq INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        event_type TEXT NOT NULL,
        mkey TEXT,
        actor TEXT NOT NULL,
        user TEXT NOT NULL,
        at TEXT NOT NULL,
        payload BLOB NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'not_applied')),
        own INTEGER NOT NULL DEFAULT 0 CHECK (own IN (0, 1)),
        projected INTEGER NOT NULL DEFAULT 0 CHECK (projected IN (0, 1))
    )
    """,
    "CREATE INDEX team_events_by_mention ON team_events (mkey, seq)",
    "CREATE INDEX team_events_unprojected ON team_events (mkey) WHERE projected = 0",
    """
    CREATE TABLE team_conflicts (
        uuid TEXT PRIMARY KEY,
        mkey TEXT NOT NULL,
        field TEXT NOT NULL,
        mine_value TEXT,
        mine_actor TEXT NOT NULL,
        mine_user TEXT NOT NULL,
        mine_at TEXT NOT NULL,
        theirs_value TEXT,
        theirs_actor TEXT NOT NULL,
        theirs_at TEXT NOT NULL,
        seq INTEGER NOT NULL,
        resolved_at TEXT
    ) WITHOUT ROWID
    """,
    "CREATE INDEX team_conflicts_by_mention ON team_conflicts (mkey, seq)",
    """
    CREATE TABLE team_rejected (
        seq INTEGER PRIMARY KEY,
        subject TEXT NOT NULL,
        reason TEXT NOT NULL,
        size INTEGER NOT NULL,
        received_at TEXT NOT NULL
    )
    """,
]

MIGRATION = Migration(
    12,
    "the team inbox: membership, the team outbox, shared triage state by natural key",
    statements=_TEAM_TABLES,
)
