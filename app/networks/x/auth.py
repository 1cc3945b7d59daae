"""Signing in to X the way desktop apps must (OAuth 2.0 authorization code with PKCE, RFC 8252),
and keeping the sign-in alive (access tokens last two hours; each refresh rotates the refresh
token, which is saved at once or the next start is signed out).

Heedful is a public client: it uses the person's own X developer app (its client id, entered
once and kept in the keyring) and has no client secret. X matches callback addresses exactly,
so the answer comes back to a fixed loopback port the person registers in that app
(`http://127.0.0.1:PORT/callback`). Where the browser cannot reach this computer, the person
pastes the address the browser ended on instead.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from storage.records import utc_now
from storage.token_leases import REFRESH_LEASE_SECONDS, TokenRefreshLeases

from app.networks.errors import NeedsSignIn, Offline, ServerTrouble
from app.networks.mastodon.auth import (
    CALLBACK_PATH,
    _CallbackServer,
    normalize_server,
    pkce_challenge,
)
from app.secrets import SecretStore

API_SERVER = "https://api.x.com"
SCOPES = ("tweet.read", "tweet.write", "users.read", "dm.read", "dm.write", "offline.access")
# The port of the callback address registered in the person's X app; another can be chosen.
DEFAULT_CALLBACK_PORT = 51737
TIMEOUT_S = 20
REFRESH_EARLY_S = 120  # refresh this long before the access token runs out
# The longest a renewal waits for another process's renewal of the same sign-in to finish.
REFRESH_WAIT_S = REFRESH_LEASE_SECONDS + 5


def authorize_base(server: str) -> str:
    """X's authorize page lives on x.com, its API on api.x.com; a test server has both."""
    return "https://x.com" if server == API_SERVER else server


def callback_uri(port: int) -> str:
    return f"http://127.0.0.1:{port}{CALLBACK_PATH}"


def app_secret_name(server: str) -> str:
    return f"x-app:{server}"


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: float  # epoch seconds
    scope: str

    def as_secret(self, client_id: str) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "scope": self.scope,
            "client_id": client_id,
        }


def tokens_from_answer(answer: dict[str, Any], now: float) -> Tokens:
    access = answer.get("access_token")
    if not isinstance(access, str) or not access:
        raise NeedsSignIn("X gave no access token; try signing in again.")
    refresh = answer.get("refresh_token")
    lifetime = answer.get("expires_in")
    seconds = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else 7200.0
    scope = answer.get("scope")
    return Tokens(
        access,
        refresh if isinstance(refresh, str) and refresh else None,
        now + seconds,
        scope if isinstance(scope, str) else "",
    )


def post_form(
    session: requests.Session | None, url: str, form: dict[str, str], *, what: str
) -> dict[str, Any]:
    """POST to X's OAuth endpoints; typed errors. 400/401 there mean the code or refresh
    token is no good: only signing in again helps."""
    sender = session or requests
    try:
        response = sender.post(
            url,
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=TIMEOUT_S,
        )
    except requests.RequestException as error:
        raise Offline(f"Cannot reach X while {what}.") from error
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if response.status_code in (400, 401, 403):
        why = answer.get("error_description") or answer.get("error") or response.status_code
        raise NeedsSignIn(f"X refused {what} ({why}). Sign in to this account again.")
    if not response.ok:
        raise ServerTrouble(f"X failed while {what} ({response.status_code}).")
    return answer


class XSignIn:
    """One sign-in attempt: `start()` gives the address to open; then `wait_for_browser()`
    (the loopback answer) or `finish_from_address(url)` (pasted) gives the tokens."""

    def __init__(
        self,
        secrets_store: SecretStore,
        *,
        client_id: str | None = None,
        server: str = API_SERVER,
        port: int | None = None,
        pasted: bool = False,
    ) -> None:
        self.server = normalize_server(server, what="X API server")
        self._secrets = secrets_store
        known = secrets_store.get(app_secret_name(self.server)) or {}
        client = (client_id or "").strip() or str(known.get("client_id") or "")
        if not client:
            raise NeedsSignIn(
                "Heedful needs your X app's client id (X developer portal → your app → Keys "
                "and tokens → OAuth 2.0 Client ID) the first time: give it with --client-id."
            )
        self.client_id = client
        self.port = int(port or known.get("port") or DEFAULT_CALLBACK_PORT)
        self.redirect_uri = callback_uri(self.port)
        self._pasted = pasted
        self._verifier = secrets.token_urlsafe(64)
        self._state = secrets.token_urlsafe(24)
        self._listener: _CallbackServer | None = None

    def start(self) -> str:
        if not self._pasted:
            try:
                self._listener = _CallbackServer(self.port, self._state)
            except OSError as error:
                raise Offline(
                    f"Port {self.port} on this computer is taken, and X only sends the answer "
                    "to the callback address registered in your app. Close what uses it, or "
                    "register another port and give it with --port."
                ) from error
            threading.Thread(
                target=self._listener.serve_forever, name="x-sign-in", daemon=True
            ).start()
        # Kept for next time: the client id is entered once.
        self._secrets.put(
            app_secret_name(self.server), {"client_id": self.client_id, "port": self.port}
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": " ".join(SCOPES),
                "state": self._state,
                "code_challenge": pkce_challenge(self._verifier),
                "code_challenge_method": "S256",
            }
        )
        return f"{authorize_base(self.server)}/i/oauth2/authorize?{query}"

    def wait_for_browser(
        self, timeout: float = 300, cancel: Sequence[threading.Event] = ()
    ) -> Tokens:
        if self._listener is None:
            raise RuntimeError("pasted sign-in: call finish_from_address(url)")
        try:
            waited = 0.0
            while not self._listener.answered.wait(0.2):
                waited += 0.2
                if waited >= timeout or any(event.is_set() for event in cancel):
                    raise NeedsSignIn("Sign-in was not completed in the browser.")
            if self._listener.error or not self._listener.code:
                raise NeedsSignIn(f"X did not sign you in: {self._listener.error}")
            return self.finish(self._listener.code)
        finally:
            self.close()

    def finish_from_address(self, address: str) -> Tokens:
        """The address the browser ended on (`http://127.0.0.1:PORT/callback?state=…&code=…`)."""
        query = parse_qs(urlsplit(address.strip()).query)
        if query.get("state", [""])[0] != self._state:
            raise NeedsSignIn("That address is not from the sign-in Heedful started. Try again.")
        if "error" in query:
            raise NeedsSignIn(f"X did not sign you in: {query['error'][0]}")
        code = query.get("code", [""])[0]
        if not code:
            raise NeedsSignIn("That address holds no sign-in code. Paste the whole address.")
        return self.finish(code)

    def finish(self, code: str) -> Tokens:
        answer = post_form(
            None,
            f"{self.server}/2/oauth2/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": self._verifier,
                "client_id": self.client_id,
            },
            what="finishing the sign-in",
        )
        return tokens_from_answer(answer, time.time())

    def close(self) -> None:
        if self._listener is not None:
            listener, self._listener = self._listener, None
            listener.shutdown()
            listener.server_close()


class TokenKeeper:
    """The account's tokens: a current access token, refreshed before it runs out or when X
    refuses it, and every rotated refresh token saved the moment it arrives.

    X's refresh tokens work once. Two processes (the window and `heedful sync`, or a thread
    fetching a conversation) that both renew with the same one would leave one of them with
    a refused token and the account signed out. So a renewal takes the store's lease on the
    secret first (`leases`), then reads the keyring again (`load_secret`): when another
    process has renewed meanwhile, its tokens are taken over and X is not asked at all."""

    def __init__(
        self,
        server: str,
        secret: dict[str, Any],
        save_secret: Callable[[dict[str, Any]], None],
        session: requests.Session,
        *,
        clock: Callable[[], float] = time.time,
        load_secret: Callable[[], Mapping[str, Any] | None] | None = None,
        leases: TokenRefreshLeases | None = None,
        secret_name: str = "",
        stop: threading.Event | None = None,
    ) -> None:
        client_id = secret.get("client_id")
        if not isinstance(client_id, str):
            raise NeedsSignIn("Heedful has no X sign-in for this account: sign in again.")
        self._server = server
        self._client_id = client_id
        self._save = save_secret
        self._load = load_secret
        self._leases = leases
        self._secret_name = secret_name
        self._stop = stop or threading.Event()
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self.tokens = self._tokens_of(secret)

    def _tokens_of(self, secret: Mapping[str, Any]) -> Tokens:
        access = secret.get("access_token")
        if not isinstance(access, str) or not access:
            raise NeedsSignIn("Heedful has no X sign-in for this account: sign in again.")
        refresh = secret.get("refresh_token")
        expires = secret.get("expires_at")
        return Tokens(
            access,
            refresh if isinstance(refresh, str) and refresh else None,
            float(expires) if isinstance(expires, int | float) else self._clock() + 3600,
            str(secret.get("scope") or ""),
        )

    def bearer(self) -> str:
        with self._lock:
            if self.tokens.expires_at - REFRESH_EARLY_S <= self._clock():
                self._renew(refused=None)
            return self.tokens.access_token

    def refresh(self, refused: str) -> str:
        """X refused `refused`: refresh (unless another thread or process already did) and
        return the token to try again with."""
        with self._lock:
            if self.tokens.access_token == refused:
                self._renew(refused=refused)
            return self.tokens.access_token

    def _renew(self, refused: str | None) -> None:
        if self._leases is None:
            self._refresh_with_x()
            return
        holder = self._leases.new_holder()
        deadline = time.monotonic() + REFRESH_WAIT_S
        while not self._leases.take(self._secret_name, holder, utc_now()):
            # Another process is renewing this sign-in: wait for it, then use what it saved.
            if self._stop.wait(0.1):
                raise Offline("Stopped while another Heedful renewed the X sign-in.")
            if time.monotonic() > deadline:
                raise ServerTrouble(
                    "Another Heedful is still renewing this X sign-in; Heedful tries again soon."
                )
        try:
            if not self._take_over_saved(refused):
                self._refresh_with_x()
        finally:
            self._leases.release(self._secret_name, holder)

    def _take_over_saved(self, refused: str | None) -> bool:
        """Whether the keyring holds tokens another process renewed since these were read
        (then they are used, and X is not asked)."""
        saved = self._load() if self._load is not None else None
        if not saved:
            return False
        try:
            found = self._tokens_of(saved)
        except NeedsSignIn:
            return False
        if found.access_token in (self.tokens.access_token, refused):
            return False  # nobody renewed it: it is ours to renew
        if found.expires_at - REFRESH_EARLY_S <= self._clock():
            return False  # renewed long ago, and running out too
        self.tokens = found
        return True

    def _refresh_with_x(self) -> None:
        if self.tokens.refresh_token is None:
            raise NeedsSignIn("X's sign-in for this account ran out: sign in again.")
        answer = post_form(
            self._session,
            f"{self._server}/2/oauth2/token",
            {
                "grant_type": "refresh_token",
                "refresh_token": self.tokens.refresh_token,
                "client_id": self._client_id,
            },
            what="renewing the sign-in",
        )
        fresh = tokens_from_answer(answer, self._clock())
        if fresh.refresh_token is None:  # X rotates; keep the old one if none came
            fresh = Tokens(
                fresh.access_token, self.tokens.refresh_token, fresh.expires_at, fresh.scope
            )
        self.tokens = fresh
        # Saved before the lease is let go: the next process to take it reads these.
        self._save(fresh.as_secret(self._client_id))
