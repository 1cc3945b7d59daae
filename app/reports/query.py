"""What a report is asked for (period, filters, grouping): light enough for a command line's
parser to import without the engine and numpy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.reports.periods import Period

# The figures whose rows the CSV export writes (app.reports.export.FIGURES has one for each).
FIGURE_NAMES = (
    "summary", "first-response", "sla", "time-to-done", "agents", "volume", "heatmap",
    "backlog-age",
)  # fmt: skip


class ReportQueryError(ValueError):
    """A report that cannot be made as asked (an unknown dimension or value); says why."""


@dataclass(frozen=True, slots=True)
class ReportQuery:
    period: Period | None = None  # None: all time
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (dimension, values): any of them
    by: str | None = None
