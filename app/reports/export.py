"""Reports as JSON (stable keys, for scripts) and CSV (the rows behind each figure), and the
few words a terminal shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from app.reports.model import (
    BUCKETS,
    WEEKDAY_NAMES,
    Durations,
    Figures,
    Group,
    Report,
    Row,
)
from app.reports.query import FIGURE_NAMES

FORMAT = "heedful-report"
VERSION = 1


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def durations_json(durations: Durations) -> dict[str, Any]:
    return {
        "count": durations.count,
        "median_seconds": durations.median_seconds,
        "p90_seconds": durations.p90_seconds,
        "buckets": {
            name: count for (name, _, _), count in zip(BUCKETS, durations.buckets, strict=True)
        },
    }


def figures_json(figures: Figures) -> dict[str, Any]:
    first = figures.first_response
    level = figures.service_level
    return {
        "received": figures.received,
        "first_response": {
            "answered": first.answered,
            "in_heedful": first.in_heedful,
            "outside_heedful": first.outside_heedful,
            "unanswered": first.unanswered,
            "calendar": durations_json(first.calendar),
            "business": durations_json(first.business),
        },
        "service_level": {
            "with_target": level.with_target,
            "met": level.met,
            "breached": level.breached,
            "late": level.late,
            "overdue": level.overdue,
            "waiting": level.waiting,
            "paused": level.paused,
            "closed_without_reply": level.closed_without_reply,
            "met_percent": level.met_percent,
        },
        "time_to_done": {
            "calendar": durations_json(figures.time_to_done.calendar),
            "business": durations_json(figures.time_to_done.business),
        },
        "reopened": {"mentions": figures.reopened.mentions, "times": figures.reopened.times},
        "replies": {
            "total": sum(agent.replies for agent in figures.agents),
            "by_agent": [agent.row() for agent in figures.agents],
        },
        "by_day": [day.row() for day in figures.days],
        "hour_of_week": [list(hours) for hours in figures.hour_of_week],
        "backlog": {
            "at_end": figures.backlog.at_end,
            "unanswered_at_end": figures.backlog.unanswered_at_end,
            "age": durations_json(figures.backlog.age),
            "oldest_seconds": figures.backlog.oldest_seconds,
        },
    }


def report_json(report: Report) -> dict[str, Any]:
    """The report with the keys the README documents (they do not change within a version)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": _iso(report.generated_at),
        "period": {
            "label": report.period.label,
            "from": None if report.period.first is None else report.period.first.isoformat(),
            "to": report.period.last.isoformat(),
            "time_zone": report.period.time_zone,
        },
        "filters": {name: list(values) for name, values in report.filters},
        "by": report.by,
        "time_zones": dict(report.time_zones),
        "total": figures_json(report.total.figures),
        "groups": [
            {"key": group.key, "label": group.label, **figures_json(group.figures)}
            for group in report.groups
        ],
    }


# --- CSV: the rows behind each figure ------------------------------------------------------------


def _summary(figures: Figures) -> list[Row]:
    first, level, done = figures.first_response, figures.service_level, figures.time_to_done
    return [
        {
            "received": figures.received,
            "answered": first.answered,
            "answered_outside_heedful": first.outside_heedful,
            "unanswered": first.unanswered,
            "first_response_median_seconds": first.calendar.median_seconds,
            "first_response_p90_seconds": first.calendar.p90_seconds,
            "first_response_business_median_seconds": first.business.median_seconds,
            "first_response_business_p90_seconds": first.business.p90_seconds,
            "sla_met": level.met,
            "sla_breached": level.breached,
            "sla_met_percent": level.met_percent,
            "done": done.calendar.count,
            "time_to_done_median_seconds": done.calendar.median_seconds,
            "time_to_done_p90_seconds": done.calendar.p90_seconds,
            "reopened": figures.reopened.mentions,
            "replies": sum(agent.replies for agent in figures.agents),
            "backlog_at_end": figures.backlog.at_end,
            "unanswered_at_end": figures.backlog.unanswered_at_end,
        }
    ]


FIGURES: dict[str, Callable[[Figures], list[Row]]] = {
    "summary": _summary,
    "first-response": lambda f: f.first_response.rows(),
    "sla": lambda f: f.service_level.rows(),
    "time-to-done": lambda f: f.time_to_done.rows(),
    "agents": lambda f: [agent.row() for agent in f.agents],
    "volume": lambda f: [day.row() for day in f.days],
    "heatmap": lambda f: f.heatmap_rows(),
    "backlog-age": lambda f: f.backlog.age.rows(),
}


assert tuple(FIGURES) == FIGURE_NAMES


def report_csv(report: Report, figure: str = "summary") -> str:
    """The rows behind one figure, for the whole selection and then each group: the first
    column names the group ("All" for the whole selection)."""
    rows_of = FIGURES[figure]
    groups: list[Group] = [report.total, *report.groups]
    rows = [{"group": group.label, **row} for group in groups for row in rows_of(group.figures)]
    out = io.StringIO()
    if not rows:
        return ""
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# --- words for a terminal ------------------------------------------------------------------------


def duration_words(seconds: int | None) -> str:
    """3_660 → "1 h 1 min"; 200_000 → "2 d 7 h"; None → "—"."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _spread(durations: Durations) -> str:
    if not durations.count:
        return "none"
    buckets = " · ".join(
        f"{name} {count}" for (name, _, _), count in zip(BUCKETS, durations.buckets, strict=True)
    )
    return (
        f"median {duration_words(durations.median_seconds)}, "
        f"p90 {duration_words(durations.p90_seconds)} ({buckets})"
    )


def figures_text(figures: Figures) -> list[str]:
    first, level, done = figures.first_response, figures.service_level, figures.time_to_done
    percent = "—" if level.met_percent is None else f"{level.met_percent:g}%"
    busiest = sorted(
        (
            (count, day, hour)
            for day, hours in enumerate(figures.hour_of_week)
            for hour, count in enumerate(hours)
        ),
        reverse=True,
    )[:3]
    lines = [
        f"Received        {figures.received} · answered {first.answered}"
        f" ({first.outside_heedful} outside Heedful) · unanswered {first.unanswered}",
        f"First response  {_spread(first.calendar)}",
        f"  business hrs  {_spread(first.business)}",
        f"Service level   {percent} met · met {level.met} · breached {level.breached}"
        f" (late {level.late}, overdue {level.overdue}) · waiting {level.waiting}"
        f" · paused {level.paused} · closed without reply {level.closed_without_reply}",
        f"Time to done    {_spread(done.calendar)}",
        f"Reopened        {figures.reopened.mentions} mentions ({figures.reopened.times} times)",
        "Replies         "
        + (
            " · ".join(f"{a.agent} {a.replies} ({a.first_responses} first)" for a in figures.agents)
            or "none"
        ),
        f"Backlog at end  {figures.backlog.at_end} open, {figures.backlog.unanswered_at_end}"
        f" unanswered · oldest {duration_words(figures.backlog.oldest_seconds)}"
        f" · median age {duration_words(figures.backlog.age.median_seconds)}",
    ]
    if busiest and busiest[0][0]:
        lines.append(
            "Busiest hours   "
            + " · ".join(
                f"{WEEKDAY_NAMES[day][:3]} {hour:02d}:00 ({count})"
                for count, day, hour in busiest
                if count
            )
        )
    return lines


def report_text(report: Report) -> str:
    period = report.period
    span = "no mentions yet" if period.first is None else f"{period.first} – {period.last}"
    head = f"Report: {period.label} ({span}, days in {period.time_zone})"
    if report.filters:
        head += " · " + " ".join(f"{name}:{','.join(values)}" for name, values in report.filters)
    lines = [head, *figures_text(report.total.figures)]
    for group in report.groups:
        lines += ["", f"— {report.by}: {group.label}", *figures_text(group.figures)]
    return "\n".join(lines) + "\n"
