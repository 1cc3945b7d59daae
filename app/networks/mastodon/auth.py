"""Signing in to a Mastodon server the way desktop apps should (RFC 8252 + PKCE).

The app is registered once per server (client id and secret kept in the keyring); the
system browser opens the server's authorize page; the answer comes back to a one-shot
listener on 127.0.0.1. Where no browser can reach the machine, the out-of-band variant
shows a code to paste instead.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import ipaddress
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from storage import identity

from app.networks.errors import BadServerAddress, NeedsSignIn, Offline, ServerTrouble
from app.secrets import SecretStore

# The narrowest scopes Heedful works with: read who we are, our notifications and
# statuses (threads), and post replies. No follows, no deletes, no account changes.
# write:notifications: accepting or dismissing a notification request the server filtered.
SCOPES = (
    "read:accounts",
    "read:notifications",
    "read:statuses",
    "write:statuses",
    "write:notifications",
)
OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"
CALLBACK_PATH = "/callback"
TIMEOUT_S = 20


def normalize_server(address: str, *, what: str = "Mastodon server") -> str:
    """`social.example` → `https://social.example`, in the one spelling accounts are keyed
    by (storage.identity). Plain http is refused except on loopback (test servers): tokens
    must never travel unencrypted."""
    address = address.strip().rstrip("/")
    if not address:
        raise BadServerAddress(f"Enter the address of your {what}.")
    try:
        spelled = identity.normalize_server(address)
    except identity.ServerAddressError as error:
        raise BadServerAddress(f"{address} is not a server address ({error}).") from error
    parts = urlsplit(spelled)
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        raise BadServerAddress(
            f"{address} uses plain http; Heedful only signs in over https (except to a "
            "test server on this computer)."
        )
    return spelled


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host).is_loopback
    return False


@dataclass(frozen=True, slots=True)
class SignedIn:
    server: str
    access_token: str


class _CallbackHandler(http.server.BaseHTTPRequestHandler):
    server: _CallbackServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path != CALLBACK_PATH:
            self.send_error(404)
            return
        if query.get("state", [""])[0] != self.server.expected_state:
            self._answer(400, "This sign-in link is not the one Heedful started. Try again.")
            return
        if "error" in query:
            self.server.error = query.get("error_description", query["error"])[0]
            self._answer(200, "Sign-in was cancelled. You can close this tab.")
        else:
            self.server.code = query.get("code", [""])[0]
            self._answer(200, "Signed in. You can close this tab and go back to Heedful.")
        self.server.answered.set()

    def _answer(self, status: int, message: str) -> None:
        body = (
            "<!doctype html><meta charset=utf-8><title>Heedful</title>"
            f"<p style='font:16px sans-serif;margin:3em'>{message}</p>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the query holds the authorization code: keep it out of every log


class _CallbackServer(http.server.HTTPServer):
    def __init__(self, port: int, expected_state: str) -> None:
        super().__init__(("127.0.0.1", port), _CallbackHandler)
        self.expected_state = expected_state
        self.code: str | None = None
        self.error: str | None = None
        self.answered = threading.Event()


class MastodonSignIn:
    """One sign-in attempt. `start()` gives the address to open in a browser; then
    `wait_for_browser()` (loopback) or `finish(code)` (out-of-band) gives the token."""

    def __init__(self, server: str, secrets_store: SecretStore, *, out_of_band: bool = False):
        self.server = normalize_server(server)
        self._secrets = secrets_store
        self._out_of_band = out_of_band
        self._verifier = secrets.token_urlsafe(64)
        self._state = secrets.token_urlsafe(24)
        self._listener: _CallbackServer | None = None
        self._client: dict[str, Any] = {}
        # Fixed once the listener is open: the token request must repeat it exactly.
        self.redirect_uri = OOB_REDIRECT

    def start(self) -> str:
        if not self._out_of_band:
            self._listener = self._open_listener()
            self.redirect_uri = f"http://127.0.0.1:{self._listener.server_port}{CALLBACK_PATH}"
            threading.Thread(
                target=self._listener.serve_forever, name="mastodon-sign-in", daemon=True
            ).start()
        try:
            self._client = self._registered_client()
        except BaseException:
            self.close()  # no listener left behind on a failed start
            raise
        query = urlencode(
            {
                "client_id": self._client["client_id"],
                "response_type": "code",
                "redirect_uri": self.redirect_uri,
                "scope": " ".join(SCOPES),
                "state": self._state,
                "code_challenge": pkce_challenge(self._verifier),
                "code_challenge_method": "S256",
            }
        )
        return f"{self.server}/oauth/authorize?{query}"

    def _open_listener(self) -> _CallbackServer:
        # Reuse the port the app was registered with, so servers that match redirect URIs
        # exactly (older Mastodon) keep working; any free port otherwise.
        known = self._secrets.get(_client_name(self.server)) or {}
        for port in (int(known.get("port", 0)), 0):
            try:
                return _CallbackServer(port, self._state)
            except OSError:
                continue
        raise Offline("Could not open a local port for the sign-in answer.")

    def _registered_client(self) -> dict[str, Any]:
        name = _client_name(self.server)
        known = self._secrets.get(name)
        if known and self.redirect_uri in known.get("redirect_uris", []):
            return known
        redirect_uris = [OOB_REDIRECT]
        if self._listener is not None:
            redirect_uris.insert(0, self.redirect_uri)
        answer = _post_json(
            f"{self.server}/api/v1/apps",
            {
                "client_name": "Heedful",
                "redirect_uris": "\n".join(redirect_uris),
                "scopes": " ".join(SCOPES),
                "website": "https://heedful.app",
            },
            what="registering Heedful with the server",
        )
        client = {
            "client_id": answer["client_id"],
            "client_secret": answer["client_secret"],
            "redirect_uris": redirect_uris,
            "port": self._listener.server_port if self._listener else 0,
        }
        self._secrets.put(name, client)
        return client

    def wait_for_browser(self, timeout: float = 300, cancel: Sequence[threading.Event] = ()) -> str:
        """Block (on a worker thread, never the GUI's) until the browser comes back, or any
        of the `cancel` events is set (the dialog closed, the app quitting)."""
        if self._listener is None:
            raise RuntimeError("out-of-band sign-in: call finish(code) with the pasted code")
        try:
            waited = 0.0
            while not self._listener.answered.wait(0.2):
                waited += 0.2
                if waited >= timeout or any(event.is_set() for event in cancel):
                    raise NeedsSignIn("Sign-in was not completed in the browser.")
            if self._listener.error or not self._listener.code:
                raise NeedsSignIn(f"The server did not sign you in: {self._listener.error}")
            return self.finish(self._listener.code)
        finally:
            self.close()

    def finish(self, code: str) -> str:
        """Exchange the authorization code for an access token (checked with PKCE)."""
        answer = _post_json(
            f"{self.server}/oauth/token",
            {
                "grant_type": "authorization_code",
                "code": code.strip(),
                "client_id": self._client["client_id"],
                "client_secret": self._client["client_secret"],
                "redirect_uri": self.redirect_uri,
                "code_verifier": self._verifier,
                "scope": " ".join(SCOPES),
            },
            what="finishing the sign-in",
        )
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise NeedsSignIn("The server gave no access token; try signing in again.")
        return token

    def close(self) -> None:
        if self._listener is not None:
            listener, self._listener = self._listener, None
            listener.shutdown()
            listener.server_close()


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge for a PKCE verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _client_name(server: str) -> str:
    return f"mastodon-app:{server}"


def _post_json(url: str, data: dict[str, str], *, what: str) -> dict[str, Any]:
    try:
        response = requests.post(url, data=data, timeout=TIMEOUT_S)
    except requests.RequestException as error:
        raise Offline(f"Cannot reach {urlsplit(url).netloc} while {what}.") from error
    if response.status_code in (400, 401, 403):
        raise NeedsSignIn(f"The server refused {what} ({response.status_code}); try again.")
    if not response.ok:
        raise ServerTrouble(f"The server failed while {what} ({response.status_code}).")
    try:
        answer = response.json()
    except ValueError as error:
        raise ServerTrouble(f"The server's answer to {what} was not readable.") from error
    if not isinstance(answer, dict):
        raise ServerTrouble(f"The server's answer to {what} was not readable.")
    return answer
