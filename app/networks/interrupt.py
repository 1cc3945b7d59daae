"""Cutting a connector's open connections when the app quits, so a stalled server never holds
a worker thread (and the app) until its request timeout.

A `StopSignal` is a `threading.Event` that also runs callbacks when set. Each connector's HTTP
client records the sockets it opens in a `SocketWatch`; setting the signal shuts them down,
which wakes any thread blocked reading from them with an error at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import weakref
from collections.abc import Callable
from typing import Any

import httpcore
import httpx
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from app.networks.stop import StopSignal

__all__ = ["SocketWatch", "StopSignal", "WatchedTransport", "requests_session"]


class SocketWatch:
    """The sockets one connector opened; `abort()` shuts them all down (from any thread)."""

    def __init__(self, stop: threading.Event | None) -> None:
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._aborted = False
        self.unregister: Callable[[], None] = lambda: None
        if isinstance(stop, StopSignal):
            self.unregister = stop.when_set(self.abort)

    def track(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.add(sock)
            aborted = self._aborted
        if aborted:
            _shut(sock)

    def abort(self) -> None:
        with self._lock:
            self._aborted = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# --- requests / urllib3 (Mastodon.py) ------------------------------------------------------------


def requests_session(watch: SocketWatch) -> requests.Session:
    """A requests Session whose connections are recorded in `watch`."""

    class WatchedHTTPConnection(HTTPConnection):
        def connect(self) -> None:
            super().connect()
            watch.track(self.sock)

    class WatchedHTTPSConnection(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            watch.track(self.sock)

    class WatchedHTTPPool(HTTPConnectionPool):
        ConnectionCls = WatchedHTTPConnection

    class WatchedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = WatchedHTTPSConnection

    class WatchedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            manager: urllib3.PoolManager = self.poolmanager
            manager.pool_classes_by_scheme = {"http": WatchedHTTPPool, "https": WatchedHTTPSPool}

    session = requests.Session()
    session.mount("http://", WatchedAdapter())
    session.mount("https://", WatchedAdapter())
    return session


# --- httpx / httpcore (the atproto SDK) ----------------------------------------------------------


class _WatchedBackend(httpcore.NetworkBackend):
    def __init__(self, watch: SocketWatch) -> None:
        self._watch = watch
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        self._watch.track(stream.get_extra_info("socket"))
        return stream

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        return self._backend.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class WatchedTransport(httpx.HTTPTransport):
    """An httpx transport whose connections are recorded in `watch`; it also keeps the last
    rate-limit headers (`RateLimit-*`) a server sent, for channel health."""

    def __init__(self, watch: SocketWatch) -> None:
        super().__init__()
        pool: httpcore.ConnectionPool = self._pool
        # httpx has no public way to choose httpcore's network backend; the pool it built
        # keeps every other default (TLS context, limits), only the backend changes.
        pool._network_backend = _WatchedBackend(watch)
        self.rate_headers: dict[str, str] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if "ratelimit-remaining" in response.headers:
            self.rate_headers = {
                name: response.headers.get(name, "")
                for name in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")
            }
        return response
