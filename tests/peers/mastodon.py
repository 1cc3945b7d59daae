"""A real Mastodon-API server on loopback, for integration tests.

`mastodon-mock` (PyPI, MIT) is a FastAPI + SQLite implementation of the Mastodon REST API:
the OAuth code flow, statuses, notifications with `types[]`/`min_id`/`since_id` and Link
headers, `Idempotency-Key`, and mock-only controls under `/api/v1/_mock/*` (reset, accounts,
fault injection). `MastodonPeer` runs it as a subprocess on a free 127.0.0.1 port with an
in-memory database and wraps those controls; a `PeerAccount` acts as a person on it through
the ordinary REST API, with `requests`.

Where the mock differs from a real Mastodon (tests must not rely on these):

- Status HTML has no mention or hashtag links (`<p>@bob hi #tag</p>`); `mentions` and `tags`
  are filled in, found from `@username` and `#tag` in the text.
- The OAuth code is `mockcode_<username>`: reusable and bound to nothing. `/oauth/token`
  checks neither `code_verifier` (PKCE is advertised, not enforced), `client_secret` nor
  `redirect_uri`; the authorize page accepts any `client_id` and `redirect_uri` and appends
  `state` to the redirect without URL-encoding it. No refresh token is issued.
- An unknown or revoked token counts as anonymous: 401 only where a user is required
  (`verify_credentials`, notifications, posting); public reads still answer 200.
- The Link header drops filters such as `types[]` (Mastodon.py keeps its own copy of them);
  `rel="next"` is sent only after a full page.
- `X-RateLimit-Reset` is epoch seconds (real Mastodon: ISO-8601). The counting limiter is
  configured at start-up only, and also counts `/health` and `/api/v1/_mock/*` requests,
  per bearer token or, without one, per client address.
- Direct statuses are readable by anyone, a missing `in_reply_to_id` is accepted (real: 404),
  ids are 13-digit counters.
- Idempotency keys never expire (real Mastodon keeps one for an hour: `PostStatusService`,
  `redis.setex(key, 3600, ...)`). The mock keeps them in its `idempotency` table, with no
  time and no clock to move; `MastodonPeer.expire_idempotency_keys()` deletes them, which is
  what the hour passing does on a real server.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, Self, TypeVar
from urllib.parse import urljoin

import requests

HOST = "127.0.0.1"
OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
REQUEST_TIMEOUT = 5.0  # seconds, for every request to the peer
# Typically 2-3 s here (most of it importing FastAPI and SQLAlchemy); generous for a busy CI.
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0
# Mastodon usernames: letters, digits and underscores. The mock does not check, but its mention
# parser only recognises these, so anything else would silently mention nobody.
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_]{1,30}")

FaultEffect = Literal["status", "ratelimit", "latency", "malformed", "timeout"]
T = TypeVar("T")


class PeerError(RuntimeError):
    """The peer could not be started or answered a request with an error."""


@dataclass(frozen=True)
class RateLimit:
    """The mock's counting rate limiter: `limit` requests per `window_seconds` per token.

    It is fixed at start-up (the mock has no switch at run time). Every response then carries
    `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds);
    request `limit + 1` in a window gets 429 `{"error": "Too many requests"}` without
    `Retry-After`. For 429s on demand use `MastodonPeer.inject_rate_limit`.
    """

    limit: int
    window_seconds: int


def wait_until(
    condition: Callable[[], T],
    *,
    timeout: float = 5.0,
    interval: float = 0.02,
    message: str = "condition",
) -> T:
    """Poll `condition` until it returns something truthy, and return that.

    Raises `TimeoutError` naming `message` and the last value seen when `timeout` runs out.
    """
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


def _checked_json(response: requests.Response) -> Any:
    """The response's JSON body, or `PeerError` with the status and body if it failed."""
    if not response.ok:
        raise PeerError(
            f"{response.request.method} {response.url} -> {response.status_code}: "
            f"{response.text[:500]}"
        )
    return response.json()


def _free_port() -> int:
    """A port that was free a moment ago: bind port 0 on loopback, read it back, release it.

    The mock's command line can't bind port 0 and report the result (and it must know its
    port up front to build `url` fields), so there is a short race; `MastodonPeer` retries
    on another port if the server then finds it taken.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _config_toml(
    port: int, database: Path, media_dir: Path, rate_limit: RateLimit | None, scopes: bool
) -> str:
    """The mock's config file: loopback, a database file of its own, no seeded accounts.

    (The mock backs ":memory:" with a private temporary file anyway; naming the file lets a
    test reach what the REST API cannot, such as the idempotency keys.)"""
    limiter = rate_limit or RateLimit(limit=300, window_seconds=300)
    # json.dumps of a str is a valid TOML basic string.
    return f"""\
# Written by tests/peers/mastodon.py for one test run.
domain = {json.dumps(f"{HOST}:{port}")}  # builds the url/uri fields in responses
url_scheme = "http"
media_storage_path = {json.dumps(str(media_dir))}

[database]
path = {json.dumps(str(database))}

[server]
host = "{HOST}"
port = {port}

[auth]
permissive = false  # an unknown token is anonymous, never "the first account"
enforce_scopes = {str(scopes).lower()}  # a read-only token can't post, as on real servers

[ratelimit]
enabled = {str(rate_limit is not None).lower()}
limit = {limiter.limit}
window_seconds = {limiter.window_seconds}

[streaming]
heartbeat_seconds = 1.0

[seed]
accounts = []  # each test makes its own with MastodonPeer.new_account
"""


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it when its parent exits."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _stop_process(
    process: subprocess.Popen[bytes], log: IO[bytes], workdir: tempfile.TemporaryDirectory[str]
) -> None:
    """Terminate the server, kill it if it doesn't exit in time, then remove its files.

    A module-level function so `weakref.finalize` can run it at interpreter exit too,
    if a test run ends without calling `MastodonPeer.stop`.
    """
    if process.poll() is None:
        process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
    log.close()
    workdir.cleanup()


class _AuthorizePage(HTMLParser):
    """Reads the mock's account picker: one form, hidden inputs, one button per account."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.choices: dict[str, tuple[str, str]] = {}  # account -> the button's (name, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = attributes.get("action", "")
        elif tag == "input" and attributes.get("type") == "hidden" and "name" in attributes:
            self.fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "button" and "name" in attributes:
            value = attributes.get("value", "")
            self.choices[value] = (attributes["name"], value)


class MastodonPeer:
    """`mastodon-mock` in a subprocess on a free loopback port, with its own config and files.

    Use as a context manager or call `start()` and `stop()`. `launch()` plus `wait_ready()`
    split the start so several peers can boot at the same time. The database is in memory:
    everything is gone at `stop()`, and `reset()` empties it (accounts included) in between.
    """

    def __init__(
        self,
        *,
        rate_limit: RateLimit | None = None,
        enforce_scopes: bool = True,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        self.rate_limit = rate_limit
        self.enforce_scopes = enforce_scopes
        self.startup_timeout = startup_timeout
        self.startup_seconds: float | None = None  # launch to first answer, set by wait_ready
        self.session = requests.Session()
        self._port: int | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._launched_at = 0.0

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`: pass it to clients as the instance URL."""
        if self._port is None:
            raise PeerError("the peer has not been launched")
        return f"http://{HOST}:{self._port}"

    @property
    def port(self) -> int:
        if self._port is None:
            raise PeerError("the peer has not been launched")
        return self._port

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Launch the server and wait until it answers. Returns the peer; stopped on failure."""
        self.launch()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def launch(self) -> None:
        """Start the server process on a free port, without waiting for it."""
        if self._process is not None:
            raise PeerError("the peer is already launched")
        self._port = _free_port()
        workdir = tempfile.TemporaryDirectory(prefix="heedful-mastodon-peer-")
        root = Path(workdir.name)
        config = root / "mastodon_mock.toml"
        config.write_text(
            _config_toml(
                self._port, root / "mastodon.db", root / "media", self.rate_limit,
                self.enforce_scopes,
            ),
            encoding="utf-8",
        )  # fmt: skip
        log = (root / "server.log").open("wb")
        # The venv's own interpreter, so its bin/ needn't be on PATH.
        command = [sys.executable, "-m", "mastodon_mock", "serve", "--config", str(config)]
        command += ["--host", HOST, "--port", str(self._port), "--log-level", "warning"]
        self._launched_at = time.monotonic()
        try:
            self._process = subprocess.Popen(
                command,
                cwd=root,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                # If the test run itself dies (a Qt abort, kill -9), the server goes too.
                preexec_fn=_die_with_parent,
            )
        except BaseException:
            log.close()
            workdir.cleanup()
            raise
        self._workdir = workdir
        self._finalizer = weakref.finalize(self, _stop_process, self._process, log, workdir)

    def wait_ready(self) -> None:
        """Poll `/health` until the server answers; relaunch once or twice on a port clash."""
        for attempt in range(3):
            try:
                self._wait_for_health()
                return
            except PeerError:
                clash = "address already in use" in self.log().lower()
                if not clash or attempt == 2:
                    raise
                self._shutdown()
                self.launch()

    def _wait_for_health(self) -> None:
        assert self._process is not None, "launch() first"
        deadline = self._launched_at + self.startup_timeout
        while True:
            if self._process.poll() is not None:
                raise PeerError(
                    f"mastodon-mock exited with {self._process.returncode}:\n{self.log()[-3000:]}"
                )
            try:
                # With a rate limit, a 429 answer also means "up".
                response = self.session.get(f"{self.base_url}/health", timeout=1.0)
                if response.status_code in (200, 429):
                    self.startup_seconds = time.monotonic() - self._launched_at
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or still busy starting
            if time.monotonic() >= deadline:
                raise PeerError(
                    f"mastodon-mock did not answer within {self.startup_timeout:g}s:\n"
                    f"{self.log()[-3000:]}"
                )
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server (terminate, then kill after a timeout) and remove its files."""
        self._shutdown()
        self.session.close()

    def _shutdown(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # runs _stop_process, at most once
        self._finalizer = None
        self._process = None
        self._workdir = None

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
        """The server's output so far (warnings and errors only), for failure messages."""
        if self._workdir is None:
            return ""
        path = Path(self._workdir.name) / "server.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    # --- mock-only controls (/api/v1/_mock/*) -------------------------------------------------

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        # The counting rate limiter buckets requests by bearer token, or by client address
        # without one, and doesn't spare the control plane: a fresh dummy bearer per call keeps
        # control calls out of every other bucket (the _mock routes ignore it).
        headers = {"Authorization": f"Bearer peer-control-{secrets.token_hex(8)}"}
        response = self.session.request(
            method, f"{self.base_url}{path}", json=body, headers=headers, timeout=REQUEST_TIMEOUT
        )
        return _checked_json(response)

    def expire_idempotency_keys(self) -> int:
        """Forget every `Idempotency-Key` the server has seen, as a real Mastodon does an hour
        after each post: a request repeated with one of them is then a new post. Returns how
        many were forgotten."""
        if self._workdir is None:
            raise PeerError("the peer has not been launched")
        database = Path(self._workdir.name) / "mastodon.db"
        connection = sqlite3.connect(database, timeout=REQUEST_TIMEOUT)
        try:
            with connection:
                forgotten = connection.execute("DELETE FROM idempotency").rowcount
        finally:
            connection.close()
        return forgotten

    def reset(self) -> None:
        """Empty the database (every account, status and token) and clear all faults.

        The counting rate limiter's windows are not reset; new accounts get new tokens anyway.
        """
        self._control("POST", "/api/v1/_mock/reset")

    def new_account(self, username: str | None = None, *, display_name: str = "") -> PeerAccount:
        """Create a local account with a token (all scopes) through `/api/v1/_mock/dev_user`.

        The endpoint returns `{id, username, display_name, role, access_token}`; the username
        must be unused (422 otherwise). Without one, a unique `user_<hex>` is made.
        """
        username = username or f"user_{secrets.token_hex(4)}"
        if not USERNAME_PATTERN.fullmatch(username):
            raise ValueError(f"not a Mastodon username (letters, digits, _; 1-30): {username!r}")
        body = {"username": username, "display_name": display_name}
        created = self._control("POST", "/api/v1/_mock/dev_user", body)
        return PeerAccount(
            peer=self,
            id=str(created["id"]),
            username=created["username"],
            acct=created["username"],  # local accounts: acct is the bare username
            token=created["access_token"],
        )

    def issue_token(self, username: str) -> str:
        """Another access token (all scopes) for an existing account, via `_mock/login`."""
        issued = self._control("POST", "/api/v1/_mock/login", {"username": username})
        token: str = issued["access_token"]
        return token

    def inject_fault(
        self,
        *,
        effect: FaultEffect = "status",
        status: int | None = None,
        path: str | None = None,
        path_regex: str | None = None,
        methods: Sequence[str] | None = None,
        count: int | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        delay_ms: int = 0,
        truncate: bool = True,
    ) -> str:
        """Add a fault rule (`POST /api/v1/_mock/faults`) and return its id (`"r1"`, ...).

        Rules apply in order, first match wins; `/api/v1/_mock/*` is never affected.
        Matching: `methods` (any if None); `path` exact, or a glob if it contains `*`;
        `path_regex` searched in the path (it wins over `path`); no path matches everything.
        Effects: `status` answers `status` (default 500) with `body` (default
        `{"error": ...}`) and `headers`; `ratelimit` is a 429 with X-RateLimit-* and
        Retry-After headers (see `inject_rate_limit`); `latency` delays by `delay_ms` then
        serves normally; `malformed` answers 200 with a broken JSON body (`truncate`:
        `{"error": "truncated`, else `{not json`); `timeout` holds the request for
        max(`delay_ms`, 30 s), then serves it. `count` limits how many requests it hits
        (None: until removed). `reset()` clears all rules.
        """
        effect_spec: dict[str, Any] = {
            "type": effect,
            "headers": dict(headers or {}),
            "delay_ms": delay_ms,
            "truncate": truncate,
        }
        if status is not None:
            effect_spec["status"] = status
        if body is not None:
            effect_spec["body"] = body
        rule = {
            "match": {
                "methods": list(methods) if methods is not None else None,
                "path": path,
                "path_regex": path_regex,
            },
            "effect": effect_spec,
            "count": count,
        }
        added = self._control("POST", "/api/v1/_mock/faults", rule)
        rule_id: str = added["id"]
        return rule_id

    def inject_rate_limit(
        self,
        *,
        path: str | None = None,
        path_regex: str | None = None,
        methods: Sequence[str] | None = None,
        count: int | None = 1,
        limit: int = 300,
        reset_in: int = 300,
        iso_reset: bool = False,
    ) -> str:
        """Answer matching requests with 429 `{"error": "Too many requests"}`, like a limit hit.

        Headers: `X-RateLimit-Limit: <limit>`, `X-RateLimit-Remaining: 0`, `Retry-After:
        <reset_in>` and `X-RateLimit-Reset` `reset_in` seconds from now: epoch seconds
        (`1795436009`, the mock's own format) or, with `iso_reset`, ISO-8601 UTC with
        microseconds (`2026-11-23T12:15:00.000000Z`), the format real Mastodon sends.
        """
        reset_at = int(time.time()) + reset_in
        if iso_reset:
            when = datetime.fromtimestamp(reset_at, UTC).isoformat(timespec="microseconds")
            reset = when.replace("+00:00", "Z")
        else:
            reset = str(reset_at)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset,
            "Retry-After": str(reset_in),
        }
        return self.inject_fault(
            effect="ratelimit",
            path=path,
            path_regex=path_regex,
            methods=methods,
            count=count,
            headers=headers,
        )

    def faults(self) -> list[dict[str, Any]]:
        """The active rules, each `{id, match, effect, remaining}`."""
        rules: list[dict[str, Any]] = self._control("GET", "/api/v1/_mock/faults")
        return rules

    def remove_fault(self, rule_id: str) -> None:
        self._control("DELETE", f"/api/v1/_mock/faults/{rule_id}")

    def clear_faults(self) -> None:
        self._control("DELETE", "/api/v1/_mock/faults")

    # --- OAuth ------------------------------------------------------------------------------

    def revoke_token(
        self, token: str, *, client_id: str | None = None, client_secret: str | None = None
    ) -> None:
        """Revoke an access token (`POST /oauth/revoke`), as a client's "log out" does.

        Real Mastodon wants the app's `client_id` and `client_secret` too; the mock needs only
        the token. Afterwards requests that need a user answer 401.
        """
        form = {"token": token}
        if client_id is not None:
            form["client_id"] = client_id
        if client_secret is not None:
            form["client_secret"] = client_secret
        response = self.session.post(
            f"{self.base_url}/oauth/revoke", data=form, timeout=REQUEST_TIMEOUT
        )
        _checked_json(response)

    def authorize_in_browser(
        self, authorize_url: str, username: str, *, open_redirect: bool = False
    ) -> str:
        """Act as the person at `/oauth/authorize`: open the page, pick `username`, submit.

        Returns the URL the browser is sent to (`<redirect_uri>?code=...&state=...`) or,
        for the `urn:ietf:wg:oauth:2.0:oob` redirect URI, the code shown on the page.
        With `open_redirect`, the redirect is also requested, as a browser would, so a
        loopback listener (running in another thread or process) receives the code.

        The mock shows every local account as a button, with no login: picking is
        authorizing. It ignores `code_challenge`, `force_login` and `lang`.
        """
        page = self.session.get(authorize_url, timeout=REQUEST_TIMEOUT)
        if page.status_code != 200:
            raise PeerError(f"authorize page answered {page.status_code}: {page.text[:500]}")
        form = _AuthorizePage()
        form.feed(page.text)
        if username not in form.choices:
            raise PeerError(f"no account {username!r} on the authorize page: {list(form.choices)}")
        button_name, button_value = form.choices[username]
        submitted = {**form.fields, button_name: button_value}
        target = urljoin(page.url, form.action or "")
        response = self.session.post(
            target, data=submitted, allow_redirects=False, timeout=REQUEST_TIMEOUT
        )
        if response.is_redirect:
            location = urljoin(target, response.headers["Location"])
            if open_redirect:
                self.session.get(location, timeout=REQUEST_TIMEOUT)
            return location
        shown = re.search(r"Authorization code:\s*([^\s<]+)", response.text)
        if response.status_code != 200 or shown is None:
            raise PeerError(f"authorize answered {response.status_code}: {response.text[:500]}")
        return shown.group(1)


@dataclass(frozen=True)
class PeerAccount:
    """A local account on the peer with its own token, acting through the REST API."""

    peer: MastodonPeer = field(repr=False, compare=False)
    id: str
    username: str
    acct: str
    token: str = field(repr=False)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> requests.Response:
        """An authenticated request to `path` (`/api/v1/...`); the response as it came."""
        all_headers = {"Authorization": f"Bearer {token or self.token}", **(headers or {})}
        return self.peer.session.request(
            method,
            f"{self.peer.base_url}{path}",
            params=params,
            data=data,
            headers=all_headers,
            timeout=REQUEST_TIMEOUT,
        )

    def post(
        self,
        text: str,
        *,
        visibility: Literal["public", "unlisted", "private", "direct"] = "public",
        in_reply_to_id: str | None = None,
        spoiler_text: str | None = None,
        language: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Post a status (`POST /api/v1/statuses`) and return its JSON.

        `@username` in `text` mentions that account (it gets a `mention` notification);
        a direct status is a DM to the accounts it mentions.
        """
        form = {"status": text, "visibility": visibility}
        optional = {
            "in_reply_to_id": in_reply_to_id,
            "spoiler_text": spoiler_text,
            "language": language,
        }
        form.update({key: value for key, value in optional.items() if value is not None})
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        status: dict[str, Any] = _checked_json(
            self.request("POST", "/api/v1/statuses", data=form, headers=headers)
        )
        return status

    def status(self, status_id: str) -> dict[str, Any]:
        found: dict[str, Any] = _checked_json(self.request("GET", f"/api/v1/statuses/{status_id}"))
        return found

    def context(self, status_id: str) -> dict[str, Any]:
        """`{"ancestors": [...], "descendants": [...]}` of a status."""
        thread: dict[str, Any] = _checked_json(
            self.request("GET", f"/api/v1/statuses/{status_id}/context")
        )
        return thread

    def notifications(
        self,
        *,
        types: Sequence[str] = (),
        exclude_types: Sequence[str] = (),
        max_id: str | None = None,
        min_id: str | None = None,
        since_id: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """`GET /api/v1/notifications`, newest first, e.g. `types=["mention"]`.

        `min_id` gives the page just above the cursor, `since_id` the newest above it.
        """
        params: list[tuple[str, Any]] = [("types[]", kind) for kind in types]
        params += [("exclude_types[]", kind) for kind in exclude_types]
        cursors = {"max_id": max_id, "min_id": min_id, "since_id": since_id, "limit": limit}
        params += [(key, value) for key, value in cursors.items() if value is not None]
        found: list[dict[str, Any]] = _checked_json(
            self.request("GET", "/api/v1/notifications", params=params)
        )
        return found

    def verify_credentials(self) -> dict[str, Any]:
        me: dict[str, Any] = _checked_json(
            self.request("GET", "/api/v1/accounts/verify_credentials")
        )
        return me
