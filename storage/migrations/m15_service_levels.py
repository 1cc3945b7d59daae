"""Schema 15: service-level settings per brand (first-response targets, business hours, holidays).

A brand is what `accounts.brand` names ('' is the workspace's one brand). A brand without a
row here has no targets and counts calendar time. What the values mean, and how they are
checked, belongs to app.reports.sla; these tables only refuse what can never make sense.
"""

from __future__ import annotations

from storage.migrations.machinery import Migration

_SERVICE_LEVELS = [
    # The zone the brand's opening hours and report days are read in (an IANA name), and
    # whether time in Pending (waiting for the customer) stops the first-response clock.
    """
    CREATE TABLE sla_policies (
        brand TEXT PRIMARY KEY,
        time_zone TEXT NOT NULL,
        pause_while_pending INTEGER NOT NULL DEFAULT 1 CHECK (pause_while_pending IN (0, 1)),
        updated_at TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    # First-response targets: '' network is any network; kind '' any kind, 'public' any kind
    # but a direct message. The most specific target that matches a mention applies.
    """
    CREATE TABLE sla_targets (
        brand TEXT NOT NULL REFERENCES sla_policies (brand) ON DELETE CASCADE ON UPDATE CASCADE,
        network TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL DEFAULT ''
            CHECK (kind IN ('', 'public', 'mention', 'reply', 'quote', 'direct')),
        seconds INTEGER NOT NULL CHECK (seconds > 0),
        PRIMARY KEY (brand, network, kind)
    ) WITHOUT ROWID
    """,
    # Weekly shifts in local wall time: minutes after midnight; a close past 1440 is the next
    # morning (an overnight shift). No shifts at all: open around the clock.
    """
    CREATE TABLE sla_hours (
        brand TEXT NOT NULL REFERENCES sla_policies (brand) ON DELETE CASCADE ON UPDATE CASCADE,
        weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
        opens INTEGER NOT NULL CHECK (opens BETWEEN 0 AND 1439),
        closes INTEGER NOT NULL CHECK (closes > opens AND closes <= opens + 1440),
        PRIMARY KEY (brand, weekday, opens)
    ) WITHOUT ROWID
    """,
    # Local dates on which the brand is closed all day.
    """
    CREATE TABLE sla_holidays (
        brand TEXT NOT NULL REFERENCES sla_policies (brand) ON DELETE CASCADE ON UPDATE CASCADE,
        day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
        name TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (brand, day)
    ) WITHOUT ROWID
    """,
]

MIGRATION = Migration(
    15, "service levels: first-response targets, business hours, holidays", _SERVICE_LEVELS
)
