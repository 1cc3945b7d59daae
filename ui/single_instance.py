"""One window per profile: a second launch hands over to the first (which comes to the front)
and exits, instead of two windows syncing and drafting into the same database."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

_ACTIVATE = b"activate\n"
_WAIT_MS = 2000


def instance_key(data_dir: Path) -> str:
    """A local-socket name per installation folder (so per HEEDFUL_HOME), short enough for
    every platform's limit on socket names."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:20]
    return f"heedful-{digest}"


class SingleInstance(QObject):
    activation_was_requested = Signal()

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self._server: QLocalServer | None = None

    def claim(self) -> bool:
        """True when this process is now the one window; False when another already is
        (it has been asked to come to the front)."""
        if self._ask_first_to_activate():
            return False
        # Nobody answers. A socket file may be left by a crashed window; with the owner-only
        # option Qt would silently replace it anyway, so asking first (above) is what counts.
        QLocalServer.removeServer(self.key)
        return self._listen()

    def _listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)  # owner only
        if not server.listen(self.key):
            server.deleteLater()
            return False
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def _ask_first_to_activate(self) -> bool:
        socket = QLocalSocket()
        socket.connectToServer(self.key)
        if not socket.waitForConnected(_WAIT_MS):
            return False
        socket.write(_ACTIVATE)
        socket.waitForBytesWritten(_WAIT_MS)
        socket.disconnectFromServer()
        return True

    def _on_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(_ACTIVATE.strip()):
            log.info("another launch asked for this window")
            self.activation_was_requested.emit()

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None


def bring_to_front(window: QWidget) -> None:
    """Show the window where the person is looking (un-minimised, raised, focused)."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()
