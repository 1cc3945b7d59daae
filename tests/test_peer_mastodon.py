"""The Mastodon test peer works end to end, through Mastodon.py and through raw REST calls.

These pin down what integration tests may rely on: mentions and DMs arrive as notifications,
replies thread, idempotent posting, the OAuth code flow with a loopback redirect, rate-limit
headers and 429s, token revocation, fault injection and cursor pagination.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from mastodon import Mastodon, MastodonRatelimitError, MastodonUnauthorizedError

from tests.peers.mastodon import (
    OOB_REDIRECT_URI,
    MastodonPeer,
    PeerError,
    RateLimit,
    wait_until,
)

SCOPES = ["read", "write", "follow", "push"]
LIMIT = RateLimit(limit=3, window_seconds=300)

Connect = Callable[..., Mastodon]


@pytest.fixture(scope="module")
def peer(mastodon_peer: MastodonPeer) -> MastodonPeer:
    return mastodon_peer


@pytest.fixture(scope="module")
def limited_peer() -> Iterator[MastodonPeer]:
    """A second server with its counting rate limiter switched on (only at start-up)."""
    with MastodonPeer(rate_limit=LIMIT) as limited:
        yield limited


@pytest.fixture
def connect(peer: MastodonPeer) -> Iterator[Connect]:
    """Makes Mastodon.py clients on the peer; their sessions are closed after the test.

    `ratelimit_method="throw"`: Mastodon.py's default ("wait") would sleep up to 5 minutes.
    """
    sessions: list[requests.Session] = []

    def make(token: str | None = None, **options: Any) -> Mastodon:
        session = requests.Session()
        sessions.append(session)
        options.setdefault("api_base_url", peer.base_url)
        options.setdefault("ratelimit_method", "throw")
        return Mastodon(access_token=token, session=session, **options)

    yield make
    for session in sessions:
        session.close()


class _Callback(BaseHTTPRequestHandler):
    """Stands in for Heedful's loopback listener: records the path and says "done"."""

    received: ClassVar[list[str]]

    def do_GET(self) -> None:
        self.received.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"You can close this window.")

    def log_message(self, *args: Any) -> None:
        pass  # keep test output quiet


@pytest.fixture
def callback_listener() -> Iterator[tuple[str, list[str]]]:
    """A redirect URI on a free loopback port, and the request paths it has received."""
    received: list[str] = []
    handler = type("Callback", (_Callback,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/callback", received
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def mentions_of(api: Mastodon, status_id: str) -> list[Any]:
    return [n for n in api.notifications(types=["mention"]) if str(n.status.id) == status_id]


def test_a_mention_notifies_the_mentioned_account(peer: MastodonPeer, connect: Connect) -> None:
    alice, bob = peer.new_account(), peer.new_account()

    status = connect(bob.token).status_post(f"@{alice.username} is my order shipped?")

    # Mentions come from "@username" in the text: the HTML has no mention link (a mock quirk),
    # but the mentions array is filled in as on a real server.
    assert [m.acct for m in status.mentions] == [alice.acct]
    alice_api = connect(alice.token)
    [notification] = wait_until(lambda: mentions_of(alice_api, str(status.id)), message="mention")
    assert notification.type == "mention"
    assert notification.account.acct == bob.acct
    assert str(notification.status.account.id) == bob.id
    raw = alice.notifications(types=["mention"])
    assert [(n["type"], n["status"]["id"]) for n in raw] == [("mention", str(status.id))]
    assert bob.notifications(types=["mention"]) == []


def test_a_direct_message_arrives_as_a_direct_mention(peer: MastodonPeer, connect: Connect) -> None:
    alice, bob = peer.new_account(), peer.new_account()

    dm = bob.post(f"@{alice.username} my order number is 4711", visibility="direct")

    assert dm["visibility"] == "direct"
    [notification] = wait_until(lambda: alice.notifications(types=["mention"]), message="DM")
    assert notification["status"]["id"] == dm["id"]
    assert notification["status"]["visibility"] == "direct"
    conversations = connect(alice.token).conversations()
    assert [str(c.last_status.id) for c in conversations] == [dm["id"]]
    assert [a.acct for a in conversations[0].accounts] == [bob.acct]


def test_a_reply_shows_in_the_thread(peer: MastodonPeer, connect: Connect) -> None:
    alice, bob = peer.new_account(), peer.new_account()
    question = bob.post(f"@{alice.username} do you ship to Tromsø?", language="en")

    reply = connect(alice.token).status_post(
        f"@{bob.username} we do!", in_reply_to_id=question["id"], spoiler_text="shipping"
    )

    assert str(reply.in_reply_to_id) == question["id"]
    assert str(reply.in_reply_to_account_id) == bob.id
    assert reply.spoiler_text == "shipping"
    thread = wait_until(lambda: bob.context(question["id"])["descendants"], message="reply")
    assert [s["id"] for s in thread] == [str(reply.id)]
    assert [s["id"] for s in bob.context(str(reply.id))["ancestors"]] == [question["id"]]
    assert bob.status(question["id"])["replies_count"] == 1
    assert question["language"] == "en"


def test_an_idempotency_key_posts_once(peer: MastodonPeer, connect: Connect) -> None:
    alice = peer.new_account()
    api = connect(alice.token)

    first = api.status_post("Thanks for your patience!", idempotency_key="reply-1")
    again = api.status_post("Thanks for your patience!", idempotency_key="reply-1")
    raw = alice.post("Thanks for your patience!", idempotency_key="reply-1")
    other = api.status_post("Thanks for your patience!", idempotency_key="reply-2")

    assert first.id == again.id == raw["id"]  # Mastodon.py ids are str subclasses
    assert other.id != first.id
    assert [s.id for s in api.account_statuses(alice.id)] == [other.id, first.id]


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def test_the_oauth_code_flow_with_a_loopback_redirect_and_pkce(
    peer: MastodonPeer, connect: Connect, callback_listener: tuple[str, list[str]]
) -> None:
    alice = peer.new_account()
    redirect_uri, received = callback_listener
    client_id, client_secret = Mastodon.create_app(
        "Heedful", api_base_url=peer.base_url, scopes=SCOPES, redirect_uris=redirect_uri
    )
    app = connect(client_id=client_id, client_secret=client_secret)
    state = secrets.token_urlsafe(16)
    verifier, challenge = pkce_pair()
    # Mastodon.py 2.3.3 has no PKCE parameters: add them to its URL. allow_http: the peer's
    # endpoints are plain http, which Mastodon.py otherwise refuses for OAuth.
    pkce = urlencode({"code_challenge": challenge, "code_challenge_method": "S256"})
    url = app.auth_request_url(
        redirect_uris=redirect_uri, scopes=SCOPES, state=state, allow_http=True
    )

    landed = peer.authorize_in_browser(f"{url}&{pkce}", alice.username, open_redirect=True)

    assert landed.startswith(f"{redirect_uri}?")
    assert received == [landed.removeprefix(redirect_uri.removesuffix("/callback"))]
    query = parse_qs(urlsplit(landed).query)
    assert query["state"] == [state]
    form = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "client_secret": client_secret,
        "code_verifier": verifier,
    }
    granted = requests.post(f"{peer.base_url}/oauth/token", data=form, timeout=5).json()
    assert granted["token_type"] == "Bearer"
    assert set(granted["scope"].split()) == set(SCOPES)
    me = connect(granted["access_token"]).account_verify_credentials()
    assert (str(me.id), me.acct) == (alice.id, alice.acct)


def test_the_oauth_oob_flow_through_mastodon_py(peer: MastodonPeer, connect: Connect) -> None:
    alice = peer.new_account()
    client_id, client_secret = Mastodon.create_app(
        "Heedful", api_base_url=peer.base_url, scopes=SCOPES, redirect_uris=OOB_REDIRECT_URI
    )
    app = connect(client_id=client_id, client_secret=client_secret)
    url = app.auth_request_url(scopes=SCOPES, state="s1", allow_http=True)

    code = peer.authorize_in_browser(url, alice.username)
    token = app.log_in(code=code, scopes=SCOPES, allow_http=True)

    assert app.account_verify_credentials().acct == alice.acct
    app.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        connect(token).account_verify_credentials()


def test_this_peer_does_not_verify_pkce(peer: MastodonPeer) -> None:
    """A canary, not a contract: PKCE is advertised but not checked, so tests can't rely on it.

    If a newer mastodon-mock checks the verifier, this fails: then test Heedful's PKCE there.
    """
    alice = peer.new_account()
    metadata = requests.get(f"{peer.base_url}/.well-known/oauth-authorization-server", timeout=5)
    assert metadata.json()["code_challenge_methods_supported"] == ["S256"]
    _, challenge = pkce_pair()
    params = {
        "client_id": "unregistered",
        "redirect_uri": OOB_REDIRECT_URI,
        "response_type": "code",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    code = peer.authorize_in_browser(
        f"{peer.base_url}/oauth/authorize?{urlencode(params)}", alice.username
    )

    form = {"grant_type": "authorization_code", "code": code, "code_verifier": "wrong"}
    tokens = [requests.post(f"{peer.base_url}/oauth/token", data=form, timeout=5) for _ in range(2)]

    assert [r.status_code for r in tokens] == [200, 200]  # wrong verifier, code used twice


def test_a_revoked_token_is_refused(peer: MastodonPeer, connect: Connect) -> None:
    alice = peer.new_account()
    spare = peer.issue_token(alice.username)
    assert alice.verify_credentials()["acct"] == alice.acct

    peer.revoke_token(alice.token)

    response = alice.request("GET", "/api/v1/accounts/verify_credentials")
    assert response.status_code == 401
    assert "error" in response.json()
    with pytest.raises(MastodonUnauthorizedError):
        connect(alice.token).notifications()
    with pytest.raises(PeerError, match="401"):
        alice.post("still here?")
    assert alice.request("GET", "/api/v1/accounts/verify_credentials", token=spare).ok


def test_the_rate_limiter_counts_requests_per_token(limited_peer: MastodonPeer) -> None:
    alice = limited_peer.new_account()
    before = int(time.time())

    answers = [alice.request("GET", "/api/v1/notifications") for _ in range(LIMIT.limit + 1)]

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    assert {r.headers["X-RateLimit-Limit"] for r in answers} == {"3"}
    resets = {r.headers["X-RateLimit-Reset"] for r in answers}
    [reset] = resets  # one fixed window, reset given in epoch seconds
    assert before <= int(reset) - LIMIT.window_seconds <= time.time()
    assert answers[-1].json() == {"error": "Too many requests"}
    # Another token has its own window.
    assert limited_peer.new_account().request("GET", "/api/v1/notifications").ok


def test_mastodon_py_tracks_the_rate_limit(limited_peer: MastodonPeer, connect: Connect) -> None:
    alice = limited_peer.new_account()
    api = connect(alice.token, api_base_url=limited_peer.base_url)

    api.notifications()
    assert (api.ratelimit_limit, api.ratelimit_remaining) == (3, 2)
    api.notifications()
    api.notifications()
    assert api.ratelimit_remaining == 0
    with pytest.raises(MastodonRatelimitError):
        api.notifications()
    assert api.ratelimit_reset is not None
    # Mastodon.py shifts the reset by the server's Date header (whole seconds): allow a few.
    assert time.time() < api.ratelimit_reset <= time.time() + LIMIT.window_seconds + 5


@pytest.mark.parametrize("iso_reset", [False, True], ids=["epoch-reset", "iso8601-reset"])
def test_an_injected_rate_limit_answers_429(
    peer: MastodonPeer, connect: Connect, iso_reset: bool
) -> None:
    alice = peer.new_account()
    api = connect(alice.token)
    peer.inject_rate_limit(path="/api/v1/notifications", reset_in=120, iso_reset=iso_reset)

    with pytest.raises(MastodonRatelimitError):
        api.notifications()

    # Mastodon.py reads both reset formats (and corrects for the server's Date header).
    assert api.ratelimit_remaining == 0
    assert api.ratelimit_reset is not None
    assert abs(api.ratelimit_reset - (time.time() + 120)) < 3
    assert api.notifications() == []  # the rule was for one request
    assert peer.faults() == []


def test_faults_can_be_injected_and_cleared(peer: MastodonPeer) -> None:
    alice = peer.new_account()
    outage = peer.inject_fault(status=503, path="/api/v1/notifications", methods=["GET"])
    peer.inject_fault(effect="malformed", path_regex=r"^/api/v1/statuses/\d+$", count=1)
    status = alice.post("hello")

    assert alice.request("GET", "/api/v1/notifications").status_code == 503
    assert alice.request("GET", "/api/v1/notifications").status_code == 503
    garbled = alice.request("GET", f"/api/v1/statuses/{status['id']}")
    assert garbled.status_code == 200
    with pytest.raises(requests.JSONDecodeError):
        garbled.json()
    assert alice.status(status["id"])["id"] == status["id"]  # count=1: used up

    assert [rule["id"] for rule in peer.faults()] == [outage]
    peer.remove_fault(outage)
    assert alice.request("GET", "/api/v1/notifications").ok
    peer.inject_fault(status=500)
    peer.clear_faults()
    assert alice.request("GET", "/api/v1/notifications").ok


def test_notifications_page_by_cursor(peer: MastodonPeer, connect: Connect) -> None:
    alice, bob = peer.new_account(), peer.new_account()
    offers = [alice.post("We ship to Norway now!"), alice.post("And to Sweden!")]
    for number in range(5):
        bob.post(f"@{alice.username} question {number}")
        if number in (1, 3):  # other kinds of notification between the mentions
            bob.request("POST", f"/api/v1/statuses/{offers[number // 2]['id']}/favourite")
    api = connect(alice.token)

    def five_mentions() -> list[str]:
        ids = [str(n.id) for n in api.notifications(types=["mention"])]
        return ids if len(ids) == 5 else []

    newest_first = wait_until(five_mentions, message="five mentions")  # newest first
    kinds = " ".join(n["type"] for n in alice.notifications())
    assert kinds == "mention favourite mention mention favourite mention mention"

    # fetch_next keeps types[] (Mastodon.py repeats its own parameters; the mock's raw
    # Link header drops them) and ends after a short page (no rel="next").
    pages = [api.notifications(types=["mention"], limit=2)]
    while (page := api.fetch_next(pages[-1])) is not None and len(pages) < 5:
        pages.append(page)
    assert [[n.id for n in page] for page in pages] == [
        newest_first[0:2],
        newest_first[2:4],
        newest_first[4:5],
    ]

    # min_id: the page just above the cursor (the oldest ones above it), still newest first.
    above_oldest = api.notifications(types=["mention"], min_id=newest_first[4], limit=2)
    assert [n.id for n in above_oldest] == newest_first[2:4]
    newer = api.fetch_previous(above_oldest)
    assert newer is not None
    assert [n.id for n in newer] == newest_first[0:2]
    assert api.notifications(types=["mention"], min_id=newest_first[0]) == []
    # since_id: the newest above the cursor, not the adjacent ones.
    since = api.notifications(types=["mention"], since_id=newest_first[4], limit=2)
    assert [n.id for n in since] == newest_first[0:2]
    # The same through the helper.
    assert [n["id"] for n in alice.notifications(types=["mention"], min_id=newest_first[4])] == (
        newest_first[0:4]
    )
