"""Schema 18: replies held because a teammate claimed the mention first, and what was decided.

Before a reply goes from queued to sending, the sender takes the mention's claim on the team's
server. When a teammate holds it, the reply is held here (nothing is posted) until the agent
chooses: send anyway, discard, or edit (the last two take it out of the outbox). An explicit
"send without claim" (the server unreachable, an emergency) is recorded here too, and logged.
"""

from __future__ import annotations

from storage.migrations.machinery import Migration

MIGRATION = Migration(
    13,
    "replies held by a teammate's claim on the mention, and the agent's decision",
    statements=[
        """
        CREATE TABLE team_reply_holds (
            outbox_id INTEGER PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
            holder_actor TEXT NOT NULL DEFAULT '',
            holder_user TEXT NOT NULL DEFAULT '',
            claimed_at TEXT,
            held_at TEXT NOT NULL,
            decision TEXT CHECK (decision IN ('send_anyway', 'without_claim')),
            decided_at TEXT
        )
        """,
    ],
)
