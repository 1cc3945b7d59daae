"""Mastodon (and Mastodon-API servers) through Mastodon.py: mentions, DMs, replies, rate limits."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import mastodon as mastodon_py
import requests
import urllib3

from storage.records import Mention, MentionKind, Network, NewAuthor, NewMention

from app.networks.base import (
    AccountIdentity,
    FetchedPage,
    Heartbeat,
    OutgoingPost,
    RateLimitState,
    ReplyTarget,
    SentPost,
)
from app.networks.errors import (
    NeedsSignIn,
    NetworkError,
    Offline,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    ServerTrouble,
)
from app.networks.interrupt import SocketWatch, requests_session
from app.networks.lengths import mastodon_length
from app.networks.safety import MAX_HTML_CHARS, MAX_TEXT_CHARS, SkipItem, cut_note, storable
from app.networks.waiting import pause
from app.text.html import html_to_text, sanitize_html

log = logging.getLogger(__name__)

T = TypeVar("T")

PAGE_SIZE = 80  # the most /api/v1/notifications returns at once
REQUEST_TIMEOUT_S = 20
# Below this many requests left in the window, wait for the window to reset instead of
# spending the last ones: other clients of the same account need some too.
PACE_FLOOR = 5
# A rate-limit wait longer than this is reported (account shows "rate-limited until ...")
# instead of blocking the sync.
LONGEST_WAIT_S = 300
# Looking for a reply whose outcome is unknown among the brand's own statuses (when the post
# it answered is gone): this many pages back, at most.
OWN_STATUS_PAGES = 5
OWN_STATUS_PAGE_SIZE = 40
# The most posts Mastodon lists in a conversation for a signed-in account (CONTEXT_LIMIT).
CONTEXT_LIMIT = 4096
# A server's clock may run behind this computer's: a post is looked for from this long
# before the reply was queued.
CLOCK_SLACK = timedelta(hours=1)


# --- Parsing: the server's JSON to store records (pure functions) -------------------------


def full_handle(acct: str, server: str) -> str:
    """`user@host` for everyone: local accounts come without the host."""
    if "@" in acct:
        return acct
    return f"{acct}@{urlsplit(server).hostname or server}"


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) < 64:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as error:
            raise SkipItem(f"unreadable time {value!r}") from error
    else:
        raise SkipItem(f"unreadable time {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _text_field(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SkipItem(f"{name} is not text")
    return value


def status_to_mention(
    status: Mapping[str, Any],
    *,
    account_id: int,
    own_user_id: str,
    server: str,
    raw: str | None = None,
) -> NewMention:
    """One status as a store record. Raises SkipItem for what cannot be stored safely."""
    if not isinstance(status, Mapping):
        raise SkipItem("status is not an object")
    status_id = status.get("id")
    author = status.get("account")
    if not _is_id(status_id) or not isinstance(author, Mapping):
        raise SkipItem("status without id or author")
    author_id = str(author.get("id")) if _is_id(author.get("id")) else ""
    acct = _text_field(author, "acct")
    if not author_id or not acct:
        raise SkipItem("author without id or handle")
    content = _text_field(status, "content")
    visibility = _text_field(status, "visibility") or None
    is_own = author_id == own_user_id
    parent = status.get("in_reply_to_id")
    quote = status.get("quote")
    quoted = quote.get("quoted_status") if isinstance(quote, Mapping) else None
    if visibility == "direct":
        kind = MentionKind.DIRECT
    elif (
        isinstance(quoted, Mapping) and str((quoted.get("account") or {}).get("id")) == own_user_id
    ):
        kind = MentionKind.QUOTE
    elif (parent is not None and str(status.get("in_reply_to_account_id")) == own_user_id) or (
        is_own and parent is not None
    ):
        kind = MentionKind.REPLY
    else:
        kind = MentionKind.MENTION
    if len(content) > MAX_HTML_CHARS:
        # Reading megabytes of HTML only to cut the text at MAX_TEXT_CHARS wastes seconds.
        text = html_to_text(content[: MAX_HTML_CHARS * 2])[: MAX_TEXT_CHARS - 100]
        text += cut_note(len(content))
    else:
        text = html_to_text(content)
    # Image descriptions are part of what the customer said.
    attachments = status.get("media_attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, Mapping) and isinstance(attachment.get("description"), str):
            kind_of_media = attachment.get("type")
            label = kind_of_media if isinstance(kind_of_media, str) else "media"
            text += f"\n[{label}: {attachment['description']}]"
    language = status.get("language")
    mention = NewMention(
        account_id=account_id,
        platform_id=str(status_id),
        author=NewAuthor(
            Network.MASTODON,
            platform_id=author_id,
            handle=full_handle(acct, server),
            display_name=_text_field(author, "display_name"),
            avatar_url=_text_field(author, "avatar_static") or None,
        ),
        kind=kind,
        text=text,
        html=sanitize_html(content) if content and len(content) <= MAX_HTML_CHARS else None,
        created_at=_time(status.get("created_at")),
        language=language if isinstance(language, str) and language else None,
        url=_text_field(status, "url") or _text_field(status, "uri") or None,
        spoiler_text=_text_field(status, "spoiler_text"),
        visibility=visibility,
        parent_platform_id=str(parent) if _is_id(parent) else None,
        is_own=is_own,
        raw=raw,
    )
    return storable(mention)


def _is_id(value: Any) -> bool:
    """Mastodon ids are strings of digits (some servers send numbers); never bools or
    objects, and never so long that they cannot be an id."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value.bit_length() <= 1024
    return isinstance(value, str) and 0 < len(value) <= 512


def _json_text(payload: Any) -> str:
    return json.dumps(payload, default=str, ensure_ascii=False)


def notifications_to_page(
    notifications: list[Mapping[str, Any]],
    *,
    account_id: int,
    own_user_id: str,
    server: str,
    cursor: str | None,
) -> FetchedPage:
    """A page of mention notifications, oldest first, with the cursor to keep after it.

    Total: an item that cannot be read is skipped with a reason; the rest of the page is
    still returned."""
    items: list[NewMention] = []
    skipped: list[str] = []
    readable: list[Mapping[str, Any]] = []
    for notification in notifications if isinstance(notifications, list) else []:
        if isinstance(notification, Mapping) and _is_id(notification.get("id")):
            readable.append(notification)
        else:
            skipped.append(f"?: notification without an id ({type(notification).__name__})")
    for notification in sorted(readable, key=lambda n: _id_order(n.get("id"))):
        notification_id = str(notification.get("id"))
        try:
            status = notification.get("status")
            if notification.get("type") != "mention" or not isinstance(status, Mapping):
                raise SkipItem("not a mention")
            mention = status_to_mention(
                status,
                account_id=account_id,
                own_user_id=own_user_id,
                server=server,
                raw=_json_text(notification),
            )
            if mention.is_own:
                raise SkipItem("the brand's own post")
            items.append(mention)
        except (SkipItem, ValueError, TypeError, AttributeError, KeyError, RecursionError) as why:
            skipped.append(f"{notification_id[:80]}: {why or type(why).__name__}")
    ids = [str(n.get("id")) for n in readable]
    newest = max(ids, key=_id_order) if ids else cursor
    return FetchedPage(items=items, cursor=newest or "0", skipped=skipped)


def _id_order(value: Any) -> tuple[int, str]:
    text = str(value)
    # Snowflake ids sort as numbers; comparing by length first avoids converting a huge one.
    return (len(text), text) if text.isdigit() else (0, text)


# --- Counting and addressing like Mastodon --------------------------------------------------

_HANDLE_IN_TEXT = re.compile(r"(?<![\w/])@([\w.-]*\w(?:@[\w.-]*\w)?)")
_VISIBILITY_ORDER = ("public", "unlisted", "private", "direct")


def strictest_visibility(*visibilities: str | None) -> str:
    """A reply never reaches more people than the post it answers, or than asked for."""
    known = [v for v in visibilities if v in _VISIBILITY_ORDER]
    return max(known, key=_VISIBILITY_ORDER.index) if known else "public"


def comparable_text(text: str) -> str:
    """A post's words as a person reads them, to recognise our own post on the server: the
    server rewrites what it was sent (paragraphs and links as HTML, `@user@its.own.server`
    shown as `@user`), so compare with those differences taken out."""
    text = unicodedata.normalize("NFC", text)
    text = _REMOTE_HANDLE.sub(r"@\1", text)
    return " ".join(text.split()).casefold()


_REMOTE_HANDLE = re.compile(r"(?<![\w/])@([\w.-]*\w)@[\w.-]*\w")


def addressed(text: str, handles: tuple[str, ...]) -> str:
    """Prefix the @handles a reply must carry (Mastodon notifies, and a DM reaches, only
    those mentioned), keeping any the writer already typed."""
    present = {match.lower() for match in _HANDLE_IN_TEXT.findall(text)}
    missing = [h for h in handles if h.lower() not in present]
    return " ".join([*(f"@{handle}" for handle in missing), text]) if missing else text


# --- The connector --------------------------------------------------------------------------


class MastodonConnector:
    network = Network.MASTODON

    def __init__(
        self,
        *,
        account_id: int,
        server: str,
        access_token: str,
        own_user_id: str,
        own_handle: str,
        stop: threading.Event | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self._account_id = account_id
        self._server = server
        self._own_user_id = own_user_id
        self._own_handle = own_handle
        self._stop = stop or threading.Event()
        self.heartbeat: Heartbeat | None = None
        self._max_characters: int | None = None
        # Quitting cuts open connections: a stalled server never holds the app open.
        self._watch = SocketWatch(self._stop)
        self._api = mastodon_py.Mastodon(
            access_token=access_token,
            api_base_url=server,
            ratelimit_method="throw",  # waits happen here, where quitting can interrupt them
            request_timeout=REQUEST_TIMEOUT_S,
            session=session or requests_session(self._watch),
            user_agent="Heedful",
        )

    # --- calls, paced and with typed errors ----------------------------------------------------

    def _call(self, what: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self._request(what, False, function, *args, **kwargs)

    def _post(self, what: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A request that writes: once it may have reached the server, any failure short of a
        clear refusal is OutcomeUnknown (the server may have acted on it)."""
        return self._request(what, True, function, *args, **kwargs)

    def _request(
        self, what: str, writes: bool, function: Callable[..., T], *args: Any, **kwargs: Any
    ) -> T:
        def unknown(error: Exception) -> OutcomeUnknown:
            return OutcomeUnknown(
                f"No clear answer from {self._server} while {what} ({_reason(error)}); Heedful "
                "looks for the post before sending it again."
            )

        for _attempt in range(3):
            self._pace()
            try:
                return function(*args, **kwargs)
            except mastodon_py.MastodonRatelimitError:
                wait = self._seconds_until_reset()
                if wait > LONGEST_WAIT_S:
                    raise RateLimited(
                        f"Mastodon asks Heedful to wait before {what}.", self._reset_time()
                    ) from None
                log.info("rate-limited while %s: waiting %.1f s", what, wait)
                self._sleep(wait)
            except mastodon_py.MastodonUnauthorizedError as error:
                raise NeedsSignIn(
                    f"{self._server} no longer accepts Heedful's sign-in ({_reason(error)}). "
                    "Sign in to this account again."
                ) from error
            except mastodon_py.MastodonNetworkError as error:
                if writes and not _never_connected(error):
                    raise unknown(error) from error
                raise Offline(f"Cannot reach {self._server} while {what}.") from error
            except mastodon_py.MastodonServerError as error:
                if writes:  # a gateway's 502 can come after the server posted it
                    raise unknown(error) from error
                raise ServerTrouble(
                    f"{self._server} had a problem while {what} ({_reason(error)}); "
                    "Heedful will try again."
                ) from error
            except mastodon_py.MastodonNotFoundError as error:
                raise Rejected(f"Not found on {self._server} while {what}.") from error
            except mastodon_py.MastodonAPIError as error:
                if _status(error) is None:
                    # No HTTP error at all: the answer itself could not be read (malformed
                    # or truncated JSON). Not a refusal: the next sync tries again.
                    if writes:
                        raise unknown(error) from error
                    raise ServerTrouble(
                        f"Unreadable answer from {self._server} while {what} ({error}); "
                        "Heedful will try again."
                    ) from error
                if _status(error) == 403 and _is_sign_in_problem(error):
                    raise NeedsSignIn(
                        f"{self._server} refused Heedful's permissions while {what}. "
                        "Sign in again to grant them."
                    ) from error
                raise Rejected(f"{self._server} refused {what}: {_reason(error)}") from error
            except (mastodon_py.MastodonError, ValueError) as error:
                if writes:
                    raise unknown(error) from error
                raise ServerTrouble(f"Unreadable answer from {self._server}: {error}") from error
        raise RateLimited(f"Mastodon kept rate-limiting {what}.", self._reset_time())

    def _seconds_until_reset(self) -> float:
        reset = getattr(self._api, "ratelimit_reset", None)
        if not isinstance(reset, int | float):
            return 1.0
        return max(0.5, min(float(reset) - time.time() + 0.5, LONGEST_WAIT_S + 1))

    def _reset_time(self) -> datetime | None:
        reset = getattr(self._api, "ratelimit_reset", None)
        return datetime.fromtimestamp(reset, UTC) if isinstance(reset, int | float) else None

    def _pace(self) -> None:
        remaining = getattr(self._api, "ratelimit_remaining", None)
        reset = getattr(self._api, "ratelimit_reset", None)
        window_open = isinstance(reset, int | float) and reset > time.time()
        if isinstance(remaining, int) and remaining <= PACE_FLOOR and window_open:
            wait = self._seconds_until_reset()
            if wait > LONGEST_WAIT_S:
                raise RateLimited("Mastodon's request budget is used up.", self._reset_time())
            log.info("only %d requests left: waiting %.1f s for the window", remaining, wait)
            self._sleep(wait)

    def _sleep(self, seconds: float) -> None:
        pause(seconds, self._stop, self.heartbeat)

    # --- the Connector interface ----------------------------------------------------------------

    def verify(self) -> AccountIdentity:
        me = self._call("checking the account", self._api.account_verify_credentials)
        return AccountIdentity(
            platform_user_id=str(me["id"]),
            handle=full_handle(str(me["acct"]), self._server),
            display_name=str(me.get("display_name") or ""),
        )

    def fetch_new(self, cursor: str | None) -> Iterator[FetchedPage]:
        # min_id returns the items just above the cursor: paging forward from the oldest
        # unseen one means a crash loses nothing, and "0" reaches back as far as the
        # server keeps notifications.
        position = cursor or "0"
        while True:
            batch = self._call(
                "fetching mentions",
                self._api.notifications,
                types=["mention"],
                min_id=position,
                limit=PAGE_SIZE,
            )
            if not batch:
                return
            page = notifications_to_page(
                list(batch),
                account_id=self._account_id,
                own_user_id=self._own_user_id,
                server=self._server,
                cursor=position,
            )
            for reason in page.skipped:
                log.warning("skipped a Mastodon item: %s", reason)
            yield page
            if page.cursor == position:
                return
            position = page.cursor

    def fetch_thread(self, platform_id: str) -> list[NewMention]:
        """The conversation around a post. Other people's posts in it are context: shown in
        the thread, never inbox work (unless they also arrive as mentions)."""
        context = self._call("fetching the conversation", self._api.status_context, platform_id)
        ancestors = list(context.get("ancestors", []))
        root = str(ancestors[0]["id"]) if ancestors else platform_id
        found: list[NewMention] = []
        for status in [*ancestors, *context.get("descendants", [])]:
            try:
                mention = self._to_mention(status)
            except SkipItem as why:
                log.warning("skipped a status in a thread: %s", why)
                continue
            found.append(
                replace(
                    mention,
                    is_context=not mention.is_own,
                    root_platform_id=None if mention.platform_id == root else root,
                )
            )
        return found

    def _to_mention(self, status: Mapping[str, Any]) -> NewMention:
        return status_to_mention(
            status,
            account_id=self._account_id,
            own_user_id=self._own_user_id,
            server=self._server,
            raw=_json_text(status),
        )

    def max_post_length(self) -> int | None:
        """The server's limit; None when it cannot be read now (the server then decides)."""
        if self._max_characters is None:
            try:
                instance = self._call("reading the server's limits", self._api.instance_v2)
                self._max_characters = int(instance["configuration"]["statuses"]["max_characters"])
            except (NetworkError, KeyError, TypeError, ValueError):
                return None
        return self._max_characters

    def reply_target(self, mention: Mention) -> ReplyTarget:
        """Who a reply to `mention` must address: its author and the other participants,
        written as this server wrote them (`user` for its own people, `user@host` for others),
        so the server resolves and notifies each one."""
        author = mention.author.handle
        others: list[str] = []
        if mention.raw:
            try:
                payload = json.loads(mention.raw)
                status = payload.get("status", payload)
                author = str(status["account"]["acct"]) or author
                for person in status.get("mentions") or []:
                    acct = str(person.get("acct", ""))
                    is_us = full_handle(acct, self._server) == self._own_handle
                    if acct and not is_us and acct != author:
                        others.append(acct)
            except (ValueError, AttributeError, KeyError, TypeError):
                pass
        return ReplyTarget(
            platform_id=mention.platform_id,
            author_handle=author,
            visibility=mention.visibility,
            mentioned_handles=tuple(others),
        )

    def compose(self, post: OutgoingPost) -> str:
        """The exact text that will be posted (with the @-mentions a reply needs). A private
        reply to a public post goes to its author only, not to everyone they tagged."""
        if post.reply_to is None:
            return post.text
        handles = [post.reply_to.author_handle]
        if not (post.direct and post.reply_to.visibility != "direct"):
            handles += post.reply_to.mentioned_handles
        return addressed(post.text, tuple(h for h in handles if h))

    def send(self, post: OutgoingPost) -> SentPost:
        text = self.compose(post)
        limit = self.max_post_length()
        if limit is not None and mastodon_length(text) > limit:
            raise Rejected(
                f"The reply is {mastodon_length(text)} characters; this server allows {limit}."
            )
        visibility = strictest_visibility(
            "direct" if post.direct else None,
            None if post.reply_to is None else post.reply_to.visibility,
        )
        status = self._post(
            "posting the reply",
            self._api.status_post,
            text,
            in_reply_to_id=None if post.reply_to is None else post.reply_to.platform_id,
            visibility=visibility,
            idempotency_key=post.idempotency_key,
        )
        return self._sent(status, "posting the reply")

    def _sent(self, status: Any, what: str) -> SentPost:
        """The post the server says it has. Only its id is needed to record it sent; a
        status that cannot be stored as a mention is sent all the same."""
        status_id = status.get("id") if isinstance(status, Mapping) else None
        if not _is_id(status_id):
            raise OutcomeUnknown(
                f"Unreadable answer from {self._server} while {what}; Heedful looks for the "
                "post before sending it again."
            )
        try:
            mention: NewMention | None = self._to_mention(status)
        except (SkipItem, ValueError, TypeError, AttributeError, KeyError) as why:
            log.warning("the sent post %s could not be stored as thread context: %s", status_id,
                        why)  # fmt: skip
            mention = None
        url = status.get("url") or status.get("uri")
        return SentPost(
            platform_id=str(status_id),
            url=url if isinstance(url, str) else None,
            as_mention=mention,
        )

    def find_sent(
        self, post: OutgoingPost, *, since: datetime, known: frozenset[str]
    ) -> SentPost | None:
        """Our own post with this text: among the replies to the post it answers, else among
        the brand's recent statuses (the answered post may be gone). Compared on the text as
        a person reads it; Mastodon forgets an Idempotency-Key after an hour, so this is what
        keeps a retry the next morning from posting twice."""
        wanted = comparable_text(self.compose(post))
        parent = None if post.reply_to is None else post.reply_to.platform_id
        earliest = since - CLOCK_SLACK

        def ours(status: Any) -> bool:
            if not isinstance(status, Mapping) or str(status.get("id")) in known:
                return False
            author = status.get("account")
            if not isinstance(author, Mapping) or str(author.get("id")) != self._own_user_id:
                return False
            if parent is not None and str(status.get("in_reply_to_id")) != parent:
                return False
            created = status.get("created_at")
            if isinstance(created, datetime) and _aware(created) < earliest:
                return False
            content = status.get("content")
            return isinstance(content, str) and comparable_text(html_to_text(content)) == wanted

        if parent is not None:
            try:
                context = self._call(
                    "looking for the reply in the conversation", self._api.status_context, parent
                )
            except Rejected:
                context = None  # the answered post is gone: the brand's own posts still tell
            if isinstance(context, Mapping):
                replies = context.get("descendants")
                replies = replies if isinstance(replies, list) else []
                for status in replies:
                    if ours(status):
                        return self._sent(status, "looking for the reply")
                # The server lists up to 4,096 posts of a conversation: below that, a reply
                # to this post that is not among them is not on the server.
                if len(replies) < CONTEXT_LIMIT:
                    return None
        return self._find_among_own(ours, earliest)

    def _find_among_own(self, ours: Callable[[Any], bool], earliest: datetime) -> SentPost | None:
        max_id = None
        for _page in range(OWN_STATUS_PAGES):
            statuses = self._call(
                "looking for the reply among the brand's posts",
                self._api.account_statuses,
                self._own_user_id,
                max_id=max_id,
                limit=OWN_STATUS_PAGE_SIZE,
            )
            statuses = list(statuses) if isinstance(statuses, list) else []
            for status in statuses:
                if ours(status):
                    return self._sent(status, "looking for the reply")
            if len(statuses) < OWN_STATUS_PAGE_SIZE:
                return None  # the last page
            oldest = statuses[-1]
            created = oldest.get("created_at") if isinstance(oldest, Mapping) else None
            max_id = oldest.get("id") if isinstance(oldest, Mapping) else None
            if max_id is None or (isinstance(created, datetime) and _aware(created) < earliest):
                return None
        return None

    def close(self) -> None:
        self._watch.unregister()
        self._api.session.close()

    def token_expires_at(self) -> datetime | None:
        return None  # Mastodon access tokens do not expire by themselves

    def rate_limit(self) -> RateLimitState:
        limit = getattr(self._api, "ratelimit_limit", None)
        remaining = getattr(self._api, "ratelimit_remaining", None)
        return RateLimitState(
            limit=limit if isinstance(limit, int) else None,
            remaining=remaining if isinstance(remaining, int) else None,
            resets_at=self._reset_time(),
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _never_connected(error: Exception) -> bool:
    """Whether a failed request certainly never reached the server: no connection was made
    (refused, no route, no name, a connect timeout). Anything later (a read timeout, a
    connection cut after sending) may have left the server acting on it."""
    cause = error.__cause__ or error.__context__  # Mastodon.py raises inside `except`
    if isinstance(cause, requests.ConnectTimeout):
        return True
    if isinstance(cause, requests.ConnectionError) and cause.args:
        reason = getattr(cause.args[0], "reason", cause.args[0])
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def _is_sign_in_problem(error: Exception) -> bool:
    """403s about the sign-in itself (missing scopes, a disabled login), not one request."""
    reason = _reason(error).lower()
    return any(word in reason for word in ("scope", "login", "disabled", "suspended"))


def _status(error: Exception) -> int | None:
    args: tuple[Any, ...] = error.args
    return args[1] if len(args) > 1 and isinstance(args[1], int) else None


def _reason(error: Exception) -> str:
    args: tuple[Any, ...] = error.args
    if len(args) >= 4 and args[3]:
        return str(args[3])
    if len(args) >= 3 and args[2]:
        return str(args[2])
    return type(error).__name__
