"""The Bluesky test peer works end to end, through the atproto SDK and through raw XRPC calls.

These pin down what integration tests may rely on: mentions (with UTF-8 byte-offset facets),
replies and quotes arrive as notifications; the SDK logs in through the switchable proxy, resumes
an exported session without `createSession` and refreshes it by itself; a revoked app password or
session fails the next refresh; the proxy takes the PDS offline and back; notifications paginate
newest first; a chosen record key makes a create idempotent.

Needs `tests/peers/bluesky/install.sh` to have run, and PostgreSQL 15 (see tests/peers/bluesky.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import httpx
import pytest
import requests
from atproto import Client, SessionEvent, client_utils, models
from atproto import exceptions as atproto_errors

from tests.peers.bluesky import (
    BlueskyAccount,
    BlueskyPeer,
    XrpcError,
    make_tid,
    mention_facets,
    now_iso,
)

SignIn = Callable[..., Client]


@pytest.fixture(scope="module")
def peer(bluesky_peer: BlueskyPeer) -> BlueskyPeer:
    """The session's network (about 10 s to start); every test makes fresh accounts."""
    return bluesky_peer


@pytest.fixture
def brand(peer: BlueskyPeer) -> BlueskyAccount:
    """The community manager's account: the one Heedful signs in to."""
    return peer.create_account("brand")


@pytest.fixture
def alice(peer: BlueskyPeer) -> BlueskyAccount:
    """A customer who mentions the brand."""
    return peer.create_account("alice")


@pytest.fixture
def sdk(peer: BlueskyPeer) -> Iterator[SignIn]:
    """Makes atproto SDK clients on the peer's (proxied) PDS URL; closed after the test.

    `sdk()` is a client that is not signed in; `sdk(account)` signs in with its password,
    `sdk(account, password=...)` with another (an app password).
    """
    clients: list[Client] = []

    def make(account: BlueskyAccount | None = None, *, password: str | None = None) -> Client:
        client = Client(base_url=peer.pds_url)
        clients.append(client)
        if account is not None:
            client.login(account.handle, password or account.password)
        return client

    yield make
    for client in clients:
        client.request.close()


def _shift_clock(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the SDK believe two hours have passed: its access token (2 h) is due for refresh."""
    real: Callable[[], datetime] = client.get_current_time

    def later() -> datetime:
        return real() + timedelta(hours=2)

    monkeypatch.setattr(client, "get_current_time", later)


def _find(
    client: Client, reason: str, uri: str
) -> models.AppBskyNotificationListNotifications.Notification:
    page = client.app.bsky.notification.list_notifications(params={"limit": 50, "priority": False})
    found = [n for n in page.notifications if n.reason == reason and n.uri == uri]
    assert found, (
        f"no {reason} notification for {uri}: {[(n.reason, n.uri) for n in page.notifications]}"
    )
    return found[0]


def test_a_mention_with_a_byte_offset_facet_notifies_the_brand(
    peer: BlueskyPeer, brand: BlueskyAccount, alice: BlueskyAccount, sdk: SignIn
) -> None:
    text = f"Héllo 📦 @{brand.handle} où est ma commande ?"
    builder = client_utils.TextBuilder().text("Héllo 📦 ").mention(f"@{brand.handle}", brand.did)
    builder.text(" où est ma commande ?")
    assert builder.build_text() == text
    # The SDK and the helper agree on the offsets: UTF-8 bytes, not characters.
    sdk_facets = [f.model_dump(by_alias=True, exclude_none=True) for f in builder.build_facets()]
    ours = mention_facets(text, {brand.handle: brand.did})
    offsets = [(f["index"]["byteStart"], f["index"]["byteEnd"]) for f in ours]
    assert [(f["index"]["byteStart"], f["index"]["byteEnd"]) for f in sdk_facets] == offsets
    start, end = ours[0]["index"]["byteStart"], ours[0]["index"]["byteEnd"]
    assert text.encode()[start:end].decode() == f"@{brand.handle}"
    assert start != text.index("@")  # "é" and "📦" take more than one byte each

    posted = sdk(alice).send_post(builder, langs=["fr"])
    peer.process_all()

    mention = _find(sdk(brand), "mention", posted.uri)
    assert mention.author.did == alice.did
    assert mention.record.text == text
    assert mention.record.langs == ["fr"]
    assert mention.record.facets[0].features[0].did == brand.did
    assert mention.is_read is False


def test_replies_and_quotes_notify_the_author(
    peer: BlueskyPeer, brand: BlueskyAccount, alice: BlueskyAccount, sdk: SignIn
) -> None:
    question = alice.post(f"@{brand.handle} is this on sale?", mentions=[brand])
    peer.process_all()
    client = sdk(brand)
    ref = models.create_strong_ref(_find(client, "mention", question["uri"]))

    # No mention facet in the reply: the AppView sends one notification per post and recipient,
    # and a mention would win over the reply.
    reply = client.send_post(
        "Yes, until Sunday!", reply_to=models.AppBskyFeedPost.ReplyRef(root=ref, parent=ref)
    )
    quote = client.send_post(
        "Our most asked question this week:", embed=models.AppBskyEmbedRecord.Main(record=ref)
    )
    # The helper finds the thread's root from the parent.
    follow_up = alice.post("Thanks!", reply_to={"uri": reply.uri, "cid": reply.cid})
    peer.process_all()

    by_reason = {(n["reason"], n["uri"]): n for n in alice.notifications()}
    assert by_reason[("reply", reply.uri)]["reasonSubject"] == question["uri"]
    assert by_reason[("quote", quote.uri)]["reasonSubject"] == question["uri"]
    assert _find(client, "reply", follow_up["uri"]).record.reply.root.uri == question["uri"]

    thread = brand.get_post_thread(question["uri"])["thread"]
    assert [r["post"]["uri"] for r in thread["replies"]] == [reply.uri]
    assert [r["post"]["uri"] for r in thread["replies"][0]["replies"]] == [follow_up["uri"]]


def test_the_sdk_resumes_an_exported_session_and_refreshes_it(
    peer: BlueskyPeer, brand: BlueskyAccount, sdk: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = sdk()
    created: list[SessionEvent] = []
    first.on_session_change(lambda event, session: created.append(event))
    profile = first.login(brand.handle, brand.password)  # getProfile works: account indexed
    assert profile is not None
    assert profile.did == brand.did
    assert created == [SessionEvent.CREATE]
    # createSession returns the DID document; the SDK switches to the PDS it names: the proxy.
    assert first._base_url == f"{peer.pds_url}/xrpc"
    exported = first.export_session_string()
    assert exported.split(":::")[-1] == peer.pds_url

    resumed = sdk()
    events: list[tuple[SessionEvent, str]] = []
    resumed.on_session_change(lambda event, session: events.append((event, session.refresh_jwt)))
    resumed.login(session_string=exported)  # no createSession: the tokens are the exported ones
    assert resumed._session is not None
    assert first._session is not None
    assert resumed._session.access_jwt == first._session.access_jwt
    assert [event for event, _ in events] == [SessionEvent.IMPORT]

    # The SDK refreshes before any call once the access token has under 15 minutes left.
    _shift_clock(resumed, monkeypatch)
    resumed.app.bsky.notification.list_notifications(params={"priority": False})
    assert [event for event, _ in events] == [SessionEvent.IMPORT, SessionEvent.REFRESH]
    assert events[1][1] != events[0][1]  # the refresh token rotates
    assert resumed.export_session_string() != exported


def test_a_revoked_app_password_fails_the_next_refresh(
    peer: BlueskyPeer, brand: BlueskyAccount, sdk: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_password = brand.create_app_password("heedful-test")
    client = sdk(brand, password=app_password)
    assert client._session is not None
    assert client._session.access_jwt_payload.scope == "com.atproto.appPass"

    brand.revoke_app_password("heedful-test")
    assert "heedful-test" not in brand.list_app_passwords()
    # The access token is a self-contained JWT: it keeps working until it expires.
    client.app.bsky.notification.list_notifications(params={"priority": False})

    _shift_clock(client, monkeypatch)
    with pytest.raises(atproto_errors.BadRequestError) as raised:
        client.app.bsky.notification.list_notifications(params={"priority": False})
    assert str(raised.value) == "400 ExpiredToken: Token has been revoked"
    assert raised.value.response is not None
    assert raised.value.response.content.error == "ExpiredToken"

    # A session revoked with deleteSession fails the same way.
    session = brand.create_session()
    brand.delete_session(session["refreshJwt"])
    with pytest.raises(XrpcError) as revoked:
        brand.procedure("com.atproto.server.refreshSession", token=session["refreshJwt"])
    assert (revoked.value.status, revoked.value.error) == (400, "ExpiredToken")


def test_offline_pds_refuses_connections_until_it_is_back(
    peer: BlueskyPeer, brand: BlueskyAccount, alice: BlueskyAccount, sdk: SignIn
) -> None:
    client = sdk(brand)
    client.app.bsky.notification.list_notifications(params={"priority": False})
    peer.go_offline()
    try:
        with pytest.raises(atproto_errors.NetworkError) as raised:
            client.app.bsky.notification.list_notifications(params={"priority": False})
        assert isinstance(raised.value.__cause__, httpx.ConnectError)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{peer.pds_url}/xrpc/_health", timeout=5)
        # The world goes on meanwhile (the helpers talk to the PDS directly).
        missed = alice.post(f"@{brand.handle} anyone there?", mentions=[brand])
    finally:
        peer.go_online()
    peer.process_all()
    assert _find(client, "mention", missed["uri"]).author.did == alice.did


def test_notifications_page_from_newest_to_oldest(
    peer: BlueskyPeer, brand: BlueskyAccount, alice: BlueskyAccount
) -> None:
    posted = [alice.post(f"#{i} @{brand.handle}", mentions=[brand])["uri"] for i in range(5)]
    peer.process_all()

    first = brand.list_notifications(limit=2)
    # Never marked seen: seenAt is the newest notification's time, so only that one is unread.
    assert [n["isRead"] for n in first["notifications"]] == [False, True]
    assert first["seenAt"] == first["notifications"][0]["indexedAt"]
    # The cursor is the last item's sort time (ISO 8601); the next page is strictly older.
    datetime.fromisoformat(first["cursor"].replace("Z", "+00:00"))
    seen, cursor = [n["uri"] for n in first["notifications"]], first["cursor"]
    while cursor:
        page = brand.list_notifications(limit=2, cursor=cursor)
        seen += [n["uri"] for n in page["notifications"]]
        cursor = page.get("cursor") if page["notifications"] else None
    assert seen == posted[::-1]

    brand.update_seen()
    assert brand.query("app.bsky.notification.getUnreadCount", {"priority": False}) == {"count": 0}
    assert all(n["isRead"] for n in brand.list_notifications()["notifications"])


def test_a_chosen_record_key_makes_creating_a_post_idempotent(
    alice: BlueskyAccount, sdk: SignIn
) -> None:
    client = sdk(alice)
    rkey = make_tid()
    record = models.AppBskyFeedPost.Record(text="Sent once, whatever happens", created_at=now_iso())
    created = client.app.bsky.feed.post.create(alice.did, record, rkey=rkey)
    assert created.uri == f"at://{alice.did}/app.bsky.feed.post/{rkey}"

    # createRecord on a taken key fails, but as a 500, like any server error.
    with pytest.raises(atproto_errors.RequestException) as raised:
        client.app.bsky.feed.post.create(alice.did, record, rkey=rkey)
    assert raised.value.response is not None
    assert raised.value.response.status_code == 500

    # putRecord with the same record (same createdAt) is a no-op that answers the same ref.
    put = client.com.atproto.repo.put_record(
        models.ComAtprotoRepoPutRecord.Data(
            repo=alice.did, collection="app.bsky.feed.post", rkey=rkey, record=record
        )
    )
    assert (put.uri, put.cid) == (created.uri, created.cid)
    # swapRecord: null means "only if absent": a different record there is refused.
    body = {
        "repo": alice.did,
        "collection": "app.bsky.feed.post",
        "rkey": rkey,
        "record": {"$type": "app.bsky.feed.post", "text": "changed", "createdAt": now_iso()},
        "swapRecord": None,
    }
    with pytest.raises(XrpcError) as swapped:
        alice.procedure("com.atproto.repo.putRecord", body)
    assert (swapped.value.status, swapped.value.error) == (400, "InvalidSwap")
