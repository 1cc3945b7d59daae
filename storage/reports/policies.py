"""Service-level settings rows (schema 15): one policy per brand with its targets, weekly
shifts and holidays. What they mean and how they are checked belongs to app.reports.sla."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storage.records import to_timestamp, utc_now
from storage.store import Store


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    brand: str
    time_zone: str
    pause_while_pending: bool
    targets: tuple[tuple[str, str, int], ...]  # (network or '', kind or '', seconds)
    hours: tuple[tuple[int, int, int], ...]  # (weekday, opens, closes) in local minutes
    holidays: tuple[tuple[str, str], ...]  # (YYYY-MM-DD, name)


class SlaJournal(Protocol):
    """Told of each policy saved or removed, inside its transaction (the team shares them)."""

    def sla_saved(self, brand: str, policy: StoredPolicy | None) -> None: ...


class SlaPolicyRepository:
    def __init__(self, store: Store, journal: SlaJournal | None = None) -> None:
        self._store = store
        self.journal = journal  # None for the team applying a teammate's change

    def get(self, brand: str) -> StoredPolicy | None:
        return self.all(brand).get(brand)

    def all(self, only: str | None = None) -> dict[str, StoredPolicy]:
        conn = self._store.conn
        where, params = ("WHERE brand = ?", [only]) if only is not None else ("", [])
        with self._store.guard():
            heads = conn.execute(
                f"SELECT brand, time_zone, pause_while_pending FROM sla_policies {where}"
                " ORDER BY brand",
                params,
            ).fetchall()
            targets = conn.execute(
                f"SELECT brand, network, kind, seconds FROM sla_targets {where}"
                " ORDER BY brand, network, kind",
                params,
            ).fetchall()
            hours = conn.execute(
                f"SELECT brand, weekday, opens, closes FROM sla_hours {where}"
                " ORDER BY brand, weekday, opens",
                params,
            ).fetchall()
            holidays = conn.execute(
                f"SELECT brand, day, name FROM sla_holidays {where} ORDER BY brand, day", params
            ).fetchall()
        return {
            str(brand): StoredPolicy(
                brand=str(brand),
                time_zone=str(zone),
                pause_while_pending=bool(pause),
                targets=tuple((str(r[1]), str(r[2]), int(r[3])) for r in targets if r[0] == brand),
                hours=tuple((int(r[1]), int(r[2]), int(r[3])) for r in hours if r[0] == brand),
                holidays=tuple((str(r[1]), str(r[2])) for r in holidays if r[0] == brand),
            )
            for brand, zone, pause in heads
        }

    def put(self, policy: StoredPolicy, *, shared: bool = True) -> None:
        """Replace the brand's policy, targets, shifts and holidays in one transaction
        (`shared=False`: a default made here, not a setting for the team)."""
        with self._store.write() as db:
            conn = db.conn
            conn.execute(
                "INSERT INTO sla_policies (brand, time_zone, pause_while_pending, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (brand) DO UPDATE SET"
                " time_zone = excluded.time_zone,"
                " pause_while_pending = excluded.pause_while_pending,"
                " updated_at = excluded.updated_at",
                [
                    policy.brand,
                    policy.time_zone,
                    int(policy.pause_while_pending),
                    to_timestamp(utc_now()),
                ],
            )
            for table in ("sla_targets", "sla_hours", "sla_holidays"):
                conn.execute(f"DELETE FROM {table} WHERE brand = ?", [policy.brand])
            conn.executemany(
                "INSERT INTO sla_targets (brand, network, kind, seconds) VALUES (?, ?, ?, ?)",
                [(policy.brand, *target) for target in policy.targets],
            )
            conn.executemany(
                "INSERT INTO sla_hours (brand, weekday, opens, closes) VALUES (?, ?, ?, ?)",
                [(policy.brand, *shift) for shift in policy.hours],
            )
            conn.executemany(
                "INSERT INTO sla_holidays (brand, day, name) VALUES (?, ?, ?)",
                [(policy.brand, *holiday) for holiday in policy.holidays],
            )
            if shared and self.journal is not None:
                self.journal.sla_saved(policy.brand, policy)

    def delete(self, brand: str) -> bool:
        with self._store.write() as db:
            cursor = db.execute("DELETE FROM sla_policies WHERE brand = ?", [brand])
            if cursor.rowcount and self.journal is not None:
                self.journal.sla_saved(brand, None)
        return cursor.rowcount > 0
