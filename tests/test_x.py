"""X accounts end to end against the loopback X API v2 server (tests/peers/x.py), which holds
every request and answer to X's published contract: sign-in, what is stored and as what kind,
paging, replies and DMs sent once, rate limits, revoked sign-ins and the read budget."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from storage.records import AccountState, MentionKind, Network, OutboxState
from storage.usage import UsageRepository

from app.bootstrap import Workspace
from app.networks.x.spend import billing_day

from tests.peers.faults import Fault, FaultProxy
from tests.peers.x import XPeer
from tests.peers.x_workspace import sign_in, stored

pytestmark = [pytest.mark.x, pytest.mark.usefixtures("secret_service")]


@pytest.fixture
def x_peer() -> Iterator[XPeer]:
    with XPeer() as peer:
        yield peer
        peer.assert_clean()  # nothing Heedful sent, and nothing it was sent, broke X's contract


def test_a_mention_a_reply_a_quote_and_a_dm_are_stored_once_with_their_kind(
    x_peer: XPeer, workspace: Workspace
) -> None:
    brand, kari = x_peer.create_user("brand"), x_peer.create_user("kari")
    account = sign_in(workspace, x_peer, brand)
    assert (account.network, account.handle) == (Network.X, "brand")
    launch = brand.post("Our spring range is out https://example.com/spring")
    mention = kari.post("@brand is the Fjell jacket waterproof?", lang="en")
    reply = kari.reply(
        launch, "@brand the link is broken & gives a 404", media=[("photo", "A 404 page")]
    )
    quote = kari.quote(launch, "Still no size guide, again.")  # a quote needs no @mention
    dm = kari.dm(brand, "My order FF-123456 never came")

    for _ in range(2):  # a second sync finds nothing new and doubles nothing
        report = workspace.sync.sync_account(workspace.accounts.get(account.id))
        assert report.state is AccountState.OK, report.detail

    found = stored(workspace, account)
    assert {pid: kind for pid, (kind, _t) in found.items()} == {
        mention: MentionKind.MENTION.value,
        reply: MentionKind.REPLY.value,
        quote: MentionKind.QUOTE.value,
        dm: MentionKind.DIRECT.value,
    }
    assert found[reply][1].startswith("@brand the link is broken & gives a 404")  # X's &amp; undone
    assert "[photo: A 404 page]" in found[reply][1]  # the alt text is what the customer said
    assert "Still no size guide" in found[quote][1]
    assert "https://example.com/spring" in found[quote][1]
    assert found[dm][1] == "My order FF-123456 never came"
    row = workspace.store.conn.execute(
        "SELECT root_platform_id, parent_platform_id, url FROM mentions WHERE platform_id = ?",
        [reply],
    ).fetchone()
    assert row == (launch, launch, f"https://x.com/kari/status/{reply}")


def test_1000_mentions_page_correctly_and_the_800_wall_is_said(
    x_peer: XPeer, workspace: Workspace
) -> None:
    brand = x_peer.create_user("brand")
    customers = [x_peer.create_user(f"c{n}") for n in range(3)]
    account = sign_in(workspace, x_peer, brand)

    def post(count: int, first: int) -> list[str]:
        return [customers[n % 3].post(f"@brand question {n}") for n in range(first, first + count)]

    asked = post(600, 0)
    workspace.sync.sync_account(workspace.accounts.get(account.id))
    asked += post(400, 600)
    workspace.sync.sync_account(workspace.accounts.get(account.id))
    assert sorted(stored(workspace, account)) == sorted(asked)  # 1,000, each once
    pages = x_peer.requests_for("getUsersMentions")
    assert all(e.query["max_results"] == ["100"] for e in pages)
    assert len(pages) == 6 + 4  # 100 a page, none wasted
    health = workspace.health.channels()[0]
    assert health.spend is not None
    assert not health.spend.wall_text()

    # 900 more than X reaches back: the 800 newest arrive, and channel health says why the
    # rest cannot.
    later = post(900, 1000)
    workspace.sync.sync_account(workspace.accounts.get(account.id))
    found = set(stored(workspace, account))
    assert set(later[100:]) <= found
    assert not set(later[:100]) & found
    health = workspace.health.channels()[0]
    assert health.spend is not None
    assert "only the 800 most recent mentions" in health.spend.wall_text()
    assert "800 most recent mentions" in health.summary(billing_now())


def billing_now():
    from storage.records import utc_now

    return utc_now()


def test_a_reply_lands_in_the_thread_once_even_when_the_answer_is_lost(
    x_peer: XPeer, workspace: Workspace
) -> None:
    brand, kari = x_peer.create_user("brand"), x_peer.create_user("kari")
    with FaultProxy(x_peer.base_url) as proxy:
        account = sign_in(workspace, x_peer, brand, server=proxy.url)
        question = kari.post("@brand where is my parcel?")
        workspace.sync.sync_account(workspace.accounts.get(account.id))
        mention_id = workspace.store.conn.execute(
            "SELECT id FROM mentions WHERE platform_id = ?", [question]
        ).fetchone()[0]
        workspace.replies.queue(mention_id, "Sorry Kari, we're checking with the courier now.")
        # X makes the post, and the answer is cut mid-body: the outcome is unknown.
        proxy.inject(Fault.reset(), method="POST", path="/2/tweets")
        first = workspace.sync.sync_account(workspace.accounts.get(account.id), pull=False)
        assert first.sent == 0
        assert [p["text"] for p in brand.posts()] == [
            "Sorry Kari, we're checking with the courier now."
        ]
        # Retried later: found in the brand's own posts, not posted again.
        workspace.store.conn.execute("UPDATE outbox SET next_attempt_at = NULL")
        workspace.sync.sync_account(workspace.accounts.get(account.id), pull=False)
    posts = brand.posts()
    assert len(posts) == 1
    assert posts[0]["replied_to"] == question
    (item,) = workspace.outbox.all()
    assert item.state is OutboxState.SENT
    assert item.platform_id == posts[0]["id"]
    assert len(x_peer.requests_for("createPosts")) == 1


def test_a_direct_message_is_answered_by_direct_message_once(
    x_peer: XPeer, workspace: Workspace
) -> None:
    brand, kari = x_peer.create_user("brand"), x_peer.create_user("kari")
    account = sign_in(workspace, x_peer, brand)
    kari.dm(brand, "Hi, my order number is FF-998877")
    workspace.sync.sync_account(workspace.accounts.get(account.id))
    (mention_id,) = workspace.store.conn.execute(
        "SELECT id FROM mentions WHERE kind = 'direct' AND is_own = 0"
    ).fetchone()
    workspace.replies.queue(mention_id, "Thanks, found it: it ships tomorrow.", direct=True)
    for _ in range(2):
        workspace.sync.sync_account(workspace.accounts.get(account.id))
    assert [m["text"] for m in brand.sent_dms()] == ["Thanks, found it: it ships tomorrow."]
    assert brand.posts() == []  # nothing public
    own = workspace.store.conn.execute(
        "SELECT count(*) FROM mentions WHERE is_own = 1 AND kind = 'direct'"
    ).fetchone()[0]
    assert own == 1  # the sent DM, stored once though the DM list brought it back too


def test_switch_to_dm_on_a_public_mention_writes_to_its_author(
    x_peer: XPeer, workspace: Workspace
) -> None:
    brand, kari = x_peer.create_user("brand"), x_peer.create_user("kari")
    account = sign_in(workspace, x_peer, brand)
    kari.post("@brand you charged me twice")
    workspace.sync.sync_account(workspace.accounts.get(account.id))
    (mention_id,) = workspace.store.conn.execute(
        "SELECT id FROM mentions WHERE is_own = 0"
    ).fetchone()
    workspace.replies.queue(mention_id, "Send us your order number here, please.", direct=True)
    workspace.sync.sync_account(workspace.accounts.get(account.id), pull=False)
    (sent,) = brand.sent_dms()
    assert sent["conversation_id"] == "-".join(sorted((brand.id, kari.id), key=int))


def test_a_short_429_is_waited_out(x_peer: XPeer, workspace: Workspace) -> None:
    brand, kari = x_peer.create_user("brand"), x_peer.create_user("kari")
    account = sign_in(workspace, x_peer, brand)
    kari.post("@brand hello?")
    x_peer.spend_window("getUsersMentions", brand, resets_in=1.5)
    began = time.monotonic()
    report = workspace.sync.sync_account(workspace.accounts.get(account.id))
    assert report.state is AccountState.OK, report.detail
    assert report.added == 1
    assert time.monotonic() - began >= 1.0
    assert [e.status for e in x_peer.requests_for("getUsersMentions")][:1] == [429]


def test_a_long_429_says_rate_limited_until_the_reset(x_peer: XPeer, workspace: Workspace) -> None:
    brand = x_peer.create_user("brand")
    account = sign_in(workspace, x_peer, brand)
    x_peer.spend_window("getUsersMentions", brand, resets_in=600)
    report = workspace.sync.sync_account(workspace.accounts.get(account.id))
    assert report.state is AccountState.RATE_LIMITED
    health = workspace.health.channels()[0]
    assert health.state_text().startswith("rate-limited until ")
    assert health.facts.rate_remaining == 0


def test_a_revoked_sign_in_says_needs_sign_in_again(x_peer: XPeer, workspace: Workspace) -> None:
    brand = x_peer.create_user("brand")
    account = sign_in(workspace, x_peer, brand)
    x_peer.revoke_all(brand)
    report = workspace.sync.sync_account(workspace.accounts.get(account.id))
    assert report.state is AccountState.NEEDS_SIGN_IN
    assert workspace.health.channels()[0].state_text() == "needs sign-in again"
    # Signing in again brings the account back, with everything fetched kept.
    again = sign_in(workspace, x_peer, brand)
    assert again.id == account.id
    report = workspace.sync.sync_account(workspace.accounts.get(account.id))
    assert report.state is AccountState.OK


def test_an_expired_access_token_is_refreshed_and_the_rotated_token_kept(
    x_peer: XPeer, workspace: Workspace
) -> None:
    brand, kari = x_peer.create_user("brand"), x_peer.create_user("kari")
    account = sign_in(workspace, x_peer, brand)
    name = f"account:x:{account.server}:{account.handle}"
    before = workspace.secrets.get(name)
    assert before is not None
    x_peer.expire_access_tokens(brand)
    kari.post("@brand ping")
    assert workspace.sync.sync_account(workspace.accounts.get(account.id)).added == 1
    after = workspace.secrets.get(name)
    assert after is not None
    assert after["refresh_token"] != before["refresh_token"]
    # A sync started again later still works with what was saved (the old one is spent).
    x_peer.expire_access_tokens(brand)
    kari.post("@brand ping again")
    assert workspace.sync.sync_account(workspace.accounts.get(account.id)).added == 1


def test_the_read_budget_stops_reads_at_its_limit_and_replies_still_go(
    x_peer: XPeer, workspace: Workspace
) -> None:
    brand, kari = x_peer.create_user("brand"), x_peer.create_user("kari")
    account = sign_in(workspace, x_peer, brand)
    usage = UsageRepository(workspace.store)
    usage.set_daily_read_budget(account.id, 40)
    for n in range(60):
        kari.post(f"@brand complaint {n}")
    workspace.sync.sync_account(workspace.accounts.get(account.id))
    workspace.sync.sync_account(workspace.accounts.get(account.id))
    today = usage.day(account.id, billing_day(billing_now()))
    assert 0 < today.reads <= 40  # never past the budget
    kept = len(stored(workspace, account))
    assert 0 < kept < 60
    reads_before = len(x_peer.requests_for("getUsersMentions"))
    mention_id = workspace.store.conn.execute("SELECT id FROM mentions LIMIT 1").fetchone()[0]
    workspace.replies.queue(mention_id, "We hear you, Kari: a refund is on its way.")
    report = workspace.sync.sync_account(workspace.accounts.get(account.id))
    assert report.sent == 1  # sending never waits for the read budget
    assert len(x_peer.requests_for("getUsersMentions")) == reads_before  # reading did
    spend = workspace.health.channels()[0].spend
    assert spend is not None
    assert "daily read budget of 40 reached" in spend.budget_text()
    assert today.reads == spend.today.reads
    assert spend.today.posts_created == 1
    assert "≈ $" in spend.text()
