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
        self._running: set[int] = set()

    def submit(self, job: Callable[[], Any]) -> int:
        if self.stop.is_set():
            raise RuntimeError("background jobs were shut down")
        job_id = next(self._ids)
        self._running.add(job_id)
        self._pool.submit(self._run, job_id, job)
        return job_id

    def _run(self, job_id: int, job: Callable[[], Any]) -> None:
        # On the worker thread, always: the signals are queued to the GUI thread, so even a job
        # that ends at once is reported after submit() has handed its id to the caller (a done
        # callback on an already finished future would run inside submit(), before that).
        try:
            result = job()
        except Exception as error:
            self._running.discard(job_id)
            log.warning("background job %d failed: %s", job_id, error)
            self.job_did_fail.emit(job_id, error)
            return
        self._running.discard(job_id)
        self.job_did_finish.emit(job_id, result)

    def busy(self) -> bool:
        return bool(self._running)

    def shutdown(self) -> None:
        self.stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
