"""Background tasks: results go to whoever asked, in lanes, and never to a destroyed owner."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from ui.tasks import Lane, Tasks


@pytest.fixture
def tasks() -> Iterator[Tasks]:
    runner = Tasks()
    yield runner
    runner.shutdown()


def test_a_result_comes_back_to_its_caller_on_the_gui_thread(qtbot: QtBot, tasks: Tasks) -> None:
    got: list[tuple[int, bool]] = []
    gui = threading.current_thread()
    tasks.run(lambda: 6 * 7, on_done=lambda r: got.append((r, threading.current_thread() is gui)))
    qtbot.waitUntil(lambda: bool(got))
    assert got == [(42, True)]


def test_an_error_goes_to_on_error(qtbot: QtBot, tasks: Tasks) -> None:
    errors: list[Exception] = []

    def fail() -> None:
        raise ValueError("no")

    tasks.run(fail, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert str(errors[0]) == "no"


def test_local_work_is_never_behind_a_network_wait(qtbot: QtBot, tasks: Tasks) -> None:
    release = threading.Event()
    for _ in range(12):  # more network waits than there are network workers
        tasks.run(lambda: release.wait(30), lane=Lane.NETWORK)
    done: list[str] = []
    tasks.run(lambda: "checked", on_done=done.append, lane=Lane.LOCAL)
    try:
        qtbot.waitUntil(lambda: bool(done), timeout=5000)
    finally:
        release.set()
    assert done == ["checked"]


def test_a_destroyed_owner_never_gets_the_result(qtbot: QtBot, tasks: Tasks) -> None:
    owner = QObject()
    started, go = threading.Event(), threading.Event()
    got: list[object] = []

    def work() -> str:
        started.set()
        go.wait(10)
        return "late"

    handle = tasks.run(work, on_done=got.append, owner=owner)
    assert started.wait(5)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not handle.wanted)
    go.set()
    qtbot.waitUntil(lambda: handle.finished)
    assert got == []


def test_a_cancelled_handle_drops_its_result(qtbot: QtBot, tasks: Tasks) -> None:
    go = threading.Event()
    got: list[object] = []
    handle = tasks.run(lambda: go.wait(10), on_done=got.append)
    handle.cancel()
    go.set()
    qtbot.waitUntil(lambda: handle.finished)
    assert got == []


def test_a_coroutine_awaits_work_and_is_cancelled_when_its_owner_goes(
    qtbot: QtBot, tasks: Tasks
) -> None:
    owner = QObject()
    answered = threading.Event()
    got: list[object] = []

    async def steps() -> None:
        got.append(await tasks.call(lambda: 6 * 7, lane=Lane.LOCAL, owner=owner))
        got.append(await tasks.call(lambda: answered.wait(10), lane=Lane.NETWORK, owner=owner))

    task = tasks.spawn(steps(), owner=owner)
    qtbot.waitUntil(lambda: got == [42])
    owner.deleteLater()  # the dialog closed while it waited for the server
    qtbot.waitUntil(task.done)
    answered.set()
    assert task.cancelled()
    assert got == [42]


def test_shutting_down_cancels_the_coroutines_still_waiting(qtbot: QtBot, tasks: Tasks) -> None:
    answered = threading.Event()

    async def waits() -> None:
        await tasks.call(lambda: answered.wait(10), lane=Lane.NETWORK)

    task = tasks.spawn(waits())
    answered.set()  # the worker ends at once; shutdown joins it
    tasks.shutdown()
    qtbot.waitUntil(task.done)
    assert task.cancelled()
