"""The store's schema, as ordered migrations; the database's user_version says which have run.

Each migration after the shipped ones lives in a module of its own (`m10_….py`), listed here in
order. A migration never changes once it has shipped: add the next one instead.
"""

from __future__ import annotations

from storage.migrations import (
    m10_natural_keys,
    m11_outbox_states,
    m12_team,
    m13_team_claims,
    m14_x_network,
    m15_service_levels,
    m16_report_facts,
    m17_what_posts_became,
    m18_inbox_time,
    m19_team_library,
)
from storage.migrations.machinery import Migration, MigrationError, rebuild_table
from storage.migrations.schema_1_to_9 import SHIPPED

MIGRATIONS: tuple[Migration, ...] = (
    *SHIPPED,
    m10_natural_keys.MIGRATION,
    m11_outbox_states.MIGRATION,
    m12_team.MIGRATION,
    m13_team_claims.MIGRATION,
    m14_x_network.MIGRATION,
    m15_service_levels.MIGRATION,
    m16_report_facts.MIGRATION,
    m17_what_posts_became.MIGRATION,
    m18_inbox_time.MIGRATION,
    m19_team_library.MIGRATION,
)

LATEST_VERSION = MIGRATIONS[-1].version

__all__ = ["LATEST_VERSION", "MIGRATIONS", "Migration", "MigrationError", "rebuild_table"]
