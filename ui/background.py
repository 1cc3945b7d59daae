"""Work that must not run on the GUI thread (network, long SQL), with results as Qt signals."""

from __future__ import annotations

import concurrent.futures
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.networks.stop import StopSignal

log = logging.getLogger(__name__)


class BackgroundJobs(QObject):
    """A small pool of worker threads. Each job's outcome comes back on the GUI thread as
    `job_did_finish(job_id, result)` or `job_did_fail(job_id, exception)`.

    Jobs get the shared `stop` event: quitting sets it, so waits for rate limits and
    sign-ins end at once and connectors cut their open connections, instead of holding the
    app open. Enough workers that each account syncs on its own: a slow server only delays
    itself.
    """

    job_did_finish = Signal(int, object)
    job_did_fail = Signal(int, object)

    def __init__(self, workers: int = 6) -> None:
        super().__init__()
        self.stop: threading.Event = StopSignal()
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="heedful")
        self._ids = itertools.count(1)
        self._running: dict[int, concurrent.futures.Future[Any]] = {}
        self._threads: set[threading.Thread] = set()

    def submit(self, job: Callable[[], Any]) -> int:
        if self.stop.is_set():
            raise RuntimeError("background jobs were shut down")
        job_id = next(self._ids)
        self._running[job_id] = self._pool.submit(self._run, job_id, job)
        return job_id

    def _run(self, job_id: int, job: Callable[[], Any]) -> None:
        # Runs on the worker thread, so the signals are always queued to the GUI thread and
        # arrive after `submit` returned the id (a done-callback on a future that finished
        # already would run at once, on the submitting thread, before the caller kept the id).
        self._threads.add(threading.current_thread())
        try:
            result = job()
        except Exception as error:
            log.warning("background job %d failed: %s", job_id, error)
            self._running.pop(job_id, None)
            self.job_did_fail.emit(job_id, error)
        else:
            self._running.pop(job_id, None)
            self.job_did_finish.emit(job_id, result)

    def busy(self) -> bool:
        return bool(self._running)

    def shutdown(self) -> None:
        """Stop everything and join the workers (quick: `stop` interrupts their waits)."""
        self.stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def threads(self) -> list[threading.Thread]:
        """The worker threads started so far (for tests that check they were joined)."""
        return list(self._threads)
