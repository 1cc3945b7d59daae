"""X API v2 answers to store records: pure functions, tested on hand-written examples.

Every item is read on its own: one post or message that cannot be read is skipped with a
reason, and the rest of the page is kept. Field names are those of X's OpenAPI specification
(version 2.167: `referenced_posts`, `includes.posts`); the older spelling X's documentation
pages still show (`referenced_tweets`, `includes.tweets`) is read too.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeGuard

from storage.records import MentionKind, Network, NewAuthor, NewMention

from app.networks.safety import SkipItem, storable
from app.text.html import sanitize_html

DIRECT = "direct"  # the visibility of a direct message, as the store keeps it
_ID = re.compile(r"[0-9]{1,19}")
_DM_CONVERSATION = re.compile(r"[0-9]{1,19}-[0-9]{1,19}|[0-9]{15,19}")
_NO_LANGUAGE = {"und", "zxx", "qme", "qht", "qam", "qst", "qct"}
_LINK = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")
_USERNAME = re.compile(r"[A-Za-z0-9_]{1,15}")
_LEADING_NAMES = re.compile(r"^(?:@[A-Za-z0-9_]{1,15} )+")


def is_id(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def id_order(value: str) -> int:
    return int(value) if is_id(value) else -1


def post_url(username: str, post_id: str) -> str:
    """The post's address on x.com; X's own form without a name when the name is not one X
    allows (a hostile answer's look-alike must not make an address that points elsewhere)."""
    if _USERNAME.fullmatch(username):
        return f"https://x.com/{username}/status/{post_id}"
    return f"https://x.com/i/web/status/{post_id}"


@dataclass(frozen=True)
class Includes:
    """The objects an answer's `includes` expanded, by id (or media key)."""

    users: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    posts: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    media: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, answer: Any) -> Includes:
        includes = answer.get("includes") if isinstance(answer, Mapping) else None
        if not isinstance(includes, Mapping):
            return cls()

        def index(items: Any, key: str) -> dict[str, Mapping[str, Any]]:
            if not isinstance(items, list):
                return {}
            return {
                str(item[key]): item
                for item in items
                if isinstance(item, Mapping) and isinstance(item.get(key), str)
            }

        return cls(
            users=index(includes.get("users"), "id"),
            # The specification's name, and the one X's documentation pages still show.
            posts={**index(includes.get("tweets"), "id"), **index(includes.get("posts"), "id")},
            media=index(includes.get("media"), "media_key"),
        )


def data_items(answer: Any) -> list[Any]:
    """The `data` of a list answer (absent when the page is empty)."""
    data = answer.get("data") if isinstance(answer, Mapping) else None
    return data if isinstance(data, list) else []


def next_token(answer: Any) -> str | None:
    meta = answer.get("meta") if isinstance(answer, Mapping) else None
    token = meta.get("next_token") if isinstance(meta, Mapping) else None
    return token if isinstance(token, str) and token else None


def references(post: Mapping[str, Any]) -> dict[str, str]:
    """{"replied_to": id, "quoted": id, ...} of a post."""
    found: dict[str, str] = {}
    listed = post.get("referenced_posts", post.get("referenced_tweets"))
    for item in listed if isinstance(listed, list) else []:
        if (
            isinstance(item, Mapping)
            and isinstance(item.get("type"), str)
            and is_id(item.get("id"))
        ):
            found.setdefault(item["type"], item["id"])
    return found


def _time(value: Any) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise SkipItem(f"unreadable time {value!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise SkipItem(f"unreadable time {value!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise SkipItem(f"{what} is not text")
    return value


def plain_text(post: Mapping[str, Any]) -> str:
    """The text as its author wrote it: X's HTML escapes undone, t.co links expanded."""
    text = html.unescape(_text(post.get("text"), "text"))
    entities = post.get("entities")
    urls = entities.get("urls") if isinstance(entities, Mapping) else None
    for url in urls if isinstance(urls, list) else []:
        if not isinstance(url, Mapping):
            continue
        short, long = url.get("url"), url.get("expanded_url")
        if isinstance(short, str) and isinstance(long, str) and long.startswith("http"):
            text = text.replace(short, long)
    return text


def comparable(text: str) -> str:
    """Text reduced to what survives a trip through X (links wrapped, HTML escaped, spaces
    and Unicode forms changed, the @names a reply is addressed to put in front or not), to
    recognise a post of ours by its text."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    text = _SPACE.sub(" ", _LINK.sub("<link>", text)).strip()
    return _LEADING_NAMES.sub("", text).casefold()


def _media_notes(item: Mapping[str, Any], includes: Includes) -> str:
    """Alt texts are part of what the customer said."""
    attachments = item.get("attachments")
    keys = attachments.get("media_keys") if isinstance(attachments, Mapping) else None
    notes = []
    for key in keys if isinstance(keys, list) else []:
        media = includes.media.get(key) if isinstance(key, str) else None
        if media is None:
            continue
        kind = media.get("type") if isinstance(media.get("type"), str) else "media"
        alt = media.get("alt_text")
        notes.append(f"\n[{kind}: {alt}]" if isinstance(alt, str) and alt else f"\n[{kind}]")
    return "".join(notes)


def _author(user: Mapping[str, Any] | None, author_id: str) -> NewAuthor:
    if user is None:
        raise SkipItem(f"author {author_id} not in the answer's includes")
    username = user.get("username")
    if not isinstance(username, str) or not username:
        raise SkipItem("author without a username")
    name = user.get("name")
    avatar = user.get("profile_image_url")
    return NewAuthor(
        Network.X,
        platform_id=author_id,
        handle=username,
        display_name=name if isinstance(name, str) else "",
        avatar_url=avatar if isinstance(avatar, str) and avatar.startswith("https://") else None,
    )


def _as_html(text: str) -> str:
    parts = []
    position = 0
    for match in _LINK.finditer(text):
        parts.append(html.escape(text[position : match.start()]))
        link = html.escape(match.group(0), quote=True)
        parts.append(f'<a href="{link}">{html.escape(match.group(0))}</a>')
        position = match.end()
    parts.append(html.escape(text[position:]))
    return sanitize_html("<p>" + "".join(parts).replace("\n", "<br>") + "</p>")


def post_to_mention(
    post: Any,
    includes: Includes,
    *,
    account_id: int,
    own_user_id: str,
) -> NewMention:
    """One post as a store record; its kind as the brand sees it: a quote of one of the
    brand's posts, a reply to the brand (or in the brand's thread), or a mention."""
    if not isinstance(post, Mapping) or not is_id(post.get("id")):
        raise SkipItem("post without an id")
    post_id = post["id"]
    author_id = post.get("author_id")
    if not is_id(author_id):
        raise SkipItem("post without an author id")
    author = _author(includes.users.get(author_id), author_id)
    text = plain_text(post)
    refs = references(post)
    quoted = includes.posts.get(refs.get("quoted", ""))
    parent = includes.posts.get(refs.get("replied_to", ""))
    conversation = post.get("conversation_id")
    is_own = author_id == own_user_id
    if quoted is not None and quoted.get("author_id") == own_user_id:
        kind = MentionKind.QUOTE
    elif "replied_to" in refs and (
        post.get("in_reply_to_user_id") == own_user_id
        or (parent is not None and parent.get("author_id") == own_user_id)
        or is_own
    ):
        kind = MentionKind.REPLY
    else:
        kind = MentionKind.MENTION
    if quoted is not None:
        quoted_author = includes.users.get(str(quoted.get("author_id")))
        who = f"@{quoted_author['username']}" if quoted_author else "a post"
        try:
            quoted_text = plain_text(quoted)
        except SkipItem:
            quoted_text = ""
        text_with_notes = text + _media_notes(post, includes) + f"\n[quoting {who}: {quoted_text}]"
    else:
        text_with_notes = text + _media_notes(post, includes)
    language = post.get("lang")
    raw = json.dumps(
        {"post": post, "author": includes.users.get(author_id), "quoted": quoted},
        ensure_ascii=False,
    )
    mention = NewMention(
        account_id=account_id,
        platform_id=post_id,
        author=author,
        kind=kind,
        text=text_with_notes,
        html=_as_html(text),
        created_at=_time(post.get("created_at")),
        language=language if isinstance(language, str) and language not in _NO_LANGUAGE else None,
        url=post_url(author.handle, post_id),
        visibility="public",
        parent_platform_id=refs.get("replied_to"),
        root_platform_id=conversation if is_id(conversation) and conversation != post_id else None,
        is_own=is_own,
        raw=raw,
    )
    return storable(mention, raw_when_too_long=json.dumps({"post": {"id": post_id}}))


def dm_event_to_mention(
    event: Any, includes: Includes, *, account_id: int, own_user_id: str
) -> NewMention:
    """One direct message as a store record (kind `direct`); the brand's own are context."""
    if not isinstance(event, Mapping) or not is_id(event.get("id")):
        raise SkipItem("direct message without an id")
    if event.get("event_type", "MessageCreate") != "MessageCreate":
        raise SkipItem("not a message (someone joined or left)")
    sender = event.get("sender_id")
    if not is_id(sender):
        raise SkipItem("direct message without a sender")
    conversation = event.get("dm_conversation_id")
    if not isinstance(conversation, str) or not _DM_CONVERSATION.fullmatch(conversation):
        raise SkipItem("direct message without a conversation")
    author = _author(includes.users.get(sender), sender)
    text = html.unescape(_text(event.get("text"), "text"))
    mention = NewMention(
        account_id=account_id,
        platform_id=event["id"],
        author=author,
        kind=MentionKind.DIRECT,
        text=text + _media_notes(event, includes),
        html=_as_html(text),
        created_at=_time(event.get("created_at")),
        url=f"https://x.com/messages/{conversation}",
        visibility=DIRECT,
        root_platform_id=conversation,
        is_own=sender == own_user_id,
        raw=json.dumps({"event": event, "author": includes.users.get(sender)}, ensure_ascii=False),
    )
    return storable(mention)


def dm_participant(conversation_id: str, own_user_id: str) -> str | None:
    """The other person in a one-to-one conversation (`"low-high"` user ids)."""
    people = conversation_id.split("-")
    if len(people) != 2 or own_user_id not in people:
        return None
    other = people[1] if people[0] == own_user_id else people[0]
    return other if is_id(other) else None


@dataclass
class Parsed:
    items: list[NewMention]
    skipped: list[str]


def page_of_posts(
    answer: Any, *, account_id: int, own_user_id: str, keep_own: bool = False
) -> Parsed:
    """A page of posts, oldest first; the brand's own are left out unless `keep_own`."""
    includes = Includes.of(answer)
    items: list[NewMention] = []
    skipped = _not_objects(data_items(answer), "post")
    posts = [p for p in data_items(answer) if isinstance(p, Mapping)]
    for post in sorted(posts, key=lambda p: id_order(str(p.get("id")))):
        where = str(post.get("id"))[:40]
        try:
            mention = post_to_mention(
                post, includes, account_id=account_id, own_user_id=own_user_id
            )
        except (SkipItem, ValueError, TypeError, KeyError, AttributeError, RecursionError) as why:
            skipped.append(f"{where}: {why or type(why).__name__}")
            continue
        if mention.is_own and not keep_own:
            continue
        items.append(mention)
    return Parsed(items, skipped)


def page_of_dm_events(answer: Any, *, account_id: int, own_user_id: str) -> Parsed:
    """A page of direct messages, oldest first (the brand's own included, as context)."""
    includes = Includes.of(answer)
    items: list[NewMention] = []
    skipped = _not_objects(data_items(answer), "direct message")
    events = [e for e in data_items(answer) if isinstance(e, Mapping)]
    for event in sorted(events, key=lambda e: id_order(str(e.get("id")))):
        try:
            items.append(
                dm_event_to_mention(event, includes, account_id=account_id, own_user_id=own_user_id)
            )
        except SkipItem as why:
            if "someone joined" not in str(why):
                skipped.append(f"{str(event.get('id'))[:40]}: {why}")
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as why:
            skipped.append(f"{str(event.get('id'))[:40]}: {why or type(why).__name__}")
    return Parsed(items, skipped)


def _not_objects(items: list[Any], what: str) -> list[str]:
    """A reason for each entry of a page that is not an object at all."""
    return [
        f"a {what} that is not an object ({type(item).__name__})"
        for item in items
        if not isinstance(item, Mapping)
    ]


def newest_id(items: Sequence[Any]) -> str | None:
    ids = [str(i.get("id")) for i in items if isinstance(i, Mapping) and is_id(i.get("id"))]
    return max(ids, key=int) if ids else None
