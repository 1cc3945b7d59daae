"""Local changes become team events: written to the team outbox in the change's own transaction.

The triage repository calls `TeamJournal.recorded` for each history row it writes (a field
set, a tag added or removed, a note), inside the transaction of the change. In a workspace
joined to a team this files the event in the team outbox, so the change and its event commit
together or not at all: kill -9 at any point never leaves a change the team will not get.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from storage.records import from_timestamp, utc_now
from storage.store import Store
from storage.team.membership import MembershipRepository
from storage.team.outbox import TeamOutboxRepository
from storage.team.state import TeamStateRepository
from storage.triage import TriageRecord

from app.team.apply import target_of
from app.team.wire import TRIAGE_FIELDS, Event, TeamMentionKey, make_event

log = logging.getLogger(__name__)


class TeamJournal:
    def __init__(
        self,
        store: Store,
        key_of: Callable[[int], TeamMentionKey | None],
        on_recorded: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._key_of = key_of  # the mention's natural key (None: its account has no user id)
        self._membership = MembershipRepository(store)
        self._outbox = TeamOutboxRepository(store)
        self._state = TeamStateRepository(store)
        # Told (after the change commits, from whichever thread made it) that there is
        # something to publish: the team link wakes up.
        self.on_recorded = on_recorded

    def recorded(self, record: TriageRecord) -> None:
        membership = self._membership.get()
        if membership is None:
            return
        key = self._key_of(record.mention_id)
        if key is None:
            log.info("team: mention %d has no natural key yet; not shared", record.mention_id)
            return
        mkey = key.digest
        self._state.remember_mention(mkey, key.network, key.server, key.account, key.platform_id)
        at = from_timestamp(record.at)

        def make(event_type: str, **body: Any) -> Event:
            return make_event(
                event_type,
                actor=record.actor,
                user=membership.user,
                at=at,
                mention=key,
                event_id=record.uuid,
                **body,
            )

        event: Event
        target: str | None = None
        if record.field in TRIAGE_FIELDS:
            target = target_of(mkey, record.field)
            base = self._outbox.latest_for(target)
            if base is None:
                current = self._state.field(mkey, record.field)
                base = None if current is None else current.version
            event = make("triage.set", field=record.field, value=record.new_value, base=base)
        elif record.field == "tag" and record.new_value is not None:
            event = make("tag.add", tag=record.new_value)
            self._state.tag_add(event.id, mkey, record.new_value)  # ours apply at once
        elif record.field == "tag" and record.old_value is not None:
            removes = self._state.live_adds(mkey, record.old_value)
            event = make("tag.remove", tag=record.old_value, removes=removes)
            self._state.tag_remove(removes)
        elif record.field == "note" and record.new_value is not None and record.note_uuid:
            event = make("note.add", note_id=record.note_uuid, body=record.new_value)
        else:
            return
        self._outbox.add(event.id, event.type, event.encode(), target, from_timestamp(record.at))

    def reply_sent(self, key: TeamMentionKey, actor: str, url: str | None, post_id: str) -> None:
        """A reply of ours went out: the team's history says so (inside the transaction that
        records it sent)."""
        membership = self._membership.get()
        if membership is None:
            return
        at = utc_now()
        event = make_event(
            "reply.sent",
            actor=actor,
            user=membership.user,
            at=at,
            mention=key,
            url=url or "",
            post_id=post_id,
        )
        self._state.remember_mention(
            key.digest, key.network, key.server, key.account, key.platform_id
        )
        self._outbox.add(event.id, event.type, event.encode(), None, at)
