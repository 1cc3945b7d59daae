"""Work that must not run on the GUI thread (network, long SQL), with results as Qt signals."""

from __future__ import annotations

import concurrent.futures
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class BackgroundJobs(QObject):
    """A small pool of worker threads. Each job's outcome comes back on the GUI thread as
    `job_did_finish(job_id, result)` or `job_did_fail(job_id, exception)`.

    Jobs get the shared `stop` event: quitting sets it, so waits for rate limits and
    sign-ins end at once instead of holding the app open.
    """

    job_did_finish = Signal(int, object)
    job_did_fail = Signal(int, object)

    def __init__(self, workers: int = 2) -> None:
        super().__init__()
        self.stop = threading.Event()
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="heedful")
        self._ids = itertools.count(1)
        self._running: dict[int, concurrent.futures.Future[Any]] = {}

    def submit(self, job: Callable[[], Any]) -> int:
        if self.stop.is_set():
            raise RuntimeError("background jobs were shut down")
        job_id = next(self._ids)
        # The job waits until its outcome is sure to be reported from the worker (queued to
        # the GUI thread): a job that finished before add_done_callback would report on the
        # GUI thread at once, before the caller even knows its id, and be ignored.
        registered = threading.Event()

        def gated() -> Any:
            registered.wait()
            return job()

        future = self._pool.submit(gated)
        self._running[job_id] = future
        future.add_done_callback(lambda done: self._report(job_id, done))
        registered.set()
        return job_id

    def _report(self, job_id: int, future: concurrent.futures.Future[Any]) -> None:
        # Runs on the worker thread: the signals are queued to the GUI thread.
        self._running.pop(job_id, None)
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.warning("background job %d failed: %s", job_id, error)
            self.job_did_fail.emit(job_id, error)
        else:
            self.job_did_finish.emit(job_id, future.result())

    def busy(self) -> bool:
        return bool(self._running)

    def shutdown(self) -> None:
        self.stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
