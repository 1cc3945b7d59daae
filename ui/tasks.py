"""Background work with handles: each task's result goes back to whoever asked, on the GUI thread.

    handle = tasks.run(fetch, on_done=self._show, on_error=self._say, owner=self, lane=Lane.NETWORK)
    result = await tasks.call(check, lane=Lane.LOCAL)      # in a coroutine, under qasync
    tasks.spawn(self._check_then_send(request), owner=self)  # start such a coroutine

Two lanes, each its own thread pool, so a network wait never delays what a person is waiting
for: NETWORK for syncs, sends, thread fetches and sign-ins (they may sit for the whole request
timeout); LOCAL for short local work (guardrail checks, counts, suggestions, analysis). A
result is dropped, never delivered, when its handle was cancelled or its owner (a QObject)
has been destroyed, so a closed dialog never gets a late callback.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import logging
import threading
from collections.abc import Callable, Coroutine
from enum import StrEnum
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal

from app.networks.stop import StopSignal

log = logging.getLogger(__name__)

T = TypeVar("T")


class Lane(StrEnum):
    NETWORK = "network"  # waits on servers: syncs, sends, thread fetches, sign-ins
    LOCAL = "local"  # quick local work a person waits for: checks, counts, suggestions


# Enough network workers that each account syncs on its own (a slow server delays only
# itself); two local ones, one per core of the smallest machine we support.
DEFAULT_WORKERS = {Lane.NETWORK: 6, Lane.LOCAL: 2}


class TaskHandle(Generic[T]):
    """One piece of background work. `cancel()` drops its result (the work itself runs on:
    Python threads cannot be killed; network waits end when `Tasks.stop` is set)."""

    def __init__(
        self,
        number: int,
        lane: Lane,
        on_done: Callable[[T], object] | None,
        on_error: Callable[[Exception], object] | None,
        owner: QObject | None,
    ) -> None:
        self.number = number
        self.lane = lane
        self._on_done = on_done
        self._on_error = on_error
        self._owner = owner
        self.cancelled = False
        self.finished = False

    def cancel(self) -> None:
        self.cancelled = True

    @property
    def wanted(self) -> bool:
        """Whether anyone still wants the result."""
        if self.cancelled:
            return False
        return self._owner is None or shiboken6.isValid(self._owner)

    def _deliver(self, result: object, ok: bool) -> None:
        self.finished = True
        if not self.wanted:
            return
        if ok:
            if self._on_done is not None:
                self._on_done(result)  # type: ignore[arg-type]
        elif self._on_error is not None:
            assert isinstance(result, Exception)
            self._on_error(result)
        else:
            log.warning("background task %d (%s) failed: %s", self.number, self.lane, result)

    def __repr__(self) -> str:
        return f"<TaskHandle {self.number} {self.lane}{' cancelled' * self.cancelled}>"


class Tasks(QObject):
    """The window's background work, in lanes. Quitting sets `stop` (waits for rate limits
    and sign-ins end at once, connectors cut their open connections) and joins the workers."""

    # Internal: a worker's outcome, queued to the GUI thread (handle, result or error, ok).
    _did_end = Signal(object, object, bool)

    def __init__(
        self, workers: dict[Lane, int] | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.stop: threading.Event = StopSignal()
        sizes = {**DEFAULT_WORKERS, **(workers or {})}
        self._pools = {
            lane: concurrent.futures.ThreadPoolExecutor(
                sizes[lane], thread_name_prefix=f"heedful-{lane}"
            )
            for lane in Lane
        }
        self._numbers = itertools.count(1)
        self._running: dict[int, TaskHandle[Any]] = {}
        self._threads: set[threading.Thread] = set()
        # Coroutines started with `spawn`: held here (the loop keeps only weak references).
        self._coroutines: set[asyncio.Task[Any]] = set()
        self._did_end.connect(self._end)

    def run(
        self,
        work: Callable[[], T],
        *,
        on_done: Callable[[T], object] | None = None,
        on_error: Callable[[Exception], object] | None = None,
        owner: QObject | None = None,
        lane: Lane = Lane.LOCAL,
    ) -> TaskHandle[T]:
        """Run `work` on a worker of `lane`; `on_done(result)` or `on_error(exception)` is
        called later on the GUI thread (never before this returns), unless the handle was
        cancelled or `owner` destroyed meanwhile."""
        if self.stop.is_set():
            raise RuntimeError("background tasks were shut down")
        handle: TaskHandle[T] = TaskHandle(next(self._numbers), lane, on_done, on_error, owner)
        self._running[handle.number] = handle
        self._pools[lane].submit(self._work, handle, work)
        return handle

    async def call(
        self, work: Callable[[], T], *, lane: Lane = Lane.LOCAL, owner: QObject | None = None
    ) -> T:
        """`await` the result of `work` run on `lane` (in a coroutine under the qasync loop).
        Raises what `work` raised; `asyncio.CancelledError` when the owner went away."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        def done(result: T) -> None:
            if not future.done():
                future.set_result(result)

        def failed(error: Exception) -> None:
            if not future.done():
                future.set_exception(error)

        def owner_went_away(*_: object) -> None:
            future.cancel()

        handle = self.run(work, on_done=done, on_error=failed, owner=owner, lane=lane)
        if owner is not None:
            owner.destroyed.connect(owner_went_away)
        try:
            return await future
        finally:
            handle.cancel()
            if owner is not None and shiboken6.isValid(owner):
                owner.destroyed.disconnect(owner_went_away)

    def spawn(
        self, coroutine: Coroutine[Any, Any, T], *, owner: QObject | None = None
    ) -> asyncio.Task[T]:
        """Start `coroutine` on the running qasync loop. The task is kept until it ends, and
        cancelled when `owner` is destroyed or the tasks shut down; an exception it lets out
        is logged, never lost."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._coroutines.add(task)
        task.add_done_callback(self._coroutine_ended)
        if owner is not None:
            owner.destroyed.connect(lambda *_: task.cancel())
        return task

    def _coroutine_ended(self, task: asyncio.Task[Any]) -> None:
        self._coroutines.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("background coroutine %s failed", task.get_coro(), exc_info=error)

    def _work(self, handle: TaskHandle[Any], work: Callable[[], Any]) -> None:
        self._threads.add(threading.current_thread())
        try:
            result = work()
        except Exception as error:  # delivered to on_error, or logged: never lost in the pool
            self._did_end.emit(handle, error, False)
        else:
            self._did_end.emit(handle, result, True)

    def _end(self, handle: TaskHandle[Any], result: object, ok: bool) -> None:
        self._running.pop(handle.number, None)
        handle._deliver(result, ok)

    def busy(self, lane: Lane | None = None) -> bool:
        return any(lane in (None, h.lane) for h in self._running.values())

    def shutdown(self) -> None:
        """Stop everything and join the workers (quick: `stop` interrupts their waits)."""
        self.stop.set()
        for handle in self._running.values():
            handle.cancel()
        for task in list(self._coroutines):
            task.cancel()
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)

    def threads(self) -> list[threading.Thread]:
        """The worker threads started so far (for tests that check they were joined)."""
        return list(self._threads)
