"""Triage as a service: every change is recorded (who, what, when), bulk works, undo works."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from storage.mentions import MentionRepository
from storage.records import TriageStatus
from storage.store import Store, open_store
from storage.triage import TriageRepository

from app.inbox.triage import TriageInputError, TriageService, snooze_choices

from tests import factories


class Clock:
    """Time a test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))


@pytest.fixture
def ids(store: Store) -> list[int]:
    from storage.accounts import AccountRepository

    account_id = AccountRepository(store).add(factories.brand_account()).id
    mentions = MentionRepository(store)
    mentions.ingest([factories.mention(account_id, n, f"post {n}") for n in range(1, 6)])
    return [int(r[0]) for r in store.conn.execute("SELECT id FROM mentions ORDER BY id")]


@pytest.fixture
def triage(store: Store, clock: Clock) -> TriageService:
    return TriageService(TriageRepository(store), lambda: "Ada", clock)


def test_status_change_is_recorded_with_actor_field_old_new_and_time(
    triage: TriageService, ids: list[int], clock: Clock
) -> None:
    change = triage.set_status([ids[0]], TriageStatus.PENDING)
    assert change.mention_ids == (ids[0],)
    assert change.description == "Marked 1 mention pending"
    assert triage.state(ids[0]).status is TriageStatus.PENDING
    [event] = triage.history(ids[0])
    assert (event.actor, event.field, event.old_value, event.new_value, event.at) == (
        "Ada",
        "status",
        "new",
        "pending",
        clock.now,
    )


def test_setting_the_same_value_again_changes_and_records_nothing(
    triage: TriageService, ids: list[int]
) -> None:
    triage.assign([ids[0]], "Ada")
    again = triage.assign([ids[0]], "  Ada ")
    assert not again.changed
    assert len(triage.history(ids[0])) == 1


def test_bulk_done_marks_each_mention_and_records_each(
    triage: TriageService, ids: list[int]
) -> None:
    change = triage.mark_done(ids[:3])
    assert change.description == "Marked 3 mentions done"
    for mention_id in ids[:3]:
        assert triage.state(mention_id).status is TriageStatus.DONE
        assert [e.field for e in triage.history(mention_id)] == ["status"]
    assert triage.state(ids[3]).status is TriageStatus.NEW


def test_snooze_ends_by_itself_when_the_clock_passes(
    triage: TriageService, ids: list[int], clock: Clock
) -> None:
    triage.snooze([ids[0]], clock.now + timedelta(hours=1))
    assert triage.is_snoozed(ids[0])
    assert triage.next_snooze_end() == clock.now + timedelta(hours=1)
    clock.now += timedelta(hours=1, seconds=1)
    assert not triage.is_snoozed(ids[0])
    assert triage.next_snooze_end() is None


def test_snoozing_into_the_past_is_refused_and_changes_nothing(
    triage: TriageService, ids: list[int], clock: Clock
) -> None:
    with pytest.raises(TriageInputError, match="future"):
        triage.snooze([ids[0]], clock.now - timedelta(minutes=1))
    assert triage.history(ids[0]) == []


def test_quick_snooze_choices_are_in_the_users_time_zone() -> None:
    oslo = datetime(2026, 11, 20, 22, 30, tzinfo=UTC).astimezone(ZoneInfo("Europe/Oslo"))
    assert (oslo.weekday(), oslo.hour) == (4, 23)  # Friday 23:30 in Oslo
    choices = {choice.label: choice.until for choice in snooze_choices(oslo)}
    assert choices["1 hour"] == oslo + timedelta(hours=1)
    assert (choices["Tomorrow 9:00"].day, choices["Tomorrow 9:00"].hour) == (21, 9)
    monday = choices["Next week (Monday 9:00)"]
    assert (monday.weekday(), monday.day, monday.hour) == (0, 23, 9)


def test_tags_are_cleaned_shared_and_offered_most_used_first(
    triage: TriageService, ids: list[int]
) -> None:
    triage.tag(ids[:2], "#billing ")
    triage.tag([ids[2]], "shipping")
    triage.tag([ids[0]], "Billing")  # same tag, any case: nothing new
    assert triage.state(ids[0]).tags == ("billing",)
    assert triage.known_tags() == ["billing", "shipping"]
    with pytest.raises(TriageInputError):
        triage.tag([ids[0]], "  # ")
    triage.untag([ids[0]], "billing")
    assert triage.state(ids[0]).tags == ()
    fields = [(e.field, e.old_value, e.new_value) for e in triage.history(ids[0])]
    assert fields == [("tag", None, "billing"), ("tag", "billing", None)]


def test_undo_puts_back_the_last_change_and_records_that_too(
    triage: TriageService, ids: list[int]
) -> None:
    triage.assign(ids[:2], "Ada")
    triage.tag(ids[:2], "refund")
    triage.mark_done(ids[:3])
    assert triage.undo_description == "Marked 3 mentions done"

    undone = triage.undo()
    assert set(undone.mention_ids) == set(ids[:3])
    assert all(triage.state(i).status is TriageStatus.NEW for i in ids[:3])
    assert triage.state(ids[0]).tags == ("refund",)  # only the last change went back

    triage.undo()
    assert triage.state(ids[0]).tags == ()
    assert triage.state(ids[0]).assignee == "Ada"
    history = [(e.field, e.old_value, e.new_value) for e in triage.history(ids[0])]
    assert history[-2:] == [("status", "done", "new"), ("tag", "refund", None)]


@pytest.fixture
def elsewhere(store: Store, clock: Clock) -> Iterator[TriageService]:
    """Someone else on the same database: the command line, or another window."""
    other = open_store(store.path)
    yield TriageService(TriageRepository(other), lambda: "Bo", clock)
    other.close()


def test_undo_leaves_alone_what_someone_else_changed_since(
    triage: TriageService, elsewhere: TriageService, ids: list[int]
) -> None:
    triage.mark_done(ids[:2])
    elsewhere.assign([ids[0]], "Bo")  # another field of the same mention
    elsewhere.set_status([ids[1]], TriageStatus.PENDING)  # the very field the step set

    undone = triage.undo()
    assert triage.state(ids[0]).status is TriageStatus.NEW  # the step's own field: back
    assert triage.state(ids[0]).assignee == "Bo"  # Bo's change since: kept
    assert triage.state(ids[1]).status is TriageStatus.PENDING  # changed since: theirs stays
    assert undone.mention_ids == (ids[0],)
    assert undone.kept == (f"mention {ids[1]}'s status is pending now, not done",)
    assert "left a later change as it is" in undone.description
    history = [(e.actor, e.field, e.old_value, e.new_value) for e in triage.history(ids[0])]
    assert history[-1] == ("Ada", "status", "done", "new")


def test_undo_of_a_tag_takes_off_only_that_tag_and_keeps_a_later_one(
    triage: TriageService, elsewhere: TriageService, ids: list[int]
) -> None:
    triage.tag(ids[:2], "refund")
    elsewhere.tag([ids[0]], "vip")
    elsewhere.untag([ids[1]], "refund")  # someone took it off already
    undone = triage.undo()
    assert triage.state(ids[0]).tags == ("vip",)
    assert triage.state(ids[1]).tags == ()
    assert undone.mention_ids == (ids[0],)
    assert undone.kept == ()


def test_undo_of_an_untag_puts_the_tag_back(triage: TriageService, ids: list[int]) -> None:
    triage.tag([ids[0]], "refund")
    triage.untag([ids[0]], "refund")
    triage.undo()
    assert triage.state(ids[0]).tags == ("refund",)


def test_undo_of_a_priority_and_a_snooze_puts_back_the_values_from_before(
    triage: TriageService, ids: list[int], clock: Clock
) -> None:
    triage.set_priority([ids[0]], 3)
    until = clock.now + timedelta(hours=3)
    triage.snooze([ids[0]], until)
    triage.undo()
    assert triage.state(ids[0]).snoozed_until is None
    assert triage.state(ids[0]).priority == 3
    triage.undo()
    assert triage.state(ids[0]).priority == 0


def test_nothing_to_undo_says_so(triage: TriageService) -> None:
    assert triage.undo_description is None
    assert not triage.undo().changed


def test_notes_are_kept_with_author_and_in_the_history(
    triage: TriageService, ids: list[int], clock: Clock
) -> None:
    triage.add_note(ids[0], "  Called them, refund on its way.  ")
    [note] = triage.notes(ids[0])
    assert (note.author, note.body, note.created_at) == (
        "Ada",
        "Called them, refund on its way.",
        clock.now,
    )
    assert [e.field for e in triage.history(ids[0])] == ["note"]
    with pytest.raises(TriageInputError):
        triage.add_note(ids[0], "   ")


def test_priority_and_unassign(triage: TriageService, ids: list[int]) -> None:
    triage.set_priority([ids[0]], 3)
    assert triage.state(ids[0]).priority == 3
    with pytest.raises(TriageInputError):
        triage.set_priority([ids[0]], 7)
    triage.assign([ids[0]], "Ada")
    triage.assign([ids[0]], "")
    assert triage.state(ids[0]).assignee is None


def test_history_cannot_be_rewritten(store: Store, triage: TriageService, ids: list[int]) -> None:
    triage.mark_done([ids[0]])
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE triage_events SET actor = 'Mallory'")
