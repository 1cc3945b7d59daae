"""Schema 16: what reports and the inbox's SLA timers read, derived from the store.

- `report_facts`: one row per inbox mention (first response, SLA state and due time, time to
  done, reopens, the agent), recomputed by app.reports.refresh whenever something it depends
  on changes. The inbox finds breached and soon-due mentions through its partial index.
- `report_days` / `report_columns`: the same facts packed per brand and local day, one blob
  per column, so a report over a year adds up a few hundred blobs instead of a million rows.
- `report_dirty` / `report_dirty_days`: what changed since the last refresh. Triggers on the
  tables the facts come from fill them, in the writer's own transaction, with plain SQL (no
  function a connection might not have), so no writer anywhere can forget to.
- `report_meta`: the version the facts were computed with, and the settings they assumed;
  a new version or changed settings make the next refresh recompute (never a migration step,
  which would hold up start-up for a million mentions).

Instants in these tables are POSIX seconds (REAL): they are compared and subtracted, never
shown. The facts are derived: deleting them all loses nothing the next refresh cannot rebuild.
"""

from __future__ import annotations

from storage.migrations.machinery import Migration

_FACTS = [
    """
    CREATE TABLE report_facts (
        mention_id INTEGER PRIMARY KEY REFERENCES mentions (id) ON DELETE CASCADE,
        brand TEXT NOT NULL,
        day TEXT NOT NULL,
        created REAL NOT NULL,
        hour_of_week INTEGER NOT NULL CHECK (hour_of_week BETWEEN 0 AND 167),
        target_seconds INTEGER,
        sla_state TEXT NOT NULL CHECK (sla_state IN
            ('none', 'met', 'late', 'running', 'paused', 'closed', 'breached')),
        due_at REAL,
        left_seconds REAL,
        first_response_at REAL,
        response_via TEXT CHECK (response_via IN ('heedful', 'thread')),
        responder TEXT,
        response_seconds REAL,
        response_business_seconds REAL,
        first_done_at REAL,
        done_seconds REAL,
        done_business_seconds REAL,
        reopened INTEGER NOT NULL DEFAULT 0,
        agent TEXT NOT NULL DEFAULT '',
        timeline TEXT NOT NULL DEFAULT '{}'
    )
    """,
    "CREATE INDEX report_facts_by_day ON report_facts (brand, day)",
    # The inbox's `sla:breached`, `sla:due<30m` and "sort by time left": running clocks by
    # deadline. Few mentions are waiting at any time, so the index stays small.
    """
    CREATE INDEX report_facts_running ON report_facts (due_at, mention_id)
    WHERE sla_state = 'running'
    """,
    # Clocks stopped after the deadline passed (pending, or closed without a reply), and
    # clocks stopped before it (pending): few at any time.
    "CREATE INDEX report_facts_breached ON report_facts (mention_id) WHERE sla_state = 'breached'",
    "CREATE INDEX report_facts_paused ON report_facts (mention_id) WHERE sla_state = 'paused'",
    """
    CREATE TABLE report_days (
        brand TEXT NOT NULL,
        day TEXT NOT NULL,
        facts INTEGER NOT NULL,
        open_until REAL,
        replies_until REAL,
        PRIMARY KEY (brand, day)
    ) WITHOUT ROWID
    """,
    # Rowid table: blobs are large rows (WITHOUT ROWID suits small ones).
    """
    CREATE TABLE report_columns (
        id INTEGER PRIMARY KEY,
        brand TEXT NOT NULL,
        name TEXT NOT NULL,
        day TEXT NOT NULL,
        data BLOB NOT NULL,
        UNIQUE (brand, name, day)
    )
    """,
    # Text values in the packs (agents, languages, networks, …) are stored as these codes.
    """
    CREATE TABLE report_codes (
        id INTEGER PRIMARY KEY,
        dimension TEXT NOT NULL,
        value TEXT NOT NULL,
        UNIQUE (dimension, value)
    )
    """,
    "CREATE TABLE report_dirty (mention_id INTEGER PRIMARY KEY)",
    """
    CREATE TABLE report_dirty_days (
        brand TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (brand, day)
    ) WITHOUT ROWID
    """,
    "CREATE TABLE report_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    # Who sent each reply, for replies per agent (ReplyService fills it when it queues one;
    # replies queued before it did are credited from the triage history).
    "ALTER TABLE outbox ADD COLUMN agent TEXT",
]

# Each trigger only notes which mention to look at again; the refresh does the work.
_MARK = "INSERT OR IGNORE INTO report_dirty (mention_id)"
_TRIGGERS = [
    f"""
    CREATE TRIGGER report_dirty_mention_added AFTER INSERT ON mentions
    WHEN new.is_own = 0 AND new.is_context = 0
    BEGIN {_MARK} VALUES (new.id); END
    """,
    f"""
    CREATE TRIGGER report_dirty_mention_changed AFTER UPDATE ON mentions
    BEGIN {_MARK} VALUES (new.id); END
    """,
    # The brand's own reply found in a thread answers the post it replies to.
    f"""
    CREATE TRIGGER report_dirty_own_reply_added AFTER INSERT ON mentions
    WHEN new.is_own = 1 AND new.parent_platform_id IS NOT NULL
    BEGIN
        {_MARK} SELECT id FROM mentions
        WHERE account_id = new.account_id AND platform_id = new.parent_platform_id;
    END
    """,
    f"""
    CREATE TRIGGER report_dirty_own_reply_removed AFTER DELETE ON mentions
    WHEN old.is_own = 1 AND old.parent_platform_id IS NOT NULL
    BEGIN
        {_MARK} SELECT id FROM mentions
        WHERE account_id = old.account_id AND platform_id = old.parent_platform_id;
    END
    """,
    f"""
    CREATE TRIGGER report_dirty_triage AFTER INSERT ON triage_events
    BEGIN {_MARK} VALUES (new.mention_id); END
    """,
    f"""
    CREATE TRIGGER report_dirty_tag_added AFTER INSERT ON mention_tags
    BEGIN {_MARK} VALUES (new.mention_id); END
    """,
    f"""
    CREATE TRIGGER report_dirty_tag_removed AFTER DELETE ON mention_tags
    BEGIN {_MARK} VALUES (old.mention_id); END
    """,
    f"""
    CREATE TRIGGER report_dirty_reply_added AFTER INSERT ON outbox
    WHEN new.mention_id IS NOT NULL AND new.state = 'sent'
    BEGIN {_MARK} VALUES (new.mention_id); END
    """,
    f"""
    CREATE TRIGGER report_dirty_reply_changed AFTER UPDATE ON outbox
    WHEN (new.state = 'sent' OR old.state = 'sent')
    BEGIN
        {_MARK} SELECT new.mention_id WHERE new.mention_id IS NOT NULL;
        {_MARK} SELECT old.mention_id WHERE old.mention_id IS NOT NULL;
    END
    """,
    f"""
    CREATE TRIGGER report_dirty_reply_removed AFTER DELETE ON outbox
    WHEN old.mention_id IS NOT NULL AND old.state = 'sent'
    BEGIN {_MARK} VALUES (old.mention_id); END
    """,
    # A fact that goes (its mention was deleted) leaves its day's pack to be packed again.
    """
    CREATE TRIGGER report_facts_removed AFTER DELETE ON report_facts
    BEGIN
        INSERT OR IGNORE INTO report_dirty_days (brand, day) VALUES (old.brand, old.day);
    END
    """,
]

MIGRATION = Migration(
    16,
    "report facts, per-day packs and what changed since (reports and SLA timers)",
    [*_FACTS, *_TRIGGERS],
)
