"""Triage: status, snooze, assignee, tags, priority and notes, each change recorded and undoable.

Every operation takes one or many mention ids (bulk actions are the same call) and returns a
TriageChange saying what changed (its `changes` is the change set the window dispatches).
Undo goes by the history: it reverts only the fields the change set, and only where they
still hold what it set, so a teammate's or the command line's change made since stays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from storage.records import TriageStatus, to_timestamp, utc_now
from storage.triage import (
    Note,
    TriageEvent,
    TriageField,
    TriageRepository,
    TriageState,
    TriageWrite,
)

from app.changes import Changes

# How many changes Ctrl+Z can walk back.
UNDO_DEPTH = 50
MAX_TAG_LENGTH = 40
MAX_ASSIGNEE_LENGTH = 80
MAX_NOTE_LENGTH = 10_000

PRIORITY_LABELS = {0: "none", 1: "low", 2: "high", 3: "urgent"}

_STATUS_WORDS = {
    TriageStatus.NEW: "new",
    TriageStatus.OPEN: "open",
    TriageStatus.PENDING: "pending",
    TriageStatus.DONE: "done",
}


class TriageInputError(ValueError):
    """What the user typed cannot be used; the message says why, in their words."""


@dataclass(frozen=True, slots=True)
class TriageChange:
    """What one triage operation did."""

    mention_ids: tuple[int, ...]  # the mentions whose triage state actually changed
    field: str  # status, assignee, priority, snoozed_until, tag, note, undo
    description: str  # for the status bar: "Marked 3 mentions done"
    # Undo only: changes made since by someone else, which the undo left as they are.
    kept: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.mention_ids)

    @property
    def changes(self) -> Changes:
        return Changes.of(triage=self.mention_ids, description=self.description)


@dataclass(frozen=True, slots=True)
class SnoozeChoice:
    label: str
    until: datetime


@dataclass(frozen=True, slots=True)
class _UndoStep:
    events: tuple[int, ...]  # the history rows the change wrote: undo reverts exactly those
    description: str


_FIELD_WORDS = {
    "status": "status",
    "assignee": "assignee",
    "priority": "priority",
    "snoozed_until": "snooze",
}


def _count(ids: Iterable[int]) -> str:
    n = len(tuple(ids))
    return "1 mention" if n == 1 else f"{n} mentions"


def clean_tag(typed: str) -> str:
    """A tag as typed ("#Billing ") becomes "Billing"; nonsense is refused with a reason."""
    tag = " ".join(typed.split()).lstrip("#").strip()
    if not tag:
        raise TriageInputError("A tag needs at least one letter or digit.")
    if len(tag) > MAX_TAG_LENGTH:
        raise TriageInputError(f"Tags are at most {MAX_TAG_LENGTH} characters long.")
    return tag


def snooze_choices(now: datetime) -> list[SnoozeChoice]:
    """The quick snooze choices, in the user's time zone (the zone `now` carries)."""
    if now.tzinfo is None:
        raise ValueError("pass an aware datetime in the user's time zone")
    morning = time(9, 0, tzinfo=now.tzinfo)
    tomorrow = datetime.combine(now.date() + timedelta(days=1), morning)
    monday = now.date() + timedelta(days=7 - now.weekday())
    return [
        SnoozeChoice("1 hour", now + timedelta(hours=1)),
        SnoozeChoice("3 hours", now + timedelta(hours=3)),
        SnoozeChoice("Tomorrow 9:00", tomorrow),
        SnoozeChoice("Next week (Monday 9:00)", datetime.combine(monday, morning)),
    ]


class TriageService:
    def __init__(
        self,
        repository: TriageRepository,
        actor: Callable[[], str],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self._actor = actor  # the agent name from settings, read at each change
        self._clock = clock  # tests move time forward to see snoozes end
        self._undo: list[_UndoStep] = []

    @property
    def actor(self) -> str:
        return self._actor().strip() or "unknown agent"

    def now(self) -> datetime:
        return self._clock()

    # --- changes -------------------------------------------------------------------------

    def set_status(self, mention_ids: Iterable[int], status: TriageStatus) -> TriageChange:
        ids = list(mention_ids)
        word = _STATUS_WORDS[status]
        return self._change(ids, "status", status.value, f"Marked {{n}} {word}")

    def mark_done(self, mention_ids: Iterable[int]) -> TriageChange:
        return self.set_status(mention_ids, TriageStatus.DONE)

    def snooze(self, mention_ids: Iterable[int], until: datetime) -> TriageChange:
        if until.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        until = until.replace(microsecond=0)  # a time people read in the history
        if until <= self.now():
            raise TriageInputError("Snooze until a time in the future.")
        shown = f"{until.astimezone():%a %d %b %H:%M}"
        return self._change(
            list(mention_ids), "snoozed_until", until, f"Snoozed {{n}} until {shown}"
        )

    def unsnooze(self, mention_ids: Iterable[int]) -> TriageChange:
        return self._change(list(mention_ids), "snoozed_until", None, "Woke {n} from snooze")

    def assign(self, mention_ids: Iterable[int], assignee: str | None) -> TriageChange:
        name = " ".join((assignee or "").split())
        if len(name) > MAX_ASSIGNEE_LENGTH:
            raise TriageInputError(f"Names are at most {MAX_ASSIGNEE_LENGTH} characters long.")
        if not name:
            return self._change(list(mention_ids), "assignee", None, "Unassigned {n}")
        return self._change(list(mention_ids), "assignee", name, f"Assigned {{n}} to {name}")

    def set_priority(self, mention_ids: Iterable[int], priority: int) -> TriageChange:
        if priority not in PRIORITY_LABELS:
            raise TriageInputError("Priority is 0 (none), 1 (low), 2 (high) or 3 (urgent).")
        label = PRIORITY_LABELS[priority]
        return self._change(list(mention_ids), "priority", priority, f"Priority {label} on {{n}}")

    def tag(self, mention_ids: Iterable[int], typed_tag: str) -> TriageChange:
        tag = clean_tag(typed_tag)
        written = self._repository.add_tag(list(mention_ids), tag, actor=self.actor, at=self.now())
        return self._remember(written, "tag", f"Tagged {_count(written.mention_ids)} #{tag}")

    def untag(self, mention_ids: Iterable[int], typed_tag: str) -> TriageChange:
        tag = clean_tag(typed_tag)
        ids = list(mention_ids)
        written = self._repository.remove_tag(ids, tag, actor=self.actor, at=self.now())
        return self._remember(written, "tag", f"Removed #{tag} from {_count(written.mention_ids)}")

    def add_note(self, mention_id: int, body: str) -> TriageChange:
        """Notes are internal (never sent) and permanent: they are not undone by Ctrl+Z."""
        text = body.strip()
        if not text:
            raise TriageInputError("The note is empty.")
        if len(text) > MAX_NOTE_LENGTH:
            raise TriageInputError(f"Notes are at most {MAX_NOTE_LENGTH:,} characters long.")
        self._repository.add_note(mention_id, text, actor=self.actor, at=self.now())
        return TriageChange((mention_id,), "note", "Note added")

    # --- undo ----------------------------------------------------------------------------

    @property
    def undo_description(self) -> str | None:
        """What Ctrl+Z would undo, or None when there is nothing to undo."""
        return self._undo[-1].description if self._undo else None

    def undo(self) -> TriageChange:
        """Put back what the last change changed, field by field, where it still holds what
        that change set; what someone changed since is kept and said (the undo is recorded
        in the history as well)."""
        if not self._undo:
            return TriageChange((), "undo", "Nothing to undo")
        step = self._undo[-1]
        reverted = self._repository.revert(step.events, actor=self.actor, at=self.now())
        self._undo.pop()  # only once it is done: a refused write leaves it to try again
        kept = tuple(
            f"mention {event.mention_id}'s {_FIELD_WORDS.get(event.field, event.field)} is"
            f" {found or 'empty'} now, not {event.new_value or 'empty'}"
            for event, found in reverted.kept
        )
        description = f"Undid: {step.description}"
        if kept:
            left = "change" if len(kept) == 1 else f"{len(kept)} changes"
            description += f"; left a later {left} as it is: {'; '.join(kept[:3])}"
        return TriageChange(tuple(reverted.write.mention_ids), "undo", description, kept)

    # --- reading -------------------------------------------------------------------------

    def state(self, mention_id: int) -> TriageState:
        found = self._repository.states([mention_id])
        if mention_id not in found:
            raise KeyError(mention_id)
        return found[mention_id]

    def is_snoozed(self, mention_id: int) -> bool:
        until = self.state(mention_id).snoozed_until
        return until is not None and until > self.now()

    def next_snooze_end(self) -> datetime | None:
        return self._repository.next_snooze_end(self.now())

    def history(self, mention_id: int) -> list[TriageEvent]:
        return self._repository.events(mention_id)

    def notes(self, mention_id: int) -> list[Note]:
        return self._repository.notes(mention_id)

    def known_tags(self) -> list[str]:
        return self._repository.tag_names()

    def known_assignees(self) -> list[str]:
        names = self._repository.assignees()
        me = self.actor
        return [me, *(name for name in names if name != me)]

    # --- the common path -----------------------------------------------------------------

    def _change(
        self,
        ids: list[int],
        field: TriageField,
        value: datetime | str | int | None,
        template: str,
    ) -> TriageChange:
        stored = to_timestamp(value) if isinstance(value, datetime) else value
        written = self._repository.set_field(ids, field, stored, actor=self.actor, at=self.now())
        return self._remember(written, field, template.format(n=_count(written.mention_ids)))

    def _remember(self, written: TriageWrite, field: str, description: str) -> TriageChange:
        if written.mention_ids:
            self._undo.append(_UndoStep(tuple(written.event_ids), description))
            del self._undo[:-UNDO_DEPTH]
        return TriageChange(tuple(written.mention_ids), field, description)
