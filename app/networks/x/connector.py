"""X through the X API v2: mentions (replies in the brand's threads and quotes of its posts
among them), direct messages, replies and DMs sent exactly once, spend and rate limits.

The cursor is one JSON object: for mentions and for direct messages, the newest id stored
("seen") and, while a pass is under way, where to resume it ("pending"). Both lists come
newest first, so a pass pages down to what was seen and only then moves "seen" up; an
interrupted pass resumes from its page, and the store's uniqueness absorbs a page fetched
twice.

Exactly once: X has no idempotency key. Each send is noted (by its outbox key) before it goes
out; when a send with that key was attempted before, the brand's own recent posts (or the DM
conversation) are searched for it first, by reply target and text, and a post found there is
the one sent. The brand's own timeline is used rather than recent search: it is immediate
(search lags), an "owned read" X bills at a fifth of the price, and not limited to 7 days.

Client library (read and measured on this machine; neither was run against the test server):
neither well-kept one fits. `xdk` 0.10.6 (X's official SDK, 4.2 MB, about 2.7 s to import)
calls `session.get(...)` and `session.post(...)` with no timeout, so a held request would
never return; it validates each whole page with Pydantic (one unreadable post refuses the
page, so the cursor could never pass it), auto-paginates inside a generator that keeps no
resumable position, and drops the `x-rate-limit-*` headers of successful answers. `tweepy`
4.17.0 (1.3 MB, about 0.45 s) hard-codes https://api.twitter.com (no test server, no proxy),
sends no timeout either, sleeps through rate limits with `time.sleep` (quitting cannot
interrupt it) and asks for `tweet.fields`/`referenced_tweets.id`, which X's 2.167
specification no longer defines. `requests` (already used) with Heedful's socket watch does
what is needed in `app.networks.x.client`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.records import Mention, MentionKind, Network, NewAuthor, NewMention, utc_now
from storage.usage import UsageCounts

from app.networks.base import (
    AccountIdentity,
    FetchedPage,
    Heartbeat,
    OutgoingPost,
    RateLimitState,
    ReplyTarget,
    SentPost,
)
from app.networks.errors import NetworkError, OutcomeUnknown, Rejected
from app.networks.safety import SkipItem
from app.networks.x.client import XClient
from app.networks.x.length import X_MAX_WEIGHTED_LENGTH, weighted_length
from app.networks.x.parsing import (
    DIRECT,
    Includes,
    comparable,
    data_items,
    dm_event_to_mention,
    dm_participant,
    id_order,
    is_id,
    next_token,
    page_of_dm_events,
    page_of_posts,
    plain_text,
    post_url,
    references,
)
from app.networks.x.spend import SMALLEST_PAGE_READS, Meter

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # the most the mentions timeline and DM events give at once
MENTIONS_REACHABLE = 800  # X serves only the 800 most recent mentions
DM_FIRST_BACKFILL = timedelta(days=14)  # how far back a new account's DMs are read (billed)
# This computer's clock may run ahead of X's: a reply is looked for from this long before it
# was queued (as for Mastodon).
LOOK_BACK_SLACK = timedelta(hours=1)
LOOK_PAGES = 5
QUOTE_WATCH = timedelta(days=3)  # how long the brand's posts are watched for quotes
QUOTE_WATCH_POSTS = 10  # the most of them watched at once
QUOTE_POLL = timedelta(minutes=10)  # how often their quotes are asked for (each is billed)

_USER_FIELDS = "name,username,profile_image_url"
_POST_QUERY = {
    "post.fields": "created_at,conversation_id,attachments,entities,lang",
    "expansions": "author_id,referenced_posts,in_reply_to_user_id,attachments.media_keys",
    "user.fields": _USER_FIELDS,
    "media.fields": "type,alt_text",
}
_DM_QUERY = {
    "dm_event.fields": "id,event_type,text,created_at,dm_conversation_id,attachments",
    "expansions": "sender_id,attachments.media_keys",
    "user.fields": _USER_FIELDS,
    "media.fields": "type,alt_text",
    "event_types": "MessageCreate",
}
_LINK_SIGNS = ("http://", "https://", "www.")


def post_usage(answer: Any) -> UsageCounts:
    """What a page of posts costs: each post and expanded post or media is a post read,
    each expanded user a user read (X bills per resource returned)."""
    includes = Includes.of(answer)
    posts = len(data_items(answer)) + len(includes.posts) + len(includes.media)
    if isinstance(answer, Mapping) and isinstance(answer.get("data"), Mapping):
        posts += 1
    return UsageCounts(post_reads=posts, user_reads=len(includes.users))


def dm_usage(answer: Any) -> UsageCounts:
    includes = Includes.of(answer)
    return UsageCounts(
        dm_reads=len(data_items(answer)),
        user_reads=len(includes.users),
        post_reads=len(includes.media),
    )


def user_usage(answer: Any) -> UsageCounts:
    return UsageCounts(user_reads=1)


def _state(cursor: str | None) -> dict[str, Any]:
    try:
        loaded = json.loads(cursor) if cursor else {}
    except ValueError:
        loaded = {}
    return loaded if isinstance(loaded, dict) else {}


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class XConnector:
    network = Network.X

    def __init__(
        self,
        *,
        account_id: int,
        client: XClient,
        own_user_id: str,
        own_handle: str,
        meter: Meter | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self._account_id = account_id
        self._client = client
        self._own_user_id = own_user_id
        self._own_handle = own_handle
        self._meter = meter
        self._stop = stop or threading.Event()
        self.budget_reached = False  # the last fetch stopped at the daily read budget
        self.history_wall = False  # the last fetch reached X's 800-mention wall

    @property
    def heartbeat(self) -> Heartbeat | None:
        """The sync's lease renewal, called through rate-limit waits (the client waits)."""
        return self._client.heartbeat

    @heartbeat.setter
    def heartbeat(self, beat: Heartbeat | None) -> None:
        self._client.heartbeat = beat

    # --- reading ---------------------------------------------------------------------------------

    def verify(self) -> AccountIdentity:
        answer = self._client.get(
            "checking the account",
            "getUsersMe",
            "/2/users/me",
            {"user.fields": _USER_FIELDS},
            usage=user_usage,
        )
        data = answer.get("data")
        if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
            raise Rejected("X did not say whose account this is.")
        return AccountIdentity(
            platform_user_id=str(data["id"]),
            handle=str(data.get("username") or ""),
            display_name=str(data.get("name") or ""),
        )

    def fetch_new(self, cursor: str | None) -> Iterator[FetchedPage]:
        state = _state(cursor)
        self.budget_reached = False
        if self._meter is not None and not self._meter.pass_allowed():
            self.budget_reached = (self._meter.reads_left() or 0) < SMALLEST_PAGE_READS
            log.info(
                "X read budget: no read pass now (%s)", "spent" if self.budget_reached else "slowed"
            )
            return
        yield from self._mentions(state)
        if not self.budget_reached:
            yield from self._direct_messages(state)
        if not self.budget_reached:
            yield from self._quotes(state)

    def _page_size(self) -> int | None:
        """Items to ask for, within the day's read budget; None when the budget is spent.
        X bills what it returns after the fact, included authors and quoted posts too, so a
        page is kept to a third of what is left, and none is asked for once even X's
        smallest page (5) might not fit."""
        left = None if self._meter is None else self._meter.reads_left()
        if left is None:
            return PAGE_SIZE
        size = min(PAGE_SIZE, left // 3)
        if size < 5:
            self.budget_reached = True
            return None
        return size

    def _mentions(self, state: dict[str, Any]) -> Iterator[FetchedPage]:
        mine = state.setdefault("mentions", {})
        seen: str | None = mine.get("seen")
        pending = mine.get("pending") if isinstance(mine.get("pending"), dict) else None
        top: str | None = pending.get("top") if pending else None
        token: str | None = pending.get("next") if pending else None
        count = int(pending.get("count", 0)) if pending else 0
        restarted = False
        while True:
            size = self._page_size()
            if size is None:
                return
            params = {**_POST_QUERY, "max_results": str(max(5, size))}  # X: 5 to 100
            if seen:
                params["since_id"] = seen
            if token:
                params["pagination_token"] = token
            try:
                answer = self._client.get(
                    "fetching mentions",
                    "getUsersMentions",
                    f"/2/users/{self._own_user_id}/mentions",
                    params,
                    usage=post_usage,
                )
            except Rejected:
                if not token or restarted:
                    raise
                # A resume token X no longer knows: start the pass again from "seen".
                restarted, token, top, count = True, None, None, 0
                continue
            data = data_items(answer)
            parsed = page_of_posts(
                answer, account_id=self._account_id, own_user_id=self._own_user_id
            )
            if top is None:
                ids = [str(p.get("id")) for p in data if isinstance(p, Mapping)]
                top = max(ids, key=id_order) if ids else seen
            count += len(data)
            after = next_token(answer)
            finished = after is None or not data
            if finished:
                mine["seen"] = top
                mine.pop("pending", None)
                if count >= MENTIONS_REACHABLE:
                    self._reached_wall(count)
            else:
                mine["pending"] = {"top": top, "next": after, "count": count}
            for reason in parsed.skipped:
                log.warning("skipped an X post: %s", reason)
            yield FetchedPage(items=parsed.items, cursor=json.dumps(state), skipped=parsed.skipped)
            if finished:
                return
            token = after

    def _reached_wall(self, count: int) -> None:
        self.history_wall = True
        note = (
            f"X serves only the {MENTIONS_REACHABLE} most recent mentions: this sync read "
            f"{count:,}, and any older ones cannot be fetched."
        )
        log.warning("%s: %s", self._own_handle, note)
        if self._meter is not None:
            self._meter.note_history_wall(note)

    def _direct_messages(self, state: dict[str, Any]) -> Iterator[FetchedPage]:
        mine = state.setdefault("dms", {})
        seen: str | None = mine.get("seen")
        pending = mine.get("pending") if isinstance(mine.get("pending"), dict) else None
        top: str | None = pending.get("top") if pending else None
        token: str | None = pending.get("next") if pending else None
        oldest_wanted = utc_now() - DM_FIRST_BACKFILL if seen is None else None
        while True:
            size = self._page_size()
            if size is None:
                return
            params = {**_DM_QUERY, "max_results": str(size)}
            if token:
                params["pagination_token"] = token
            answer = self._client.get(
                "fetching direct messages", "getDirectMessagesEvents", "/2/dm_events", params,
                usage=dm_usage,
            )  # fmt: skip
            data = [e for e in data_items(answer) if isinstance(e, Mapping)]
            if top is None:
                ids = [str(e.get("id")) for e in data]
                top = max(ids, key=id_order) if ids else seen
            fresh = [e for e in data if seen is None or id_order(str(e.get("id"))) > id_order(seen)]
            parsed = page_of_dm_events(
                {"data": fresh, "includes": answer.get("includes")},
                account_id=self._account_id,
                own_user_id=self._own_user_id,
            )
            too_old = oldest_wanted is not None and any(
                m.created_at < oldest_wanted for m in parsed.items
            )
            if oldest_wanted is not None:
                parsed.items[:] = [m for m in parsed.items if m.created_at >= oldest_wanted]
            after = next_token(answer)
            finished = len(fresh) < len(data) or after is None or not data or too_old
            if finished:
                mine["seen"] = top
                mine.pop("pending", None)
            else:
                mine["pending"] = {"top": top, "next": after}
            for reason in parsed.skipped:
                log.warning("skipped an X direct message: %s", reason)
            yield FetchedPage(items=parsed.items, cursor=json.dumps(state), skipped=parsed.skipped)
            if finished:
                return
            token = after

    def _quotes(self, state: dict[str, Any]) -> Iterator[FetchedPage]:
        """Quotes of the brand's recent posts: a quote needs no @mention, so the mentions
        timeline misses those without one. The brand's own posts of the last QUOTE_WATCH
        (an "owned read", billed at a fifth) are watched, and their quotes asked for at most
        every QUOTE_POLL (each quote returned is billed, again at every ask)."""
        mine = state.setdefault("quotes", {})
        now = utc_now()
        polled = mine.get("polled_at")
        if (
            isinstance(polled, int | float)
            and now.timestamp() - polled < QUOTE_POLL.total_seconds()
        ):
            return
        params = {"post.fields": "created_at", "max_results": "100"}
        if isinstance(mine.get("own_seen"), str):
            params["since_id"] = mine["own_seen"]
        else:
            params["start_time"] = _rfc3339(now - QUOTE_WATCH)
        own = self._client.get(
            "reading the brand's recent posts", "getUsersPosts",
            f"/2/users/{self._own_user_id}/tweets", params, usage=post_usage,
        )  # fmt: skip
        watched: list[list[Any]] = [w for w in mine.get("watch", []) if isinstance(w, list)]
        for post in data_items(own):
            if isinstance(post, Mapping) and isinstance(post.get("id"), str):
                watched.append([post["id"], (now + QUOTE_WATCH).timestamp()])
        newest = [str(p.get("id")) for p in data_items(own) if isinstance(p, Mapping)]
        if newest:
            mine["own_seen"] = max(newest, key=id_order)
        # Newest first, the few most recent only, each for QUOTE_WATCH.
        watched = sorted(
            (w for w in watched if len(w) == 2 and float(w[1]) > now.timestamp()),
            key=lambda w: id_order(str(w[0])),
            reverse=True,
        )[:QUOTE_WATCH_POSTS]
        mine["watch"] = watched
        items: list[NewMention] = []
        skipped: list[str] = []
        for post_id, _until in watched:
            if self._page_size() is None:
                break
            answer = self._client.get(
                "fetching quotes of the brand's posts",
                "getPostsQuotedPosts",
                f"/2/tweets/{post_id}/quote_tweets",
                {**_POST_QUERY, "max_results": "10"},
                usage=post_usage,
            )
            parsed = page_of_posts(
                answer, account_id=self._account_id, own_user_id=self._own_user_id
            )
            items += parsed.items
            skipped += parsed.skipped
        mine["polled_at"] = now.timestamp()
        yield FetchedPage(items=items, cursor=json.dumps(state), skipped=skipped)

    def fetch_thread(self, platform_id: str) -> list[NewMention]:
        """The conversation around a post (recent search reaches the last 7 days). Other
        people's posts in it are context, never inbox work."""
        looked = self._client.get(
            "fetching the post", "getPostsById", f"/2/tweets/{platform_id}", _POST_QUERY,
            usage=post_usage,
        )  # fmt: skip
        post = looked.get("data")
        conversation = post.get("conversation_id") if isinstance(post, Mapping) else None
        if not isinstance(conversation, str):
            return []
        found = self._client.get(
            "fetching the conversation",
            "searchPostsRecent",
            "/2/tweets/search/recent",
            {**_POST_QUERY, "query": f"conversation_id:{conversation}", "max_results": "100"},
            usage=post_usage,
        )
        includes = Includes.of(found)
        root = includes.posts.get(conversation)
        parsed = page_of_posts(
            {
                "data": [*([root] if root else []), *data_items(found)],
                "includes": found.get("includes"),
            },
            account_id=self._account_id,
            own_user_id=self._own_user_id,
            keep_own=True,
        )
        return [replace(m, is_context=not m.is_own) for m in parsed.items]

    # --- sending ---------------------------------------------------------------------------------

    def reply_target(self, mention: Mention) -> ReplyTarget:
        return ReplyTarget(
            platform_id=mention.platform_id,
            root_platform_id=mention.root_platform_id or mention.platform_id,
            author_handle=mention.author.handle,
            visibility=mention.visibility,
            author_id=mention.author.platform_id,
        )

    def max_post_length(self) -> int:
        return X_MAX_WEIGHTED_LENGTH

    def _is_direct(self, post: OutgoingPost) -> bool:
        return post.direct or (post.reply_to is not None and post.reply_to.visibility == DIRECT)

    def _participant(self, target: ReplyTarget | None) -> str:
        if target is not None:
            if target.visibility == DIRECT and target.root_platform_id:
                other = dm_participant(target.root_platform_id, self._own_user_id)
                if other:
                    return other
            if target.author_id and target.author_id != self._own_user_id:
                return target.author_id
        raise Rejected("A direct message on X needs someone to send it to.")

    def send(self, post: OutgoingPost) -> SentPost:
        """Post it once. X has no idempotency key: when the answer is lost this raises
        OutcomeUnknown, and the outbox calls `find_sent` before it ever sends again."""
        direct = self._is_direct(post)
        if not direct and weighted_length(post.text) > X_MAX_WEIGHTED_LENGTH:
            raise Rejected(
                f"The reply is {weighted_length(post.text)} characters as X counts them; X "
                f"allows {X_MAX_WEIGHTED_LENGTH}."
            )
        return self._send_dm(post) if direct else self._send_post(post)

    def _send_post(self, post: OutgoingPost) -> SentPost:
        body: dict[str, Any] = {"text": post.text}
        if post.reply_to is not None:
            body["reply"] = {"in_reply_to_tweet_id": post.reply_to.platform_id}
        answer = self._client.post("posting the reply", "createPosts", "/2/tweets", body)
        with_link = any(sign in post.text.lower() for sign in _LINK_SIGNS)
        if self._meter is not None:
            self._meter.record(
                UsageCounts(posts_created=1, posts_with_link=int(with_link), requests=1)
            )
        data = answer.get("data")
        if not isinstance(data, Mapping) or not is_id(data.get("id")):
            # It may well be posted: looked for before anything is sent again.
            raise OutcomeUnknown("X's answer to the reply gave no post id.")
        return self._sent_post(str(data["id"]), post)

    def _sent_post(
        self, post_id: str, post: OutgoingPost, created_at: datetime | None = None
    ) -> SentPost:
        target = post.reply_to
        url = post_url(self._own_handle, post_id)
        mention = NewMention(
            account_id=self._account_id,
            platform_id=post_id,
            author=NewAuthor(Network.X, self._own_user_id, self._own_handle),
            kind=MentionKind.REPLY if target is not None else MentionKind.MENTION,
            text=post.text,
            created_at=created_at or utc_now(),
            url=url,
            visibility="public",
            parent_platform_id=None if target is None else target.platform_id,
            root_platform_id=None if target is None else target.root_platform_id,
            is_own=True,
        )
        return SentPost(platform_id=post_id, url=url, as_mention=mention)

    def _send_dm(self, post: OutgoingPost) -> SentPost:
        participant = self._participant(post.reply_to)
        answer = self._client.post(
            "sending the direct message",
            "createDirectMessagesByParticipantId",
            f"/2/dm_conversations/with/{participant}/messages",
            {"text": post.text},
        )
        if self._meter is not None:
            self._meter.record(UsageCounts(dms_created=1, requests=1))
        data = answer.get("data")
        if not isinstance(data, Mapping) or not is_id(data.get("dm_event_id")):
            raise OutcomeUnknown("X's answer to the direct message gave no message id.")
        return self._sent_dm(
            str(data["dm_event_id"]), str(data.get("dm_conversation_id") or ""), post
        )

    def _sent_dm(
        self,
        event_id: str,
        conversation: str,
        post: OutgoingPost,
        created_at: datetime | None = None,
    ) -> SentPost:
        url = f"https://x.com/messages/{conversation}" if conversation else None
        mention = NewMention(
            account_id=self._account_id,
            platform_id=event_id,
            author=NewAuthor(Network.X, self._own_user_id, self._own_handle),
            kind=MentionKind.DIRECT,
            text=post.text,
            created_at=created_at or utc_now(),
            url=url,
            visibility=DIRECT,
            parent_platform_id=None if post.reply_to is None else post.reply_to.platform_id,
            root_platform_id=conversation or None,
            is_own=True,
        )
        return SentPost(platform_id=event_id, url=url, as_mention=mention)

    def find_sent(
        self, post: OutgoingPost, *, since: datetime, known: frozenset[str] = frozenset()
    ) -> SentPost | None:
        """The brand's own post (or DM) an earlier attempt at `post` made: same reply target
        and text, made after `since`, not one of `known`. None when it is not there."""
        wanted = comparable(post.text)
        start = since - LOOK_BACK_SLACK
        if self._is_direct(post):
            return self._find_dm(post, wanted, start, known)
        target = None if post.reply_to is None else post.reply_to.platform_id
        params = {
            "post.fields": "created_at,conversation_id,entities",
            "expansions": "referenced_posts",
            "max_results": "100",
            "start_time": _rfc3339(start),
        }
        for _page in range(LOOK_PAGES):
            answer = self._client.get(
                "looking for a reply sent before",
                "getUsersPosts",
                f"/2/users/{self._own_user_id}/tweets",
                params,
                usage=post_usage,
            )
            for item in data_items(answer):
                if not isinstance(item, Mapping) or item.get("id") in known:
                    continue
                try:
                    same_text = comparable(plain_text(item)) == wanted
                except SkipItem:
                    continue
                if same_text and references(item).get("replied_to") == target:
                    return self._sent_post(str(item["id"]), post)
            after = next_token(answer)
            if after is None:
                return None
            params["pagination_token"] = after
        raise NetworkError("Too many of the brand's posts to look through; Heedful tries later.")

    def _find_dm(
        self, post: OutgoingPost, wanted: str, start: datetime, known: frozenset[str]
    ) -> SentPost | None:
        participant = self._participant(post.reply_to)
        params = {**_DM_QUERY, "max_results": "50"}
        for _page in range(LOOK_PAGES):
            answer = self._client.get(
                "looking for a direct message sent before",
                "getDirectMessagesEventsByParticipantId",
                f"/2/dm_conversations/with/{participant}/dm_events",
                params,
                usage=dm_usage,
            )
            includes = Includes.of(answer)
            older = False
            for event in data_items(answer):
                try:
                    mention = dm_event_to_mention(
                        event, includes, account_id=self._account_id, own_user_id=self._own_user_id
                    )
                except SkipItem:
                    continue
                if mention.created_at < start:
                    older = True
                    continue
                if (
                    mention.is_own
                    and mention.platform_id not in known
                    and comparable(mention.text) == wanted
                ):
                    return self._sent_dm(
                        mention.platform_id,
                        mention.root_platform_id or "",
                        post,
                        mention.created_at,
                    )
            after = next_token(answer)
            if after is None or older:
                return None
            params["pagination_token"] = after
        raise NetworkError("Too many direct messages to look through; Heedful tries later.")

    # --- state -----------------------------------------------------------------------------------

    def rate_limit(self) -> RateLimitState:
        return self._client.rate_limit()

    def token_expires_at(self) -> datetime | None:
        tokens = self._client.tokens
        return None if tokens is None else datetime.fromtimestamp(tokens.tokens.expires_at, UTC)

    def close(self) -> None:
        self._client.close()
