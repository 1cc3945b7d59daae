"""Applying the team's stream to the local store: the merge rules, one batch per transaction.

The stream is the team's one order of events; every laptop applies it with the same rules,
so every laptop ends in the same state:

- A triage field (status, assignee, priority, snooze) is written against the version its
  author saw (`base`: the event that last set it). If that is still the field's version, the
  write goes through; if someone else changed the field first, theirs stands and the history
  records "your change was not applied: Kari set Open at 14:02" (a conflict, on every laptop).
- Tags are an observed-remove set: an add is its own event; a remove takes away the adds its
  author had seen. Adds and removes commute; an add nobody had seen when removing stays.
- Notes and the history only append; a reply sent is a fact in the history.

Each batch commits with the stream sequence it reached, so a crash re-applies nothing and
skips nothing. A message that is not a valid event is recorded and logged, never applied.
Our own events come back through the stream too: they leave the team outbox then.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from storage.records import from_timestamp, to_timestamp, utc_now
from storage.store import Store
from storage.team.membership import MembershipRepository
from storage.team.outbox import TeamOutboxRepository
from storage.team.state import Conflict, StoredEvent, TeamStateRepository

from app.changes import Changes
from app.team.wire import Event, MalformedEvent, TeamLayout, decode, removes_of

log = logging.getLogger(__name__)

# The history row that says a change was not applied is filed under a UUID every laptop
# derives the same way from the event's own.
_NOT_APPLIED = uuid.UUID("6b1c3f0e-2a47-4c5e-9a55-3f3f0c0d1e77")


def not_applied_id(event_id: str) -> str:
    return str(uuid.uuid5(_NOT_APPLIED, event_id))


def target_of(mkey: str, field_name: str) -> str:
    """What the team outbox files a field change under: our pending changes to it."""
    return f"{mkey}|{field_name}"


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    seq: int
    subject: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Notice:
    """Something a teammate did that concerns the person at this laptop."""

    mention_id: int
    text: str  # "Kari assigned a mention to you"


@dataclass
class AppliedBatch:
    changes: Changes = field(default_factory=Changes)
    notices: list[Notice] = field(default_factory=list)
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    conflicts: int = 0
    last_seq: int = 0


class TeamApplier:
    """Applies messages from the team's stream in order, each batch in one transaction."""

    def __init__(
        self,
        store: Store,
        layout: TeamLayout,
        me: Callable[[], tuple[str, str]],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._layout = layout
        self._me = me  # (agent name, team user): who "you" is in notices and conflicts
        self._state = TeamStateRepository(store)
        self._outbox = TeamOutboxRepository(store)
        self._membership = MembershipRepository(store)
        self._clock = clock

    def apply(self, messages: Sequence[IncomingMessage]) -> AppliedBatch:
        batch = AppliedBatch()
        if not messages:
            return batch
        touched: set[int] = set()
        with self._store.write():
            applied_seq = self._applied_seq()
            for message in messages:
                if message.seq <= applied_seq:
                    continue  # delivered again after a reconnect: already in this store
                self._apply_one(message, batch, touched)
                applied_seq = batch.last_seq = message.seq
            self._membership.set_applied(applied_seq)
        batch.changes = Changes.of(triage=touched, description=_describe(batch))
        return batch

    def project_arrivals(self) -> Changes:
        """Mentions this laptop has fetched since the team's events about them arrived get
        their team state and history now."""
        touched: set[int] = set()
        with self._store.write():
            for mkey in self._state.unprojected_mentions():
                mention_id = self._state.local_mention(mkey)
                if mention_id is None:
                    continue
                self._project_history(mkey, mention_id)
                self._project_state(mkey, mention_id)
                self._state.mark_projected(mkey)
                touched.add(mention_id)
        return Changes.of(triage=touched)

    # --- one message ---------------------------------------------------------------------

    def _applied_seq(self) -> int:
        membership = self._membership.get()
        return 0 if membership is None else membership.applied_seq

    def _apply_one(self, message: IncomingMessage, batch: AppliedBatch, touched: set[int]) -> None:
        subject_type = self._layout.type_of_subject(message.subject)
        try:
            if subject_type is None:
                raise MalformedEvent("not on one of the team's event subjects")
            event = decode(message.data, subject_type=subject_type)
        except MalformedEvent as problem:
            log.warning(
                "team: rejected message %d on %s (%d bytes): %s",
                message.seq,
                message.subject[:100],
                len(message.data),
                problem,
            )
            self._state.record_rejected(
                message.seq, message.subject, str(problem), len(message.data), self._clock()
            )
            batch.rejected += 1
            return
        if self._state.has_event(event.id):
            self._outbox.received(event.id)
            batch.duplicates += 1
            return
        own = self._outbox.received(event.id)
        mkey: str | None = None
        mention_id: int | None = None
        if event.mention is not None:
            mkey = event.mention.digest
            key = event.mention
            self._state.remember_mention(
                mkey, key.network, key.server, key.account, key.platform_id
            )
            mention_id = self._state.local_mention(mkey)
        outcome = "applied"
        handler = _HANDLERS.get(event.type)
        if handler is not None:
            outcome = handler(self, event, message.seq, mkey, mention_id, own, batch)
        if mention_id is not None and mkey is not None:
            touched.add(mention_id)
        self._state.record_event(
            seq=message.seq,
            uuid=event.id,
            event_type=event.type,
            mkey=mkey,
            actor=event.actor,
            user=event.user,
            at=event.at,
            payload=message.data,
            outcome=outcome,
            own=own,
            projected=mention_id is not None or mkey is None,
        )
        batch.applied += 1

    # --- the rules -----------------------------------------------------------------------

    def _triage_set(
        self,
        event: Event,
        seq: int,
        mkey: str | None,
        mention_id: int | None,
        own: bool,
        batch: AppliedBatch,
    ) -> str:
        assert mkey is not None
        field_name = str(event.body["field"])
        value = event.body.get("value")
        base = event.body.get("base") or None
        current = self._state.field(mkey, field_name)
        if base == (current.version if current is not None else None):
            self._state.put_field(mkey, field_name, value, event.id, event.actor, event.at, seq)
            if mention_id is not None:
                if not own:
                    old = self._state.mention_field(mention_id, field_name)
                    self._state.history(
                        mention_id, event.actor, field_name, old, value, event.at, event.id
                    )
                    self._notice_assignment(event, field_name, value, mention_id, batch)
                self._show_team_value(mkey, field_name, mention_id)
            return "applied"
        assert current is not None  # a base that is not the version means someone wrote it
        self._state.record_conflict(
            Conflict(
                uuid=event.id,
                mkey=mkey,
                field=field_name,
                mine_value=value,
                mine_actor=event.actor,
                mine_user=event.user,
                mine_at=from_timestamp(event.at),
                theirs_value=current.value,
                theirs_actor=current.actor,
                theirs_at=current.at,
                seq=seq,
                resolved=False,
            )
        )
        batch.conflicts += 1
        log.info(
            "team: %s's change of %s was not applied: %s had set it at %s",
            event.actor,
            field_name,
            current.actor,
            current.at,
        )
        if mention_id is not None:
            self._history_not_applied(mention_id, event, field_name, value)
            self._show_team_value(mkey, field_name, mention_id)
        return "not_applied"

    def _history_not_applied(
        self, mention_id: int, event: Event | StoredEvent, field_name: str, value: object
    ) -> None:
        at = event.at if isinstance(event.at, str) else _timestamp(event.at)
        self._state.history(
            mention_id,
            event.actor,
            "not_applied",
            field_name,
            None if value is None else str(value),
            at,
            not_applied_id(event.uuid if isinstance(event, StoredEvent) else event.id),
        )

    def _show_team_value(self, mkey: str, field_name: str, mention_id: int) -> None:
        """The mention shows the team's value, unless a change of ours to the field is
        still on its way (it shows ours until the stream says how it went)."""
        if self._outbox.has_pending(target_of(mkey, field_name)):
            return
        current = self._state.field(mkey, field_name)
        if current is not None:
            self._state.set_mention_field(mention_id, field_name, current.value)

    def _tag_add(
        self,
        event: Event,
        seq: int,
        mkey: str | None,
        mention_id: int | None,
        own: bool,
        batch: AppliedBatch,
    ) -> str:
        assert mkey is not None
        tag = str(event.body["tag"])
        self._state.tag_add(event.id, mkey, tag)
        if mention_id is not None and not own:
            self._state.history(mention_id, event.actor, "tag", None, tag, event.at, event.id)
            self._show_team_tag(mkey, tag, mention_id)
        return "applied"

    def _tag_remove(
        self,
        event: Event,
        seq: int,
        mkey: str | None,
        mention_id: int | None,
        own: bool,
        batch: AppliedBatch,
    ) -> str:
        assert mkey is not None
        tag = str(event.body["tag"])
        self._state.tag_remove(removes_of(event))
        if mention_id is not None and not own:
            self._state.history(mention_id, event.actor, "tag", tag, None, event.at, event.id)
            self._show_team_tag(mkey, tag, mention_id)
        return "applied"

    def _show_team_tag(self, mkey: str, tag: str, mention_id: int) -> None:
        present = bool(self._state.live_adds(mkey, tag))
        self._state.set_mention_tag(mention_id, tag, present)

    def _note_add(
        self,
        event: Event,
        seq: int,
        mkey: str | None,
        mention_id: int | None,
        own: bool,
        batch: AppliedBatch,
    ) -> str:
        if mention_id is not None and not own:
            body = str(event.body["body"])
            self._state.add_note(
                mention_id, str(event.body["note_id"]), event.actor, body, event.at
            )
            self._state.history(mention_id, event.actor, "note", None, body, event.at, event.id)
            self._notice_mention_in_note(event, body, mention_id, batch)
        return "applied"

    def _reply_sent(
        self,
        event: Event,
        seq: int,
        mkey: str | None,
        mention_id: int | None,
        own: bool,
        batch: AppliedBatch,
    ) -> str:
        if mention_id is not None and not own:
            url = str(event.body.get("url") or "") or None
            self._state.history(mention_id, event.actor, "replied", None, url, event.at, event.id)
        return "applied"

    # --- notices -------------------------------------------------------------------------

    def _notice_assignment(
        self, event: Event, field_name: str, value: object, mention_id: int, batch: AppliedBatch
    ) -> None:
        if field_name != "assignee" or not isinstance(value, str):
            return
        name, user = self._me()
        if value.casefold() in {name.casefold(), user.casefold()} and event.user != user:
            batch.notices.append(Notice(mention_id, f"{event.actor} assigned a mention to you"))

    def _notice_mention_in_note(
        self, event: Event, body: str, mention_id: int, batch: AppliedBatch
    ) -> None:
        name, user = self._me()
        if event.user == user:
            return
        for who in {name, user}:
            if who and re.search(rf"(?<![\w@])@{re.escape(who)}(?!\w)", body, re.IGNORECASE):
                batch.notices.append(Notice(mention_id, f"{event.actor} mentioned you in a note"))
                return

    # --- a mention fetched after its events ------------------------------------------------

    def _project_history(self, mkey: str, mention_id: int) -> None:
        values: dict[str, str | None] = {}
        for event in self._state.unprojected_events(mkey):
            if event.own:
                continue
            try:
                decoded = decode(event.payload)
            except MalformedEvent:  # it was valid when it came: a newer rule refuses it
                continue
            at = _timestamp(event.at)
            if event.event_type == "triage.set":
                name = str(decoded.body["field"])
                value = decoded.body.get("value")
                if event.outcome == "applied":
                    old = values.get(name, self._state.mention_field(mention_id, name))
                    self._state.history(mention_id, event.actor, name, old, value, at, event.uuid)
                    values[name] = value
                else:
                    self._history_not_applied(mention_id, event, name, value)
            elif event.event_type == "tag.add":
                tag = str(decoded.body["tag"])
                self._state.history(mention_id, event.actor, "tag", None, tag, at, event.uuid)
            elif event.event_type == "tag.remove":
                tag = str(decoded.body["tag"])
                self._state.history(mention_id, event.actor, "tag", tag, None, at, event.uuid)
            elif event.event_type == "note.add":
                body = str(decoded.body["body"])
                self._state.add_note(
                    mention_id, str(decoded.body["note_id"]), event.actor, body, at
                )
                self._state.history(mention_id, event.actor, "note", None, body, at, event.uuid)
            elif event.event_type == "reply.sent":
                url = str(decoded.body.get("url") or "") or None
                self._state.history(mention_id, event.actor, "replied", None, url, at, event.uuid)

    def _project_state(self, mkey: str, mention_id: int) -> None:
        for name in self._state.fields_of(mkey):
            self._show_team_value(mkey, name, mention_id)
        for tag, present in self._state.team_tags(mkey).items():
            self._state.set_mention_tag(mention_id, tag, present)


_Handler = Callable[[TeamApplier, Event, int, "str | None", "int | None", bool, AppliedBatch], str]
_HANDLERS: dict[str, _Handler] = {
    "triage.set": TeamApplier._triage_set,
    "tag.add": TeamApplier._tag_add,
    "tag.remove": TeamApplier._tag_remove,
    "note.add": TeamApplier._note_add,
    "reply.sent": TeamApplier._reply_sent,
}


def _timestamp(moment: datetime) -> str:
    return to_timestamp(moment)


def _describe(batch: AppliedBatch) -> str:
    if not batch.applied:
        return ""
    noun = "change" if batch.applied == 1 else "changes"
    return f"{batch.applied} {noun} from the team"
