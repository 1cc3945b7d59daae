"""`heedful triage`, run as a user runs it: a separate process on the demo workspace."""

from __future__ import annotations

import json
from pathlib import Path

from app.paths import DEMO_PROFILE, AppPaths

from tests.test_cli import demo_home, heedful  # noqa: F401 - demo_home is a fixture


def _open_ids(limit: int) -> list[int]:
    result = heedful("--demo", "inbox", "list", "--json", "--limit", str(limit))
    assert result.returncode == 0, result.stderr
    return [item["id"] for item in json.loads(result.stdout)]


def test_triage_from_the_command_line_is_recorded_under_the_agent_name(
    demo_home: Path,  # noqa: F811
) -> None:
    settings = AppPaths.resolve(demo_home).profile(DEMO_PROFILE).settings
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"version": 1, "agent_name": "Ada"}), encoding="utf-8")
    first, second = _open_ids(2)

    result = heedful(
        "--demo", "triage", str(first), str(second),
        "--status", "done", "--assign", "Bjørn", "--tag", "#outage", "--history",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "Marked 2 mentions done" in result.stdout
    assert "Assigned 2 mentions to Bjørn" in result.stdout
    assert "Tagged 2 mentions #outage" in result.stdout
    assert "Ada  status:" in result.stdout
    assert "-> done" in result.stdout
    assert "Ada  tag: - -> outage" in result.stdout
    assert not {first, second} & set(_open_ids(50))  # done: out of the open view


def test_bad_triage_input_is_explained(demo_home: Path) -> None:  # noqa: F811
    result = heedful("--demo", "triage", "99999999", "--status", "done")
    assert result.returncode == 1
    assert "there is no mention 99999999" in result.stderr

    [first] = _open_ids(1)
    result = heedful("--demo", "triage", str(first), "--snooze-until", "2001-01-01T09:00")
    assert result.returncode == 1
    assert "future" in result.stderr
    result = heedful("--demo", "triage", str(first), "--snooze-until", "tomorrow-ish")
    assert result.returncode == 2  # argparse: usage error
    assert "not a time" in result.stderr
