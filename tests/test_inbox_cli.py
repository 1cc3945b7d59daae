"""`heedful inbox list --view … --filter …` and qualifiers in `heedful search`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import demo_home, heedful

__all__ = ["demo_home"]  # the fixture, shared with the CLI tests


def test_inbox_list_takes_a_view_and_a_filter(demo_home: Path) -> None:
    done = heedful("--demo", "inbox", "list", "--view", "dms", "--filter", "lang:nb", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows
    assert {(row["kind"], row["language"]) for row in rows} == {("direct", "nb")}


def test_search_understands_qualifiers_alone(demo_home: Path) -> None:
    found = heedful("--demo", "search", "tag:outage is:open", "--json", "--limit", "500")
    assert found.returncode == 0, found.stderr
    rows = json.loads(found.stdout)
    assert rows
    assert {row["status"] for row in rows} <= {"new", "open", "pending"}


def test_a_mistyped_qualifier_is_explained(demo_home: Path) -> None:
    done = heedful("--demo", "inbox", "list", "--filter", "is:urgent")
    assert done.returncode == 1
    assert "is:urgent is not known" in done.stderr
    assert "Traceback" not in done.stderr


def test_priority_is_a_filter_on_the_command_line(demo_home: Path) -> None:
    listed = json.loads(heedful("--demo", "inbox", "list", "--view", "all", "--json").stdout)
    urgent = listed[3]["id"]
    assert heedful("--demo", "triage", str(urgent), "--priority", "3").returncode == 0
    found = heedful("--demo", "search", "priority:urgent", "--json")
    assert found.returncode == 0, found.stderr
    assert [row["id"] for row in json.loads(found.stdout)] == [urgent]


def test_an_unknown_qualifier_is_refused_not_searched(demo_home: Path) -> None:
    done = heedful("--demo", "search", "colour:red refund")
    assert done.returncode == 1
    assert "colour:red is not a filter" in done.stderr
    assert "priority" in done.stderr  # the filters there are
    assert "Traceback" not in done.stderr
