"""A stateful X API v2 server on loopback, for integration tests: no real X server exists to run.

`XPeer` serves, on a free 127.0.0.1 port, the endpoints Heedful uses, with state that behaves
as X documents it:

- users (`/2/users/me`, `/2/users/:id`, `/2/users/by/username/:username`);
- the mentions timeline (`/2/users/:id/mentions`: `since_id`, `until_id`, `pagination_token`,
  `max_results`, fields and expansions for authors, referenced posts and media with alt text,
  `conversation_id`), reaching only the `MENTIONS_REACHABLE` (800) most recent mentions;
- posts: create (`POST /2/tweets`, `reply.in_reply_to_tweet_id`, `quote_tweet_id`; text longer
  than 280 weighted characters is refused, counted by `twitter-text-parser`, a port of X's own
  twitter-text, so the connector's own count is held to X's), lookup, a user's posts, quotes of
  a post, and recent search (`conversation_id:`, `from:`, `to:`, `is:reply`, `is:quote`,
  `-is:retweet`, `@user` and words);
- direct messages (`/2/dm_events`, per conversation and per participant, and
  `POST /2/dm_conversations/with/:participant_id/messages`);
- OAuth 2.0: the authorize page (`/i/oauth2/authorize`), the token endpoint
  (`/2/oauth2/token`: authorization code with PKCE S256 checked, 30-second single-use codes,
  exact redirect URIs, public clients without a secret, refresh tokens rotated on every use)
  and revocation (`/2/oauth2/revoke`);
- `x-rate-limit-limit/-remaining/-reset` (epoch seconds) on every answer and 429 when a
  window is spent, per user and endpoint.

**Every request it receives and every answer it sends is checked against X's published
contract** (`tests.peers.x_contract`, from X's SDK `xdk`): an unknown endpoint, parameter or
field, a value out of bounds, a body or answer that does not fit its schema is answered with
500 and the reasons, and kept in `XPeer.violations` (the `x_peer` fixture fails the test
that caused one). The OAuth endpoints are outside X's OpenAPI document; they are checked
against RFC 6749 and RFC 7636 the same way.

Customers act through test controls (`XPeer.create_user`, then `XUser.post`, `reply`, `quote`,
`dm`), not the HTTP API: the contract under test is Heedful's traffic. Faults (5xx, resets,
held requests) come from `tests.peers.faults.FaultProxy` in front of it.

Where it is simpler than X (tests must not rely on these): posts never leave search's 7-day
window; there is no duplicate-text check, no protected account; deleting (for the live tests'
clean-up) just forgets the post or message; DMs are one to one; URLs in text are wrapped as
`https://t.co/…` links of 23 characters, as X does, but never followed.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from twitter_text import parse_tweet

from tests.peers.x_contract import Operation, check_answer, check_request, find_operation

HOST = "127.0.0.1"
MENTIONS_REACHABLE = 800  # X: the mentions timeline reaches only the 800 most recent
MAX_WEIGHTED_LENGTH = 280
MAX_DM_CHARACTERS = 10_000
CODE_LIFETIME_S = 30  # X's authorization codes are valid for 30 seconds
ACCESS_TOKEN_LIFETIME_S = 7200  # two hours, as X's
SEARCH_WINDOW = timedelta(days=7)
ALL_SCOPES = frozenset(
    [
        "tweet.read",
        "tweet.write",
        "users.read",
        "dm.read",
        "dm.write",
        "offline.access",
        "like.read",
    ]
)
_URL = re.compile(r"https?://[^\s]+")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,15})")

# The OAuth 2.0 scopes each endpoint needs (the specification's `security` for OAuth2UserToken).
_SCOPES: dict[str, frozenset[str]] = {
    "getUsersMe": frozenset({"users.read", "tweet.read"}),
    "getUsersById": frozenset({"users.read", "tweet.read"}),
    "getUsersByUsername": frozenset({"users.read", "tweet.read"}),
    "getUsersMentions": frozenset({"users.read", "tweet.read"}),
    "getUsersPosts": frozenset({"users.read", "tweet.read"}),
    "createPosts": frozenset({"tweet.write", "tweet.read", "users.read"}),
    "getPostsById": frozenset({"users.read", "tweet.read"}),
    "getPostsByIds": frozenset({"users.read", "tweet.read"}),
    "searchPostsRecent": frozenset({"users.read", "tweet.read"}),
    "getPostsQuotedPosts": frozenset({"users.read", "tweet.read"}),
    "getDirectMessagesEvents": frozenset({"dm.read", "tweet.read", "users.read"}),
    "getDirectMessagesEventsByParticipantId": frozenset({"dm.read", "tweet.read", "users.read"}),
    "getDirectMessagesEventsByConversationId": frozenset({"dm.read", "tweet.read", "users.read"}),
    "createDirectMessagesByParticipantId": frozenset({"dm.write", "tweet.read", "users.read"}),
    "deletePosts": frozenset({"users.read", "tweet.read", "tweet.write"}),
    "deleteDirectMessagesEvents": frozenset({"dm.read", "dm.write"}),
}

# Requests per 15-minute window per user, near X's published limits for each endpoint.
DEFAULT_LIMITS: dict[str, int] = {
    "getUsersMe": 75,
    "getUsersById": 900,
    "getUsersByUsername": 900,
    "getUsersMentions": 300,
    "getUsersPosts": 900,
    "createPosts": 100,
    "getPostsById": 900,
    "getPostsByIds": 900,
    "searchPostsRecent": 300,
    "getPostsQuotedPosts": 75,
    "getDirectMessagesEvents": 300,
    "getDirectMessagesEventsByParticipantId": 300,
    "getDirectMessagesEventsByConversationId": 300,
    "createDirectMessagesByParticipantId": 200,
    "deletePosts": 50,
    "deleteDirectMessagesEvents": 1500,
}
WINDOW_S = 15 * 60

_DEFAULT_POST_FIELDS = ("id", "text", "edit_history_post_ids")
_DEFAULT_USER_FIELDS = ("id", "name", "username")
_DEFAULT_DM_FIELDS = ("id", "event_type", "text")
_DEFAULT_MEDIA_FIELDS = ("media_key", "type")
_POST_EXPANSION_FIELDS = frozenset({"author_id", "in_reply_to_user_id", "referenced_posts"})
_DM_EXPANSION_FIELDS = frozenset({"sender_id", "participant_ids", "referenced_posts"})


class PeerError(RuntimeError):
    """The X test server could not be started, or a test control was misused."""


def _time(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _token(kind: str) -> str:
    return f"{kind}-{secrets.token_urlsafe(24)}"


def _page_token(position: str) -> str:
    """An opaque pagination token (base32hex, as X's; at least 16 characters)."""
    return base64.b32hexencode(f"page:{position}".encode()).decode().rstrip("=").lower()


def _read_page_token(token: str) -> str | None:
    try:
        padded = token.upper() + "=" * (-len(token) % 8)
        text = base64.b32hexdecode(padded).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return text[5:] if text.startswith("page:") else None


# --- what the server holds -----------------------------------------------------------------------


@dataclass
class _Media:
    media_key: str
    type: str
    alt_text: str | None


@dataclass
class _Post:
    id: str
    author_id: str
    text: str  # as X stores it: URLs wrapped, HTML-escaped when served
    created_at: datetime
    conversation_id: str
    in_reply_to_user_id: str | None = None
    replied_to: str | None = None
    quoted: str | None = None
    lang: str | None = None
    media: list[_Media] = field(default_factory=list)
    urls: list[tuple[int, int, str, str]] = field(default_factory=list)  # start, end, t.co, long
    mentions: list[tuple[int, int, str]] = field(default_factory=list)  # start, end, username


@dataclass
class _DmEvent:
    id: str
    conversation_id: str
    sender_id: str
    participant_ids: tuple[str, str]
    text: str
    created_at: datetime
    media: list[_Media] = field(default_factory=list)


@dataclass
class _AccessToken:
    user_id: str
    client_id: str
    scopes: frozenset[str]
    expires_at: float


@dataclass
class _Grant:
    user_id: str
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    challenge: str
    method: str
    expires_at: float


@dataclass
class _Window:
    limit: int
    remaining: int
    resets_at: int


@dataclass(frozen=True)
class Exchange:
    """One request as the server saw it."""

    method: str
    path: str
    operation: str | None  # the specification's operationId, or the OAuth endpoint
    status: int
    user_id: str | None
    query: dict[str, list[str]]


class XPeer:
    """The X test server. Use as a context manager, or `start()` and `stop()`."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1_900_000_000_000_000_000, 7919)
        self._user_ids = itertools.count(4_100_000_001, 13)
        self.users: dict[str, XUser] = {}
        self.posts: dict[str, _Post] = {}
        self.dm_events: dict[str, _DmEvent] = {}
        self._clients: dict[str, tuple[str, ...]] = {}  # client id -> registered redirect URIs
        self._grants: dict[str, _Grant] = {}
        self._access: dict[str, _AccessToken] = {}
        self._refresh: dict[str, tuple[str, str, frozenset[str]]] = {}  # -> user, client, scopes
        self._limits: dict[str, int] = dict(DEFAULT_LIMITS)
        self._windows: dict[tuple[str, str], _Window] = {}
        self.access_token_lifetime_s = ACCESS_TOKEN_LIFETIME_S
        # How long the token endpoint takes to answer (requests that arrive meanwhile wait
        # side by side, as at X): lets tests make two renewals overlap.
        self.token_delay_s = 0.0
        self.token_grants: list[tuple[str, int]] = []  # (grant_type, status) as answered
        self.violations: list[str] = []
        self.exchanges: list[Exchange] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise PeerError("the X test server is not started")
        return f"http://{HOST}:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._server = _Server((HOST, 0), _Handler)
        self._server.peer = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="x-peer", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
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

    # --- test controls ---------------------------------------------------------------------------

    def create_user(self, username: str | None = None, name: str = "") -> XUser:
        with self._lock:
            user_id = str(next(self._user_ids))
            username = username or f"u{user_id[-9:]}"
            if not re.fullmatch(r"[A-Za-z0-9_]{1,15}", username):
                raise PeerError(f"not an X username: {username!r}")
            if any(u.username.lower() == username.lower() for u in self.users.values()):
                raise PeerError(f"@{username} is taken")
            user = XUser(self, user_id, username, name or username.capitalize())
            self.users[user_id] = user
            return user

    def register_client(self, redirect_uris: Sequence[str]) -> str:
        """A developer app (a public client: no secret) with its callback URIs; its client id."""
        client_id = secrets.token_urlsafe(16)
        with self._lock:
            self._clients[client_id] = tuple(redirect_uris)
        return client_id

    def issue_token(
        self, user: XUser, scopes: Iterable[str] = ALL_SCOPES, client_id: str = "test-client"
    ) -> dict[str, Any]:
        """A token answer for `user` as the token endpoint gives one, without the browser."""
        with self._lock:
            return self._new_tokens(user.id, client_id, frozenset(scopes))

    def revoke_all(self, user: XUser) -> None:
        """The person revokes Heedful's access (X settings → Connected apps)."""
        with self._lock:
            self._access = {k: v for k, v in self._access.items() if v.user_id != user.id}
            self._refresh = {k: v for k, v in self._refresh.items() if v[0] != user.id}

    def expire_access_tokens(self, user: XUser) -> None:
        """Every access token of `user` runs out now (refresh tokens still work)."""
        with self._lock:
            for token in self._access.values():
                if token.user_id == user.id:
                    token.expires_at = 0

    def set_rate_limit(self, operation_id: str, limit: int) -> None:
        """`limit` requests per 15-minute window for this endpoint, from now on (windows
        already open are cut to it)."""
        if operation_id not in DEFAULT_LIMITS:
            raise PeerError(f"no endpoint {operation_id!r}")
        with self._lock:
            self._limits[operation_id] = limit
            for (operation, _user), window in self._windows.items():
                if operation == operation_id:
                    used = window.limit - window.remaining
                    window.limit, window.remaining = limit, max(0, limit - used)

    def spend_window(self, operation_id: str, user: XUser, *, resets_in: float) -> None:
        """Use up `user`'s window for this endpoint; it resets `resets_in` seconds from now."""
        with self._lock:
            limit = self._limits[operation_id]
            self._windows[(operation_id, user.id)] = _Window(limit, 0, int(time.time() + resets_in))

    def authorize(
        self, authorize_url: str, user: XUser, *, approve: bool = True, open_redirect: bool = False
    ) -> str:
        """Act as `user` on the authorize page: allow (or cancel) the app; returns the
        redirect URL the browser is sent to, with `code` and `state` (or `error`). With
        `open_redirect`, the redirect is also requested, as a browser would, so the app's
        loopback listener receives the answer."""
        redirected = self._authorize(authorize_url, user, approve=approve)
        if open_redirect:
            requests.get(redirected, timeout=10)
        return redirected

    def _authorize(self, authorize_url: str, user: XUser, *, approve: bool) -> str:
        parts = urlsplit(authorize_url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            problems = self._check_authorize(query)
            if problems:
                raise PeerError("authorize request refused: " + "; ".join(problems))
            redirect = query["redirect_uri"]
            if not approve:
                answer = {"error": "access_denied", "state": query["state"]}
                return f"{redirect}?{urlencode(answer)}"
            code = secrets.token_urlsafe(32)
            self._grants[code] = _Grant(
                user.id,
                query["client_id"],
                redirect,
                frozenset(query["scope"].split()),
                query["code_challenge"],
                query["code_challenge_method"],
                time.time() + CODE_LIFETIME_S,
            )
        return f"{redirect}?{urlencode({'state': query['state'], 'code': code})}"

    def assert_clean(self) -> None:
        """Raise if anything broke X's contract (the fixture calls this after each test)."""
        with self._lock:
            found, self.violations = list(self.violations), []
        if found:
            raise AssertionError("X contract violations:\n" + "\n".join(found))

    def requests_for(self, operation_id: str) -> list[Exchange]:
        with self._lock:
            return [e for e in self.exchanges if e.operation == operation_id]

    # --- creating posts and messages (for XUser) -------------------------------------------------

    def _next_id(self) -> str:
        return str(next(self._ids))

    def _media(self, media: Sequence[tuple[str, str | None]]) -> list[_Media]:
        return [_Media(f"3_{self._next_id()}", kind, alt) for kind, alt in media]

    def _create_post(
        self,
        author: XUser,
        text: str,
        *,
        reply_to: str | None = None,
        quote: str | None = None,
        lang: str | None = None,
        media: Sequence[tuple[str, str | None]] = (),
    ) -> _Post:
        with self._lock:
            post_id = self._next_id()
            conversation = post_id
            in_reply_to_user = None
            if reply_to is not None:
                parent = self.posts.get(reply_to)
                if parent is None:
                    raise _Refusal(400, f"the post {reply_to} being replied to does not exist")
                conversation, in_reply_to_user = parent.conversation_id, parent.author_id
            if quote is not None and quote not in self.posts:
                raise _Refusal(400, f"the quoted post {quote} does not exist")
            stored, urls = _wrap_urls(text)
            post = _Post(
                post_id,
                author.id,
                stored,
                datetime.now(UTC),
                conversation,
                in_reply_to_user,
                reply_to,
                quote,
                lang,
                self._media(media),
                urls,
                [(m.start(), m.end(), m.group(1)) for m in _MENTION.finditer(stored)],
            )
            self.posts[post_id] = post
            return post

    def _send_dm(
        self,
        sender: XUser,
        recipient_id: str,
        text: str,
        media: Sequence[tuple[str, str | None]] = (),
    ) -> _DmEvent:
        with self._lock:
            if recipient_id not in self.users:
                raise _Refusal(400, f"no user {recipient_id}")
            low, high = sorted((sender.id, recipient_id), key=int)
            event = _DmEvent(
                self._next_id(),
                f"{low}-{high}",
                sender.id,
                (low, high),
                text,
                datetime.now(UTC),
                self._media(media),
            )
            self.dm_events[event.id] = event
            return event

    def _mentions_of(self, user_id: str) -> list[_Post]:
        """Everything that mentions the user (by @name, or by replying to them), newest
        first, as far back as X reaches."""
        username = self.users[user_id].username.lower()
        found = [
            post
            for post in self.posts.values()
            if post.author_id != user_id
            and (
                post.in_reply_to_user_id == user_id
                or any(name.lower() == username for _s, _e, name in post.mentions)
            )
        ]
        found.sort(key=lambda p: int(p.id), reverse=True)
        return found[:MENTIONS_REACHABLE]

    # --- tokens ----------------------------------------------------------------------------------

    def _new_tokens(self, user_id: str, client_id: str, scopes: frozenset[str]) -> dict[str, Any]:
        access = _token("at")
        self._access[access] = _AccessToken(
            user_id, client_id, scopes, time.time() + self.access_token_lifetime_s
        )
        answer: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": self.access_token_lifetime_s,
            "access_token": access,
            "scope": " ".join(sorted(scopes)),
        }
        if "offline.access" in scopes:
            refresh = _token("rt")
            self._refresh[refresh] = (user_id, client_id, scopes)
            answer["refresh_token"] = refresh
        return answer

    def _check_authorize(self, query: Mapping[str, str]) -> list[str]:
        problems = []
        for name in (
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
        ):
            if not query.get(name):
                problems.append(f"authorize: {name} is missing")
        if problems:
            return problems
        if query["response_type"] != "code":
            problems.append("authorize: response_type must be code")
        registered = self._clients.get(query["client_id"])
        if registered is None:
            problems.append("authorize: unknown client_id")
        elif query["redirect_uri"] not in registered:
            problems.append(
                f"authorize: redirect_uri {query['redirect_uri']} is not registered "
                f"(registered: {', '.join(registered)})"
            )
        unknown = set(query["scope"].split()) - ALL_SCOPES
        if unknown:
            problems.append(f"authorize: unknown scopes {sorted(unknown)}")
        if query["code_challenge_method"] != "S256":
            problems.append("authorize: Heedful must use code_challenge_method=S256, not plain")
        if not re.fullmatch(r"[A-Za-z0-9_-]{43}", query["code_challenge"]):
            problems.append("authorize: code_challenge is not a base64url SHA-256 (43 chars)")
        return problems

    # --- answering -------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        if path.startswith("/i/oauth2/authorize"):
            return self._page(method, query)
        if path in ("/2/oauth2/token", "/2/oauth2/revoke"):
            return self._oauth(method, path, query, headers, body)
        found = find_operation(method, path)
        if found is None:
            return self._violation(
                method, path, None, query, [f"{method} {path}: X has no such endpoint"]
            )
        operation, path_values = found
        payload: Any = None
        content_type = headers.get("content-type")
        if body:
            try:
                payload = json.loads(body)
            except ValueError:
                return self._violation(
                    method, path, operation.operation_id, query, ["the body is not JSON"]
                )
        problems = check_request(operation, path_values, query, payload, content_type=content_type)
        if problems:
            return self._violation(method, path, operation.operation_id, query, problems)
        with self._lock:
            token = self._bearer(headers)
            if token is None:
                return self._answer(method, path, operation, query, None, 401, {
                    "code": 89, "message": "Invalid or expired token."}, {})  # fmt: skip
            needed = _SCOPES[operation.operation_id]
            if not needed <= token.scopes:
                missing = ", ".join(sorted(needed - token.scopes))
                return self._answer(method, path, operation, query, token.user_id, 403, {
                    "code": 453, "message": f"Missing scopes: {missing}"}, {})  # fmt: skip
            window = self._window(operation.operation_id, token.user_id)
            rate = {
                "x-rate-limit-limit": str(window.limit),
                "x-rate-limit-remaining": str(max(0, window.remaining - 1)),
                "x-rate-limit-reset": str(window.resets_at),
            }
            if window.remaining <= 0:
                rate["x-rate-limit-remaining"] = "0"
                return self._answer(method, path, operation, query, token.user_id, 429, {
                    "code": 88, "message": "Rate limit exceeded"}, rate)  # fmt: skip
            window.remaining -= 1
            try:
                status, answer = self._serve(operation, path_values, query, payload, token)
            except _Refusal as refusal:
                status, answer = (
                    refusal.status,
                    {"code": refusal.status, "message": refusal.message},
                )
            return self._answer(method, path, operation, query, token.user_id, status, answer, rate)

    def _answer(
        self,
        method: str,
        path: str,
        operation: Operation,
        query: dict[str, list[str]],
        user_id: str | None,
        status: int,
        answer: Any,
        headers: dict[str, str],
    ) -> tuple[int, dict[str, str], bytes]:
        problems = check_answer(operation, status, answer)
        if problems:
            # The server's own bug: it must never teach the connector a wrong contract.
            return self._violation(
                method, path, operation.operation_id, query, ["(server) " + p for p in problems]
            )
        with self._lock:
            self.exchanges.append(
                Exchange(method, path, operation.operation_id, status, user_id, query)
            )
        return status, {"content-type": "application/json; charset=utf-8", **headers}, _json(answer)

    def _violation(
        self,
        method: str,
        path: str,
        operation_id: str | None,
        query: dict[str, list[str]],
        problems: list[str],
    ) -> tuple[int, dict[str, str], bytes]:
        where = f"{method} {path}" + (f" ({operation_id})" if operation_id else "")
        with self._lock:
            self.violations.extend(f"{where}: {problem}" for problem in problems)
            self.exchanges.append(Exchange(method, path, operation_id, 500, None, query))
        body = {"error": "X contract violation", "where": where, "problems": problems}
        return 500, {"content-type": "application/json; charset=utf-8"}, _json(body)

    def _bearer(self, headers: Mapping[str, str]) -> _AccessToken | None:
        value = headers.get("authorization", "")
        if not value.startswith("Bearer "):
            return None
        token = self._access.get(value[7:])
        if token is None or token.expires_at <= time.time():
            return None
        return token

    def _window(self, operation_id: str, user_id: str) -> _Window:
        key = (operation_id, user_id)
        window = self._windows.get(key)
        now = time.time()
        if window is None or window.resets_at <= now:
            limit = self._limits[operation_id]
            window = _Window(limit, limit, int(now + WINDOW_S))
            self._windows[key] = window
        return window

    # --- the endpoints ---------------------------------------------------------------------------

    def _serve(
        self,
        operation: Operation,
        path_values: Mapping[str, str],
        query: Mapping[str, list[str]],
        body: Any,
        token: _AccessToken,
    ) -> tuple[int, Any]:
        name = operation.operation_id
        fields = _Fields(query)
        me = token.user_id
        if name == "getUsersMe":
            return 200, {"data": self._render_user(self.users[me], fields)}
        if name == "getUsersById":
            user = self.users.get(path_values["id"])
            if user is None:
                return 200, _not_found("user", path_values["id"])
            return 200, {"data": self._render_user(user, fields)}
        if name == "getUsersByUsername":
            wanted = path_values["username"].lower()
            user = next((u for u in self.users.values() if u.username.lower() == wanted), None)
            if user is None:
                return 200, _not_found("user", path_values["username"], parameter="username")
            return 200, {"data": self._render_user(user, fields)}
        if name == "getUsersMentions":
            if path_values["id"] != me:
                raise _Refusal(403, "You can only read your own mentions with this token.")
            return 200, self._timeline(self._mentions_of(me), query, fields, default_size=10)
        if name == "getUsersPosts":
            posts = [p for p in self.posts.values() if p.author_id == path_values["id"]]
            excluded = set(_one(query, "exclude", "").split(",")) - {""}
            if "replies" in excluded:
                posts = [p for p in posts if p.replied_to is None]
            posts.sort(key=lambda p: int(p.id), reverse=True)
            return 200, self._timeline(posts[:3200], query, fields, default_size=10)
        if name == "getPostsById":
            post = self.posts.get(path_values["id"])
            if post is None:
                return 200, _not_found("tweet", path_values["id"])
            return 200, self._with_includes(
                {"data": self._render_post(post, fields)}, [post], fields
            )
        if name == "getPostsByIds":
            ids = _one(query, "ids", "").split(",")
            posts = [self.posts[i] for i in ids if i in self.posts]
            answer: dict[str, Any] = {"data": [self._render_post(p, fields) for p in posts]}
            if not posts:
                answer = {}
            return 200, self._with_includes(answer, posts, fields)
        if name == "searchPostsRecent":
            posts = self._search(_one(query, "query", ""))
            return 200, self._timeline(posts, query, fields, default_size=10)
        if name == "getPostsQuotedPosts":
            posts = [p for p in self.posts.values() if p.quoted == path_values["id"]]
            posts.sort(key=lambda p: int(p.id), reverse=True)
            return 200, self._timeline(posts, query, fields, default_size=10, ids_meta=False)
        if name == "createPosts":
            return self._create(body, me)
        if name == "getDirectMessagesEvents":
            events = [e for e in self.dm_events.values() if me in e.participant_ids]
            return 200, self._dm_page(events, query, fields)
        if name == "getDirectMessagesEventsByParticipantId":
            other = path_values["participant_id"]
            events = [e for e in self.dm_events.values() if {me, other} == set(e.participant_ids)]
            return 200, self._dm_page(events, query, fields)
        if name == "getDirectMessagesEventsByConversationId":
            conversation = path_values["id"]
            events = [
                e
                for e in self.dm_events.values()
                if e.conversation_id == conversation and me in e.participant_ids
            ]
            return 200, self._dm_page(events, query, fields)
        if name == "createDirectMessagesByParticipantId":
            text = body.get("text")
            if not isinstance(text, str) or not text.strip():
                raise _Refusal(400, "A direct message needs text.")
            if len(text) > MAX_DM_CHARACTERS:
                raise _Refusal(400, "The direct message is too long.")
            recipient = path_values["participant_id"]
            if recipient == me or recipient not in self.users:
                raise _Refusal(400, f"Cannot send a direct message to {recipient}.")
            event = self._send_dm(self.users[me], recipient, text)
            return 201, {
                "data": {"dm_conversation_id": event.conversation_id, "dm_event_id": event.id}
            }
        if name == "deletePosts":
            post = self.posts.get(path_values["id"])
            if post is None or post.author_id != me:
                raise _Refusal(403, "You are not allowed to delete this Post.")
            del self.posts[post.id]
            return 200, {"data": {"deleted": True}}
        if name == "deleteDirectMessagesEvents":
            event = self.dm_events.get(path_values["event_id"])
            if event is None or event.sender_id != me:
                raise _Refusal(403, "You are not allowed to delete this message.")
            del self.dm_events[event.id]
            return 200, {"data": {"deleted": True}}
        raise AssertionError(f"no handler for {name}")

    def _create(self, body: Any, me: str) -> tuple[int, Any]:
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise _Refusal(400, "A post needs text.")
        weighted = parse_tweet(text).weightedLength
        if weighted > MAX_WEIGHTED_LENGTH:
            raise _Refusal(
                400, f"Your post is {weighted} characters long; the most is {MAX_WEIGHTED_LENGTH}."
            )
        reply = body.get("reply") or {}
        post = self._create_post(
            self.users[me],
            text,
            reply_to=reply.get("in_reply_to_tweet_id"),
            quote=body.get("quote_tweet_id"),
        )
        return 201, {
            "data": {
                "id": post.id,
                "text": html.escape(post.text, quote=False),
                "edit_history_post_ids": [post.id],
            }
        }

    def _search(self, query: str) -> list[_Post]:
        cutoff = datetime.now(UTC) - SEARCH_WINDOW
        tests: list[Any] = []
        for term in query.split():
            negated = term.startswith("-")
            word = term[1:] if negated else term
            operator, _colon, value = word.partition(":")
            if not _colon:
                operator, value = "", word
            test = self._search_term(operator.lower(), value)
            tests.append((lambda t: lambda p: not t(p))(test) if negated else test)
        found = [
            p for p in self.posts.values() if p.created_at >= cutoff and all(t(p) for t in tests)
        ]
        return sorted(found, key=lambda p: int(p.id), reverse=True)

    def _search_term(self, operator: str, value: str) -> Any:
        def user_id(name: str) -> str | None:
            return next(
                (u.id for u in self.users.values() if u.username.lower() == name.lower()), None
            )

        if operator == "conversation_id":
            return lambda p: p.conversation_id == value
        if operator == "from":
            return lambda p: p.author_id == user_id(value)
        if operator == "to":
            return lambda p: p.in_reply_to_user_id == user_id(value)
        if operator == "is" and value == "reply":
            return lambda p: p.replied_to is not None
        if operator == "is" and value == "quote":
            return lambda p: p.quoted is not None
        if operator == "is" and value == "retweet":
            return lambda p: False  # this server has no reposts
        if operator == "" and value.startswith("@"):
            return lambda p: any(n.lower() == value[1:].lower() for _s, _e, n in p.mentions)
        if operator == "":
            return lambda p: value.lower() in p.text.lower()
        raise _Refusal(400, f"this test server does not know the search operator {operator}:")

    def _timeline(
        self,
        posts: list[_Post],
        query: Mapping[str, list[str]],
        fields: _Fields,
        *,
        default_size: int,
        ids_meta: bool = True,
    ) -> dict[str, Any]:
        since, until = _one(query, "since_id"), _one(query, "until_id")
        start, end = _one(query, "start_time"), _one(query, "end_time")
        chosen = [
            p
            for p in posts
            if (since is None or int(p.id) > int(since))
            and (until is None or int(p.id) < int(until))
            and (start is None or p.created_at >= _parse_time(start))
            and (end is None or p.created_at < _parse_time(end))
        ]
        token = _one(query, "pagination_token") or _one(query, "next_token")
        if token is not None:
            before = _read_page_token(token)
            if before is None:
                raise _Refusal(400, "The pagination_token is not valid.")
            chosen = [p for p in chosen if int(p.id) < int(before)]
        size = int(_one(query, "max_results") or default_size)
        page, rest = chosen[:size], chosen[size:]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page and ids_meta:
            meta["newest_id"], meta["oldest_id"] = page[0].id, page[-1].id
        if page and rest:
            meta["next_token"] = _page_token(page[-1].id)
        answer: dict[str, Any] = {"meta": meta}
        if page:
            answer["data"] = [self._render_post(p, fields) for p in page]
        return self._with_includes(answer, page, fields)

    def _dm_page(
        self, events: list[_DmEvent], query: Mapping[str, list[str]], fields: _Fields
    ) -> dict[str, Any]:
        types = set(_one(query, "event_types", "MessageCreate").split(","))
        events = sorted(
            (e for e in events if "MessageCreate" in types), key=lambda e: int(e.id), reverse=True
        )
        token = _one(query, "pagination_token")
        if token is not None:
            before = _read_page_token(token)
            if before is None:
                raise _Refusal(400, "The pagination_token is not valid.")
            events = [e for e in events if int(e.id) < int(before)]
        size = int(_one(query, "max_results") or 100)
        page, rest = events[:size], events[size:]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page and rest:
            meta["next_token"] = _page_token(page[-1].id)
        answer: dict[str, Any] = {"meta": meta}
        if page:
            answer["data"] = [self._render_dm(e, fields) for e in page]
        includes: dict[str, Any] = {}
        if "sender_id" in fields.expansions or "participant_ids" in fields.expansions:
            people = {e.sender_id for e in page}
            if "participant_ids" in fields.expansions:
                people |= {p for e in page for p in e.participant_ids}
            includes["users"] = [self._render_user(self.users[u], fields) for u in sorted(people)]
        if "attachments.media_keys" in fields.expansions:
            media = [m for e in page for m in e.media]
            if media:
                includes["media"] = [_render_media(m, fields) for m in media]
        if includes.get("users") or includes.get("media"):
            answer["includes"] = {k: v for k, v in includes.items() if v}
        return answer

    # --- rendering, with only the fields asked for -----------------------------------------------

    def _render_user(self, user: XUser, fields: _Fields) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": user.id,
            "name": user.name,
            "username": user.username,
            "created_at": _time(user.created_at),
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{user.id}/normal.jpg",
            "description": "",
            "protected": False,
            "verified": False,
        }
        return {k: v for k, v in values.items() if k in _DEFAULT_USER_FIELDS or k in fields.user}

    def _render_post(self, post: _Post, fields: _Fields) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": post.id,
            "text": html.escape(post.text, quote=False),
            "edit_history_post_ids": [post.id],
            "author_id": post.author_id,
            "created_at": _time(post.created_at),
            "conversation_id": post.conversation_id,
        }
        if post.in_reply_to_user_id is not None:
            values["in_reply_to_user_id"] = post.in_reply_to_user_id
        referenced = []
        if post.replied_to is not None:
            referenced.append({"type": "replied_to", "id": post.replied_to})
        if post.quoted is not None:
            referenced.append({"type": "quoted", "id": post.quoted})
        if referenced:
            values["referenced_posts"] = referenced
        if post.media:
            values["attachments"] = {"media_keys": [m.media_key for m in post.media]}
        if post.lang is not None:
            values["lang"] = post.lang
        entities: dict[str, Any] = {}
        if post.mentions:
            entities["mentions"] = [
                {"start": s, "end": e, "username": n, **self._user_id_of(n)}
                for s, e, n in post.mentions
            ]
        if post.urls:
            entities["urls"] = [
                {"start": s, "end": e, "url": short, "expanded_url": long, "display_url": long[:26]}
                for s, e, short, long in post.urls
            ]
        if entities:
            values["entities"] = entities
        # In this version of the specification the ids of related objects are no fields of
        # their own: they come with the expansion that names them.
        wanted = {
            *_DEFAULT_POST_FIELDS,
            *fields.post,
            *(fields.expansions & _POST_EXPANSION_FIELDS),
        }
        return {k: v for k, v in values.items() if k in wanted}

    def _user_id_of(self, username: str) -> dict[str, str]:
        found = next(
            (u for u in self.users.values() if u.username.lower() == username.lower()), None
        )
        return {"id": found.id} if found else {}

    def _with_includes(
        self, answer: dict[str, Any], posts: list[_Post], fields: _Fields
    ) -> dict[str, Any]:
        includes: dict[str, list[Any]] = {}
        referenced: list[_Post] = []
        if "referenced_posts" in fields.expansions:
            for post in posts:
                for ref in (post.replied_to, post.quoted):
                    if ref is not None and ref in self.posts and self.posts[ref] not in referenced:
                        referenced.append(self.posts[ref])
            if referenced:
                includes["posts"] = [self._render_post(p, fields) for p in referenced]
        people: list[str] = []
        if "author_id" in fields.expansions:
            people += [p.author_id for p in [*posts, *referenced]]
        if "in_reply_to_user_id" in fields.expansions:
            people += [p.in_reply_to_user_id for p in posts if p.in_reply_to_user_id]
        if people:
            unique = list(dict.fromkeys(people))
            includes["users"] = [self._render_user(self.users[u], fields) for u in unique]
        if "attachments.media_keys" in fields.expansions:
            media = [m for p in posts for m in p.media]
            if media:
                includes["media"] = [_render_media(m, fields) for m in media]
        if includes:
            answer["includes"] = includes
        return answer

    def _render_dm(self, event: _DmEvent, fields: _Fields) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": event.id,
            "event_type": "MessageCreate",
            "text": event.text,
            "sender_id": event.sender_id,
            "created_at": _time(event.created_at),
            "dm_conversation_id": event.conversation_id,
            "participant_ids": list(event.participant_ids),
        }
        if event.media:
            values["attachments"] = {"media_keys": [m.media_key for m in event.media]}
        wanted = {
            *_DEFAULT_DM_FIELDS,
            *fields.dm_event,
            *(fields.expansions & _DM_EXPANSION_FIELDS),
        }
        return {k: v for k, v in values.items() if k in wanted}

    # --- OAuth 2.0 (RFC 6749, RFC 7636) ----------------------------------------------------------

    def _page(self, method: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        flat = {k: v[0] for k, v in query.items()}
        with self._lock:
            problems = self._check_authorize(flat) if method == "GET" else ["authorize: not GET"]
            self.exchanges.append(
                Exchange(method, "/i/oauth2/authorize", "authorize", 200, None, query)
            )
            if problems:
                self.violations.extend(problems)
        page = "<!doctype html><title>Authorize app</title><p>Test server: use XPeer.authorize()."
        return 200, {"content-type": "text/html; charset=utf-8"}, page.encode()

    def _oauth(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        name = "token" if path.endswith("token") else "revoke"
        problems: list[str] = []
        if method != "POST":
            problems.append(f"{name}: must be POST")
        if query:
            problems.append(f"{name}: parameters belong in the form body, not the query")
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            problems.append(f"{name}: the body must be application/x-www-form-urlencoded")
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if "client_secret" in form or headers.get("authorization", "").startswith("Basic "):
            problems.append(f"{name}: a desktop app is a public client and has no client secret")
        if not form.get("client_id"):
            problems.append(f"{name}: client_id is missing (public clients must send it)")
        if self.token_delay_s:
            time.sleep(self.token_delay_s)
        with self._lock:
            if problems:
                self.violations.extend(problems)
                self.exchanges.append(Exchange(method, path, name, 500, None, query))
                return 500, {"content-type": "application/json"}, _json({"problems": problems})
            status, answer = self._token(form) if name == "token" else self._revoke(form)
            self.exchanges.append(Exchange(method, path, name, status, None, query))
            if name == "token":
                self.token_grants.append((form.get("grant_type", ""), status))
        return (
            status,
            {"content-type": "application/json", "cache-control": "no-store"},
            _json(answer),
        )

    def _token(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type")
        if grant == "authorization_code":
            for name in ("code", "redirect_uri", "code_verifier"):
                if not form.get(name):
                    self.violations.append(f"token: {name} is missing")
                    return 400, _oauth_error("invalid_request", f"{name} is missing")
            verifier = form["code_verifier"]
            if not re.fullmatch(r"[A-Za-z0-9._~-]{43,128}", verifier):
                self.violations.append("token: code_verifier must be 43-128 unreserved characters")
            issued = self._grants.pop(form["code"], None)
            if issued is None or issued.expires_at < time.time():
                return 400, _oauth_error(
                    "invalid_request", "Value passed for the authorization code was invalid."
                )
            if issued.client_id != form["client_id"] or issued.redirect_uri != form["redirect_uri"]:
                return 400, _oauth_error(
                    "invalid_request", "client_id or redirect_uri does not match."
                )
            digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if expected != issued.challenge:
                return 400, _oauth_error(
                    "invalid_request", "code_verifier does not match the challenge."
                )
            return 200, self._new_tokens(issued.user_id, issued.client_id, issued.scopes)
        if grant == "refresh_token":
            known = self._refresh.pop(form.get("refresh_token", ""), None)
            if known is None or known[1] != form["client_id"]:
                return 400, _oauth_error(
                    "invalid_request", "Value passed for the token was invalid."
                )
            return 200, self._new_tokens(*known)
        self.violations.append(f"token: unknown grant_type {grant!r}")
        return 400, _oauth_error("unsupported_grant_type", "unknown grant_type")

    def _revoke(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        token = form.get("token", "")
        self._access.pop(token, None)
        self._refresh.pop(token, None)
        return 200, {"revoked": True}


class _Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class XUser:
    """A person on the test server; what they do goes straight into the server's state."""

    peer: XPeer = field(repr=False, compare=False)
    id: str
    username: str
    name: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def post(
        self,
        text: str,
        *,
        reply_to: str | None = None,
        quote: str | None = None,
        lang: str | None = "en",
        media: Sequence[tuple[str, str | None]] = (),
    ) -> str:
        """Post (or reply to `reply_to`, or quote `quote`); returns the post's id."""
        return self.peer._create_post(
            self, text, reply_to=reply_to, quote=quote, lang=lang, media=media
        ).id

    def reply(self, post_id: str, text: str, **options: Any) -> str:
        return self.post(text, reply_to=post_id, **options)

    def quote(self, post_id: str, text: str, **options: Any) -> str:
        return self.post(text, quote=post_id, **options)

    def dm(self, to: XUser, text: str, media: Sequence[tuple[str, str | None]] = ()) -> str:
        """Send `to` a direct message; returns the DM event's id."""
        return self.peer._send_dm(self, to.id, text, media).id

    def posts(self) -> list[dict[str, Any]]:
        """Everything this user posted, oldest first: id, text (as typed), reply, quote."""
        with self.peer._lock:
            mine = [p for p in self.peer.posts.values() if p.author_id == self.id]
        return [
            {"id": p.id, "text": _unwrap(p), "replied_to": p.replied_to, "quoted": p.quoted}
            for p in sorted(mine, key=lambda p: int(p.id))
        ]

    def mentions(self) -> list[str]:
        """The ids of the posts the mentions timeline serves this user, newest first."""
        with self.peer._lock:
            return [p.id for p in self.peer._mentions_of(self.id)]

    def sent_dms(self) -> list[dict[str, Any]]:
        with self.peer._lock:
            mine = [e for e in self.peer.dm_events.values() if e.sender_id == self.id]
        return [
            {"id": e.id, "text": e.text, "conversation_id": e.conversation_id}
            for e in sorted(mine, key=lambda e: int(e.id))
        ]


class _Fields:
    """The fields and expansions a request asked for."""

    def __init__(self, query: Mapping[str, list[str]]) -> None:
        def listed(name: str) -> frozenset[str]:
            return frozenset(_one(query, name, "").split(",")) - {""}

        self.post = listed("post.fields")
        self.user = listed("user.fields")
        self.media = listed("media.fields")
        self.dm_event = listed("dm_event.fields")
        self.expansions = listed("expansions")


def _render_media(media: _Media, fields: _Fields) -> dict[str, Any]:
    values: dict[str, Any] = {"media_key": media.media_key, "type": media.type}
    if media.alt_text is not None:
        values["alt_text"] = media.alt_text
    return {k: v for k, v in values.items() if k in _DEFAULT_MEDIA_FIELDS or k in fields.media}


def _wrap_urls(text: str) -> tuple[str, list[tuple[int, int, str, str]]]:
    """Every link replaced by a t.co link, as X stores posts; with their positions."""
    parts: list[str] = []
    urls: list[tuple[int, int, str, str]] = []
    position = 0
    length = 0
    for match in _URL.finditer(text):
        before = text[position : match.start()]
        parts.append(before)
        length += len(before)
        short = "https://t.co/" + hashlib.sha256(match.group(0).encode()).hexdigest()[:10]
        urls.append((length, length + len(short), short, match.group(0)))
        parts.append(short)
        length += len(short)
        position = match.end()
    parts.append(text[position:])
    return "".join(parts), urls


def _unwrap(post: _Post) -> str:
    text = post.text
    for _start, _end, short, long in post.urls:
        text = text.replace(short, long, 1)
    return text


def _one(query: Mapping[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = query.get(name)
    return values[0] if values else default


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _not_found(kind: str, value: str, parameter: str = "id") -> dict[str, Any]:
    return {
        "errors": [
            {
                "type": "https://api.twitter.com/2/problems/resource-not-found",
                "title": "Not Found Error",
                "detail": f"Could not find {kind} with {parameter}: [{value}].",
                "resource_type": kind,
                "resource_id": value,
                "parameter": parameter,
                "value": value,
            }
        ]
    }


def _oauth_error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description}


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    peer: XPeer


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, answer_headers, data = self.server.peer.handle(
                self.command, self.path, headers, body
            )
        except Exception as error:  # a bug in the server: say so loudly
            self.server.peer.violations.append(f"(server crashed) {type(error).__name__}: {error}")
            status, answer_headers, data = 500, {"content-type": "text/plain"}, str(error).encode()
        self.send_response(status)
        for name, value in answer_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = _any
