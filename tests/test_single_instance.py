"""One window per profile: a second launch brings the first window forward and exits; while the
first is closing, the second waits for it to end and opens its own (never the closed one)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from PySide6.QtCore import QDir
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.paths import AppPaths

from ui.single_instance import SingleInstance, instance_key


@pytest.fixture
def first(heedful_home: Path) -> Iterator[SingleInstance]:
    instance = SingleInstance(instance_key(AppPaths.resolve(heedful_home).data_dir))
    yield instance
    instance.release()


class SecondLaunch:
    """`SingleInstance.claim()` of a second launch, on a thread of its own: it blocks until the
    first answers, and the first answers from this (the GUI) thread's event loop."""

    def __init__(self, key: str) -> None:
        self.claimed: list[bool] = []
        self._thread = threading.Thread(target=lambda: self.claimed.append(self._claim(key)))
        self._thread.start()

    def _claim(self, key: str) -> bool:
        instance = SingleInstance(key, handover_wait_ms=20_000)
        claimed = instance.claim()
        instance.release()  # on its own thread, which ends here
        return claimed

    def result(self, qtbot: QtBot) -> bool:
        qtbot.waitUntil(lambda: bool(self.claimed), timeout=30_000)
        self._thread.join()
        return self.claimed[0]


@pytest.fixture
def window(qtbot: QtBot) -> QWidget:
    shown = QWidget()
    qtbot.addWidget(shown)
    return shown


def test_the_second_claim_brings_the_first_window_forward(
    qtbot: QtBot, first: SingleInstance, window: QWidget
) -> None:
    assert first.claim()
    first.serve(window)
    with qtbot.waitSignal(first.activation_was_requested, timeout=5000):
        second = SecondLaunch(first.key)
    assert second.result(qtbot) is False
    assert window.isVisible()


def test_a_launch_while_the_window_closes_never_shows_it_and_opens_once_it_has_gone(
    qtbot: QtBot, first: SingleInstance, window: QWidget
) -> None:
    """The window closed; its process is still stopping its background check and backup."""
    assert first.claim()
    first.serve(window)
    window.show()
    window.close()
    first.withdraw()
    with qtbot.waitSignal(first.activation_was_requested, timeout=5000):
        second = SecondLaunch(first.key)
    assert not second.claimed  # it waits: the first has not ended yet
    assert not window.isVisible()  # and the closed window did not come back
    first.release()  # the first process ends
    assert second.result(qtbot) is True  # the second launch opens its own window
    assert not window.isVisible()


def test_a_launch_between_two_workspaces_brings_the_next_window_forward(
    qtbot: QtBot, first: SingleInstance, window: QWidget
) -> None:
    assert first.claim()
    first.withdraw()  # the demo window closed; the real workspace is opening
    with qtbot.waitSignal(first.activation_was_requested, timeout=5000):
        second = SecondLaunch(first.key)
    first.serve(window)
    assert second.result(qtbot) is False
    assert window.isVisible()


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
    qtbot: QtBot, first: SingleInstance, heedful_home: Path, window: QWidget
) -> None:
    """Two processes: this one holds the window's place, the real `heedful` starts beside it."""
    assert first.claim()
    first.serve(window)
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
    assert window.isVisible()
    # It did not open the profile: no database was created by the second launch.
    assert not list(heedful_home.rglob("heedful.db"))
