"""Queueing replies: pressing Send writes to the durable outbox and returns at once."""

from __future__ import annotations

from storage.mentions import MentionRepository
from storage.records import OutboxItem
from storage.sync_state import OutboxRepository

from app.networks.tid import new_tid


class EmptyReply(ValueError):
    def __init__(self) -> None:
        super().__init__("The reply is empty: write something first.")


class ReplyService:
    def __init__(self, mentions: MentionRepository, outbox: OutboxRepository) -> None:
        self._mentions = mentions
        self._outbox = outbox

    def queue(self, mention_id: int, text: str, *, direct: bool = False) -> OutboxItem:
        """Queue a reply in-thread to the mention, on the account it was addressed to.

        The idempotency key is chosen here, once: every attempt to send reuses it, so a
        retry after a timeout can never post twice.
        """
        if not text.strip():
            raise EmptyReply()
        mention = self._mentions.get(mention_id)
        return self._outbox.queue(
            account_id=mention.account_id,
            mention_id=mention.id,
            kind="direct" if direct else "reply",
            body=text.strip(),
            idempotency_key=new_tid(),
        )
