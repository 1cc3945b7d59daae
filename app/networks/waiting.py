"""Waiting inside a connector (a rate-limit pause) so that quitting ends the wait at once and
the sync's heartbeat keeps its lease on the account."""

from __future__ import annotations

import threading
import time

from app.networks.base import Heartbeat
from app.networks.errors import Offline

# How often a waiting connector calls the heartbeat. The sync decides whether to renew (a
# write only every third of the lease), so calling often costs nothing and keeps the lease
# safe whatever its length.
HEARTBEAT_EVERY_S = 1.0


def pause(seconds: float, stop: threading.Event, heartbeat: Heartbeat | None) -> None:
    """Wait `seconds`, calling `heartbeat` before, during and after; raises Offline when
    `stop` is set (quitting), and whatever `heartbeat` raises (the lease was lost)."""
    deadline = time.monotonic() + seconds
    while True:
        if heartbeat is not None:
            heartbeat()
        left = deadline - time.monotonic()
        if left <= 0:
            return
        if stop.wait(min(left, HEARTBEAT_EVERY_S)):
            raise Offline("Stopped while waiting for the rate limit.")
