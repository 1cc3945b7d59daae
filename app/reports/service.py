"""The reports a window, the command line and the tests ask for: bring the facts up to date,
then add them up. Headless; call from a worker thread (Lane.LOCAL), never the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from storage.records import utc_now
from storage.reports.packs import PackRepository
from storage.reports.policies import SlaPolicyRepository
from storage.store import Store

from app.reports.dimensions import REGISTRY, DimensionRegistry
from app.reports.engine import ReportEngine
from app.reports.model import Report
from app.reports.query import ReportQuery, ReportQueryError
from app.reports.refresh import Progress, RefreshResult, ReportRefresher
from app.reports.sla import SlaSettings

__all__ = ["ReportQuery", "ReportQueryError", "ReportService"]


class ReportService:
    def __init__(
        self,
        store: Store,
        settings: SlaSettings | None = None,
        registry: DimensionRegistry = REGISTRY,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self.settings = settings or SlaSettings(SlaPolicyRepository(store))
        self._registry = registry
        self._clock = clock
        self.refresher = ReportRefresher(store, self.settings, registry)

    def refresh(self, progress: Progress | None = None) -> RefreshResult:
        """Recompute what changed since the last refresh (cheap when little did)."""
        return self.refresher.refresh(progress)

    def rebuild(self, progress: Progress | None = None) -> RefreshResult:
        return self.refresher.rebuild(progress)

    def dimensions(self) -> list[str]:
        """What reports can filter and group by in this store."""
        return [dimension.name for dimension in self.refresher.dimensions()]

    def report(
        self, query: ReportQuery, *, now: datetime | None = None, refresh: bool = True
    ) -> Report:
        """The report as of `now` (default: the clock), the facts refreshed first."""
        if refresh:
            self.refresh()
        zones = {
            brand: policy.time_zone for brand, policy in self.settings.stored_policies().items()
        }
        engine = ReportEngine(PackRepository(self._store), self.refresher.dimensions())
        return engine.compute(query, zones, now or self._clock())
