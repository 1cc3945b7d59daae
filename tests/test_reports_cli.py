"""`heedful report` and `heedful sla`, run as a user runs them: the JSON has the documented keys
and the same figures as the report service; CSV gives the rows behind a figure."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from storage.store import open_store

from app.cli.main import build_parser, run_command
from app.paths import DEFAULT_PROFILE, DEMO_PROFILE, AppPaths
from app.reports.export import report_json
from app.reports.periods import between
from app.reports.query import ReportQuery
from app.reports.service import ReportService
from app.reports.sla import policy_from_json

from tests.test_cli import heedful
from tests.test_reports import NOW, POLICY, build_week

DOCUMENTED = {
    "format", "version", "generated_at", "period", "filters", "by", "time_zones", "total",
    "groups",
}  # fmt: skip
FIGURE_KEYS = {
    "received", "first_response", "service_level", "time_to_done", "reopened", "replies",
    "by_day", "hour_of_week", "backlog",
}  # fmt: skip


@pytest.fixture
def week_home(heedful_home: Path) -> Path:
    """The hand-computed week in the user's own workspace (a past week: the figures of
    Monday and Tuesday no longer change with the clock)."""
    database = AppPaths.resolve(heedful_home).profile(DEFAULT_PROFILE).database
    store = open_store(database)
    build_week(store)
    ReportService(store).settings.save(policy_from_json(POLICY))
    store.close()
    return heedful_home


def test_the_json_report_has_the_documented_keys_and_the_service_s_figures(
    week_home: Path,
) -> None:
    result = heedful(
        "report", "--from", "2026-11-16", "--to", "2026-11-17", "--by", "agent", "--json"
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert set(printed) == DOCUMENTED
    assert (printed["format"], printed["version"]) == ("heedful-report", 1)
    assert printed["period"] == {
        "label": "custom", "from": "2026-11-16", "to": "2026-11-17", "time_zone": "Europe/Oslo"
    }  # fmt: skip
    assert set(printed["total"]) == FIGURE_KEYS
    assert set(printed["groups"][0]) == FIGURE_KEYS | {"key", "label"}
    total = printed["total"]
    assert total["received"] == 6
    assert total["first_response"]["calendar"] == {
        "count": 4,
        "median_seconds": 3_600,
        "p90_seconds": 156_000,
        "buckets": {"0-1h": 1, "1-4h": 1, "4-8h": 0, "8-24h": 1, "24h+": 1},
    }
    assert total["backlog"]["at_end"] == 1
    assert len(total["hour_of_week"]) == 7
    assert {len(hours) for hours in total["hour_of_week"]} == {24}
    # Everything but the moment it was made is what the service computes in-process.
    store = open_store(AppPaths.resolve(week_home).profile(DEFAULT_PROFILE).database)
    try:
        expected = report_json(
            ReportService(store, clock=lambda: NOW).report(
                ReportQuery(between(*_days("2026-11-16", "2026-11-17")), by="agent")
            )
        )
    finally:
        store.close()
    for document in (printed, expected):
        del document["generated_at"]
    assert printed == expected


def _days(first: str, last: str) -> tuple[date, date]:
    return date.fromisoformat(first), date.fromisoformat(last)


def run(*arguments: str) -> tuple[int, str]:
    """The command line in this process (quicker than a new one for each case)."""
    out = io.StringIO()
    code = run_command(build_parser().parse_args(list(arguments)), out)
    return code, out.getvalue()


def test_csv_gives_the_rows_behind_one_figure(week_home: Path) -> None:
    code, printed = run(
        "report", "--from", "2026-11-16", "--to", "2026-11-17", "--csv", "--figure", "volume"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(printed)))
    assert [(row["group"], row["date"], row["received"], row["backlog"]) for row in rows] == [
        ("All", "2026-11-16", "4", "1"),
        ("All", "2026-11-17", "2", "1"),
    ]
    code, summary = run(
        "report", "--from", "2026-11-16", "--to", "2026-11-17", "--csv", "--filter", "tag:billing"
    )
    assert next(csv.DictReader(io.StringIO(summary)))["received"] == "1"


def test_sla_load_then_show(
    week_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "sla.json"
    settings.write_text(
        json.dumps({"time_zone": "Europe/Oslo", "targets": [{"kind": "direct", "minutes": 30}]})
    )
    assert run("sla", "load", str(settings))[0] == 0
    shown = json.loads(run("sla", "show", "--json")[1])
    assert shown["targets"] == [{"network": "", "kind": "direct", "minutes": 30}]
    assert shown["hours"] == {}
    assert "within 30 min: direct" in run("sla", "show")[1]
    settings.write_text('{"targets": [{"kind": "direct", "hours": "one"}]}')
    assert run("sla", "load", str(settings))[0] == 1
    assert "hours is a number" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--since", "fortnight"), "not a period"),
        (("--by", "colour"), "choose one of"),
        (("--filter", "tag:nonexistent"), "No tag 'nonexistent'"),
        (("--from", "2026-11-20", "--to", "2026-11-01"), "before it starts"),
    ],
)
def test_a_report_that_cannot_be_made_says_why(
    week_home: Path, arguments: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("report", *arguments)[0] == 1
    assert message in capsys.readouterr().err


def test_the_demo_workspace_reports_too(heedful_home: Path, demo_database: Path) -> None:
    target = AppPaths.resolve(heedful_home).profile(DEMO_PROFILE).database
    target.parent.mkdir(parents=True)
    shutil.copy2(demo_database, target)
    code, printed = run("--demo", "report", "--since", "all", "--json")
    assert code == 0
    assert json.loads(printed)["total"]["received"] > 500
    assert "First response" in run("--demo", "report", "--since", "all")[1]
