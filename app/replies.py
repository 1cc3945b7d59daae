"""Queueing replies: pressing Send writes to the durable outbox and returns at once."""

from __future__ import annotations

from storage.accounts import AccountRepository
from storage.mentions import MentionRepository
from storage.records import OutboxItem, OutboxState
from storage.sync_state import DraftRepository, OutboxRepository

from app.networks.lengths import max_length, post_length
from app.networks.tid import new_tid


class ReplyRefused(ValueError):
    """The reply cannot be queued as it is; the message says what to change."""


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
        account = self._accounts.get(mention.account_id)
        limit = max_length(account.network, account.max_post_length)
        length = post_length(account.network, text.strip())
        if limit is not None and length > limit:
            raise ReplyRefused(
                f"The reply is {length} characters; {account.network.value.capitalize()} "
                f"allows {limit} here. Shorten it by {length - limit}."
            )

    def queue(self, mention_id: int, text: str, *, direct: bool = False) -> OutboxItem:
        """Queue a reply in-thread to the mention, on the account it was addressed to.

        The idempotency key (a TID, also Bluesky's record key) is chosen here, once: every
        attempt to send reuses it, so a retry after a timeout can never post twice.
        """
        self.check(mention_id, text)
        mention = self._mentions.get(mention_id)
        item = self._outbox.queue(
            account_id=mention.account_id,
            mention_id=mention.id,
            kind="direct" if direct else "reply",
            body=text.strip(),
            idempotency_key=new_tid(),
        )
        self.drafts.save(mention_id, "")  # the text is safe in the outbox now
        return item


def describe_outbox_item(item: OutboxItem) -> str:
    """What happened to a reply, in a line for the person who wrote it."""
    if item.state is OutboxState.SENT:
        return f"Sent: {item.url or item.platform_id}"
    if item.state is OutboxState.FAILED:
        return f"Not sent: {item.last_error} The text is kept in the outbox."
    return f"Queued; it will be sent at the next sync ({item.last_error or 'not tried yet'})."
