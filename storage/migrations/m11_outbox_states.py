"""Schema 11: the outbox's states "unknown" and "check", and who holds a reply's claim."""

from __future__ import annotations

import sqlite3

from storage.migrations.machinery import Migration, MigrationError, rebuild_table

_STATES_BEFORE = "('queued', 'sending', 'sent', 'failed')"
_STATES = "('queued', 'sending', 'unknown', 'check', 'sent', 'failed')"


def _widen_outbox_states(conn: sqlite3.Connection) -> None:
    # A new state changes the CHECK constraint, which SQLite cannot ALTER: the table is
    # rebuilt from its own definition with the wider list, so every column it has (whatever
    # migrations before this one added) is kept, with its rows and indexes.
    (create,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outbox'"
    ).fetchone()
    if str(create).count(_STATES_BEFORE) != 1:
        raise MigrationError("the outbox's state constraint is not the one schema 11 widens")
    rebuild_table(conn, "outbox", str(create).replace(_STATES_BEFORE, _STATES))
    # A sender's claim while it posts: when, and which sync (its lease holder). Outcomes are
    # written only by the claim's holder, so a sync that lost the account writes nothing.
    conn.execute("ALTER TABLE outbox ADD COLUMN claimed_by TEXT")
    # A reply an older Heedful left "sending" was cut short (killed, or still waiting for an
    # answer that never came): whether it reached the network is not known, and the
    # network's idempotency key may have expired since. It is looked for before it goes.
    conn.execute("UPDATE outbox SET state = 'unknown' WHERE state = 'sending'")
    conn.execute("UPDATE outbox SET claimed_at = NULL")


MIGRATION = Migration(
    11,
    "the outbox knows an outcome unknown from queued, and holds restored replies for a check",
    run=_widen_outbox_states,
)
