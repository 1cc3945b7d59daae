"""Report periods: today, the last 7/30/90 (or any number of) days, a custom range of dates,
or all time. Dates are local: each brand's days in its own time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_DAYS = re.compile(r"^(\d{1,5})\s*d(?:ays?)?$")


class PeriodError(ValueError):
    """A period that cannot be read; the message shows how to write one."""


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    days: int | None = None  # the last `days` days, today included
    first: date | None = None  # a custom range (inclusive)
    last: date | None = None

    def resolve(self, today: date, earliest: date | None) -> tuple[date | None, date]:
        """(first, last) local dates; first is None only for all time with no data at all."""
        if self.days is not None:
            return today - timedelta(days=self.days - 1), today
        if self.first is not None or self.last is not None:
            last = self.last or today
            return self.first or earliest, last
        return earliest, today  # all time


ALL_TIME = Period("all")
TODAY = Period("today", days=1)


def since(text: str) -> Period:
    """`today`, `7d`, `30d`, `90d` (any number of days), `all`."""
    cleaned = text.strip().lower()
    if cleaned == "today":
        return TODAY
    if cleaned in ("all", "all-time", "alltime"):
        return ALL_TIME
    found = _DAYS.match(cleaned)
    if not found or int(found[1]) < 1:
        raise PeriodError(f"{text!r} is not a period: write today, 7d, 30d, 90d or all.")
    return Period(f"{int(found[1])}d", days=int(found[1]))


def between(first: date | None, last: date | None) -> Period:
    if first is not None and last is not None and last < first:
        raise PeriodError(f"The range ends ({last}) before it starts ({first}).")
    return Period("custom", first=first, last=last)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise PeriodError(f"{text!r} is not a date: write it as YYYY-MM-DD.") from error
