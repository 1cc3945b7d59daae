"""Schema versions 1 to 9, as they shipped: never edit one, add a migration after them."""

from __future__ import annotations

from storage.migrations.machinery import Migration

# Times are UTC text in one fixed format (storage.records.TIMESTAMP_FORMAT), so text order is
# time order. Triage state lives on the mention row for fast filtering; every change to it is
# also appended to triage_events, which nothing may edit or delete.
_CORE_TABLES = [
    """
    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        network TEXT NOT NULL CHECK (network IN ('mastodon', 'bluesky')),
        server TEXT NOT NULL,
        handle TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT '',
        platform_user_id TEXT,
        state TEXT NOT NULL DEFAULT 'ok'
            CHECK (state IN ('ok', 'offline', 'rate_limited', 'needs_sign_in', 'error')),
        state_detail TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        UNIQUE (network, server, handle)
    )
    """,
    """
    CREATE TABLE authors (
        id INTEGER PRIMARY KEY,
        network TEXT NOT NULL,
        platform_id TEXT NOT NULL,
        handle TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT '',
        avatar_url TEXT,
        first_seen_at TEXT NOT NULL,
        UNIQUE (network, platform_id)
    )
    """,
    """
    CREATE TABLE mentions (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        platform_id TEXT NOT NULL,
        platform_cid TEXT,
        url TEXT,
        author_id INTEGER NOT NULL REFERENCES authors (id),
        kind TEXT NOT NULL CHECK (kind IN ('mention', 'reply', 'quote', 'direct')),
        text TEXT NOT NULL,
        html TEXT,
        spoiler_text TEXT NOT NULL DEFAULT '',
        language TEXT,
        visibility TEXT,
        created_at TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        parent_platform_id TEXT,
        root_platform_id TEXT,
        is_own INTEGER NOT NULL DEFAULT 0 CHECK (is_own IN (0, 1)),
        raw TEXT,
        status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'open', 'pending', 'done')),
        assignee TEXT,
        priority INTEGER NOT NULL DEFAULT 0,
        snoozed_until TEXT,
        UNIQUE (account_id, platform_id)
    )
    """,
    # The inbox is "newest first, the brand's own posts left out": one partial index serves it.
    """
    CREATE INDEX mentions_inbox_order ON mentions (created_at DESC, id DESC) WHERE is_own = 0
    """,
    "CREATE INDEX mentions_by_status ON mentions (status, created_at DESC) WHERE is_own = 0",
    "CREATE INDEX mentions_by_author ON mentions (author_id, created_at DESC)",
    "CREATE INDEX mentions_by_parent ON mentions (account_id, parent_platform_id)",
    """
    CREATE TABLE triage_events (
        id INTEGER PRIMARY KEY,
        mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
        actor TEXT NOT NULL,
        field TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT,
        at TEXT NOT NULL
    )
    """,
    "CREATE INDEX triage_events_by_mention ON triage_events (mention_id, at)",
    """
    CREATE TRIGGER triage_events_append_only_update BEFORE UPDATE ON triage_events
    BEGIN SELECT RAISE(ABORT, 'triage history is append-only'); END
    """,
    """
    CREATE TABLE tags (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE
    )
    """,
    """
    CREATE TABLE mention_tags (
        mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
        tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
        PRIMARY KEY (mention_id, tag_id)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX mention_tags_by_tag ON mention_tags (tag_id, mention_id)",
    """
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
        author TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX notes_by_mention ON notes (mention_id, created_at)",
    """
    CREATE TABLE drafts (
        mention_id INTEGER PRIMARY KEY REFERENCES mentions (id) ON DELETE CASCADE,
        mode TEXT NOT NULL DEFAULT 'public' CHECK (mode IN ('public', 'direct')),
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    # The idempotency key is chosen when the reply is queued and reused on every attempt.
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        mention_id INTEGER REFERENCES mentions (id) ON DELETE SET NULL,
        kind TEXT NOT NULL CHECK (kind IN ('reply', 'direct')),
        body TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error TEXT,
        platform_id TEXT,
        url TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
    )
    """,
    "CREATE INDEX outbox_pending ON outbox (account_id, state, id)",
    """
    CREATE TABLE snippets (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        shortcut TEXT UNIQUE COLLATE NOCASE,
        body TEXT NOT NULL,
        folder TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        is_shared INTEGER NOT NULL DEFAULT 0 CHECK (is_shared IN (0, 1)),
        usage_count INTEGER NOT NULL DEFAULT 0,
        last_used_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    # A variant replaces the body for one language, one network, or both ('' = any).
    """
    CREATE TABLE snippet_variants (
        id INTEGER PRIMARY KEY,
        snippet_id INTEGER NOT NULL REFERENCES snippets (id) ON DELETE CASCADE,
        language TEXT NOT NULL DEFAULT '',
        network TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL,
        UNIQUE (snippet_id, language, network)
    )
    """,
    """
    CREATE TABLE sync_cursors (
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        stream TEXT NOT NULL,
        cursor TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (account_id, stream)
    ) WITHOUT ROWID
    """,
]

# Full-text search over what a community manager types into the search box: the words of the
# mention and who wrote it. The index keeps its own copy of the text so that deleting a row
# never needs the old values; diacritics are folded so "cafe" finds "café".
_FULL_TEXT_SEARCH = [
    """
    CREATE VIRTUAL TABLE mentions_fts USING fts5 (
        text, author, tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    """
    INSERT INTO mentions_fts (rowid, text, author)
    SELECT m.id, m.spoiler_text || ' ' || m.text, a.handle || ' ' || a.display_name
    FROM mentions AS m JOIN authors AS a ON a.id = m.author_id
    """,
    """
    CREATE TRIGGER mentions_fts_insert AFTER INSERT ON mentions BEGIN
        INSERT INTO mentions_fts (rowid, text, author)
        SELECT new.id, new.spoiler_text || ' ' || new.text, a.handle || ' ' || a.display_name
        FROM authors AS a WHERE a.id = new.author_id;
    END
    """,
    """
    CREATE TRIGGER mentions_fts_delete AFTER DELETE ON mentions BEGIN
        DELETE FROM mentions_fts WHERE rowid = old.id;
    END
    """,
    """
    CREATE TRIGGER mentions_fts_update AFTER UPDATE OF text, spoiler_text, author_id ON mentions
    BEGIN
        DELETE FROM mentions_fts WHERE rowid = old.id;
        INSERT INTO mentions_fts (rowid, text, author)
        SELECT new.id, new.spoiler_text || ' ' || new.text, a.handle || ' ' || a.display_name
        FROM authors AS a WHERE a.id = new.author_id;
    END
    """,
    # A renamed author must still be found under the new name.
    """
    CREATE TRIGGER authors_fts_rename AFTER UPDATE OF handle, display_name ON authors BEGIN
        DELETE FROM mentions_fts
        WHERE rowid IN (SELECT id FROM mentions WHERE author_id = new.id);
        INSERT INTO mentions_fts (rowid, text, author)
        SELECT m.id, m.spoiler_text || ' ' || m.text, new.handle || ' ' || new.display_name
        FROM mentions AS m WHERE m.author_id = new.id;
    END
    """,
]

# What channel health shows for each account: when it last synced successfully.
_ACCOUNT_SYNC_STATE = [
    "ALTER TABLE accounts ADD COLUMN last_synced_at TEXT",
    "ALTER TABLE accounts ADD COLUMN state_until TEXT",  # rate-limited until
]

_SAFE_SENDING = [
    # A reply is claimed by one sender at a time; a claim left by a crash expires.
    "ALTER TABLE outbox ADD COLUMN claimed_at TEXT",
    # The server's post length limit, learned by the sync thread, checked before queueing.
    "ALTER TABLE accounts ADD COLUMN max_post_length INTEGER",
    # Posts fetched only to show a conversation (other people's, not addressed to the
    # brand) are context, never inbox work.
    "ALTER TABLE mentions ADD COLUMN is_context INTEGER NOT NULL DEFAULT 0",
    # Facts about the profile itself, such as the id its keyring entries are filed under
    # (so moving the folder does not lose the sign-ins).
    "CREATE TABLE profile_facts (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "INSERT INTO profile_facts (name, value) VALUES ('profile_id', lower(hex(randomblob(16))))",
]

_SYNC_LEASES_AND_HEALTH = [
    # One sync per account at a time, across threads and processes (a window and the command
    # line): the holder renews its lease while it works; a lease left by a dead process expires.
    """
    CREATE TABLE sync_leases (
        account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
        holder TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )
    """,
    # What the channel health panel shows beyond the account's state.
    """
    CREATE TABLE account_health (
        account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
        fetched_last INTEGER NOT NULL DEFAULT 0,
        fetched_total INTEGER NOT NULL DEFAULT 0,
        rate_limit INTEGER,
        rate_remaining INTEGER,
        rate_resets_at TEXT,
        token_expires_at TEXT,
        last_attempt_at TEXT
    )
    """,
]

# Items a network sent that could not be stored safely: kept with the reason, and counted
# per account for channel health.
_SKIPPED_ITEMS = [
    """
    CREATE TABLE skipped_items (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        platform_id TEXT,
        reason TEXT NOT NULL,
        skipped_at TEXT NOT NULL,
        UNIQUE (account_id, platform_id, reason)
    )
    """,
]

# Which snippet was used on which mention (suggestions rank snippets by similar past
# mentions), and the workspace's brand profile (one JSON document, the brand's voice).
_SNIPPETS_AND_BRAND = [
    """
    CREATE TABLE snippet_uses (
        id INTEGER PRIMARY KEY,
        snippet_id INTEGER NOT NULL REFERENCES snippets (id) ON DELETE CASCADE,
        mention_id INTEGER REFERENCES mentions (id) ON DELETE CASCADE,
        used_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX snippet_uses_by_snippet ON snippet_uses (snippet_id, used_at)",
    """
    CREATE TABLE brand_profile (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
]

# The inbox list's filters and badges, and the views a person saves.
_INBOX_VIEWS = [
    # Badges ("reply queued", "answered") are looked up per row of a page: by mention, not
    # by scanning the outbox.
    "CREATE INDEX outbox_by_mention ON outbox (mention_id, state)",
    # "Mine" and the assignee filter; most mentions have no assignee, so the index is small.
    """
    CREATE INDEX mentions_by_assignee ON mentions (assignee, created_at DESC, id DESC)
    WHERE is_own = 0 AND assignee IS NOT NULL
    """,
    # The DMs view and the kind filter: direct messages are few among many mentions.
    """
    CREATE INDEX mentions_by_kind ON mentions (kind, created_at DESC, id DESC)
    WHERE is_own = 0
    """,
    # Counting the views reads this index alone, not the rows: it holds every column the
    # status, snooze and Unanswered conditions look at (is_own and is_context included, or
    # SQLite would not see it as covering).
    """
    CREATE INDEX mentions_open_work
    ON mentions (status, snoozed_until, account_id, platform_id, is_own, is_context)
    WHERE is_own = 0 AND is_context = 0
    """,
    # "Has the brand replied to it?" probes the brand's own replies only: a small index.
    """
    CREATE INDEX mentions_own_replies ON mentions (account_id, parent_platform_id)
    WHERE is_own = 1
    """,
    """
    CREATE TABLE saved_views (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        query TEXT NOT NULL,
        notify INTEGER NOT NULL DEFAULT 0 CHECK (notify IN (0, 1)),
        position INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    )
    """,
]

SHIPPED: tuple[Migration, ...] = (
    Migration(
        1, "accounts, mentions, triage, drafts, outbox, snippets, sync cursors", _CORE_TABLES
    ),
    Migration(2, "full-text search over mention text and author", _FULL_TEXT_SEARCH),
    Migration(3, "accounts remember their last sync and rate-limit wait", _ACCOUNT_SYNC_STATE),
    Migration(4, "one sender per reply, post limits, thread context, profile id", _SAFE_SENDING),
    Migration(5, "one sync per account at a time; channel health facts", _SYNC_LEASES_AND_HEALTH),
    Migration(6, "inbox filters and badges, saved views", _INBOX_VIEWS),
    Migration(7, "snippet uses for suggestions, the brand profile", _SNIPPETS_AND_BRAND),
    Migration(8, "unreadable items from the networks, skipped with a reason", _SKIPPED_ITEMS),
    Migration(
        9,
        "the next snooze to end, found without reading every mention",
        # The window asks at start for the earliest snooze still running (1.3 s at a
        # million mentions without it); few mentions are snoozed, so the index is small.
        [
            "CREATE INDEX mentions_by_snooze ON mentions (snoozed_until)"
            " WHERE snoozed_until IS NOT NULL"
        ],
    ),
)
