"""Queueing replies: pressing Send writes to the durable outbox and returns at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time

from storage.accounts import AccountRepository
from storage.drafts import DraftRepository
from storage.mentions import MentionRepository
from storage.outbox import OutboxRepository
from storage.records import Mention, MentionKind, OutboxItem, OutboxState, utc_now
from storage.snippets import SentReplies, Snippet, SnippetVariant

from app.changes import Changes
from app.compose import guardrails
from app.compose.brand import BrandProfile, BrandService
from app.compose.guardrails import Finding, LanguageDetector, ReplyContext
from app.compose.placeholders import Rendered, mention_values, render
from app.compose.snippets import SnippetService, pick_variant
from app.networks.registry import max_length, network_info, post_length
from app.networks.tid import new_tid
from app.text import language


class ReplyRefused(ValueError):
    """The reply cannot be queued as it is; the message says what to change."""


@dataclass(frozen=True, slots=True)
class QueuedReply:
    """What pressing Send did: the outbox items it queued (a private message first, then its
    public note) and what changed (those items, the mention's badges, its cleared draft)."""

    items: tuple[OutboxItem, ...]
    changes: Changes

    @property
    def item(self) -> OutboxItem:
        """The reply itself (for a private message: the message, not the note)."""
        return self.items[0]


class ReplyService:
    def __init__(
        self,
        accounts: AccountRepository,
        mentions: MentionRepository,
        outbox: OutboxRepository,
        drafts: DraftRepository,
    ) -> None:
        self._accounts = accounts
        self._mentions = mentions
        self._outbox = outbox
        self.drafts = drafts

    def check(self, mention_id: int, text: str) -> None:
        """Raise ReplyRefused for what would certainly fail: empty, or over the network's
        length limit (counted as that network counts)."""
        if not text.strip():
            raise ReplyRefused("The reply is empty: write something first.")
        mention = self._mentions.get(mention_id)
        if mention.deleted_at is not None:
            raise ReplyRefused(deleted_reason(mention))
        account = self._accounts.get(mention.account_id)
        limit = max_length(account.network, account.max_post_length)
        length = post_length(account.network, text.strip())
        if limit is not None and length > limit:
            raise ReplyRefused(
                f"The reply is {length} characters; {network_info(account.network).label} "
                f"allows {limit} here. Shorten it by {length - limit}."
            )

    def queue(self, mention_id: int, text: str, *, direct: bool = False) -> QueuedReply:
        """Queue a reply in-thread to the mention, on the account it was addressed to, and
        clear its draft: one transaction, so a failure (a full disk) leaves the text where it
        was and nothing queued, never both (Send again would post twice) nor neither.

        The idempotency key (a TID, also Bluesky's record key) is chosen here, once: every
        attempt to send reuses it, so a retry after a timeout can never post twice.
        """
        return self._queue(mention_id, [(text, "direct" if direct else "reply")])

    def queue_direct(self, mention_id: int, text: str, note: str) -> QueuedReply:
        """A private message to the mention's author and the public note in the thread that
        says so, queued together with the draft cleared, in one transaction. The message is
        sent first (the outbox goes oldest first)."""
        return self._queue(mention_id, [(text, "direct"), (note, "reply")])

    def _queue(self, mention_id: int, replies: list[tuple[str, str]]) -> QueuedReply:
        for text, _kind in replies:
            self.check(mention_id, text)
        mention = self._mentions.get(mention_id)
        with self._outbox.transaction():
            items = tuple(
                self._outbox.queue(
                    account_id=mention.account_id,
                    mention_id=mention.id,
                    kind=kind,
                    body=text.strip(),
                    idempotency_key=new_tid(),
                )
                for text, kind in replies
            )
            self.drafts.save(mention_id, "")  # the text is safe in the outbox now
        changes = Changes.of(
            outbox=[item.id for item in items],
            mentions=[mention_id],
            drafts=[mention_id],
            description="Reply queued" if len(items) == 1 else "Private message queued",
        )
        return QueuedReply(items, changes)


# What the public thread gets when the conversation moves to a private message.
DM_NOTES = {
    "en": "I've sent you a DM 📩",
    "nb": "Jeg har sendt deg en DM 📩",
    "de": "Ich habe dir eine DM geschickt 📩",
    "es": "Te he enviado un DM 📩",
    "fr": "Je vous ai envoyé un DM 📩",
}


@dataclass(frozen=True, slots=True)
class SnippetReply:
    """A snippet rendered for one mention: exactly what the composer inserts."""

    snippet: Snippet
    variant: SnippetVariant
    rendered: Rendered


def is_private(mention: Mention) -> bool:
    """A reply to a direct message stays direct (the connector never widens visibility)."""
    network = network_info(mention.network)
    return mention.kind is MentionKind.DIRECT or network.is_private(mention.visibility)


class ComposerService:
    """What the composer and `heedful reply --snippet` share: rendering snippets for a mention
    and the guardrails' findings on a reply, so both say exactly the same thing."""

    def __init__(
        self,
        accounts: AccountRepository,
        mentions: MentionRepository,
        snippets: SnippetService,
        brand: BrandService,
        sent: SentReplies,
        agent_name: str,
        detect_language: LanguageDetector = language.detect,
    ) -> None:
        self._accounts = accounts
        self._mentions = mentions
        self.snippets = snippets
        self.brand = brand
        self._sent = sent
        self.agent_name = agent_name
        self._detect = detect_language

    def mention(self, mention_id: int) -> Mention:
        return self._mentions.get(mention_id)

    def values(self, mention: Mention) -> dict[str, str]:
        profile = self.brand.profile()
        return mention_values(
            mention, agent_name=self.agent_name, brand_name=profile.name, sign_off=profile.sign_off
        )

    def render_snippet(
        self,
        mention: Mention,
        snippet: Snippet,
        fills: Mapping[str, str] | None = None,
        variant: SnippetVariant | None = None,
    ) -> SnippetReply:
        chosen = variant or pick_variant(snippet, mention.language, mention.network)
        return SnippetReply(snippet, chosen, render(chosen.body, self.values(mention), fills))

    def opening(self, mention: Mention) -> str:
        """Who a reply is addressed to: Mastodon needs the author's @handle in the post (the
        connector adds it when missing; it counts against the limit); Bluesky threads a reply
        without one."""
        return network_info(mention.network).reply_opening(mention.author.handle)

    def as_posted(self, mention: Mention, text: str) -> str:
        """The text with the @handle the connector puts in front (Mastodon), for counting."""
        opening = self.opening(mention)
        if opening and opening.strip().casefold() not in text.casefold():
            return opening + text.strip()
        return text.strip()

    def limit(self, mention: Mention) -> int | None:
        account = self._accounts.get(mention.account_id)
        return max_length(mention.network, account.max_post_length)

    def context(
        self, mention: Mention, text: str, *, direct: bool = False, confirmed: bool = False
    ) -> ReplyContext:
        account = self._accounts.get(mention.account_id)
        midnight = datetime.combine(utc_now().date(), time(), tzinfo=utc_now().tzinfo)
        return ReplyContext(
            text=text,
            network=mention.network,
            server_limit=account.max_post_length,
            direct=direct or is_private(mention),
            mention_text=mention.text,
            mention_language=mention.language,
            author_id=mention.author.id,
            sent_today=self._sent.since(midnight),
            personal_data_confirmed=confirmed,
            posted_text=self.as_posted(mention, text),
        )

    def findings(
        self, mention_id: int, text: str, *, direct: bool = False, confirmed: bool = False
    ) -> list[Finding]:
        """Every guardrail finding on this reply to this mention (safe off the GUI thread
        with a connection of its own)."""
        mention = self._mentions.get(mention_id)
        context = self.context(mention, text, direct=direct, confirmed=confirmed)
        return guardrails.check(context, self.brand.profile(), detect_language=self._detect)

    def check_context(self, context: ReplyContext, profile: BrandProfile) -> list[Finding]:
        """The guardrails on a context built beforehand: no database, so any thread can run it
        (the language model takes a moment the first time)."""
        return guardrails.check(context, profile, detect_language=self._detect)

    def dm_note(self, mention: Mention) -> str:
        lang = language.normalise(mention.language) or "en"
        return DM_NOTES.get(lang, DM_NOTES["en"])


def deleted_reason(mention: Mention) -> str:
    """Why a reply to a deleted post is refused, for the person writing it."""
    when = (
        ""
        if mention.deleted_at is None
        else f" (seen {mention.deleted_at.astimezone():%d %b %H:%M})"
    )
    return (
        f"The author deleted this post{when}: there is nothing left to reply to. It stays in "
        "Heedful for the record."
    )


def describe_outbox_item(item: OutboxItem) -> str:
    """What happened to a reply, in a line for the person who wrote it."""
    if item.state is OutboxState.SENT:
        return f"Sent: {item.url or item.platform_id}"
    if item.state is OutboxState.FAILED:
        return f"Not sent: {item.last_error} The text is kept in the outbox."
    if item.state is OutboxState.UNKNOWN:
        return (
            "Outcome unknown: checking the thread before sending again "
            f"({item.last_error or 'the answer did not come'})."
        )
    if item.state is OutboxState.CHECK:
        return "Checking this reply was not sent already; it goes once that is sure."
    return f"Queued; it will be sent at the next sync ({item.last_error or 'not tried yet'})."
