"""A loopback HTTP proxy that breaks requests on purpose, between Heedful and a test peer.

`FaultProxy(upstream)` listens on a free 127.0.0.1 port and relays HTTP/1.1 requests to
`upstream` (a `MastodonPeer.base_url`, a `BlueskyPeer.pds_url`), one upstream connection per
request. Rules decide, per request, what goes wrong instead:

- `Fault.hold()`: a timeout. The request is held, unanswered, until the client gives up
  (it closes the connection) or the hold ends; then the connection is closed.
- `Fault.reset()`: the request reaches the server, which acts on it; the client gets the
  status line, the headers and half of the body, then a TCP reset.
- `Fault.status(502)`: an error page (500, 502, 503, ...) in place of the server's answer;
  with `after_upstream=True` the server has acted first (the answer was lost on the way).
- `Fault.rate_limit(reset_in)`: 429 with the reset time in both dialects: Mastodon's
  `X-RateLimit-*` (ISO-8601 reset, as real Mastodon sends) and Bluesky's `RateLimit-*`
  (epoch seconds), plus `Retry-After`.

`hold` and `status` also take `after_upstream`. Rules match by method and a path substring,
apply to `count` requests (None: until cleared) and to every `every`-th matching request, so
a test can break "one request in three" deterministically. Hooks let a test act at an exact
point: `on_arrival` (may return a Fault for this request) as a request comes in, `on_answer`
once the server answered and before the client has any of it; e.g. kill the client process
when its N-th request reaches the proxy, or once the server has acted on it.

Bluesky clients follow the PDS address in the account's DID document, which names the peer's
own URL: with `rewrite_origin=True` the proxy writes its own address over the upstream's in
every answer, so the client keeps coming through the proxy. Requests go upstream without
`Accept-Encoding`, so answers are plain text it can rewrite.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import select
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Literal, Self
from urllib.parse import urlsplit

HOST = "127.0.0.1"
UPSTREAM_TIMEOUT = 60.0
# Headers that describe one connection, not the message: never relayed.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "content-length", "accept-encoding",
}  # fmt: skip

FaultKind = Literal["hold", "reset", "status", "ratelimit"]


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    status: int = 500
    after_upstream: bool = False  # the server gets (and acts on) the request first
    reset_in: int = 60  # rate limit: seconds until the window resets
    hold_s: float = 120.0  # timeout: the longest the request is held

    @classmethod
    def hold(cls, *, after_upstream: bool = False, hold_s: float = 120.0) -> Fault:
        return cls("hold", after_upstream=after_upstream, hold_s=hold_s)

    @classmethod
    def reset(cls) -> Fault:
        return cls("reset", after_upstream=True)

    @classmethod
    def status_code(cls, status: int, *, after_upstream: bool = False) -> Fault:
        return cls("status", status=status, after_upstream=after_upstream)

    @classmethod
    def rate_limit(cls, reset_in: int) -> Fault:
        return cls("ratelimit", status=429, reset_in=reset_in)


@dataclass
class Rule:
    """Faults for the requests it matches, in turn (cycling), on every `every`-th match."""

    faults: Sequence[Fault]
    method: str | None = None
    path: str | None = None  # a substring of the path (with its query)
    count: int | None = None  # how many faults to inject; None: until cleared
    every: int = 1
    matched: int = 0
    injected: int = 0

    def pick(self, method: str, path: str) -> Fault | None:
        if self.method is not None and method != self.method:
            return None
        if self.path is not None and self.path not in path:
            return None
        if self.count is not None and self.injected >= self.count:
            return None
        self.matched += 1
        if self.matched % self.every:
            return None
        fault = self.faults[self.injected % len(self.faults)]
        self.injected += 1
        return fault


@dataclass(frozen=True)
class Exchange:
    """One request as the proxy saw it: what broke, and what the server answered (if asked)."""

    number: int
    method: str
    path: str
    fault: Fault | None
    upstream_status: int | None


Hook = Callable[[int, str, str], None]  # request number (from 1), method, path
# Called as a request arrives; a Fault it returns overrides the rules for that request.
ArrivalHook = Callable[[int, str, str], "Fault | None"]


@dataclass
class _State:
    rules: list[Rule] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class FaultProxy:
    def __init__(self, upstream: str, *, rewrite_origin: bool = False) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"only plain http upstreams on loopback: {upstream!r}")
        self.upstream = upstream.rstrip("/")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.upstream_netloc = parts.netloc
        self.rewrite_origin = rewrite_origin
        self.on_arrival: ArrivalHook | None = None  # before the request goes anywhere
        self.on_answer: Hook | None = None  # the server answered; the client has nothing yet
        self.stopping = threading.Event()
        self._state = _State()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the proxy is not started")
        return f"http://{HOST}:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._server = _Server((HOST, 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fault-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- rules and what happened --------------------------------------------------------------

    def add_rule(self, rule: Rule) -> Rule:
        with self._state.lock:
            self._state.rules.append(rule)
        return rule

    def inject(
        self,
        *faults: Fault,
        method: str | None = None,
        path: str | None = None,
        count: int | None = 1,
        every: int = 1,
    ) -> Rule:
        return self.add_rule(Rule(list(faults), method, path, count, every))

    def clear(self) -> None:
        with self._state.lock:
            self._state.rules.clear()

    def exchanges(self) -> list[Exchange]:
        with self._state.lock:
            return list(self._state.exchanges)

    def faults_injected(self) -> list[Exchange]:
        return [exchange for exchange in self.exchanges() if exchange.fault is not None]

    def _begin(self, method: str, path: str) -> tuple[int, Fault | None]:
        with self._state.lock:
            self._state.requests += 1
            number = self._state.requests
            for rule in self._state.rules:
                fault = rule.pick(method, path)
                if fault is not None:
                    return number, fault
            return number, None

    def _record(self, exchange: Exchange) -> None:
        with self._state.lock:
            self._state.exchanges.append(exchange)

    def _rewrite(self, data: bytes) -> bytes:
        if not self.rewrite_origin:
            return data
        return data.replace(self.upstream.encode(), self.url.encode())


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: FaultProxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # quiet: the test reads `exchanges()` instead

    def finish(self) -> None:
        # The connection was reset on purpose, or the client is gone.
        with contextlib.suppress(OSError):
            super().finish()

    def handle_one_request(self) -> None:
        # Any method: read the request line and headers, then relay or break it.
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except OSError:
            self.close_connection = True
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        try:
            self._relay()
        except OSError:
            self.close_connection = True  # the client went away (or was killed): fine

    def _relay(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            # The client died (or hung up) mid-request: a server never acts on half a
            # request, so neither is it relayed.
            self.close_connection = True
            return
        number, fault = proxy._begin(self.command, self.path)
        if proxy.on_arrival is not None:
            fault = proxy.on_arrival(number, self.command, self.path) or fault
        answer: tuple[int, str, list[tuple[str, str]], bytes] | None = None
        if fault is None or fault.after_upstream:
            answer = self._upstream(body)
            if proxy.on_answer is not None:
                proxy.on_answer(number, self.command, self.path)
        proxy._record(
            Exchange(number, self.command, self.path, fault, answer[0] if answer else None)
        )
        if fault is None:
            assert answer is not None
            self._answer(*answer)
        elif fault.kind == "hold":
            self._hold(fault.hold_s)
        elif fault.kind == "reset":
            assert answer is not None
            self._reset_mid_body(*answer)
        elif fault.kind == "ratelimit":
            self._rate_limited(fault.reset_in)
        else:
            self._error(fault.status)

    def _upstream(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        proxy = self.server.proxy
        connection = http.client.HTTPConnection(
            proxy.upstream_host, proxy.upstream_port, timeout=UPSTREAM_TIMEOUT
        )
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = proxy.upstream_netloc
            if body or self.command in ("POST", "PUT", "PATCH"):
                headers["Content-Length"] = str(len(body))
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            if proxy.rewrite_origin:
                kept = [(k, proxy._rewrite(v.encode("latin-1")).decode("latin-1")) for k, v in kept]
            return response.status, response.reason, kept, proxy._rewrite(data)
        finally:
            connection.close()

    def _head(self, status: int, reason: str, headers: list[tuple[str, str]], length: int) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _answer(
        self, status: int, reason: str, headers: list[tuple[str, str]], data: bytes
    ) -> None:
        self._head(status, reason, headers, len(data))
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def _json(self, status: int, payload: object, extra: list[tuple[str, str]]) -> None:
        data = json.dumps(payload).encode()
        headers = [("Content-Type", "application/json; charset=utf-8"), *extra]
        headers.append(("Date", formatdate(usegmt=True)))
        self._answer(status, http.client.responses.get(status, ""), headers, data)

    def _error(self, status: int) -> None:
        names = {500: "InternalServerError", 502: "UpstreamFailure", 503: "NotEnoughResources"}
        self._json(status, {"error": names.get(status, "Error"), "message": "injected"}, [])

    def _rate_limited(self, reset_in: int) -> None:
        reset = int(time.time()) + reset_in
        iso = datetime.fromtimestamp(reset, UTC).isoformat(timespec="microseconds")
        self._json(
            429,
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            [
                ("X-RateLimit-Limit", "300"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", iso.replace("+00:00", "Z")),
                ("RateLimit-Limit", "3000"),
                ("RateLimit-Remaining", "0"),
                ("RateLimit-Reset", str(reset)),
                ("RateLimit-Policy", "3000;w=300"),
                ("Retry-After", str(reset_in)),
            ],
        )

    def _hold(self, seconds: float) -> None:
        """Say nothing until the client hangs up, the hold ends or the proxy stops."""
        deadline = time.monotonic() + seconds
        stopping = self.server.proxy.stopping
        while time.monotonic() < deadline and not stopping.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                break  # the client closed its end: it timed out
        self.close_connection = True

    def _reset_mid_body(
        self, status: int, reason: str, headers: list[tuple[str, str]], data: bytes
    ) -> None:
        self._head(status, reason, headers, max(len(data), 2))
        self.wfile.write(data[: len(data) // 2] or b"{")
        self.wfile.flush()
        time.sleep(0.05)  # let the client start reading the body
        # Linger on, timeout 0: close() sends a reset instead of an orderly end.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True
