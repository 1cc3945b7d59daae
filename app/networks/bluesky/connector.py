"""Bluesky (AT Protocol) through the `atproto` SDK: mentions, replies, quotes, threaded replies.

The session (access + refresh JWT) lives in the keyring and is refreshed, never re-created:
`createSession` is limited to 30 per 5 minutes and 300 per day per account.
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from atproto import Client, models
from atproto_client import exceptions as atproto_errors
from atproto_client.request import Request

from storage.records import Mention, MentionKind, Network, NewAuthor, NewMention

from app.networks.base import (
    AccountIdentity,
    FetchedPage,
    Heartbeat,
    LookedAgain,
    OutgoingPost,
    RateLimitState,
    ReplyTarget,
    SentPost,
)
from app.networks.bluesky.chat import (
    NO_CHAT_ACCESS,
    BlueskyChat,
    ChatState,
    ChatUnavailable,
    closed_message,
    split_message_id,
)
from app.networks.errors import (
    NeedsSignIn,
    Offline,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    ServerTrouble,
)
from app.networks.interrupt import SocketWatch, WatchedTransport
from app.networks.languages import read_language
from app.networks.lengths import BLUESKY_MAX_GRAPHEMES as MAX_GRAPHEMES
from app.networks.lengths import grapheme_length
from app.networks.safety import MAX_TEXT_CHARS, SkipItem, storable
from app.networks.tid import is_tid, tid_time
from app.text.display import encodable
from app.text.html import sanitize_html

log = logging.getLogger(__name__)

T = TypeVar("T")

PAGE_SIZE = 100  # the most listNotifications returns at once
# Access tokens whose scope lets the PDS pass chat calls on (packages/pds: PRIVILEGED_METHODS).
CHAT_SCOPES = {"com.atproto.access", "com.atproto.appPassPrivileged"}
CHAT_SKIP_ID = "chat.bsky"  # what channel health files a direct-message problem under
POSTS_BATCH = 25  # the most getPosts looks up at once
REQUEST_TIMEOUT_S = 20
KEPT_REASONS = {
    "mention": MentionKind.MENTION,
    "reply": MentionKind.REPLY,
    "quote": MentionKind.QUOTE,
}
# Errors the PDS gives when the session itself is no good: only these ask to sign in again.
_SESSION_ERRORS = {"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AccountTakedown"}


# --- Text as the network counts and marks it up (pure functions) ----------------------------


_LINK = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")
_HANDLE = re.compile(r"(?<![\w@])@([a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?\.[a-zA-Z]{2,})")


def _byte_span(text: str, start: int, end: int) -> tuple[int, int]:
    before = len(text[:start].encode())
    return before, before + len(text[start:end].encode())


def detect_facets(text: str, resolve_handle: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Links and @mentions as facets, positioned in UTF-8 bytes as the protocol requires.
    A handle that does not resolve to a DID stays plain text."""
    facets: list[dict[str, Any]] = []
    for match in _LINK.finditer(text):
        start, end = _byte_span(text, match.start(), match.end())
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": match.group(0)}],
            }
        )
    for match in _HANDLE.finditer(text):
        did = resolve_handle(match.group(1))
        if did is None:
            continue
        start, end = _byte_span(text, match.start(), match.end())
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}],
            }
        )
    return sorted(facets, key=lambda facet: facet["index"]["byteStart"])


def facets_to_html(text: str, facets: Any) -> str:
    """The post as HTML with its links and mentions clickable (then sanitised)."""
    data = text.encode()
    spans: list[tuple[int, int, str]] = []
    for facet in facets if isinstance(facets, list) else []:
        try:
            start, end = int(facet["index"]["byteStart"]), int(facet["index"]["byteEnd"])
            feature = facet["features"][0]
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        if not isinstance(feature, Mapping):
            continue
        kind = str(feature.get("$type", feature.get("py_type", "")))
        if kind.endswith("#link") and str(feature.get("uri", "")).startswith(
            ("http://", "https://")
        ):
            target = str(feature["uri"])
        elif kind.endswith("#mention") and feature.get("did"):
            target = f"https://bsky.app/profile/{feature['did']}"
        elif kind.endswith("#tag") and feature.get("tag"):
            target = f"https://bsky.app/hashtag/{feature['tag']}"
        else:
            continue
        if 0 <= start < end <= len(data):
            spans.append((start, end, target))
    parts: list[str] = []
    position = 0
    for start, end, target in sorted(spans):
        if start < position:
            continue  # overlapping facets from a careless client: keep the first
        parts.append(html.escape(data[position:start].decode(errors="replace")))
        label = html.escape(data[start:end].decode(errors="replace"))
        parts.append(f'<a href="{html.escape(target, quote=True)}">{label}</a>')
        position = end
    parts.append(html.escape(data[position:].decode(errors="replace")))
    return sanitize_html("<p>" + "".join(parts).replace("\n", "<br>") + "</p>")


def _embed_text(embed: Any) -> str:
    """What an embed adds to what the customer said, as lines under the post: the quoted
    post, the link card, and the alt text of images and video, a quote with media included
    (`recordWithMedia`)."""
    if not isinstance(embed, Mapping):
        return ""
    kind = str(embed.get("$type", embed.get("py_type", "")))
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        inner = embed.get("record")
        return _embed_text(inner) + _embed_text(embed.get("media"))
    if "external" in embed and isinstance(embed["external"], Mapping):
        card = embed["external"]
        return f"\n[link: {card.get('title') or ''} {card.get('uri') or ''}]".rstrip()
    if "record" in embed and isinstance(embed["record"], Mapping):
        return f"\n[quoting {embed['record'].get('uri', 'a post')}]"
    if "images" in embed and isinstance(embed["images"], list):
        notes = [
            str(i.get("alt")) for i in embed["images"] if isinstance(i, Mapping) and i.get("alt")
        ]
        return "".join(f"\n[image: {note}]" for note in notes)
    if kind.startswith("app.bsky.embed.video") or "video" in embed:
        alt = embed.get("alt")
        return f"\n[video: {alt}]" if isinstance(alt, str) and alt.strip() else ""
    return ""


# Labels (self-labels and a labeller's) as a person reads them in a content warning.
_LABEL_WORDS = {
    "porn": "adult content",
    "sexual": "sexually suggestive",
    "nudity": "nudity",
    "graphic-media": "graphic media",
    "gore": "graphic media",
    "!warn": "content warning",
    "!hide": "hidden by a moderator",
    "spam": "spam",
    "impersonation": "impersonation",
    "misleading": "misleading",
    "intolerant": "intolerance",
    "rude": "rude",
    "threat": "threats",
    "self-harm": "self-harm",
}


def labels_warning(notification: Mapping[str, Any]) -> str:
    """The post's labels as a content warning ("" when it has none): the author's own
    (`record.labels`, self-labels) and those moderation services put on it (the view's
    `labels`; a negated one cancels)."""
    values: list[str] = []
    record = notification.get("record")
    own = record.get("labels") if isinstance(record, Mapping) else None
    for label in own.get("values", []) if isinstance(own, Mapping) else []:
        if isinstance(label, Mapping) and isinstance(label.get("val"), str):
            values.append(label["val"])
    negated: set[str] = set()
    uri = notification.get("uri")
    for label in notification.get("labels") or []:
        if not isinstance(label, Mapping) or not isinstance(label.get("val"), str):
            continue
        if label.get("uri") not in (None, uri):
            continue  # a label on the author's profile, not this post
        (negated.add if label.get("neg") is True else values.append)(label["val"])
    shown = [
        _LABEL_WORDS.get(value, value.replace("-", " "))
        for value in dict.fromkeys(values)
        if value not in negated and len(value) <= 128
    ]
    return "Labelled: " + ", ".join(dict.fromkeys(shown)) if shown else ""


INVALID_HANDLE = "handle.invalid"


def post_url(handle: str, uri: str) -> str:
    """The post on the web, by handle (or by DID, which works for a handle that no longer
    resolves too)."""
    who = uri.split("/")[2] if handle in ("", INVALID_HANDLE) and uri.count("/") >= 4 else handle
    return f"https://bsky.app/profile/{who}/post/{uri.rsplit('/', 1)[-1]}"


def _time(value: Any) -> datetime:
    if not isinstance(value, str) or len(value) > 64:
        raise SkipItem(f"unreadable time {value!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise SkipItem(f"unreadable time {value!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def notification_to_mention(
    notification: Mapping[str, Any],
    *,
    account_id: int,
    own_did: str,
    arrived_at: datetime | None = None,
) -> NewMention:
    """One notification as a store record. It arrived (the inbox's time) when the AppView
    says, `indexedAt` (its `sortAt`: the earlier of the post's own time and when it was
    indexed), unless `arrived_at` says otherwise (a late arrival: when Heedful saw it)."""
    reason = notification.get("reason")
    if not isinstance(reason, str):
        raise SkipItem("notification without a reason")
    if reason not in KEPT_REASONS:
        raise SkipItem(f"a {reason} is not inbox work")
    uri, cid = notification.get("uri"), notification.get("cid")
    author, record = notification.get("author"), notification.get("record")
    if (
        not isinstance(uri, str)
        or not isinstance(author, Mapping)
        or not isinstance(record, Mapping)
    ):
        raise SkipItem("notification without post, author or record")
    did, handle = author.get("did"), author.get("handle")
    if not isinstance(did, str) or not isinstance(handle, str):
        raise SkipItem("author without DID or handle")
    if handle == INVALID_HANDLE or not handle.strip():
        # Their handle no longer resolves: the DID still names them, and links work by it.
        handle = did
    if did == own_did:
        raise SkipItem("the brand's own post")
    text = record.get("text")
    if not isinstance(text, str):
        raise SkipItem("post without text")
    text = encodable(text)
    reply: Mapping[str, Any] = record["reply"] if isinstance(record.get("reply"), Mapping) else {}
    langs = record.get("langs")
    embedded = _embed_text(record.get("embed"))
    full_text = text + embedded
    reading = read_language(langs if isinstance(langs, list) else [], full_text)
    display_name = author.get("displayName", author.get("display_name"))
    if not isinstance(display_name, str):
        display_name = ""
    raw = json.dumps(notification, ensure_ascii=False, default=str)
    mention = NewMention(
        account_id=account_id,
        platform_id=uri,
        platform_cid=cid if isinstance(cid, str) else None,
        author=NewAuthor(
            Network.BLUESKY,
            platform_id=did,
            handle=handle,
            display_name=str(display_name),
            avatar_url=author.get("avatar") if isinstance(author.get("avatar"), str) else None,
        ),
        kind=KEPT_REASONS[reason],
        text=full_text,
        # A post too long to be real is shown as its (cut) plain text.
        html=(
            facets_to_html(text, record.get("facets")) + _lines_html(embedded)
            if len(text) <= MAX_TEXT_CHARS
            else None
        ),
        created_at=_time(record.get("createdAt", record.get("created_at"))),
        language=reading.language,
        languages=reading.languages,
        language_source=reading.source,
        spoiler_text=labels_warning(notification),
        url=post_url(handle, uri),
        parent_platform_id=_ref_uri(reply.get("parent")),
        root_platform_id=_ref_uri(reply.get("root")),
        raw=raw,
        arrived_at=arrived_at or _optional_time(notification.get("indexedAt")),
    )
    # A reply to a huge post still needs its thread's root: keep just that.
    return storable(
        mention, raw_when_too_long=json.dumps({"record": {"reply": reply}}, default=str)
    )


def _lines_html(lines: str) -> str:
    """What an embed adds (quote, link card, alt text), as paragraphs of the shown HTML."""
    return "".join(f"<p>{html.escape(line)}</p>" for line in lines.split("\n") if line)


def _optional_time(value: Any) -> datetime | None:
    try:
        return _time(value)
    except SkipItem:
        return None


def _ref_uri(ref: Any) -> str | None:
    return ref.get("uri") if isinstance(ref, Mapping) and isinstance(ref.get("uri"), str) else None


# --- The cursor: where the last sync got to, and where an interrupted backfill resumes -------


def _load_state(cursor: str | None) -> dict[str, Any]:
    try:
        state = json.loads(cursor) if cursor else {}
    except ValueError:
        state = {}
    return state if isinstance(state, dict) else {}


# The AppView sorts notifications by `sortAt`, the earlier of the post's own `createdAt`
# and when it was indexed: a post from a phone with a slow clock, indexed late, or imported
# from an archive lands *below* where the last sync stopped. Each sync reads on past that
# point, for this long or this many notifications (whichever ends first); once a day much
# further. Every notification read is offered to the store, which keeps each post once.
OVERLAP = timedelta(days=2)
OVERLAP_ITEMS = 50  # mostly within the page that reaches the stopping point
DEEP_EVERY = timedelta(days=1)
DEEP_OVERLAP = timedelta(days=3650)  # imported archives
DEEP_ITEMS = 1_000


def notifications_to_pages(
    fetch: Callable[[str | None], tuple[list[dict[str, Any]], str | None]],
    cursor: str | None,
    *,
    account_id: int,
    own_did: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Iterator[FetchedPage]:
    """Page newest → oldest until a little past the last sync's newest item (the overlap),
    saving after every page where to resume, so an interrupted backfill re-fetches at most
    one page.

    `seen` is the newest `indexedAt` a finished pass stored. A notification below it that is
    new to the store arrived late: its inbox time is now, when Heedful first saw it, not
    its (early) `sortAt`, so a backdated post is today's work.
    """
    state = _load_state(cursor)
    seen: str | None = state.get("seen")
    seen_at = _optional_time(seen)
    now = clock()
    pending: dict[str, Any] = state["pending"] if isinstance(state.get("pending"), dict) else {}
    top: str | None = pending.get("top")
    api_cursor: str | None = pending.get("next")
    below = int(pending.get("below", 0)) if str(pending.get("below", 0)).isdigit() else 0
    deep_at = _optional_time(state.get("deep"))
    deep = bool(pending.get("deep")) or (
        seen_at is not None and (deep_at is None or now - deep_at >= DEEP_EVERY)
    )
    overlap, most_below = (DEEP_OVERLAP, DEEP_ITEMS) if deep else (OVERLAP, OVERLAP_ITEMS)
    while True:
        fetched, next_cursor = fetch(api_cursor)
        items: list[NewMention] = []
        skipped: list[str] = []
        notifications: list[Mapping[str, Any]] = []
        for candidate in fetched if isinstance(fetched, list) else []:
            moment = (
                _optional_time(candidate.get("indexedAt")) if isinstance(candidate, Mapping)
                else None
            )  # fmt: skip
            if isinstance(candidate, Mapping) and moment is not None:
                notifications.append(candidate)
            else:
                skipped.append("?: notification without a readable indexedAt")
        if top is None:
            top = str(notifications[0].get("indexedAt")) if notifications else seen
        oldest: datetime | None = None
        for notification in reversed(notifications):
            moment = _optional_time(notification.get("indexedAt"))
            assert moment is not None
            oldest = moment if oldest is None else min(oldest, moment)
            late = seen_at is not None and moment < seen_at
            below += late
            try:
                items.append(
                    notification_to_mention(
                        notification,
                        account_id=account_id,
                        own_did=own_did,
                        arrived_at=now if late else None,
                    )
                )
            except (
                SkipItem,
                ValueError,
                TypeError,
                AttributeError,
                KeyError,
                RecursionError,
            ) as why:
                if "not inbox work" not in str(why):
                    uri = notification.get("uri")
                    where = uri[:200] if isinstance(uri, str) else "?"
                    skipped.append(f"{where}: {why or type(why).__name__}")
        past_overlap = seen_at is not None and (
            (oldest is not None and oldest < seen_at - overlap) or below >= most_below
        )
        finished = past_overlap or not next_cursor or not notifications
        if finished:
            new_state: dict[str, Any] = {"seen": _newest(top, seen)}
            new_state["deep"] = _stamp(now) if deep or deep_at is None else state.get("deep")
        else:
            new_state = {
                "seen": seen,
                "pending": {"top": top, "next": next_cursor, "below": below, "deep": deep},
            }
            if state.get("deep"):
                new_state["deep"] = state["deep"]
        yield FetchedPage(items=items, cursor=json.dumps(new_state), skipped=skipped)
        if finished:
            return
        api_cursor = next_cursor


def _newest(top: str | None, seen: str | None) -> str | None:
    """The later of two `indexedAt` stamps (a late arrival on top must not move `seen` back)."""
    times = [(moment, text) for text in (top, seen) if (moment := _optional_time(text))]
    return max(times)[1] if times else None


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- The connector ------------------------------------------------------------------------------


def bluesky_client(server: str, transport: httpx.HTTPTransport | None = None) -> Client:
    """An SDK client that verifies TLS (httpx's default, stated here so it stays so; a given
    transport is an `httpx.HTTPTransport`, which verifies too) and gives up on a silent server
    after REQUEST_TIMEOUT_S instead of hanging the sync."""
    request = Request(timeout=REQUEST_TIMEOUT_S, verify=True, transport=transport)
    return Client(base_url=server, request=request)


class BlueskyConnector:
    network = Network.BLUESKY

    def __init__(
        self,
        *,
        account_id: int,
        server: str,
        session: str,
        own_did: str,
        save_session: Callable[[str], None],
        stop: threading.Event | None = None,
    ) -> None:
        self._account_id = account_id
        self._server = server
        self._own_did = own_did
        self._stop = stop or threading.Event()
        # Nothing here waits (a rate limit is reported at once), so nothing calls it yet.
        self.heartbeat: Heartbeat | None = None
        # Quitting cuts open connections: a stalled server never holds the app open.
        self._watch = SocketWatch(self._stop)
        self._transport = WatchedTransport(self._watch)
        self._client = bluesky_client(server, transport=self._transport)
        # Every refresh hands out a new refresh token: keep it, or the next start signs out.
        self._client.on_session_change(
            lambda _event, _session: save_session(self._client.export_session_string())
        )
        self._chat = BlueskyChat(self._call, self._client, account_id=account_id, own_did=own_did)
        self._call("resuming the session", self._client.login, session_string=session,
                   fetch_bsky_profile=False)  # fmt: skip

    def _call(self, what: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return function(*args, **kwargs)
        except atproto_errors.RateLimitExceededError as error:
            reset = getattr(error, "reset_at", None)
            raise RateLimited(
                f"Bluesky asks Heedful to wait before {what}.",
                reset if isinstance(reset, datetime) else None,
            ) from error
        except atproto_errors.UnauthorizedError as error:
            raise NeedsSignIn(
                f"Bluesky no longer accepts Heedful's session ({error}). Sign in again with an "
                "app password."
            ) from error
        except atproto_errors.BadRequestError as error:
            if _error_name(error) in _SESSION_ERRORS:
                raise NeedsSignIn(
                    f"Bluesky ended Heedful's session ({_error_name(error)}). Sign in again "
                    "with an app password."
                ) from error
            raise Rejected(f"Bluesky refused {what}: {error}") from error
        except (atproto_errors.NetworkError, atproto_errors.InvokeTimeoutError) as error:
            if getattr(error, "response", None) is not None:
                raise ServerTrouble(f"Bluesky had a problem while {what} ({error}).") from error
            raise Offline(f"Cannot reach {self._server} while {what}.") from error
        except atproto_errors.RequestException as error:
            raise ServerTrouble(f"Bluesky had a problem while {what} ({error}).") from error
        except httpx.TransportError as error:  # the SDK passes some through, e.g. a cut reply
            raise Offline(f"Cannot reach {self._server} while {what}.") from error
        except atproto_errors.LoginRequiredError as error:
            raise NeedsSignIn("Heedful's Bluesky session is missing: sign in again.") from error
        except (atproto_errors.AtProtocolError, ValueError) as error:
            raise ServerTrouble(f"Unreadable answer from Bluesky while {what}: {error}") from error

    def verify(self) -> AccountIdentity:
        session = self._call("checking the account", self._client.com.atproto.server.get_session)
        return AccountIdentity(platform_user_id=session.did, handle=session.handle, display_name="")

    def _notifications(self, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        if self._stop.is_set():
            raise Offline("Sync stopped.")
        params: dict[str, Any] = {"limit": PAGE_SIZE, "priority": False}
        if cursor:
            params["cursor"] = cursor
        # The page as plain JSON, not the SDK's models: one malformed notification would make
        # the SDK refuse the whole page, for ever (the cursor could never move past it). The
        # parse functions above read each item on its own and skip what they cannot read.
        answer = self._call(
            "fetching notifications",
            self._client.invoke_query,
            "app.bsky.notification.listNotifications",
            params=models.AppBskyNotificationListNotifications.Params(**params),
            output_encoding="application/json",
        )
        content = answer.content
        if not isinstance(content, Mapping):
            raise ServerTrouble("Bluesky's list of notifications was not readable.")
        notifications = content.get("notifications")
        cursor_after = content.get("cursor")
        return (
            notifications if isinstance(notifications, list) else [],
            cursor_after if isinstance(cursor_after, str) else None,
        )

    def fetch_new(self, cursor: str | None) -> Iterator[FetchedPage]:
        # Refreshed (never re-created) at every sync: a revoked app password or session shows
        # at once as "needs sign-in again", and the rotated refresh token is kept.
        # (atproto 0.0.73 has no public call for this.)
        self._call("refreshing the session", self._client._refresh_and_set_session)
        # One cursor for both streams: the notifications' state, and where reading direct
        # messages got to (under "chat").
        state = _load_state(cursor)
        chat_state = state.get("chat")
        last: FetchedPage | None = None
        for page in notifications_to_pages(
            self._notifications, cursor, account_id=self._account_id, own_did=self._own_did
        ):
            for reason in page.skipped:
                log.warning("skipped a Bluesky item: %s", reason)
            last = replace(page, cursor=_with_chat(page.cursor, chat_state))
            yield last
        notifications_state = last.cursor if last is not None else (cursor or "{}")
        try:
            if not self._may_read_chat():
                raise ChatUnavailable(NO_CHAT_ACCESS)
            items, skipped, after = self._chat.fetch_new(ChatState.load(chat_state))
        except (ChatUnavailable, ServerTrouble, Rejected) as problem:
            # Direct messages failing never holds up the posts. Said once per reason (the
            # skipped items keep one row per account, platform id and reason).
            log.warning("direct messages of %s: %s", self._own_did, problem)
            yield FetchedPage(
                items=[], cursor=notifications_state, skipped=[f"{CHAT_SKIP_ID}: {problem}"]
            )
            return
        for reason in skipped:
            log.warning("skipped a Bluesky direct message: %s", reason)
        yield FetchedPage(
            items=items,
            cursor=_with_chat(notifications_state, after.dump()),
            skipped=skipped,
        )

    def look_again(self, platform_ids: Sequence[str]) -> LookedAgain:
        """Which of these posts are gone: Bluesky has no edits, but a post whose record its
        author deleted drops out of `getPosts`; a post missing there is gone when its thread
        says NotFound (a block or a takedown hides it without deleting it)."""
        wanted = [uri for uri in dict.fromkeys(platform_ids) if uri.startswith("at://")]
        present: set[str] = set()
        for start in range(0, len(wanted), POSTS_BATCH):
            batch = wanted[start : start + POSTS_BATCH]
            answer = self._call(
                "looking at posts again",
                self._client.invoke_query,
                "app.bsky.feed.getPosts",
                params=models.AppBskyFeedGetPosts.Params(uris=batch),
                output_encoding="application/json",
            )
            content = answer.content if isinstance(answer.content, Mapping) else {}
            for post in content.get("posts") or []:
                if isinstance(post, Mapping) and isinstance(post.get("uri"), str):
                    present.add(post["uri"])
        gone = [uri for uri in wanted if uri not in present and self._is_gone(uri)]
        return LookedAgain(current=[], gone=gone)

    def _is_gone(self, uri: str) -> bool:
        try:
            self._client.invoke_query(
                "app.bsky.feed.getPostThread",
                params=models.AppBskyFeedGetPostThread.Params(uri=uri, depth=0, parent_height=0),
                output_encoding="application/json",
            )
        except atproto_errors.BadRequestError as error:
            return _error_name(error) == "NotFound"
        except atproto_errors.AtProtocolError:
            return False  # unknown: asked again at the next look
        return False

    def first_version(self, platform_id: str) -> str | None:
        return None  # Bluesky posts are not edited

    def fetch_thread(self, platform_id: str) -> list[NewMention]:
        return []  # the detail pane's missing-parent fetch comes with the sync thread

    def max_post_length(self) -> int:
        return MAX_GRAPHEMES

    def reply_target(self, mention: Mention) -> ReplyTarget:
        root_uri, root_cid = mention.platform_id, mention.platform_cid
        if mention.raw:
            try:
                root = json.loads(mention.raw)["record"]["reply"]["root"]
                root_uri, root_cid = str(root["uri"]), str(root["cid"])
            except (ValueError, KeyError, TypeError):
                pass
        return ReplyTarget(
            platform_id=mention.platform_id,
            platform_cid=mention.platform_cid,
            root_platform_id=root_uri,
            root_platform_cid=root_cid,
            author_handle=mention.author.handle,
            author_id=mention.author.platform_id,
        )

    def _may_read_chat(self) -> bool:
        """Whether this session may reach direct messages: the PDS passes chat calls on only
        for a full session or an app password made with access to them (its token's scope
        says which), so Heedful does not ask in vain at every sync."""
        session = self._client._session
        payload = None if session is None else session.access_jwt_payload
        scope = getattr(payload, "scope", None)
        return scope is None or scope in CHAT_SCOPES

    def why_no_direct_message(self, mention: Mention) -> str:
        """Why a direct message to the author would be refused now ("" when it would go):
        their chat settings, or an app password without access to direct messages."""
        if split_message_id(mention.platform_id) is not None:
            return ""  # they wrote to the brand: the conversation is open
        if not self._may_read_chat():
            return NO_CHAT_ACCESS
        try:
            can, _convo = self._chat.can_message(mention.author.platform_id)
        except ChatUnavailable as problem:
            return str(problem)
        return "" if can else closed_message(mention.author.handle)

    def _resolve(self, handle: str) -> str | None:
        try:
            answer = self._client.com.atproto.identity.resolve_handle({"handle": handle})
        except atproto_errors.AtProtocolError:
            return None
        return str(answer.did)

    def send(self, post: OutgoingPost) -> SentPost:
        if _is_direct(post):
            return self._send_direct(post)
        length = grapheme_length(post.text)
        if length > MAX_GRAPHEMES:
            raise Rejected(f"The reply is {length} characters; Bluesky allows {MAX_GRAPHEMES}.")
        rkey = post.idempotency_key
        if not is_tid(rkey):
            raise Rejected("This queued reply has no valid record key; queue it again.")
        reply = None
        if post.reply_to is not None:
            target = post.reply_to
            if (
                not target.platform_cid
                or not target.root_platform_id
                or not target.root_platform_cid
            ):
                raise Rejected("The post being answered is missing its content id; sync again.")
            reply = models.AppBskyFeedPost.ReplyRef(
                parent=models.ComAtprotoRepoStrongRef.Main(
                    uri=target.platform_id, cid=target.platform_cid
                ),
                root=models.ComAtprotoRepoStrongRef.Main(
                    uri=target.root_platform_id, cid=target.root_platform_cid
                ),
            )
        facets = [
            models.AppBskyRichtextFacet.Main.model_validate(facet)
            for facet in detect_facets(post.text, self._resolve)
        ]
        record = models.AppBskyFeedPost.Record(
            # The time is the record key's: a retry writes the very same record.
            created_at=tid_time(rkey).isoformat().replace("+00:00", "Z"),
            text=post.text,
            reply=reply,
            facets=facets or None,
        )
        try:
            created = self._call(
                "posting the reply",
                self._client.app.bsky.feed.post.create,
                self._own_did,
                record,
                rkey=rkey,
            )
            uri, cid = str(created.uri), str(created.cid)
        except (Rejected, ServerTrouble, Offline) as problem:
            # The first attempt may have arrived before the answer was lost: the record key
            # is taken by our own post, which is then the one sent.
            try:
                existing = self._existing(rkey)
            except (Offline, ServerTrouble, RateLimited):
                existing = None
            if existing is not None:
                uri, cid = existing
            elif isinstance(problem, Rejected) or _never_connected(problem):
                raise
            else:  # the PDS may have written it: it is looked for before the next attempt
                raise OutcomeUnknown(
                    f"{problem} Heedful looks for the post before sending it again."
                ) from problem
        return self._sent_post(post, uri, cid, record.facets)

    def _sent_post(
        self, post: OutgoingPost, uri: str, cid: str, facets: list[Any] | None
    ) -> SentPost:
        rkey = post.idempotency_key
        handle = self._client.export_session_string().split(":::")[0] or self._own_did
        mention = NewMention(
            account_id=self._account_id,
            platform_id=uri,
            platform_cid=cid,
            author=NewAuthor(Network.BLUESKY, self._own_did, handle),
            kind=MentionKind.REPLY,
            text=post.text,
            html=facets_to_html(post.text, [f.model_dump(by_alias=True) for f in facets or []]),
            created_at=tid_time(rkey),
            url=post_url(handle, uri),
            parent_platform_id=None if post.reply_to is None else post.reply_to.platform_id,
            root_platform_id=None if post.reply_to is None else post.reply_to.root_platform_id,
            is_own=True,
        )
        return SentPost(platform_id=uri, url=mention.url, as_mention=mention)

    def find_sent(
        self, post: OutgoingPost, *, since: datetime, known: frozenset[str]
    ) -> SentPost | None:
        """Our post under the reply's record key (chosen when it was queued, the same on
        every attempt): getRecord says for certain whether the network has it. A direct
        message has no record key: it is looked for in its conversation."""
        if _is_direct(post):
            return self._find_direct(post, since=since, known=known)
        existing = self._existing(post.idempotency_key)
        if existing is None:
            return None
        uri, cid = existing
        return self._sent_post(post, uri, cid, None)

    # --- direct messages (chat.bsky.convo.*, through the PDS) --------------------------------

    def _convo_for(self, target: ReplyTarget) -> str:
        answering = split_message_id(target.platform_id)
        if answering is not None:
            return answering[0]  # a reply to their direct message: the same conversation
        if not target.author_id:
            raise Rejected("The author's Bluesky identity is missing; sync again.")
        return self._chat.convo_with(target.author_id, target.author_handle)

    def _send_direct(self, post: OutgoingPost) -> SentPost:
        target = post.reply_to
        if target is None:
            raise Rejected("A direct message needs someone to go to.")
        convo_id = self._convo_for(target)
        try:
            message = self._chat.send(convo_id, post.text)
        except (ServerTrouble, Offline) as problem:
            if isinstance(problem, Offline) and _never_connected(problem):
                raise
            # The chat service may have it: looked for before it is sent again.
            raise OutcomeUnknown(
                f"{problem} Heedful looks for the message before sending it again."
            ) from problem
        return self._sent_direct(convo_id, message, target)

    def _sent_direct(
        self, convo_id: str, message: Mapping[str, Any], target: ReplyTarget
    ) -> SentPost:
        try:
            own = self._chat.own_message(convo_id, message, parent=target.platform_id)
        except SkipItem as why:
            raise OutcomeUnknown(f"Unreadable answer from Bluesky's chat service ({why}).") from why
        return SentPost(platform_id=own.platform_id, url=own.url, as_mention=own)

    def _find_direct(
        self, post: OutgoingPost, *, since: datetime, known: frozenset[str]
    ) -> SentPost | None:
        target = post.reply_to
        if target is None:
            return None
        convo_id = self._convo_for(target)
        message = self._chat.sent_message(convo_id, post.text, since=since, known=known)
        return None if message is None else self._sent_direct(convo_id, message, target)

    def _existing(self, rkey: str) -> tuple[str, str] | None:
        """The brand's post with this record key, or None when the PDS says there is none;
        raises (typed) when the PDS cannot be asked."""
        try:
            found = self._call(
                "looking for the reply",
                self._client.app.bsky.feed.post.get,
                self._own_did,
                rkey,
            )
        except Rejected:  # RecordNotFound: a 400 from getRecord
            return None
        return str(found.uri), str(found.cid)

    def rate_limit(self) -> RateLimitState:
        """The budget the PDS announced in its last RateLimit-* headers (not every route
        sends them); unknown parts are None."""
        headers = self._transport.rate_headers

        def number(name: str) -> int | None:
            text = headers.get(name, "")
            return int(text) if text.isdigit() else None

        reset = number("ratelimit-reset")
        return RateLimitState(
            limit=number("ratelimit-limit"),
            remaining=number("ratelimit-remaining"),
            resets_at=None if reset is None else datetime.fromtimestamp(reset, UTC),
        )

    def token_expires_at(self) -> datetime | None:
        """When the access token runs out (the SDK refreshes it before then)."""
        session = self._client._session
        payload = None if session is None else session.access_jwt_payload
        expiry = None if payload is None else payload.exp
        return None if expiry is None else datetime.fromtimestamp(expiry, UTC)

    def close(self) -> None:
        self._watch.unregister()
        self._client.request.close()


def _is_direct(post: OutgoingPost) -> bool:
    """A direct message: asked for, or a reply to one (Bluesky DMs are chat messages)."""
    answering = post.reply_to.platform_id if post.reply_to is not None else ""
    return post.direct or split_message_id(answering) is not None


def _with_chat(cursor: str, chat_state: Any) -> str:
    state = _load_state(cursor)
    if chat_state is not None:
        state["chat"] = chat_state
    return json.dumps(state)


def _never_connected(error: Exception) -> bool:
    """Whether a failed request certainly never reached the PDS: no connection was made."""
    cause = error.__cause__
    while cause is not None and not isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout):
        cause = cause.__cause__ or cause.__context__
    return cause is not None


def _error_name(error: atproto_errors.RequestErrorBase) -> str:
    content = getattr(error.response, "content", None)
    return str(getattr(content, "error", "") or "")
