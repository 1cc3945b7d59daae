"""Bluesky direct messages: the `chat.bsky.convo.*` lexicons, served by Bluesky's chat
service through the account's own PDS (the `atproto-proxy` header names the service).

Built from the lexicons in the atproto SDK (its generated models): the chat service is not
open source, so no real peer exists; the tests run it against a loopback stand-in that
checks every request and answer against those same lexicons (tests/peers/bluesky_chat.py).

- Conversations are read newest first (`listConvos`); a conversation whose `rev` moved on
  since the last sync has its new messages read (`getMessages`) down to the last one seen.
- A message is stored as a mention of kind `direct`, its id `chat:<convo>/<message>`; each
  message's parent is the one before it, so the thread and "answered" work as for posts.
- Before a direct message goes, `getConvoAvailability` says whether the customer accepts
  one from the brand (Bluesky's default: only from people they follow).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from atproto import models

from storage.records import MentionKind, Network, NewAuthor, NewMention

from app.networks.errors import NeedsSignIn, Rejected
from app.networks.languages import read_language
from app.networks.safety import SkipItem, storable
from app.text.display import encodable

log = logging.getLogger(__name__)

T = TypeVar("T")

CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
PROXY_HEADERS = {"atproto-proxy": CHAT_PROXY}
CHAT_PREFIX = "chat:"
CONVO_PAGE = 100
MESSAGE_PAGE = 100
CONVO_PAGES = 5  # conversations looked through per sync (the newest first)
MESSAGE_PAGES = 5  # of a conversation's new messages per sync
MAX_MESSAGE_CHARS = 10_000  # chat.bsky.convo.defs#messageInput
CLOCK_SLACK = timedelta(minutes=10)


NO_CHAT_ACCESS = (
    "This Bluesky app password cannot reach direct messages. Make a new one with 'Allow access "
    "to your direct messages' ticked (Settings → Privacy and security → App passwords) and add "
    "the account again."
)


class ChatUnavailable(Rejected):
    """Direct messages cannot be reached with this sign-in (an app password made without
    "Allow access to your direct messages"), or the customer does not accept them."""


Call = Callable[..., Any]


@dataclass
class ChatState:
    """Where reading direct messages got to: per conversation, the `rev` read up to and the
    newest message seen (the next one's parent)."""

    revs: dict[str, str] = field(default_factory=dict)
    last: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, value: Any) -> ChatState:
        if not isinstance(value, Mapping):
            return cls()
        revs, last = value.get("revs"), value.get("last")
        return cls(
            {str(k): str(v) for k, v in revs.items()} if isinstance(revs, Mapping) else {},
            {str(k): str(v) for k, v in last.items()} if isinstance(last, Mapping) else {},
        )

    def dump(self) -> dict[str, Any]:
        return {"revs": dict(self.revs), "last": dict(self.last)}


def message_id(convo_id: str, message: str) -> str:
    return f"{CHAT_PREFIX}{convo_id}/{message}"


def split_message_id(platform_id: str) -> tuple[str, str] | None:
    """(convo id, message id) of a stored chat message; None for a post."""
    if not platform_id.startswith(CHAT_PREFIX):
        return None
    convo, _, message = platform_id[len(CHAT_PREFIX) :].partition("/")
    return (convo, message) if convo and message else None


def _time(value: Any) -> datetime:
    if not isinstance(value, str) or len(value) > 64:
        raise SkipItem(f"unreadable time {value!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise SkipItem(f"unreadable time {value!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def message_to_mention(
    message: Mapping[str, Any],
    convo: Mapping[str, Any],
    *,
    account_id: int,
    own_did: str,
    parent: str | None,
) -> NewMention:
    """One chat message as a store record (kind `direct`). SkipItem when it cannot be."""
    convo_id, msg_id = convo.get("id"), message.get("id")
    sender = message.get("sender")
    text = message.get("text")
    if not isinstance(convo_id, str) or not isinstance(msg_id, str):
        raise SkipItem("message without conversation or id")
    if not isinstance(sender, Mapping) or not isinstance(sender.get("did"), str):
        raise SkipItem("message without a sender")
    if not isinstance(text, str):
        raise SkipItem("message without text")
    did = sender["did"]
    member = next(
        (m for m in convo.get("members") or [] if isinstance(m, Mapping) and m.get("did") == did),
        {},
    )
    handle = member.get("handle")
    if not isinstance(handle, str) or handle in ("", "handle.invalid"):
        handle = did
    display = member.get("displayName")
    text = encodable(text)
    reading = read_language([], text)
    mention = NewMention(
        account_id=account_id,
        platform_id=message_id(convo_id, msg_id),
        author=NewAuthor(
            Network.BLUESKY,
            platform_id=did,
            handle=handle,
            display_name=display if isinstance(display, str) else "",
            avatar_url=member.get("avatar") if isinstance(member.get("avatar"), str) else None,
        ),
        kind=MentionKind.DIRECT,
        text=text,
        created_at=_time(message.get("sentAt")),
        language=reading.language,
        languages=reading.languages,
        language_source=reading.source,
        url=f"https://bsky.app/messages/{convo_id}",
        parent_platform_id=parent,
        root_platform_id=f"{CHAT_PREFIX}{convo_id}",
        is_own=did == own_did,
        raw=json.dumps({"convo_id": convo_id, "message": message}, ensure_ascii=False, default=str),
    )
    return storable(mention)


class BlueskyChat:
    """The chat calls of one brand account, made through its PDS."""

    def __init__(self, call: Call, client: Any, *, account_id: int, own_did: str) -> None:
        self._call = call  # the connector's: typed errors for every failure
        self._client = client
        self._account_id = account_id
        self._own_did = own_did

    # --- calls ------------------------------------------------------------------------------

    def _query(self, what: str, nsid: str, params: Any) -> Mapping[str, Any]:
        return self._answer(self._chat_call(what, self._client.invoke_query, nsid, params=params))

    def _procedure(self, what: str, nsid: str, data: Any) -> Mapping[str, Any]:
        return self._answer(
            self._chat_call(
                what,
                self._client.invoke_procedure,
                nsid,
                data=data,
                input_encoding="application/json",
            )
        )

    def _chat_call(self, what: str, function: Call, nsid: str, **kwargs: Any) -> Any:
        try:
            return self._call(
                what, function, nsid, output_encoding="application/json",
                headers=dict(PROXY_HEADERS), **kwargs,
            )  # fmt: skip
        except NeedsSignIn as problem:
            # The session works for posts (it was just refreshed): a PDS that will not pass
            # chat calls on says so with InvalidToken, "Bad token method".
            raise ChatUnavailable(f"{NO_CHAT_ACCESS} ({problem})") from problem

    @staticmethod
    def _answer(response: Any) -> Mapping[str, Any]:
        content = getattr(response, "content", None)
        return content if isinstance(content, Mapping) else {}

    # --- reading --------------------------------------------------------------------------------

    def fetch_new(self, state: ChatState) -> tuple[list[NewMention], list[str], ChatState]:
        """New messages in every conversation whose `rev` moved on, oldest first; the
        reasons for those left out; where reading got to."""
        items: list[NewMention] = []
        skipped: list[str] = []
        after = ChatState(dict(state.revs), dict(state.last))
        cursor: str | None = None
        for _page in range(CONVO_PAGES):
            page = self._query(
                "reading direct messages", "chat.bsky.convo.listConvos",
                models.ChatBskyConvoListConvos.Params(limit=CONVO_PAGE, cursor=cursor),
            )  # fmt: skip
            convos = [c for c in page.get("convos") or [] if isinstance(c, Mapping)]
            moved = [
                c for c in convos if str(c.get("rev", "")) > state.revs.get(str(c.get("id")), "")
            ]
            for convo in moved:
                found, why = self._new_messages(convo, state, after)
                items += found
                skipped += why
            cursor = page.get("cursor") if isinstance(page.get("cursor"), str) else None
            if not cursor or len(moved) < len(convos):
                break  # conversations come by their latest change: the rest has not moved
        return sorted(items, key=lambda m: m.created_at), skipped, after

    def _new_messages(
        self, convo: Mapping[str, Any], state: ChatState, after: ChatState
    ) -> tuple[list[NewMention], list[str]]:
        convo_id = str(convo.get("id"))
        known = state.last.get(convo_id)
        messages: list[Mapping[str, Any]] = []
        cursor: str | None = None
        for _page in range(MESSAGE_PAGES):
            page = self._query(
                "reading direct messages", "chat.bsky.convo.getMessages",
                models.ChatBskyConvoGetMessages.Params(
                    convo_id=convo_id, limit=MESSAGE_PAGE, cursor=cursor
                ),
            )  # fmt: skip
            batch = [m for m in page.get("messages") or [] if isinstance(m, Mapping)]
            reached = [m for m in batch if m.get("id") == known]
            messages += batch[: batch.index(reached[0])] if reached else batch
            cursor = page.get("cursor") if isinstance(page.get("cursor"), str) else None
            if reached or not cursor:
                break
        items: list[NewMention] = []
        skipped: list[str] = []
        parent = None if known is None else message_id(convo_id, known)
        for message in reversed(messages):  # oldest first: each answers the one before
            if "text" not in message:
                continue  # a deleted message or a system message: nothing to answer
            try:
                mention = message_to_mention(
                    message, convo, account_id=self._account_id, own_did=self._own_did,
                    parent=parent,
                )  # fmt: skip
            except (SkipItem, ValueError, TypeError, AttributeError, KeyError) as why:
                skipped.append(f"{message_id(convo_id, str(message.get('id')))[:200]}: {why}")
                continue
            items.append(mention)
            parent = mention.platform_id
            after.last[convo_id] = str(message.get("id"))
        after.revs[convo_id] = str(convo.get("rev", ""))
        return items, skipped

    # --- writing ----------------------------------------------------------------------------

    def can_message(self, did: str) -> tuple[bool, str | None]:
        """Whether the brand may message this person now, and the conversation if one is
        there already."""
        answer = self._query(
            "checking direct messages are open", "chat.bsky.convo.getConvoAvailability",
            models.ChatBskyConvoGetConvoAvailability.Params(members=[did]),
        )  # fmt: skip
        convo = answer.get("convo")
        convo_id = convo.get("id") if isinstance(convo, Mapping) else None
        return answer.get("canChat") is True, convo_id if isinstance(convo_id, str) else None

    def convo_with(self, did: str, handle: str) -> str:
        """The conversation with this person (made when there is none), or ChatUnavailable
        when they do not accept direct messages from the brand."""
        can, convo_id = self.can_message(did)
        if not can:
            raise ChatUnavailable(closed_message(handle))
        if convo_id:
            return convo_id
        answer = self._query(
            "opening the conversation", "chat.bsky.convo.getConvoForMembers",
            models.ChatBskyConvoGetConvoForMembers.Params(members=[did]),
        )  # fmt: skip
        convo = answer.get("convo")
        if not isinstance(convo, Mapping) or not isinstance(convo.get("id"), str):
            raise Rejected("Bluesky's chat service did not open the conversation; try again.")
        return str(convo["id"])

    def send(self, convo_id: str, text: str) -> Mapping[str, Any]:
        """Send `text` into the conversation; the message as the service stored it."""
        if len(text) > MAX_MESSAGE_CHARS:
            raise Rejected(
                f"The message is {len(text):,} characters; Bluesky allows {MAX_MESSAGE_CHARS:,}."
            )
        return self._procedure(
            "sending the direct message", "chat.bsky.convo.sendMessage",
            models.ChatBskyConvoSendMessage.Data(
                convo_id=convo_id, message=models.ChatBskyConvoDefs.MessageInput(text=text)
            ),
        )  # fmt: skip

    def sent_message(
        self, convo_id: str, text: str, *, since: datetime, known: frozenset[str]
    ) -> Mapping[str, Any] | None:
        """The brand's own message with this text, sent after `since` and not one already
        recorded for another reply: what an attempt whose answer was lost left behind."""
        page = self._query(
            "looking for the direct message", "chat.bsky.convo.getMessages",
            models.ChatBskyConvoGetMessages.Params(convo_id=convo_id, limit=MESSAGE_PAGE),
        )  # fmt: skip
        wanted = " ".join(text.split())
        for message in page.get("messages") or []:
            if not isinstance(message, Mapping):
                continue
            sender = message.get("sender")
            if not isinstance(sender, Mapping) or sender.get("did") != self._own_did:
                continue
            if message_id(convo_id, str(message.get("id"))) in known:
                continue
            try:
                sent_at = _time(message.get("sentAt"))
            except SkipItem:
                continue
            if (
                sent_at >= since - CLOCK_SLACK
                and " ".join(str(message.get("text")).split()) == wanted
            ):
                return message
        return None

    def own_message(self, convo_id: str, message: Mapping[str, Any], parent: str) -> NewMention:
        """A message the brand sent, as thread context under what it answers."""
        convo = {"id": convo_id, "members": []}
        return message_to_mention(
            message, convo, account_id=self._account_id, own_did=self._own_did, parent=parent
        )


def _moved(convo: Mapping[str, Any], state: ChatState) -> bool:
    """Whether the conversation changed since it was last read (revs are TIDs: they sort)."""
    return str(convo.get("rev", "")) > state.revs.get(str(convo.get("id")), "")


def closed_message(handle: str) -> str:
    who = "@" + handle.lstrip("@")
    return (
        f"{who} does not accept direct messages from the brand (their Bluesky chat settings: "
        "by default only from people they follow). Answer in public without the personal "
        "details, or ask them to message the brand."
    )
