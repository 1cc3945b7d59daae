"""Mastodon (and Mastodon-API servers) through Mastodon.py: mentions, DMs, replies, rate limits."""

from __future__ import annotations

import functools
import html
import json
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import mastodon as mastodon_py
import requests
import urllib3

from storage.records import Mention, MentionKind, Network, NewAuthor, NewMention

from app.networks.base import (
    DELETED_BEFORE_FETCH,
    AccountIdentity,
    FetchedPage,
    Heartbeat,
    HeldBack,
    LookedAgain,
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
from app.networks.languages import read_language
from app.networks.lengths import mastodon_length
from app.networks.mastodon.filtering import (
    FilterContext,
    NotificationPolicy,
    Relationship,
    WaitingRequest,
    may_be_filtered,
    policy_from_json,
    policy_to_json,
    read_policy,
    read_request,
)
from app.networks.registry import MASTODON
from app.networks.safety import MAX_HTML_CHARS, MAX_TEXT_CHARS, SkipItem, cut_note, storable
from app.networks.waiting import pause
from app.text.html import html_to_text, sanitize_html, without_quote_fallback

log = logging.getLogger(__name__)

T = TypeVar("T")

PAGE_SIZE = 80  # the most /api/v1/notifications returns at once
REQUEST_PAGES = 5  # notification requests read per sync (the server counts to 100)
AUTHOR_PAGES = 5  # one author's notifications read back after an accept
STATUS_BATCH = 20  # the most /api/v1/statuses?id[] looks up at once
_POLICY_PATH = "/api/v2/notifications/policy"
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
    arrived_at: datetime | None = None,
    filtered: str | None = None,
) -> NewMention:
    """One status as a store record. Raises SkipItem for what cannot be stored safely.

    `arrived_at`: when it reached the brand (its notification's time); `filtered`: why the
    brand's server filtered that notification, while it waits as a request."""
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
    quoted = quoted_status(status)
    if visibility == "direct":
        kind = MentionKind.DIRECT
    elif quoted is not None and _author_id(quoted) == own_user_id:
        kind = MentionKind.QUOTE
    elif (parent is not None and str(status.get("in_reply_to_account_id")) == own_user_id) or (
        is_own and parent is not None
    ):
        kind = MentionKind.REPLY
    else:
        kind = MentionKind.MENTION
    # A quote Heedful shows itself: Mastodon's "RE: <link>" fallback would say it twice.
    is_quote = isinstance(status.get("quote"), Mapping)
    if is_quote:
        content = without_quote_fallback(content)
    if len(content) > MAX_HTML_CHARS:
        # Reading megabytes of HTML only to cut the text at MAX_TEXT_CHARS wastes seconds.
        text = html_to_text(content[: MAX_HTML_CHARS * 2])[: MAX_TEXT_CHARS - 100]
        text += cut_note(len(content))
    else:
        text = html_to_text(content)
    extras = status_extras(status, server)
    text += extras
    tags = [status.get("language")]
    reading = read_language(tags, text)
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
        html=(
            sanitize_html(content) + extras_html(extras)
            if content and len(content) <= MAX_HTML_CHARS
            else None
        ),
        created_at=_time(status.get("created_at")),
        language=reading.language,
        url=_text_field(status, "url") or _text_field(status, "uri") or None,
        spoiler_text=_text_field(status, "spoiler_text"),
        visibility=visibility,
        parent_platform_id=str(parent) if _is_id(parent) else None,
        is_own=is_own,
        raw=raw,
        arrived_at=arrived_at,
        filtered=filtered,
        edited_at=_optional_time(status.get("edited_at")),
        languages=reading.languages,
        language_source=reading.source,
    )
    return storable(mention)


def quoted_status(status: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The post a Mastodon 4.5 quote quotes, when the server included it (a `Quote`; a
    `ShallowQuote` only names its id)."""
    quote = status.get("quote")
    quoted = quote.get("quoted_status") if isinstance(quote, Mapping) else None
    return quoted if isinstance(quoted, Mapping) else None


def _author_id(status: Mapping[str, Any]) -> str:
    author = status.get("account")
    return str(author.get("id")) if isinstance(author, Mapping) else ""


def status_extras(status: Mapping[str, Any], server: str) -> str:
    """What the customer said beyond the HTML, as lines under it: the quoted post, the
    poll's options and the descriptions of images and videos."""
    lines: list[str] = []
    quoted = quoted_status(status)
    if quoted is not None:
        who = _text_field(quoted.get("account") or {}, "acct") if isinstance(
            quoted.get("account"), Mapping) else ""  # fmt: skip
        said = " ".join(html_to_text(_text_field(quoted, "content")[:2_000]).split())
        said = said if len(said) <= 140 else said[:139] + "…"
        lines.append(f"[quoting @{full_handle(who, server) if who else '?'}: {said}]")
    poll = status.get("poll")
    options = poll.get("options") if isinstance(poll, Mapping) else None
    for option in options if isinstance(options, list) else []:
        title = option.get("title") if isinstance(option, Mapping) else None
        if isinstance(title, str) and title.strip():
            lines.append(f"[poll option: {title.strip()}]")
    attachments = status.get("media_attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, Mapping) and isinstance(attachment.get("description"), str):
            kind_of_media = attachment.get("type")
            label = kind_of_media if isinstance(kind_of_media, str) else "media"
            lines.append(f"[{label}: {attachment['description']}]")
    return "".join(f"\n{line}" for line in lines)


def extras_html(extras: str) -> str:
    """The lines under a post (quoted post, poll, media descriptions) as paragraphs of the
    shown HTML too: the text has them, the post's own HTML does not."""
    return "".join(f"<p>{html.escape(line)}</p>" for line in extras.split("\n") if line)


def _optional_time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return _time(value)
    except SkipItem:
        return None


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


# What Heedful reads from /api/v1/notifications: mentions, and (Mastodon 4.5) quotes of the
# brand's posts, which need not @-mention it.
KEPT_TYPES = ("mention", "quote")

FilterReason = Callable[[Mapping[str, Any]], str | None]


def notifications_to_page(
    notifications: list[Mapping[str, Any]],
    *,
    account_id: int,
    own_user_id: str,
    server: str,
    cursor: str | None,
    filtered_reason: FilterReason | None = None,
) -> FetchedPage:
    """A page of mention and quote notifications, oldest first, with the cursor to keep
    after it. `filtered_reason` says why the brand's server filtered a notification (None:
    it reached the inbox). A quote brings the quoted post along, as thread context.

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
            kind = notification.get("type")
            if kind not in KEPT_TYPES:
                raise SkipItem("not a mention")
            if status is None:
                # Real servers send `status: null` for a post deleted in between.
                raise SkipItem(DELETED_BEFORE_FETCH)
            if not isinstance(status, Mapping):
                raise SkipItem("a mention without a readable post")
            mention = status_to_mention(
                status,
                account_id=account_id,
                own_user_id=own_user_id,
                server=server,
                raw=_json_text(notification),
                arrived_at=_optional_time(notification.get("created_at")),
                filtered=None if filtered_reason is None else filtered_reason(notification),
            )
            if mention.is_own:
                raise SkipItem("the brand's own post")
            if kind == "quote" and mention.kind is not MentionKind.DIRECT:
                mention = replace(mention, kind=MentionKind.QUOTE)
            quoted = quoted_status(status)
            if quoted is not None:
                items.extend(_quoted_context(quoted, account_id, own_user_id, server))
            items.append(mention)
        except (SkipItem, ValueError, TypeError, AttributeError, KeyError, RecursionError) as why:
            skipped.append(f"{notification_id[:80]}: {why or type(why).__name__}")
    ids = [str(n.get("id")) for n in readable]
    newest = max(ids, key=_id_order) if ids else cursor
    return FetchedPage(items=items, cursor=newest or "0", skipped=skipped)


def _quoted_context(
    quoted: Mapping[str, Any], account_id: int, own_user_id: str, server: str
) -> list[NewMention]:
    """The quoted post as thread context (the brand's own post, usually); an unreadable one
    is left out, never the quote."""
    try:
        post = status_to_mention(
            quoted, account_id=account_id, own_user_id=own_user_id, server=server,
            raw=_json_text(quoted),
        )  # fmt: skip
    except (SkipItem, ValueError, TypeError, AttributeError, KeyError, RecursionError):
        return []
    return [replace(post, is_context=not post.is_own)]


# The cursor: where reading got to (a notification id), and the notification policy as last
# read, with when (it is read again every POLICY_EVERY, not at every sync: a sync is one
# request when nothing is new). One an older Heedful wrote (a bare id) may have moved past
# filtered notifications it never read, which an accept later merged back below it: reading
# starts again from the oldest the server keeps, once (the store keeps each post once).
CURSOR_VERSION = "3:"
POLICY_EVERY = timedelta(minutes=10)


@dataclass
class CursorState:
    min_id: str = "0"
    policy: NotificationPolicy | None = None
    policy_known: bool = False
    policy_at: datetime | None = None


def read_cursor(cursor: str | None) -> CursorState:
    if cursor and cursor.startswith(CURSOR_VERSION):
        try:
            data = json.loads(cursor[len(CURSOR_VERSION) :])
        except ValueError:
            data = None
        if isinstance(data, Mapping) and _is_id(data.get("min_id")):
            at = _optional_time(data.get("policy_at"))
            return CursorState(
                min_id=str(data["min_id"]),
                policy=policy_from_json(data.get("policy")),
                policy_known=bool(data.get("policy_known")) and at is not None,
                policy_at=at,
            )
    if cursor and cursor.startswith("2:") and _is_id(cursor[2:]):
        return CursorState(min_id=cursor[2:])  # written by this version's first steps
    if cursor:
        log.info("notifications were read without the filtered ones: reading them all again")
    return CursorState()


def write_cursor(state: CursorState) -> str:
    data: dict[str, Any] = {"min_id": state.min_id, "policy_known": state.policy_known}
    if state.policy is not None:
        data["policy"] = policy_to_json(state.policy)
    if state.policy_at is not None:
        data["policy_at"] = state.policy_at.isoformat()
    return CURSOR_VERSION + json.dumps(data, sort_keys=True)


class NotFound(Rejected):
    """The server has no such thing (404): a status its author deleted."""


def _reason_of(reasons: Mapping[str, str], notification: Mapping[str, Any]) -> str | None:
    return reasons.get(str(notification.get("id")))


def _author_of(notification: Mapping[str, Any]) -> str:
    author = notification.get("account")
    return str(author.get("id")) if isinstance(author, Mapping) else ""


def _id_order(value: Any) -> tuple[int, str]:
    text = str(value)
    # Snowflake ids sort as numbers; comparing by length first avoids converting a huge one.
    return (len(text), text) if text.isdigit() else (0, text)


# --- Counting and addressing like Mastodon --------------------------------------------------

_HANDLE_IN_TEXT = re.compile(r"(?<![\w/])@([\w.-]*\w(?:@[\w.-]*\w)?)")


def strictest_visibility(*visibilities: str | None) -> str:
    """A reply never reaches more people than the post it answers, or than asked for: the
    registry's rule, which never widens a visibility it does not know (Pleroma's `local`
    and `list` among those it does)."""
    return MASTODON.reply_visibility(*visibilities)


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
        self._types: tuple[str, ...] = KEPT_TYPES
        # The notification policy as this sync knows it (read, or kept in the cursor), and
        # whether it is known at all; the requests that wait, once asked.
        self._policy: NotificationPolicy | None = None
        self._policy_known = False
        self._waiting: dict[str, WaitingRequest] | None = None
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
                raise NotFound(f"Not found on {self._server} while {what}.") from error
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
        # server keeps notifications. Filtered notifications (Mastodon 4.3+) come too, as
        # they arrive: accepting one later merges it back below this cursor, where a
        # forward-only reader would never see it.
        state = read_cursor(cursor)
        position = state.min_id
        self._learn_policy(state)
        while True:
            batch = self._notifications(min_id=position, include_filtered=True)
            if not batch:
                return
            reasons = self._filter_reasons(batch, position)
            page = notifications_to_page(
                list(batch),
                account_id=self._account_id,
                own_user_id=self._own_user_id,
                server=self._server,
                cursor=position,
                filtered_reason=functools.partial(_reason_of, reasons),
            )
            for reason in page.skipped:
                log.warning("skipped a Mastodon item: %s", reason)
            yield replace(page, cursor=self._cursor_after(page.cursor, state))
            if page.cursor == position:
                return
            position = page.cursor

    def _cursor_after(self, min_id: str, state: CursorState) -> str:
        return write_cursor(replace(state, min_id=min_id, policy=self._policy,
                                    policy_known=self._policy_known))  # fmt: skip

    def _notifications(self, **params: Any) -> list[Any]:
        """One page of /api/v1/notifications (mentions and quotes), oldest cursor first.
        Mastodon.py has no `include_filtered` (4.3+), so the request is made through its
        internal call, which keeps its rate-limit bookkeeping and error types."""
        query: dict[str, Any] = {"types[]": list(self._types), "limit": PAGE_SIZE}
        for name, value in params.items():
            if value is not None:
                query[name] = ("true" if value else "false") if isinstance(value, bool) else value
        try:
            found = self._call("fetching mentions", self._get, "/api/v1/notifications", query)
        except Rejected:
            if len(self._types) == 1:
                raise
            # A server that refuses a type it does not know (some Mastodon-API servers)
            # still gives its mentions.
            self._types = ("mention",)
            query["types[]"] = list(self._types)
            found = self._call("fetching mentions", self._get, "/api/v1/notifications", query)
        return list(found) if isinstance(found, list) else []

    def _get(self, path: str, params: Mapping[str, Any]) -> Any:
        return self._api._Mastodon__api_request("GET", path, dict(params))  # type: ignore[attr-defined]

    # --- filtered notifications: the policy and its requests (Mastodon 4.3+) ----------------

    def _learn_policy(self, state: CursorState) -> None:
        """The account's notification policy: read again every POLICY_EVERY (one request),
        else as the cursor kept it. A server without one (before 4.3, other Mastodon-API
        servers) filters nothing; when it cannot be read now, the one kept stands, or (none
        kept) every notification is compared with the main list."""
        now = datetime.now(UTC)
        fresh = state.policy_at is not None and now - state.policy_at < POLICY_EVERY
        self._policy, self._policy_known = state.policy, state.policy_known
        if fresh:
            return
        try:
            self._policy = read_policy(
                self._call("reading the notification policy", self._get, _POLICY_PATH, {})
            )
            self._policy_known = True
            state.policy_at = now
        except Rejected:  # 404: no policy on this server
            self._policy, self._policy_known = None, True
            state.policy_at = now
        except (ServerTrouble, Offline) as problem:
            log.info("notification policy not read now: %s", problem)

    def _filter_reasons(self, batch: list[Any], position: str) -> dict[str, str]:
        """Which notifications of this page the server filtered, and why. Only those its
        policy could have filtered are suspects; a suspect is filtered unless the server's
        main list (without `include_filtered`) has it too: one more request, only for pages
        with suspects."""
        if self._policy_known and self._policy is None:
            return {}
        now = datetime.now(UTC)
        policy = self._policy if self._policy_known else None
        suspects = [n for n in batch if isinstance(n, Mapping) and may_be_filtered(n, policy, now)]
        if not suspects:
            return {}
        shown = {str(n.get("id")) for n in self._notifications(min_id=position)}
        filtered = [n for n in suspects if str(n.get("id")) not in shown]
        if not filtered:
            return {}
        context = self._context([_author_of(n) for n in filtered])
        return {str(n.get("id")): context.reason(n, now) for n in filtered}

    def _context(self, authors: list[str]) -> FilterContext:
        """What it takes to say why: the policy, and (when it filters on following) the
        brand's relationship to these authors."""
        host = urlsplit(self._server).hostname or self._server
        context = FilterContext(host, self._policy)
        policy = self._policy
        if policy is not None and (
            policy.filters("for_not_following") or policy.filters("for_not_followers")
        ):
            context.relationships = self._relationships(sorted(set(authors)))
        return context

    def _waiting_requests(self) -> list[WaitingRequest]:
        found: list[WaitingRequest] = []
        max_id: str | None = None
        for _page in range(REQUEST_PAGES):
            params: dict[str, Any] = {"limit": PAGE_SIZE}
            if max_id is not None:
                params["max_id"] = max_id
            try:
                batch = self._call("reading notification requests", self._get,
                                   "/api/v1/notifications/requests", params)  # fmt: skip
            except Rejected:
                return found
            requests_here = [r for r in map(read_request, batch or []) if r is not None]
            found += requests_here
            if len(batch or []) < PAGE_SIZE or not requests_here:
                return found
            max_id = min((r.request_id for r in requests_here), key=_id_order)
        return found

    def _relationships(self, author_ids: list[str]) -> dict[str, Relationship]:
        found: dict[str, Relationship] = {}
        for start in range(0, len(author_ids), 40):
            try:
                answer = self._call("reading relationships", self._get,
                                    "/api/v1/accounts/relationships",
                                    {"id[]": author_ids[start : start + 40]})  # fmt: skip
            except Rejected:
                return found
            for item in answer if isinstance(answer, list) else []:
                if isinstance(item, Mapping) and _is_id(item.get("id")):
                    found[str(item["id"])] = Relationship(
                        following=item.get("following") is True,
                        followed_by=item.get("followed_by") is True,
                    )
        return found

    def held_back(self) -> HeldBack | None:
        """What the server holds back, as the last fetch read its policy (read now if no
        fetch ran); None when the server has no notification policy."""
        if not self._policy_known:
            self._learn_policy(CursorState())
        policy = self._policy
        if policy is None:
            return None
        return HeldBack(
            description=policy.describe(),
            policy=dict(policy.rules),
            requests_waiting=policy.requests_waiting,
            notifications_waiting=policy.notifications_waiting,
        )

    def waiting_authors(self) -> frozenset[str]:
        """The authors whose notification requests wait now (one request a page of them)."""
        if self._waiting is None:
            self._waiting = {r.author_platform_id: r for r in self._waiting_requests()}
        return frozenset(self._waiting)

    def from_author(self, author_platform_id: str, *, as_filtered: bool) -> list[NewMention]:
        """Every mention and quote the server has from this author, filtered or not (asking by
        account includes the filtered ones): what an accepted request merged back, wherever
        it sits below the cursor. Newest pages first, up to AUTHOR_PAGES of them.
        `as_filtered`: each carries the reason the server could have had (for those not stored
        yet: the ones stored already came through the main list, unfiltered)."""
        items: list[NewMention] = []
        max_id: str | None = None
        context = self._context([author_platform_id]) if as_filtered else None
        now = datetime.now(UTC)
        for _page in range(AUTHOR_PAGES):
            batch = self._notifications(account_id=author_platform_id, max_id=max_id)
            if not batch:
                break
            page = notifications_to_page(
                batch,
                account_id=self._account_id,
                own_user_id=self._own_user_id,
                server=self._server,
                cursor=None,
                filtered_reason=None
                if context is None
                else functools.partial(context.reason, now=now),
            )
            items += page.items
            if len(batch) < PAGE_SIZE:
                break
            max_id = min((str(n.get("id")) for n in batch if isinstance(n, Mapping)),
                         key=_id_order)  # fmt: skip
        return items

    def _request_for(self, author_platform_id: str) -> WaitingRequest:
        self._waiting = None  # asked fresh: the request may have gone meanwhile
        self.waiting_authors()
        waiting: dict[str, WaitingRequest] = self._waiting or {}
        request = waiting.get(author_platform_id)
        if request is None:
            raise Rejected(
                f"{self._server} has no waiting request from this author any more: it was "
                "accepted or dismissed already (perhaps in the web interface)."
            )
        return request

    def accept_request(self, author_platform_id: str) -> None:
        """Accept the author's notification request: the server merges their notifications
        back into the main list and accepts the next ones."""
        request = self._request_for(author_platform_id)
        self._call("accepting the request", self._api.accept_notification_request,
                   request.request_id)  # fmt: skip
        self._waiting = None

    def dismiss_request(self, author_platform_id: str) -> None:
        """Dismiss the author's notification request (the server deletes what it held)."""
        request = self._request_for(author_platform_id)
        self._call("dismissing the request", self._api.dismiss_notification_request,
                   request.request_id)  # fmt: skip
        self._waiting = None

    # --- posts looked up again: edits and deletions -------------------------------------------

    def look_again(self, platform_ids: Sequence[str]) -> LookedAgain:
        """The posts as they are now: edited ones with their new text, and the ids of those
        the server no longer has (deleted by their authors)."""
        current: list[NewMention] = []
        gone: list[str] = []
        wanted = [p for p in dict.fromkeys(platform_ids) if p]
        found: dict[str, Mapping[str, Any]] = {}
        for start in range(0, len(wanted), STATUS_BATCH):
            batch = wanted[start : start + STATUS_BATCH]
            try:
                answer = self._call("looking at posts again", self._get, "/api/v1/statuses",
                                    {"id[]": batch})  # fmt: skip
            except Rejected:  # before Mastodon 4.3: one at a time
                answer = []
                for platform_id in batch:
                    try:
                        single = self._one_status(platform_id)
                    except NotFound:
                        gone.append(platform_id)
                        continue
                    if single is not None:
                        answer.append(single)
            for status in answer if isinstance(answer, list) else []:
                if isinstance(status, Mapping) and _is_id(status.get("id")):
                    found[str(status["id"])] = status
        for platform_id in wanted:
            status = found.get(platform_id)
            if platform_id in gone:
                continue
            if status is None:
                # Missing from a batch can also mean "not visible now": asked on its own, a
                # 404 says it is gone (another refusal says nothing: asked again later).
                try:
                    status = self._one_status(platform_id)
                except NotFound:
                    gone.append(platform_id)
                    continue
            if status is None:
                continue
            try:
                current.append(self._to_mention(status))
            except SkipItem as why:
                log.warning("a post looked at again could not be read: %s", why)
        return LookedAgain(current=current, gone=gone)

    def _one_status(self, platform_id: str) -> Mapping[str, Any] | None:
        """The status now; None when the server will not say (NotFound: it is gone)."""
        try:
            status = self._call("looking at a post again", self._api.status, platform_id)
        except NotFound:
            raise
        except Rejected:
            return None
        return status if isinstance(status, Mapping) else None

    def first_version(self, platform_id: str) -> str | None:
        """The text of a post as first written, from its edit history (oldest first)."""
        try:
            history = self._call("reading the edit history", self._api.status_history,
                                 platform_id)  # fmt: skip
        except Rejected:
            return None
        versions = [v for v in history or [] if isinstance(v, Mapping)]
        if len(versions) < 2:
            return None
        first = versions[0]
        return html_to_text(_text_field(first, "content")) + status_extras(first, self._server)

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
        """The server's limit; None when it cannot be read now (the server then decides).
        From `/api/v2/instance`, or from `/api/v1/instance` on servers without it (Mastodon
        before 4.0, Pleroma, Akkoma, GoToSocial): `configuration.statuses.max_characters`, or
        Pleroma's `max_toot_chars`."""
        if self._max_characters is None:
            for read in (self._api.instance_v2, self._api.instance_v1):
                try:
                    instance = self._call("reading the server's limits", read)
                except NetworkError:
                    continue
                limit = post_limit_of(instance)
                if limit is not None:
                    self._max_characters = limit
                    break
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


def post_limit_of(instance: Any) -> int | None:
    """The post length limit an instance document states, in whichever place its server
    puts it; None when it states none that can be believed."""
    if not isinstance(instance, Mapping):
        return None
    configuration = instance.get("configuration")
    statuses = configuration.get("statuses") if isinstance(configuration, Mapping) else None
    candidates = [
        statuses.get("max_characters") if isinstance(statuses, Mapping) else None,
        instance.get("max_toot_chars"),  # Pleroma, Akkoma, glitch-soc
    ]
    for value in candidates:
        if isinstance(value, bool):
            continue
        try:
            limit = int(value) if isinstance(value, int | str) else None
        except ValueError:
            limit = None
        if limit is not None and 0 < limit <= 10_000_000:
            return limit
    return None


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
