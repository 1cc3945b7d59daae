"""One window per profile: a second launch brings the first window forward and exits."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from PySide6.QtCore import QDir
from pytestqt.qtbot import QtBot

from app.paths import AppPaths

from ui.single_instance import SingleInstance, instance_key


@pytest.fixture
def first(heedful_home: Path) -> Iterator[SingleInstance]:
    instance = SingleInstance(instance_key(AppPaths.resolve(heedful_home).data_dir))
    yield instance
    instance.release()


def test_the_second_claim_asks_the_first_to_come_forward(
    qtbot: QtBot, first: SingleInstance
) -> None:
    assert first.claim()
    second = SingleInstance(first.key)
    with qtbot.waitSignal(first.activation_was_requested, timeout=5000):
        assert not second.claim()


def test_different_profiles_do_not_collide(tmp_path: Path, first: SingleInstance) -> None:
    assert first.claim()
    other = SingleInstance(instance_key(tmp_path / "another-home" / "data"))
    try:
        assert other.claim()
    finally:
        other.release()


def test_a_socket_left_by_a_crashed_window_does_not_block_the_next_start(
    first: SingleInstance,
) -> None:
    # What a crash leaves: the socket file, with nobody listening on it.
    path = os.path.join(QDir.tempPath(), first.key)
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(path)
    leftover.close()
    assert os.path.exists(path)
    assert first.claim()


def test_launching_heedful_again_on_the_same_profile_hands_over_and_exits(
    qtbot: QtBot, first: SingleInstance, heedful_home: Path
) -> None:
    """Two processes: this one holds the window's place, the real `heedful` starts beside it."""
    assert first.claim()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with qtbot.waitSignal(first.activation_was_requested, timeout=60_000):
        second = subprocess.Popen(
            [sys.executable, "-m", "app", "--home", str(heedful_home)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        _out, err = second.communicate(timeout=60)
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()
    assert second.returncode == 0
    assert "already open" in err
    # It did not open the profile: no database was created by the second launch.
    assert not list(heedful_home.rglob("heedful.db"))
