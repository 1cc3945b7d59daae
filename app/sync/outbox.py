"""The outbox as a person sees it: each reply's state in words, Retry and Edit again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.drafts import DraftRepository
from storage.outbox import OutboxRepository
from storage.records import OutboxItem, OutboxState

from app.sync.health import from_now


@dataclass(frozen=True, slots=True)
class OutboxLine:
    state: str  # queued / sending / outcome unknown / held (for a check) / sent / failed
    detail: str  # why it failed, when it is tried next, or where the sent post is
    url: str | None = None


def outbox_line(item: OutboxItem, now: datetime) -> OutboxLine:
    if item.state is OutboxState.SENT:
        return OutboxLine("sent", item.url or item.platform_id or "", item.url)
    if item.state is OutboxState.FAILED:
        return OutboxLine("failed", f"{item.last_error} The text is kept: Retry or Edit again.")
    if item.state is OutboxState.SENDING:
        return OutboxLine("sending", f"attempt {item.attempts}")
    if item.state is OutboxState.UNKNOWN:
        # The request went out and no answer came: it may be on the network already.
        state, detail = "outcome unknown", "checking the thread before sending again"
    elif item.state is OutboxState.CHECK:
        # Restored from a backup: it may have been sent after the backup was made.
        state, detail = "held", "checking this reply was not sent already"
    else:
        state, detail = "queued", ""
    when = item.next_attempt_at
    if when is not None and when > now:
        later = f"next attempt {from_now(when, now)} ({when.astimezone():%H:%M})"
        detail = f"{detail}, {later}" if detail else later
    elif not detail:
        detail = "goes at the next sync"
    if item.last_error:
        detail += f"; last try: {item.last_error}"
    return OutboxLine(state, detail)


class OutboxService:
    def __init__(self, outbox: OutboxRepository, drafts: DraftRepository) -> None:
        self._outbox = outbox
        self._drafts = drafts

    def items(self) -> list[OutboxItem]:
        return self._outbox.all()

    def get(self, item_id: int) -> OutboxItem:
        return self._outbox.get(item_id)

    def latest_for_mention(self, mention_id: int) -> OutboxItem | None:
        return self._outbox.latest_for_mention(mention_id)

    def retry(self, item_id: int) -> bool:
        """Queue a failed reply again; True when it was failed and is queued now."""
        return self._outbox.retry(item_id)

    def edit_again(self, item_id: int) -> int | None:
        """Take a failed reply out of the outbox and put its text back as the mention's draft
        (one transaction: the text is never in neither place). Returns the mention id, or None
        when the reply is not failed any more or its mention is gone."""
        if self._outbox.get(item_id).mention_id is None:
            return None  # nowhere to put the text back: it stays in the outbox
        with self._outbox.transaction():
            item = self._outbox.take_back(item_id)
            if item is None or item.mention_id is None:
                return None
            # Never over what is typed there already: the two texts are kept together.
            typed = self._drafts.get(item.mention_id).strip()
            # A private reply comes back private: its draft keeps DM mode.
            self._drafts.save(
                item.mention_id,
                f"{typed}\n\n{item.body}" if typed else item.body,
                mode="direct" if item.kind == "direct" else None,
            )
        return item.mention_id
