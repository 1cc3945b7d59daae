"""X API v2 answers, hand-written after X's documentation examples (tests/data/x), read the way
Heedful reads them: mentions with their expansions, direct messages, errors, and hostile
content, where each item is read on its own and a bad one is skipped with a reason and
counted while the rest are stored."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from storage.records import Account, MentionKind, Network, NewAccount

from app.bootstrap import Workspace
from app.networks.errors import NeedsSignIn, RateLimited
from app.networks.safety import MAX_TEXT_CHARS
from app.networks.x.auth import TokenKeeper
from app.networks.x.client import XClient
from app.networks.x.connector import XConnector
from app.networks.x.parsing import dm_participant, page_of_dm_events, page_of_posts
from app.sync.pull import PullReport

DATA = Path(__file__).parent / "data" / "x"
SERVER = "https://api.x.com"
BRAND = "1500000000000000001"  # @fjellform
MENTIONS_PATH = f"/2/users/{BRAND}/mentions"


def fixture(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def in_spec_spelling(value: Any) -> Any:
    """The same answer with the names of X's 2.167 specification instead of its pages'."""
    names = {
        "referenced_tweets": "referenced_posts",
        "tweets": "posts",
        "edit_history_tweet_ids": "edit_history_post_ids",
    }
    if isinstance(value, dict):
        return {names.get(k, k): in_spec_spelling(v) for k, v in value.items()}
    if isinstance(value, list):
        return [in_spec_spelling(v) for v in value]
    return value


# --- mentions with expansions ------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["documentation", "specification"])
def test_mentions_with_their_authors_referenced_posts_media_and_threads(spelling: str) -> None:
    answer = fixture("mentions.json")
    if spelling == "specification":
        answer = in_spec_spelling(answer)
    parsed = page_of_posts(answer, account_id=1, own_user_id=BRAND)
    assert parsed.skipped == []
    question, reply, quote, elsewhere = parsed.items  # oldest first

    assert question.kind is MentionKind.MENTION
    assert (question.author.handle, question.author.display_name) == ("kari_nordmann",
                                                                      "Kari Nordmann")  # fmt: skip
    assert question.author.avatar_url == "https://pbs.twimg.com/profile_images/1/kari_normal.jpg"
    # The t.co link as the customer wrote it, and the photo's alt text as part of what she said.
    assert "The label says so: https://fjellform.example/care/fjell-jacket" in question.text
    assert question.text.endswith("[photo: A care label: 'Waterproof 10,000 mm, wash at 30°']")
    assert question.language == "en"
    assert question.root_platform_id is None  # it starts its own conversation
    assert question.url == "https://x.com/kari_nordmann/status/1853290103912345601"
    assert question.created_at.isoformat() == "2026-11-20T10:15:02+00:00"

    assert reply.kind is MentionKind.REPLY  # to the brand's post
    assert reply.text == "@fjellform the link in your post gives a 404 & the size guide is gone"
    assert reply.parent_platform_id == reply.root_platform_id == "1853200000000000001"

    assert quote.kind is MentionKind.QUOTE  # of the brand's post, without an @mention
    assert quote.text.endswith(
        "[quoting @fjellform: Our spring range is out! Size guide: "
        "https://fjellform.example/spring]"
    )
    assert quote.language == "no"
    assert quote.author.avatar_url is None  # never anything but https

    # A reply to someone else's post that names the brand is a mention, in that thread.
    assert elsewhere.kind is MentionKind.MENTION
    assert elsewhere.parent_platform_id == elsewhere.root_platform_id == "1853100000000000007"
    assert not any(m.is_own for m in parsed.items)


def test_the_brands_own_posts_are_left_out_unless_asked_for() -> None:
    answer = fixture("mentions.json")
    own = copy.deepcopy(answer["includes"]["tweets"][0])
    answer["data"].append(own)
    assert len(page_of_posts(answer, account_id=1, own_user_id=BRAND).items) == 4
    kept = page_of_posts(answer, account_id=1, own_user_id=BRAND, keep_own=True).items
    assert [m.platform_id for m in kept if m.is_own] == ["1853200000000000001"]


# --- direct messages ---------------------------------------------------------------------------


def test_direct_messages_are_stored_oldest_first_with_their_conversation() -> None:
    parsed = page_of_dm_events(fixture("dm_events.json"), account_id=1, own_user_id=BRAND)
    assert parsed.skipped == []  # someone joining a group is no message, and no problem
    asked, answered, receipt = parsed.items
    assert [m.kind for m in parsed.items] == [MentionKind.DIRECT] * 3
    assert [m.visibility for m in parsed.items] == ["direct"] * 3
    assert asked.text == "Hi! My order FF-123456 never came, and I paid for express."
    assert asked.root_platform_id == "1500000000000000001-2244994946"
    assert asked.url == "https://x.com/messages/1500000000000000001-2244994946"
    assert not asked.is_own
    assert answered.is_own  # the brand's own message: context in the conversation
    assert answered.text == "Thanks Kari, we're on it & will write back today."
    assert receipt.text == "Here is the receipt\n[photo: A photo of a paper receipt]"
    assert dm_participant("1500000000000000001-2244994946", BRAND) == "2244994946"
    assert dm_participant("1853400000000000099", BRAND) is None  # a group: no one person


def test_a_direct_message_without_a_sender_or_conversation_is_skipped_with_a_reason() -> None:
    answer = fixture("dm_events.json")
    del answer["data"][0]["sender_id"]
    del answer["data"][2]["dm_conversation_id"]
    parsed = page_of_dm_events(answer, account_id=1, own_user_id=BRAND)
    assert [m.platform_id for m in parsed.items] == ["1853400000000000001"]
    assert parsed.skipped == [
        "1853400000000000002: direct message without a conversation",
        "1853400000000000004: direct message without a sender",
    ]


# --- hostile content ---------------------------------------------------------------------------


def hostile_answer() -> dict[str, Any]:
    answer: dict[str, Any] = fixture("hostile_mentions.json")
    huge = next(p for p in answer["data"] if isinstance(p, dict) and p["text"] == "HUGE")
    huge["text"] = "@fjellform " + "why " * 250_000  # a megabyte
    return answer


EXPECTED_SKIPS = {
    "1853500000000000002: post without an author id",
    "1853500000000000003: author 9999999999 not in the answer's includes",
    "1853500000000000004: unreadable time 'yesterday, roughly'",
    "18535000000000000xx: post without an id",
    "1853500000000000006: text is not text",
    "a post that is not an object (str)",
}


def test_hostile_posts_each_read_on_their_own() -> None:
    parsed = page_of_posts(hostile_answer(), account_id=1, own_user_id=BRAND)
    assert set(parsed.skipped) == EXPECTED_SKIPS
    assert len(parsed.skipped) == len(EXPECTED_SKIPS)
    by_id = {m.platform_id: m for m in parsed.items}
    assert set(by_id) == {
        "1853500000000000001",
        "1853500000000000008",
        "1853500000000000009",
        "1853500000000000010",
    }

    # A look-alike name: its invisible character is shown, and its address is X's own
    # nameless one, so it never passes for (or links as) @kari_nordmann.
    tricked = by_id["1853500000000000008"]
    assert tricked.author.handle == "kari<U+200B>_nordmann"
    assert tricked.url == "https://x.com/i/web/status/1853500000000000008"
    assert "\u202egnp.exe\u202c" in tricked.text  # kept as written; the display reveals it
    assert tricked.language is None  # "und": X could not tell

    script = by_id["1853500000000000009"]
    assert "<script>alert(1)</script> <b>bold</b>" in script.text  # plain text, as written
    assert script.html is not None
    assert "<script" not in script.html
    assert "javascript:" not in script.text + script.html  # not a link X expanded
    assert script.kind is MentionKind.MENTION  # an unreadable reference list is no reference

    huge = by_id["1853500000000000010"]
    assert len(huge.text) < MAX_TEXT_CHARS + 200
    assert "cut by Heedful: the post was 1,000,011 characters long" in huge.text
    assert huge.raw is not None
    assert len(huge.raw) < 1000  # the megabyte is not kept twice


@pytest.fixture
def x_account(workspace: Workspace) -> Account:
    return workspace.accounts.add(
        NewAccount(Network.X, SERVER, "fjellform", "Fjellform", platform_user_id=BRAND)
    )


def test_a_hostile_page_stores_the_good_posts_and_counts_the_bad(
    workspace: Workspace, x_account: Account
) -> None:
    stub = StubX()
    stub.answer(MENTIONS_PATH, 200, hostile_answer())
    report = PullReport()
    workspace.sync.pulling.pull(
        x_account, stub.connector(x_account), keep_lease=lambda: None, report=report
    )
    stored = workspace.store.conn.execute(
        "SELECT platform_id FROM mentions WHERE account_id = ? ORDER BY platform_id",
        [x_account.id],
    ).fetchall()
    assert len(stored) == 4  # the post sent twice is stored once
    assert report.skipped == len(EXPECTED_SKIPS)
    (health,) = workspace.health.channels()
    assert health.skipped == len(EXPECTED_SKIPS)  # channel health counts them
    assert health.last_skip_reason in EXPECTED_SKIPS


# --- errors ------------------------------------------------------------------------------------


def test_partial_errors_in_a_200_keep_the_posts(workspace: Workspace, x_account: Account) -> None:
    stub = StubX()
    stub.answer(MENTIONS_PATH, 200, fixture("mentions_partial_errors.json"))
    report = PullReport()
    workspace.sync.pulling.pull(
        x_account, stub.connector(x_account), keep_lease=lambda: None, report=report
    )
    rows = workspace.store.conn.execute(
        "SELECT platform_id, kind, parent_platform_id FROM mentions ORDER BY platform_id"
    ).fetchall()
    # The post replied to is gone and the quoted one is protected: the customers' posts are
    # stored all the same, the reply still a reply to the brand (X says whom it answers).
    assert rows == [
        ("1853290103912345701", "reply", "1853200000000000009"),
        ("1853290103912345702", "mention", None),
    ]
    assert report.skipped == 0


def test_a_401_is_renewed_once_then_says_sign_in_again(x_account: Account) -> None:
    stub = StubX()
    stub.answer(MENTIONS_PATH, 401, fixture("error_401.json"))
    stub.answer(MENTIONS_PATH, 401, fixture("error_401.json"))
    connector = stub.connector(x_account)
    with pytest.raises(NeedsSignIn, match="Sign in to this account again"):
        list(connector.fetch_new(None))
    # One renewal with the refresh token, then the renewed token refused too.
    assert [s for s in stub.seen if s[1] == "/2/oauth2/token"] == [("POST", "/2/oauth2/token")]
    assert [s for s in stub.seen if s[1] == MENTIONS_PATH] == [("GET", MENTIONS_PATH)] * 2


def test_a_refused_renewal_says_sign_in_again(x_account: Account) -> None:
    stub = StubX()
    stub.answer(MENTIONS_PATH, 401, fixture("error_401.json"))
    refused = {"error": "invalid_request", "error_description": "The token was invalid."}
    stub.answer("/2/oauth2/token", 400, refused)
    with pytest.raises(NeedsSignIn, match="token was invalid"):
        list(stub.connector(x_account).fetch_new(None))


def test_a_429_with_a_distant_reset_says_until_when(x_account: Account) -> None:
    reset = int(time.time()) + 900
    stub = StubX()
    headers = {"x-rate-limit-limit": "180", "x-rate-limit-remaining": "0",
               "x-rate-limit-reset": str(reset)}  # fmt: skip
    stub.answer(MENTIONS_PATH, 429, fixture("error_429.json"), headers)
    connector = stub.connector(x_account)
    with pytest.raises(RateLimited) as limited:
        list(connector.fetch_new(None))
    assert limited.value.until is not None
    assert int(limited.value.until.timestamp()) == reset
    state = connector.rate_limit()
    assert (state.limit, state.remaining) == (180, 0)
    assert state.resets_at == limited.value.until


def test_a_429_with_a_near_reset_is_waited_out(x_account: Account) -> None:
    stub = StubX()
    headers = {"x-rate-limit-limit": "180", "x-rate-limit-remaining": "0",
               "x-rate-limit-reset": str(int(time.time()) + 1)}  # fmt: skip
    stub.answer(MENTIONS_PATH, 429, fixture("error_429.json"), headers)
    stub.answer(MENTIONS_PATH, 200, fixture("mentions.json"))
    beats: list[float] = []
    connector = stub.connector(x_account)
    connector.heartbeat = lambda: beats.append(time.monotonic())
    pages = list(connector.fetch_new(None))
    assert sum(len(p.items) for p in pages) == 4
    assert beats  # the wait kept the sync's lease


# --- a transport that answers from the fixtures ------------------------------------------------


class StubX(requests.adapters.BaseAdapter):
    """Answers requests to https://api.x.com from queued fixtures, per path (an empty page
    once a path's queue is used up), and keeps what was asked."""

    def __init__(self) -> None:
        super().__init__()
        self._queues: dict[str, list[tuple[int, dict[str, str], Any]]] = {}
        self.seen: list[tuple[str, str]] = []

    def answer(
        self, path: str, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        self._queues.setdefault(path, []).append((status, headers or {}, body))

    def connector(self, account: Account) -> XConnector:
        session = requests.Session()
        session.mount("https://", self)
        client = XClient(SERVER, None, session=session)
        secret = {"access_token": "at-1", "refresh_token": "rt-1", "client_id": "app",
                  "expires_at": time.time() + 7200}  # fmt: skip
        client.tokens = TokenKeeper(SERVER, secret, lambda _saved: None, session)
        return XConnector(
            account_id=account.id, client=client, own_user_id=BRAND, own_handle="fjellform"
        )

    def send(  # type: ignore[override]  # only the options requests passes
        self, request: requests.PreparedRequest, **_options: Any
    ) -> requests.Response:
        path = urlsplit(request.url or "").path
        self.seen.append((request.method or "", path))
        queue = self._queues.get(path) or []
        if queue:
            status, headers, body = queue.pop(0)
        elif path == "/2/oauth2/token":
            renewed = {"access_token": "at-2", "refresh_token": "rt-2", "expires_in": 7200}
            status, headers, body = 200, {}, {**renewed, "token_type": "bearer"}
        else:
            status, headers, body = 200, {}, {"meta": {"result_count": 0}}
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict({"content-type": "application/json", **headers})
        response._content = json.dumps(body).encode()
        response.url = request.url or ""
        response.request = request
        response.reason = "OK" if status < 400 else "Error"
        return response

    def close(self) -> None:
        pass
