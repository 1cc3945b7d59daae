"""Keeping the report facts and packs up to date with the store: recompute what changed since
the last refresh (the triggers of schema 16 queue it), or everything when the rules' version,
a brand's settings or an account's brand changed. `rebuild` starts over from the store.

A refresh is cheap when little changed (one sync's new mentions: milliseconds) and runs in
short transactions, so a window and a command line can both refresh beside each other; run it
on a worker thread, never on the GUI thread (a rebuild at a million mentions takes a while).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from storage.reports.brands import account_brands
from storage.reports.facts import FactRepository
from storage.reports.packs import PackRepository
from storage.store import Store

from app.reports.business_time import BusinessClock
from app.reports.dimensions import REGISTRY, Dimension, DimensionRegistry
from app.reports.facts import FACTS_VERSION, FactRules, compute_facts
from app.reports.packs import PACK_VERSION, pack_day
from app.reports.sla import SlaPolicy, SlaSettings

log = logging.getLogger(__name__)

# Mentions per transaction: each holds the write lock for a fraction of a second, so a
# window's triage never waits long behind a refresh on another thread or process.
_BATCH = 1_000
_DAYS_PER_TRANSACTION = 16

Progress = Callable[[int, int], None]  # (done, of how many)


@dataclass(frozen=True, slots=True)
class RefreshResult:
    recomputed: int  # mentions whose facts were computed
    days_packed: int
    rebuilt: bool  # everything was recomputed (new rules, settings or brands)
    seconds: float


def schema_columns(conn: sqlite3.Connection) -> set[str]:
    """Every "table.column" of the store (what optional dimensions look for)."""
    found: set[str] = set()
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in conn.execute(f"PRAGMA table_info({table})"):
            found.add(f"{table}.{row[1]}")
    return found


class ReportRefresher:
    def __init__(
        self,
        store: Store,
        settings: SlaSettings,
        registry: DimensionRegistry = REGISTRY,
    ) -> None:
        self._store = store
        self._settings = settings
        self._registry = registry
        self._facts = FactRepository(store)
        self._packs = PackRepository(store)
        self._clocks: dict[str, tuple[str, BusinessClock]] = {}

    def dimensions(self) -> tuple[Dimension, ...]:
        return self._registry.available(schema_columns(self._store.conn))

    def pack_signature(self) -> str:
        return f"{PACK_VERSION}:{','.join(d.name for d in self.dimensions())}"

    def is_current(self) -> bool:
        """Nothing waits to be recomputed (a report read now is up to date)."""
        meta = self._facts.meta()
        return (
            meta.get("facts_version") == str(FACTS_VERSION)
            and meta.get("pack_signature") == self.pack_signature()
            and meta.get("brands") == self._brands_key(self._policies())
            and self._facts.dirty_count() == 0
            and not self._facts.dirty_days()
        )

    def rebuild(self, progress: Progress | None = None) -> RefreshResult:
        """Forget every fact and pack and compute them all again from the store."""
        with self._store.write():
            self._facts.set_meta({"facts_version": "rebuild"})
        return self.refresh(progress)

    def refresh(self, progress: Progress | None = None) -> RefreshResult:
        began = time.perf_counter()
        policies = self._policies()
        rebuilt = self._queue_what_changed(policies)
        total = self._facts.dirty_count()
        recomputed = 0
        while True:
            with self._store.write():
                ids = self._facts.next_dirty(_BATCH)
                if not ids:
                    break
                self._recompute(ids, policies)
            recomputed += len(ids)
            if progress is not None:
                progress(recomputed, max(total, recomputed))
        packed = self._pack_dirty_days()
        took = time.perf_counter() - began
        if rebuilt or recomputed > 10 * _BATCH:
            log.info(
                "report facts: %d mentions recomputed, %d days packed in %.1f s%s",
                recomputed,
                packed,
                took,
                " (rebuilt)" if rebuilt else "",
            )
        return RefreshResult(recomputed, packed, rebuilt, took)

    # --- deciding what to recompute ------------------------------------------------------

    def _policies(self) -> dict[str, SlaPolicy]:
        brands = sorted({"", *account_brands(self._store.conn).values()})
        return self._settings.ensure(brands)

    @staticmethod
    def _brands_key(policies: dict[str, SlaPolicy]) -> str:
        return json.dumps({b: p.fingerprint() for b, p in sorted(policies.items())}, sort_keys=True)

    def _queue_what_changed(self, policies: dict[str, SlaPolicy]) -> bool:
        """Queue the mentions whose facts rest on something that changed. True: all of them."""
        conn = self._store.conn
        with self._store.write():
            meta = self._facts.meta()
            brands = account_brands(conn)
            accounts_key = json.dumps({str(k): v for k, v in brands.items()}, sort_keys=True)
            brands_key = self._brands_key(policies)
            signature = self.pack_signature()
            if meta.get("facts_version") != str(FACTS_VERSION):
                self._facts.clear()
                self._facts.mark_all_dirty()
                self._facts.set_meta(
                    {
                        "facts_version": str(FACTS_VERSION),
                        "pack_signature": signature,
                        "brands": brands_key,
                        "accounts": accounts_key,
                    }
                )
                return True
            stale: set[int] = set()
            if meta.get("brands") != brands_key or meta.get("accounts") != accounts_key:
                before_policies = json.loads(meta.get("brands", "{}"))
                before_accounts = json.loads(meta.get("accounts", "{}"))
                for account_id, brand in brands.items():
                    if (
                        before_accounts.get(str(account_id)) != brand
                        or before_policies.get(brand) != policies[brand].fingerprint()
                    ):
                        stale.add(account_id)
                if stale:
                    self._facts.mark_all_dirty(stale)
            if meta.get("pack_signature") != signature:
                conn.execute(
                    "INSERT OR IGNORE INTO report_dirty_days (brand, day)"
                    " SELECT DISTINCT brand, day FROM report_facts"
                )
            current = {"pack_signature": signature, "brands": brands_key, "accounts": accounts_key}
            if any(meta.get(name) != value for name, value in current.items()):
                self._facts.set_meta(current)
            return False

    # --- computing -------------------------------------------------------------------------

    def _clock(self, policy: SlaPolicy) -> BusinessClock:
        fingerprint = policy.fingerprint()
        kept = self._clocks.get(policy.brand)
        if kept is None or kept[0] != fingerprint:
            kept = (fingerprint, BusinessClock(policy.calendar()))
            self._clocks[policy.brand] = kept
        return kept[1]

    def _recompute(self, ids: list[int], policies: dict[str, SlaPolicy]) -> None:
        histories = self._facts.histories(ids)
        rules: dict[str, FactRules] = {}
        rows = []
        for history in histories:
            if history.brand not in rules:
                policy = policies.get(history.brand)
                if policy is None:  # a brand that appeared since the refresh began
                    policy = self._settings.ensure([history.brand])[history.brand]
                    policies[history.brand] = policy
                rules[history.brand] = FactRules(policy, self._clock(policy))
            rows.append(compute_facts(history, rules[history.brand]))
        self._facts.replace(ids, rows)  # old facts' days are queued by a trigger
        self._facts.mark_days_dirty({(row.brand, row.day) for row in rows})
        self._facts.forget_dirty(ids)

    def _pack_dirty_days(self) -> int:
        dimensions = self.dimensions()
        packed = 0
        while True:
            with self._store.write():
                days = self._facts.dirty_days()[:_DAYS_PER_TRANSACTION]
                if not days:
                    return packed
                for brand, day in days:
                    pack_day(self._packs, brand, day, dimensions)
                self._facts.forget_dirty_days(days)
            packed += len(days)
