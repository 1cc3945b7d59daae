"""The team link on a thread of its own, with its own asyncio loop and store connection.

The window (and any long-running process) starts one `TeamRuntime`; every call on it is
safe from any thread and returns at once: `nudge()` after a local change, `set_presence()`
as the selection moves. The listener hears back on the runtime's thread (the window turns
that into queued Qt signals), so neither the GUI thread nor a sync worker ever waits on the
team's server. nats-py is imported when the runtime starts, not before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from storage.store import Store
from storage.team.membership import Membership

from app.team.presence import Activity

if TYPE_CHECKING:
    from app.team.connection import TeamCredentials
    from app.team.link import TeamLink
    from app.team.status import TeamListener

log = logging.getLogger(__name__)


class TeamRuntime:
    def __init__(
        self,
        open_store: Callable[[], Store],
        membership: Membership,
        credentials: TeamCredentials,
        *,
        agent_name: Callable[[], str],
        listener: TeamListener | None = None,
    ) -> None:
        self._open_store = open_store  # called on the runtime's thread
        self._membership = membership
        self._credentials = credentials
        self._agent_name = agent_name
        self._listener = listener
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._link: TeamLink | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        # Presence asked for before the link is up, applied once it is (start returns at once).
        self._lock = threading.Lock()
        self._wanted: dict[str, Activity | None] = {}

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, *, wait: bool = True) -> None:
        """Start the link's thread; with `wait`, return once its loop runs (the window does
        not wait: the network client's import happens on the link's thread)."""
        self._thread = threading.Thread(target=self._main, name="team-link", daemon=True)
        self._thread.start()
        if wait:
            self._ready.wait(timeout=10)

    def stop(self, timeout: float = 3.0) -> None:
        """Leave cleanly (presence deleted, the connection closed) within `timeout`."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def nudge(self) -> None:
        """There is something new in the team outbox: publish it now."""
        self._call(lambda link: link.wake())

    def set_presence(self, mention: str, activity: Activity | None) -> None:
        with self._lock:
            if activity in (Activity.VIEWING, Activity.TYPING, None):
                self._wanted = {
                    digest: wanted
                    for digest, wanted in self._wanted.items()
                    if wanted is Activity.QUEUED and digest != mention
                }
            self._wanted[mention] = activity
        self._call(lambda link: link.set_presence(mention, activity))

    def _call(self, action: Callable[[TeamLink], None]) -> None:
        loop, link = self._loop, self._link
        if loop is None or link is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(action, link)

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except Exception:
            log.exception("the team link stopped")
        finally:
            self._ready.set()

    async def _run(self) -> None:
        from app.team.link import TeamLink

        store = self._open_store()
        try:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._link = TeamLink(
                store,
                self._membership,
                self._credentials,
                agent_name=self._agent_name,
                listener=self._listener,
            )
            with self._lock:
                for digest, activity in self._wanted.items():
                    self._link.set_presence(digest, activity)
            self._ready.set()
            await self._link.run(self._stop)
        finally:
            self._link = None
            store.close()
