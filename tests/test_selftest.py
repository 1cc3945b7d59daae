"""`heedful --self-test` from source: what it checks, and that it says why when it fails."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from app.bootstrap import Workspace
from app.selftest import CheckFailed, keyring_backend, run_self_test

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def _rendered(workspace: Workspace) -> str:
    return f"pretend window over {workspace.profile.name}"


def test_self_test_from_source_passes_and_reports_each_check(
    secret_service: str, heedful_home: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--self-test"],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "self-test (from source)" in lines[0]
    for check in ("demo store", "keyring", "networks", "search", "main window"):
        assert any(line.startswith(f"  ok    {check}") for line in lines), result.stdout
    assert "SecretService" in result.stdout
    assert "on offscreen" in result.stdout  # the window was really rendered, headless
    assert lines[-1] == "self-test passed"
    # The user's own profile (HEEDFUL_HOME here) is never touched.
    assert not (heedful_home / "data").exists()


def test_a_window_that_cannot_render_fails_the_self_test_with_its_reason(
    secret_service: str,
) -> None:
    def broken(_workspace: Workspace) -> str:
        raise CheckFailed("the inbox was not painted within 30 s")

    out = io.StringIO()
    assert run_self_test(broken, out, log_to_file=False) == 1
    report = out.getvalue()
    assert "FAIL  main window  the inbox was not painted within 30 s" in report
    assert "ok    search" in report  # the other checks still ran
    assert report.endswith("self-test FAILED: main window\n")


def test_a_crash_in_a_check_is_reported_not_raised(secret_service: str) -> None:
    def crashing(_workspace: Workspace) -> str:
        raise KeyError("inbox_panel")

    out = io.StringIO()
    assert run_self_test(crashing, out, log_to_file=False) == 1
    assert "FAIL  main window  KeyError: 'inbox_panel' (test_selftest.py:" in out.getvalue()


@pytest.mark.usefixtures("no_keyring")
def test_no_keyring_fails_the_self_test_and_says_what_to_do() -> None:
    with pytest.raises(CheckFailed, match="start a Secret Service"):
        keyring_backend()
    out = io.StringIO()
    assert run_self_test(_rendered, out, log_to_file=False) == 1
    assert "FAIL  keyring" in out.getvalue()
    assert "ok    main window  pretend window over demo" in out.getvalue()
