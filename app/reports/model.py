"""What a report is, as typed values: the figures for the whole selection and for each group,
each figure with the rows behind its chart (`rows()`), which the CSV export writes as they are.

Durations are whole seconds. A median or p90 is the time within which that share of the cases
came (nearest rank: always a time one of them took); None when there are no cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

# The distribution buckets of first-response and other durations: [from, to) in seconds.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-1h", 0, 3_600),
    ("1-4h", 3_600, 14_400),
    ("4-8h", 14_400, 28_800),
    ("8-24h", 28_800, 86_400),
    ("24h+", 86_400, None),
)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Durations:
    count: int
    median_seconds: int | None
    p90_seconds: int | None
    buckets: tuple[int, ...]  # cases per BUCKETS entry

    def rows(self) -> list[Row]:
        return [
            {"bucket": name, "count": count}
            for (name, _, _), count in zip(BUCKETS, self.buckets, strict=True)
        ]


@dataclass(frozen=True, slots=True)
class FirstResponse:
    """Mentions received in the period and when the brand first answered them."""

    received: int
    answered: int
    in_heedful: int  # first answered through Heedful's outbox
    outside_heedful: int  # first answered by the brand's own post found in the thread
    calendar: Durations  # calendar time from arrival to the first response
    business: Durations  # business hours, time in Pending left out when the brand pauses

    @property
    def unanswered(self) -> int:
        return self.received - self.answered

    def rows(self) -> list[Row]:
        return [
            {"clock": clock, **row}
            for clock, durations in (("calendar", self.calendar), ("business", self.business))
            for row in durations.rows()
        ]


@dataclass(frozen=True, slots=True)
class ServiceLevel:
    """Mentions received in the period that had a first-response target, by how it went."""

    with_target: int
    met: int  # answered within the target
    late: int  # answered after the target passed
    overdue: int  # not answered, the target passed (still waiting, paused or closed after)
    waiting: int  # not answered, still within the target, the clock running
    paused: int  # not answered, within the target, the clock stopped (Pending)
    closed_without_reply: int  # done before the target passed, never answered

    @property
    def breached(self) -> int:
        return self.late + self.overdue

    @property
    def met_percent(self) -> float | None:
        """Met among the mentions whose outcome is known (met or breached)."""
        decided = self.met + self.breached
        return None if decided == 0 else round(100 * self.met / decided, 1)

    def rows(self) -> list[Row]:
        return [
            {"state": name, "count": getattr(self, name)}
            for name in ("met", "late", "overdue", "waiting", "paused", "closed_without_reply")
        ]


@dataclass(frozen=True, slots=True)
class TimeToDone:
    """Mentions received in the period from arrival to the first time they were marked done
    (those whose history dates it)."""

    calendar: Durations
    business: Durations

    def rows(self) -> list[Row]:
        return [
            {"clock": clock, **row}
            for clock, durations in (("calendar", self.calendar), ("business", self.business))
            for row in durations.rows()
        ]


@dataclass(frozen=True, slots=True)
class Reopened:
    mentions: int  # received in the period and reopened at least once
    times: int  # how many times in all (done → open work)


@dataclass(frozen=True, slots=True)
class AgentReplies:
    agent: str
    replies: int  # replies sent in the period, to any mention of the selection
    first_responses: int  # of which first responses

    def row(self) -> Row:
        return {
            "agent": self.agent,
            "replies": self.replies,
            "first_responses": self.first_responses,
        }


@dataclass(frozen=True, slots=True)
class DayFigures:
    day: date
    received: int
    first_responses: int  # first responses made that day (to mentions from any day)
    replies: int
    backlog: int  # open work (not done) at the end of the day
    unanswered: int  # open work without any answer yet at the end of the day

    def row(self) -> Row:
        return {
            "date": self.day.isoformat(),
            "received": self.received,
            "first_responses": self.first_responses,
            "replies": self.replies,
            "backlog": self.backlog,
            "unanswered": self.unanswered,
        }


@dataclass(frozen=True, slots=True)
class Backlog:
    """Open work at the end of the period (now, for a period ending today)."""

    at_end: int
    unanswered_at_end: int
    age: Durations  # how long ago the open mentions arrived
    oldest_seconds: int | None


@dataclass(frozen=True, slots=True)
class Figures:
    first_response: FirstResponse
    service_level: ServiceLevel
    time_to_done: TimeToDone
    reopened: Reopened
    agents: tuple[AgentReplies, ...]  # most replies first
    days: tuple[DayFigures, ...]
    hour_of_week: tuple[tuple[int, ...], ...]  # 7 rows (Monday first) × 24 hours, received
    backlog: Backlog

    @property
    def received(self) -> int:
        return self.first_response.received

    def heatmap_rows(self) -> list[Row]:
        return [
            {"weekday": WEEKDAY_NAMES[day], "hour": hour, "received": count}
            for day, hours in enumerate(self.hour_of_week)
            for hour, count in enumerate(hours)
        ]


@dataclass(frozen=True, slots=True)
class Group:
    """The figures of one value of the grouping dimension (or of the whole selection)."""

    key: str | None  # the value (a handle, a tag, an agent …); None: the whole selection
    label: str
    figures: Figures


@dataclass(frozen=True, slots=True)
class ResolvedPeriod:
    label: str  # today, 7d, 30d, 90d, Nd, all, custom
    first: date | None  # None: no data at all
    last: date
    time_zone: str  # the zone "today" was read in


@dataclass(frozen=True, slots=True)
class Report:
    generated_at: datetime
    period: ResolvedPeriod
    filters: tuple[tuple[str, tuple[str, ...]], ...]  # (dimension, values), as asked
    by: str | None
    time_zones: tuple[tuple[str, str], ...]  # (brand, zone): each brand's days are its own
    total: Group
    groups: tuple[Group, ...]
