"""One window per profile: a second launch hands over to the first (which comes to the front)
and exits, instead of two windows syncing and drafting into the same database.

The first answers `shown` once a window of its own is in front. While it has no window to
show (it is closing, or between two workspaces) it holds the request: the next window it
shows answers it, and if it exits instead, the second launch sees the connection end, waits
for it to be gone and opens the window itself. A window that was closed is never shown again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

_ACTIVATE = b"activate\n"
_SHOWN = b"shown\n"
_WAIT_MS = 2000
# How long a second launch waits for the first to show its window or to finish closing
# (stopping its background check and backup takes a moment; a workspace switch, longer).
HANDOVER_WAIT_MS = 15_000


def instance_key(data_dir: Path) -> str:
    """A local-socket name per installation folder (so per HEEDFUL_HOME), short enough for
    every platform's limit on socket names."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:20]
    return f"heedful-{digest}"


class SingleInstance(QObject):
    activation_was_requested = Signal()

    def __init__(self, key: str, *, handover_wait_ms: int = HANDOVER_WAIT_MS) -> None:
        super().__init__()
        self.key = key
        self._handover_wait_ms = handover_wait_ms
        self._server: QLocalServer | None = None
        self._window: QWidget | None = None
        self._waiting: list[QLocalSocket] = []  # launches asking while no window is shown

    def claim(self) -> bool:
        """True when this process is now the one window; False when another already is
        (it has come to the front, or is busy and keeps the profile)."""
        answer = self._ask_first_to_activate()
        if answer == "shown":
            return False
        if answer == "busy":
            log.warning("Heedful is open for this profile but did not answer in time")
            return False
        if answer == "closing" and not self._wait_until_gone():
            return False
        # Nobody answers. A socket file may be left by a crashed window; with the owner-only
        # option Qt would silently replace it anyway, so asking first (above) is what counts.
        QLocalServer.removeServer(self.key)
        return self._listen()

    def serve(self, window: QWidget) -> None:
        """Launches from now on bring `window` to the front; so do those that waited."""
        self._window = window
        waiting, self._waiting = self._waiting, []
        for socket in waiting:
            self._show(socket)

    def withdraw(self) -> None:
        """The window is closing: never show it again. Launches from now on wait for the
        next window, or for this process to end."""
        self._window = None

    def release(self) -> None:
        """This process is ending: the launches that waited open their own window."""
        self._window = None
        if self._server is not None:
            self._server.close()
            self._server = None
        waiting, self._waiting = self._waiting, []
        for socket in waiting:
            socket.disconnectFromServer()

    # --- the first process -------------------------------------------------------------------

    def _listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)  # owner only
        if not server.listen(self.key):
            server.deleteLater()
            return False
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def _on_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if not bytes(socket.readAll().data()).startswith(_ACTIVATE.strip()):
            return
        log.info("another launch asked for this window")
        self.activation_was_requested.emit()
        if self._window is None:
            self._waiting.append(socket)
        else:
            self._show(socket)

    def _show(self, socket: QLocalSocket) -> None:
        assert self._window is not None
        bring_to_front(self._window)
        socket.write(_SHOWN)
        socket.flush()

    def _forget(self, socket: QLocalSocket) -> None:
        if socket in self._waiting:
            self._waiting.remove(socket)
        socket.deleteLater()

    # --- a second launch ---------------------------------------------------------------------

    def _ask_first_to_activate(self) -> str:
        """'nobody' (no first process), 'shown' (its window is in front), 'closing' (it
        ended the conversation without a window: it is exiting) or 'busy' (no answer)."""
        socket = QLocalSocket()
        socket.connectToServer(self.key)
        if not socket.waitForConnected(_WAIT_MS):
            return "nobody"
        socket.write(_ACTIVATE)
        socket.waitForBytesWritten(_WAIT_MS)
        deadline = time.monotonic() + self._handover_wait_ms / 1000
        try:
            while time.monotonic() < deadline:
                if socket.canReadLine():
                    return "shown" if bytes(socket.readLine().data()) == _SHOWN else "busy"
                if socket.state() is QLocalSocket.LocalSocketState.UnconnectedState:
                    return "closing"
                socket.waitForReadyRead(100)
            return "busy"
        finally:
            socket.abort()

    def _wait_until_gone(self) -> bool:
        """After the first process said goodbye: True once nobody listens any more."""
        deadline = time.monotonic() + self._handover_wait_ms / 1000
        while time.monotonic() < deadline:
            probe = QLocalSocket()
            probe.connectToServer(self.key)
            if not probe.waitForConnected(100):
                return True
            probe.abort()
            time.sleep(0.05)  # polling a process that is exiting: there is no signal for it
        return False


def bring_to_front(window: QWidget) -> None:
    """Show the window where the person is looking (un-minimised, raised, focused)."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()
