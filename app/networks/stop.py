"""The signal that stops background work when the app quits. Kept apart from the HTTP
machinery in `app.networks.interrupt` so the window can hold one without importing the
HTTP stacks at start-up (about 0.2 s)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable


class StopSignal(threading.Event):
    """An Event whose `set()` also runs the callbacks registered with `when_set`."""

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._lock = threading.Lock()
        self._next = 0

    def when_set(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run `callback` when the signal is set (at once if it is already); returns a
        function that unregisters it."""
        with self._lock:
            key = self._next
            self._next += 1
            self._callbacks[key] = callback
        if self.is_set():
            callback()
        return lambda: self._forget(key)

    def _forget(self, key: int) -> None:
        with self._lock:
            self._callbacks.pop(key, None)

    def set(self) -> None:
        super().set()
        with self._lock:
            callbacks = list(self._callbacks.values())
        for callback in callbacks:
            with contextlib.suppress(Exception):  # one broken callback must not stop the rest
                callback()
