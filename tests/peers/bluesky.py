"""A real, local AT Protocol network on loopback, for Bluesky integration tests.

`BlueskyPeer` runs `@atproto/dev-env` 0.3.215 (PLC directory, PDS, Bluesky AppView, and the Ozone
moderation service it always starts) from `tests/peers/bluesky/network.js` with Node.js 20, on a
throwaway PostgreSQL 15 cluster of its own (Debian's `postgresql-15`: initdb into a temporary
folder, fsync off). Every port is chosen free at start. The Node.js modules come from the cache
folder that `tests/peers/bluesky/install.sh` fills (`$HEEDFUL_BSKY_PEER_DIR`, by default
`~/.cache/heedful/bluesky-peer`); run it once first.

Clients talk to `peer.pds_url`: a small TCP proxy in front of the PDS that tests switch off and
on with `go_offline()`/`go_online()` (connections refused, open ones cut). New accounts have the
proxy's URL as their PDS endpoint in their DID document, which `createSession` returns and the
atproto SDK then uses as its base URL, so an SDK client keeps going through the proxy. Each
`BlueskyAccount` from `create_account()` acts as a person through the real XRPC API, with
`requests`, straight to the PDS: the others keep posting while "our" client is offline.

What to know about this network:

- The AppView indexes what the PDS writes a moment later (about 0.1 s with
  `SEQUENCER_MAX_POLL_MS=20`): call `process_all()` before reading notifications, threads or
  profiles. `create_account()` does, so `Client.login()` (which fetches the profile) works.
- Handles must end in `.test` (anything else makes the PDS look up DNS); no invite is needed.
- Pass `priority=false` to `listNotifications` where all notifications are meant (network.js
  works around an AppView race that could switch a new account to priority notifications).
- Nothing survives a restart: dev-env keeps the PLC directory in memory and gives the PDS a new
  random data folder at each start. Hence the proxy, to take the account's server away.
- The node servers listen on all interfaces (dev-env has no host option); PostgreSQL and the
  control server listen on 127.0.0.1 only.
- If the test process dies without `stop()` (even by SIGKILL), node notices its stdin close and
  stops itself and PostgreSQL and removes the run folder: nothing is left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self, TypedDict, TypeVar

import requests

HERE = Path(__file__).resolve().parent / "bluesky"
NETWORK_JS = HERE / "network.js"
INSTALL_SH = HERE / "install.sh"
DIR_VARIABLE = "HEEDFUL_BSKY_PEER_DIR"
PG_BIN_VARIABLE = "HEEDFUL_PG_BIN"
DEFAULT_PG_BIN = "/usr/lib/postgresql/15/bin"
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 10.0  # seconds, for each XRPC request of the helpers
PROCESS_ALL_TIMEOUT = 60.0
# Typically 7-10 s here (5 s of it loading node modules); generous for a busy CI machine.
STARTUP_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
# The PDS takes "<name>.test" with 3-18 characters before ".test"; the helper adds 8 hex digits.
HANDLE_PREFIX = re.compile(r"[a-z][a-z0-9]{0,9}")
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"

T = TypeVar("T")


class PeerError(RuntimeError):
    """The peer could not be started or stopped, or it failed a request."""


class XrpcError(PeerError):
    """An XRPC call answered with an error status: `status`, `error` (its name) and `message`."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        self.status = status
        self.error = ""
        self.message = ""
        with contextlib.suppress(ValueError, AttributeError):
            parsed = json.loads(body)
            self.error = str(parsed.get("error", ""))
            self.message = str(parsed.get("message", ""))
        super().__init__(f"{method} {url} -> {status}: {body[:500]}")


class StrongRef(TypedDict):
    """A `com.atproto.repo.strongRef`: the record's AT URI and the CID of its exact version."""

    uri: str
    cid: str


def wait_until(
    condition: Callable[[], T],
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
    message: str = "condition",
) -> T:
    """Poll `condition` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"timed out after {timeout:g}s waiting for {message}; last: {value!r}"
            )
        time.sleep(interval)


def now_iso() -> str:
    """The current time as atproto writes it: UTC, milliseconds, `Z`."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_tid_lock = threading.Lock()
_tid_last = 0


def make_tid() -> str:
    """A fresh TID (13 base32-sortable characters: microseconds since 1970, 10-bit clock id).

    The record key (rkey) of posts, likes and reposts is a TID. Choosing one up front and
    passing it as `rkey` to `createRecord` makes a create idempotent: a second create with the
    same key fails instead of duplicating the post.
    """
    global _tid_last
    with _tid_lock:
        micros = max(time.time_ns() // 1000, _tid_last + 1)
        _tid_last = micros
    value = (micros << 10) | secrets.randbelow(1024)
    return "".join(TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def mention_facets(text: str, mentions: Mapping[str, str]) -> list[dict[str, Any]]:
    """`app.bsky.richtext.facet#mention` facets for every `@handle` of `mentions` in `text`.

    `mentions` maps handles (without `@`) to DIDs. Facet offsets count UTF-8 bytes, not
    characters, so text with emoji or accents before a mention needs this conversion.
    """
    facets: list[dict[str, Any]] = []
    for handle, did in mentions.items():
        pattern = re.compile(rf"@{re.escape(handle)}(?![\w.-])")
        for match in pattern.finditer(text):
            start = len(text[: match.start()].encode("utf-8"))
            end = start + len(match.group().encode("utf-8"))
            facets.append(
                {
                    "index": {"byteStart": start, "byteEnd": end},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}],
                }
            )
    facets.sort(key=lambda facet: int(facet["index"]["byteStart"]))
    return facets


def install_dir() -> Path:
    """Where install.sh put node_modules (same variable and default as the script)."""
    configured = os.environ.get(DIR_VARIABLE)
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "heedful" / "bluesky-peer"


def _free_ports(count: int) -> list[int]:
    """`count` different ports that were free a moment ago on every interface.

    The node servers must know their ports up front (they go into DID documents), so there is
    a short race; `BlueskyPeer.start` tries again with new ports if one was taken meanwhile.
    """
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind(("", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _checked(response: requests.Response) -> Any:
    """The JSON body (or None when empty), or `XrpcError` for an error status."""
    if not response.ok:
        raise XrpcError(
            str(response.request.method), response.url, response.status_code, response.text
        )
    if not response.content:
        return None
    return response.json()


def _as_postgres() -> list[str]:
    """Command prefix for PostgreSQL's tools: they refuse to run as root."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


# --- the switchable proxy ------------------------------------------------------------------------


class SwitchableProxy:
    """A TCP relay on loopback in front of a local port, that can refuse connections at will.

    It listens on 127.0.0.1 and, where the machine has IPv6, on ::1 (clients connect to
    `localhost`, which may resolve to either). `go_offline()` closes the listeners and cuts every
    open connection, so a client sees "connection refused" (or a reset on a connection it kept
    alive); `go_online()` listens again on the same port. Runs an asyncio loop in a thread.
    """

    def __init__(self, port: int, upstream_port: int) -> None:
        self.port = port
        self.upstream_port = upstream_port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"bsky-proxy-{port}", daemon=True
        )
        self._servers: list[asyncio.Server] = []
        self._connections: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[Any]] = set()
        self.connections_accepted = 0

    @property
    def online(self) -> bool:
        return bool(self._servers)

    def start(self) -> None:
        self._thread.start()
        self.go_online()

    def go_online(self) -> None:
        if not self.online:
            self._call(self._listen())

    def go_offline(self) -> None:
        self._call(self._close())

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        for host in (HOST, "::1"):
            try:
                server = await asyncio.start_server(
                    self._handle, host, self.port, reuse_address=True
                )
            except OSError as error:
                no_ipv6 = (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT)
                if host == "::1" and error.errno in no_ipv6:
                    continue
                await self._close()
                raise
            self._servers.append(server)

    async def _close(self) -> None:
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        for writer in list(self._connections):
            writer.transport.abort()
        # Let the handlers see their connections go, so every socket is closed before return.
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=5)
        for server in servers:
            await server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_accepted += 1
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
            handler.add_done_callback(self._handlers.discard)
        self._connections.add(writer)
        upstream: asyncio.StreamWriter | None = None
        try:
            up_reader, upstream = await asyncio.open_connection(HOST, self.upstream_port)
            self._connections.add(upstream)
            await asyncio.gather(self._pipe(reader, upstream), self._pipe(up_reader, writer))
        except OSError:
            pass  # the PDS is gone: the client sees its connection closed
        finally:
            for end in (writer, upstream):
                if end is not None:
                    end.transport.abort()
                    self._connections.discard(end)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof() and not writer.is_closing():
                writer.write_eof()
        except OSError:
            writer.transport.abort()


# --- processes ---------------------------------------------------------------------------------


@dataclass
class _Processes:
    """What a running peer holds: cleaned up by `_cleanup`, also from `weakref.finalize`."""

    run_dir: Path
    pg_bin: Path
    log: IO[bytes]
    node: subprocess.Popen[bytes] | None = None
    postgres_started: bool = False
    proxy: SwitchableProxy | None = None
    control_url: str = ""
    keep_run_dir: bool = False
    notes: list[str] = field(default_factory=list)


def _pg_stop_command(pg_bin: Path, run_dir: Path) -> list[str]:
    data = run_dir / "pg" / "data"
    return [str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]


def _cleanup(held: _Processes) -> None:
    """Stop node (POST /shutdown, then SIGTERM, then SIGKILL), the proxy and PostgreSQL.

    A module-level function so `weakref.finalize` can also run it at interpreter exit if a test
    run ends without `BlueskyPeer.stop()`. Only touches the processes this peer started.
    """
    node = held.node
    if node is not None and node.poll() is None:
        with contextlib.suppress(requests.RequestException):
            requests.post(f"{held.control_url}/shutdown", timeout=5)
        try:
            node.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            held.notes.append("node did not exit after /shutdown: SIGTERM")
            node.send_signal(signal.SIGTERM)
            try:
                node.wait(timeout=10)
            except subprocess.TimeoutExpired:
                held.notes.append("node did not exit after SIGTERM: SIGKILL")
                node.kill()
                node.wait(timeout=10)
    if held.proxy is not None:
        held.proxy.stop()
        held.proxy = None
    if node is not None and node.stdin is not None:
        node.stdin.close()
    if held.postgres_started:
        command = [*_as_postgres(), *_pg_stop_command(held.pg_bin, held.run_dir)]
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
        if result.returncode != 0:
            held.notes.append(f"pg_ctl stop failed: {result.stdout}{result.stderr}")
        held.postgres_started = False
    held.log.close()
    if not held.keep_run_dir:
        shutil.rmtree(held.run_dir, ignore_errors=True)


class BlueskyPeer:
    """A whole local AT Protocol network, started fresh: PostgreSQL + dev-env + the proxy.

    Use as a context manager, or `start()` and `stop()`. Accounts made with `create_account()`
    are fresh `.test` accounts; all data is thrown away at `stop()`.
    """

    def __init__(
        self,
        *,
        node_dir: Path | None = None,
        pg_bin: Path | None = None,
        sequencer_max_poll_ms: int = 20,
        startup_timeout: float = STARTUP_TIMEOUT,
        keep_run_dir: bool = False,
    ) -> None:
        self.node_dir = node_dir or install_dir()
        self.pg_bin = pg_bin or Path(os.environ.get(PG_BIN_VARIABLE, DEFAULT_PG_BIN))
        self.sequencer_max_poll_ms = sequencer_max_poll_ms
        self.startup_timeout = startup_timeout
        self.keep_run_dir = keep_run_dir
        self.session = requests.Session()
        self.info: dict[str, Any] = {}
        self.startup_seconds: float | None = None
        self.timings: dict[str, float] = {}  # seconds from start to each step
        self._ports: dict[str, int] = {}
        self._held: _Processes | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    # --- URLs -----------------------------------------------------------------------------

    @property
    def pds_url(self) -> str:
        """The PDS as clients should see it, through the switchable proxy (`http://localhost:N`).

        It is also the PDS endpoint in new accounts' DID documents.
        """
        return f"http://localhost:{self._port('proxy')}"

    @property
    def direct_pds_url(self) -> str:
        """The PDS itself, bypassing the proxy (the helpers' accounts use it)."""
        return f"http://{HOST}:{self._port('pds')}"

    @property
    def appview_url(self) -> str:
        return f"http://{HOST}:{self._port('appview')}"

    @property
    def plc_url(self) -> str:
        return f"http://{HOST}:{self._port('plc')}"

    @property
    def control_url(self) -> str:
        return f"http://{HOST}:{self._port('control')}"

    @property
    def postgres_url(self) -> str:
        return f"postgres://pg@{HOST}:{self._port('postgres')}/postgres"

    @property
    def run_dir(self) -> Path:
        if self._held is None:
            raise PeerError("the peer is not running")
        return self._held.run_dir

    @property
    def running(self) -> bool:
        held = self._held
        return held is not None and held.node is not None and held.node.poll() is None

    @property
    def online(self) -> bool:
        """Whether the proxy in front of the PDS accepts connections."""
        return self._held is not None and self._held.proxy is not None and self._held.proxy.online

    def _port(self, name: str) -> int:
        if name not in self._ports:
            raise PeerError("the peer has not been started")
        return self._ports[name]

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        """Start PostgreSQL, the proxy and the network; return once it is READY.

        Raises `PeerError` with the log's tail if it fails; everything started is stopped then.
        """
        if self._held is not None:
            raise PeerError("the peer is already running")
        self._check_installed()
        for attempt in range(3):
            try:
                self._start_once()
                return self
            except PeerError:
                clash = "EADDRINUSE" in self.log()
                self._shutdown()
                if not clash or attempt == 2:
                    raise
            except BaseException:
                self._shutdown()
                raise
        raise AssertionError("unreachable")

    def _check_installed(self) -> None:
        dev_env = self.node_dir / "node_modules" / "@atproto" / "dev-env" / "package.json"
        if not dev_env.is_file():
            raise PeerError(
                f"@atproto/dev-env is not installed in {self.node_dir}: run {INSTALL_SH} "
                f"(or point {DIR_VARIABLE} at its install folder)"
            )
        for tool in ("initdb", "pg_ctl"):
            if not (self.pg_bin / tool).exists():
                raise PeerError(
                    f"PostgreSQL 15 not found ({self.pg_bin / tool}): apt-get install "
                    f"postgresql-15, or set {PG_BIN_VARIABLE}"
                )
        if shutil.which("node") is None:
            raise PeerError("node (Node.js 20) is not on PATH")

    def _start_once(self) -> None:
        started = time.monotonic()
        self.timings = {}
        self.info = {}

        def mark(step: str) -> None:
            self.timings[step] = round(time.monotonic() - started, 3)

        names = ["postgres", "plc", "pds", "appview", "ozone", "control", "proxy"]
        self._ports = dict(zip(names, _free_ports(len(names)), strict=True))
        run_dir = self._make_run_dir()
        held = _Processes(
            run_dir=run_dir,
            pg_bin=self.pg_bin,
            log=(run_dir / "network.log").open("wb"),
            control_url=self.control_url,
            keep_run_dir=self.keep_run_dir,
        )
        self._held = held
        self._finalizer = weakref.finalize(self, _cleanup, held)

        held.proxy = SwitchableProxy(self._ports["proxy"], self._ports["pds"])
        held.proxy.start()
        # Node first: it loads its modules (~2 s) while PostgreSQL starts, then waits for it.
        held.node = self._launch_node(run_dir, held.log)
        mark("node launched")
        self._start_postgres(run_dir, held)
        mark("postgres up")
        self._wait_ready(held.node, started)
        mark("ready")
        self.startup_seconds = time.monotonic() - started

    def _make_run_dir(self) -> Path:
        """A new folder for the cluster, the PDS's files and the logs.

        As root, PostgreSQL runs as `postgres`, which must reach `run_dir/pg`: the folder is
        made world-traversable (not listable), and its parents must be too (`/tmp` is; a
        temporary folder under `/root` is not).
        """
        run_dir = Path(tempfile.mkdtemp(prefix="heedful-bsky-"))
        (run_dir / "pg").mkdir()
        (run_dir / "tmp").mkdir()
        if os.geteuid() == 0:
            run_dir.chmod(0o711)
            shutil.chown(run_dir / "pg", "postgres", "postgres")
            for parent in run_dir.parents:
                if not parent.stat().st_mode & 0o001:
                    shutil.rmtree(run_dir)
                    raise PeerError(
                        f"{parent} is not traversable by the postgres user: set TMPDIR to "
                        "a folder it can reach (e.g. /tmp)"
                    )
        return run_dir

    def _launch_node(self, run_dir: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "NODE_PATH": str(self.node_dir / "node_modules"),
            "NODE_ENV": "development",
            "DB_POSTGRES_URL": self.postgres_url,
            "DB_POSTGRES_SCHEMA": "dev",
            "REDIS_HOST": f"{HOST}:6379",  # asserted by TestNetwork, never connected to
            "PLC_PORT": str(self._ports["plc"]),
            "PDS_PORT": str(self._ports["pds"]),
            "APPVIEW_PORT": str(self._ports["appview"]),
            "OZONE_PORT": str(self._ports["ozone"]),
            "CONTROL_PORT": str(self._ports["control"]),
            "PDS_PUBLIC_URL": self.pds_url,
            "INFO_FILE": str(run_dir / "network.json"),
            "SEQUENCER_MAX_POLL_MS": str(self.sequencer_max_poll_ms),
            "TMPDIR": str(run_dir / "tmp"),  # the PDS's data and blob folders go here
            # Orphan guard: if this process dies without stopping the peer (even by SIGKILL),
            # node sees its stdin close and stops itself, PostgreSQL, and removes run_dir.
            "EXIT_ON_STDIN_EOF": "1",
            "PG_STOP_COMMAND": json.dumps(
                [*_as_postgres(), *_pg_stop_command(self.pg_bin, run_dir)]
            ),
            "RUN_DIR": str(run_dir),
        }
        return subprocess.Popen(
            ["node", str(NETWORK_JS)],
            cwd=run_dir,  # dev-env reads a .env from the working folder: there is none here
            stdin=subprocess.PIPE,  # never written; see EXIT_ON_STDIN_EOF
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # a Ctrl-C in the terminal reaches pytest, which stops it
        )

    def _start_postgres(self, run_dir: Path, held: _Processes) -> None:
        data = run_dir / "pg" / "data"
        initdb = [str(self.pg_bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "pg"]
        initdb += ["-E", "UTF8", "--no-sync", "--no-instructions"]
        self._run_postgres_tool(initdb, "initdb")
        options = (
            f"-c listen_addresses={HOST} -p {self._ports['postgres']} "
            f"-c unix_socket_directories={run_dir / 'pg'} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        pg_ctl = [str(self.pg_bin / "pg_ctl"), "-D", str(data), "-l", str(run_dir / "pg" / "log")]
        pg_ctl += ["-w", "-t", "60", "-o", options, "start"]
        held.postgres_started = True  # from here on, stopping it is our job (even if start fails)
        self._run_postgres_tool(pg_ctl, "pg_ctl start")

    def _run_postgres_tool(self, command: list[str], what: str) -> None:
        result = subprocess.run(
            [*_as_postgres(), *command], capture_output=True, text=True, check=False, timeout=120
        )
        if result.returncode != 0:
            log = self.run_dir / "pg" / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PeerError(f"{what} failed:\n{result.stdout}{result.stderr}{tail}")

    def _wait_ready(self, node: subprocess.Popen[bytes], started: float) -> None:
        info_file = self.run_dir / "network.json"
        deadline = started + self.startup_timeout
        while True:
            if node.poll() is not None:
                tail = self.log()[-4000:]
                raise PeerError(
                    f"the network exited with {node.returncode} while starting:\n{tail}"
                )
            if info_file.exists():
                with contextlib.suppress(requests.RequestException):
                    if self.session.get(f"{self.control_url}/health", timeout=2).ok:
                        self.info = json.loads(info_file.read_text(encoding="utf-8"))
                        return
            if time.monotonic() >= deadline:
                raise PeerError(
                    f"the network was not ready within {self.startup_timeout:g}s:\n"
                    f"{self.log()[-4000:]}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Shut the network down cleanly (POST /shutdown, then `pg_ctl stop -m fast`).

        Raises `PeerError` if that needed force (SIGTERM/SIGKILL) or PostgreSQL did not stop.
        """
        notes = self._shutdown()
        self.session.close()
        if notes:
            raise PeerError("the peer did not stop cleanly: " + "; ".join(notes))

    def _shutdown(self) -> list[str]:
        held, finalizer = self._held, self._finalizer
        self._held, self._finalizer = None, None
        if finalizer is not None:
            finalizer()  # runs _cleanup, at most once
        return held.notes if held is not None else []

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def log(self) -> str:
        """The network's output so far, for failure messages."""
        if self._held is None:
            return ""
        path = self._held.run_dir / "network.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    # --- controls -------------------------------------------------------------------------

    def process_all(self) -> float:
        """Block until the AppView has indexed everything written so far; returns seconds."""
        started = time.monotonic()
        response = self.session.post(f"{self.control_url}/process-all", timeout=PROCESS_ALL_TIMEOUT)
        _checked(response)
        return time.monotonic() - started

    def go_offline(self) -> None:
        """The PDS (as `pds_url`) stops answering: connections are refused, open ones cut."""
        self._proxy().go_offline()

    def go_online(self) -> None:
        """`pds_url` answers again (same port); everything written meanwhile is there."""
        self._proxy().go_online()

    def _proxy(self) -> SwitchableProxy:
        if self._held is None or self._held.proxy is None:
            raise PeerError("the peer is not running")
        return self._held.proxy

    def create_account(
        self, handle_prefix: str = "user", *, password: str | None = None, index: bool = True
    ) -> BlueskyAccount:
        """A fresh `<prefix><8 hex>.test` account, through `com.atproto.server.createAccount`.

        `handle_prefix`: 1-10 lowercase letters or digits, starting with a letter. With
        `index` (the default) the AppView has indexed the account on return, so its profile
        resolves (the SDK's `login()` fetches it).
        """
        if not HANDLE_PREFIX.fullmatch(handle_prefix):
            raise ValueError(f"handle prefix must match {HANDLE_PREFIX.pattern}: {handle_prefix!r}")
        handle = f"{handle_prefix}{secrets.token_hex(4)}.test"
        password = password or f"pw-{secrets.token_hex(8)}"
        body = {"handle": handle, "password": password, "email": f"{handle}@example.test"}
        created = _checked(
            self.session.post(
                f"{self.direct_pds_url}/xrpc/com.atproto.server.createAccount",
                json=body,
                timeout=REQUEST_TIMEOUT,
            )
        )
        account = BlueskyAccount(
            peer=self,
            handle=created["handle"],
            did=created["did"],
            password=password,
            access_jwt=created["accessJwt"],
            refresh_jwt=created["refreshJwt"],
        )
        if index:
            self.process_all()
        return account


@dataclass
class BlueskyAccount:
    """A person on the peer, acting through the real XRPC API of the PDS (direct, not proxied).

    Write calls return `StrongRef`s; reads return the raw JSON (dicts with the lexicon's
    camelCase names). `XrpcError` carries the status and the XRPC error name of a failure.
    """

    peer: BlueskyPeer
    handle: str
    did: str
    password: str
    access_jwt: str
    refresh_jwt: str

    # --- raw XRPC -------------------------------------------------------------------------

    def query(self, nsid: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET /xrpc/<nsid> with this account's access token. Booleans become "true"/"false"."""
        encoded = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        response = self.peer.session.get(
            f"{self.peer.direct_pds_url}/xrpc/{nsid}",
            params=encoded,
            headers={"Authorization": f"Bearer {self.access_jwt}"},
            timeout=REQUEST_TIMEOUT,
        )
        return _checked(response)

    def procedure(self, nsid: str, body: Any = None, *, token: str | None = None) -> Any:
        """POST /xrpc/<nsid> (JSON) with this account's access token, or `token`."""
        response = self.peer.session.post(
            f"{self.peer.direct_pds_url}/xrpc/{nsid}",
            json=body,
            headers={"Authorization": f"Bearer {token or self.access_jwt}"},
            timeout=REQUEST_TIMEOUT,
        )
        return _checked(response)

    # --- records --------------------------------------------------------------------------

    def create_record(
        self, collection: str, record: Mapping[str, Any], *, rkey: str | None = None
    ) -> StrongRef:
        """`com.atproto.repo.createRecord`; with `rkey`, creating the same key twice fails."""
        body: dict[str, Any] = {"repo": self.did, "collection": collection, "record": record}
        if rkey is not None:
            body["rkey"] = rkey
        created = self.procedure("com.atproto.repo.createRecord", body)
        return StrongRef(uri=created["uri"], cid=created["cid"])

    def get_record(self, uri: str) -> dict[str, Any]:
        """`com.atproto.repo.getRecord` of an `at://did/collection/rkey` URI: {uri, cid, value}."""
        repo, collection, rkey = _split_at_uri(uri)
        found: dict[str, Any] = self.query(
            "com.atproto.repo.getRecord", {"repo": repo, "collection": collection, "rkey": rkey}
        )
        return found

    def post(
        self,
        text: str,
        *,
        langs: Sequence[str] | None = None,
        reply_to: StrongRef | None = None,
        root: StrongRef | None = None,
        quote: StrongRef | None = None,
        facets: Sequence[Mapping[str, Any]] | None = None,
        mentions: Sequence[BlueskyAccount] = (),
        rkey: str | None = None,
    ) -> StrongRef:
        """Post `text`; returns its {uri, cid}.

        `reply_to`: the parent post; the thread's root is looked up from it unless `root` is
        given. `quote`: a post to embed (`app.bsky.embed.record`). `mentions`: accounts whose
        `@handle` in `text` gets a mention facet (added to `facets`). `rkey`: the record key.
        """
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": now_iso(),
        }
        if langs:
            record["langs"] = list(langs)
        all_facets = [dict(facet) for facet in facets or ()]
        all_facets += mention_facets(text, {account.handle: account.did for account in mentions})
        if all_facets:
            record["facets"] = all_facets
        if reply_to is not None:
            if root is None:
                parent = self.get_record(reply_to["uri"])["value"]
                root = parent.get("reply", {}).get("root") or reply_to
            record["reply"] = {"root": dict(root), "parent": dict(reply_to)}
        if quote is not None:
            record["embed"] = {"$type": "app.bsky.embed.record", "record": dict(quote)}
        return self.create_record("app.bsky.feed.post", record, rkey=rkey)

    def like(self, subject: StrongRef) -> StrongRef:
        record = {"$type": "app.bsky.feed.like", "subject": dict(subject), "createdAt": now_iso()}
        return self.create_record("app.bsky.feed.like", record)

    def repost(self, subject: StrongRef) -> StrongRef:
        record = {"$type": "app.bsky.feed.repost", "subject": dict(subject), "createdAt": now_iso()}
        return self.create_record("app.bsky.feed.repost", record)

    def follow(self, other: BlueskyAccount) -> StrongRef:
        record = {"$type": "app.bsky.graph.follow", "subject": other.did, "createdAt": now_iso()}
        return self.create_record("app.bsky.graph.follow", record)

    def delete_record(self, uri: str) -> None:
        repo, collection, rkey = _split_at_uri(uri)
        body = {"repo": repo, "collection": collection, "rkey": rkey}
        self.procedure("com.atproto.repo.deleteRecord", body)

    # --- reading (through the PDS, which proxies app.bsky.* to the AppView) -----------------

    def list_notifications(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        reasons: Sequence[str] | None = None,
        priority: bool = False,
    ) -> dict[str, Any]:
        """One page of `app.bsky.notification.listNotifications`: {notifications, cursor?, seenAt?}.

        Newest first; `cursor` continues towards older ones. Call `peer.process_all()` first.
        """
        params: dict[str, Any] = {"limit": limit, "cursor": cursor, "priority": priority}
        if reasons:
            params["reasons"] = list(reasons)
        page: dict[str, Any] = self.query("app.bsky.notification.listNotifications", params)
        return page

    def notifications(self, reason: str | None = None) -> list[dict[str, Any]]:
        """The newest 100 notifications, optionally only those with `reason`."""
        found = self.list_notifications(limit=100)["notifications"]
        return [n for n in found if reason is None or n["reason"] == reason]

    def update_seen(self, seen_at: str | None = None) -> None:
        self.procedure("app.bsky.notification.updateSeen", {"seenAt": seen_at or now_iso()})

    def get_post_thread(self, uri: str, *, depth: int = 6) -> dict[str, Any]:
        """`app.bsky.feed.getPostThread`: {thread: {post, replies, parent?}}."""
        thread: dict[str, Any] = self.query(
            "app.bsky.feed.getPostThread", {"uri": uri, "depth": depth}
        )
        return thread

    # --- sessions and app passwords ---------------------------------------------------------

    def create_session(self, password: str | None = None) -> dict[str, Any]:
        """`com.atproto.server.createSession` with the password (or an app password).

        Returns the session JSON; this account's own tokens are not changed.
        """
        body = {"identifier": self.handle, "password": password or self.password}
        response = self.peer.session.post(
            f"{self.peer.direct_pds_url}/xrpc/com.atproto.server.createSession",
            json=body,
            timeout=REQUEST_TIMEOUT,
        )
        session: dict[str, Any] = _checked(response)
        return session

    def refresh_session(self) -> None:
        """Swap this account's tokens for new ones (`refreshSession` with the refresh token)."""
        session = self.procedure("com.atproto.server.refreshSession", token=self.refresh_jwt)
        self.access_jwt = session["accessJwt"]
        self.refresh_jwt = session["refreshJwt"]

    def delete_session(self, refresh_jwt: str) -> None:
        """Revoke a session (`com.atproto.server.deleteSession`, authorised by its refresh token).

        Its refresh token stops working at once; an access token already issued stays valid
        until it expires (the PDS checks access JWTs without a lookup).
        """
        self.procedure("com.atproto.server.deleteSession", token=refresh_jwt)

    def create_app_password(self, name: str) -> str:
        """A new app password (`com.atproto.server.createAppPassword`); returns the password."""
        created = self.procedure("com.atproto.server.createAppPassword", {"name": name})
        password: str = created["password"]
        return password

    def list_app_passwords(self) -> list[str]:
        found = self.query("com.atproto.server.listAppPasswords")["passwords"]
        return [entry["name"] for entry in found]

    def revoke_app_password(self, name: str) -> None:
        """Revoke an app password and the sessions made with it (their refresh tokens)."""
        self.procedure("com.atproto.server.revokeAppPassword", {"name": name})


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _split_at_uri(uri: str) -> tuple[str, str, str]:
    match = re.fullmatch(r"at://([^/]+)/([^/]+)/([^/]+)", uri)
    if match is None:
        raise ValueError(f"not an at:// record URI: {uri!r}")
    return match.group(1), match.group(2), match.group(3)
