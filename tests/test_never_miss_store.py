"""The store's side of issue 18: a context post promoted to inbox work, edits and filtered
marks from a second copy, the inbox ordered by arrival, and every language searchable."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from storage.accounts import AccountRepository
from storage.drafts import DraftRepository
from storage.mentions import InboxFilter, MentionRepository
from storage.records import TriageStatus, utc_now
from storage.store import Store
from storage.triage import TriageRepository

from app.inbox.service import InboxView, inbox_filter

from tests.factories import BASE_TIME, brand_account, mention


def test_a_context_post_whose_notification_arrives_is_new_inbox_work_with_its_things(
    store: Store,
) -> None:
    account = AccountRepository(store).add(brand_account())
    mentions = MentionRepository(store)
    mentions.ingest([mention(account.id, 1, "first"), mention(account.id, 2, "other")])
    context = dataclasses.replace(mention(account.id, 3, "answer in the thread"), is_context=True)
    mentions.ingest([context])
    [context_id] = mentions.ids_of(account.id, [context.platform_id]).values()
    DraftRepository(store).save(context_id, "Thanks for")  # typed while reading the thread
    assert mentions.page(InboxFilter(), None, 10).ids == [2, 1]  # context is not inbox work
    newest = mentions.newest_id()

    notified = dataclasses.replace(context, is_context=False, text="@brand answer in the thread")
    added = mentions.ingest([notified])

    assert added == 1
    [promoted] = mentions.ids_of(account.id, [context.platform_id]).values()
    assert promoted > newest  # new since the last look: notified like any new mention
    assert mentions.page(InboxFilter(after_id=newest), None, 10).ids == [promoted]
    assert mentions.get(promoted).status is TriageStatus.NEW
    assert DraftRepository(store).get(promoted) is not None  # the draft came along
    assert mentions.page(InboxFilter(match='"thread"'), None, 10).ids == [promoted]


def test_a_context_post_with_triage_history_keeps_its_id_when_promoted(store: Store) -> None:
    account = AccountRepository(store).add(brand_account())
    mentions = MentionRepository(store)
    context = dataclasses.replace(mention(account.id, 1, "in the thread"), is_context=True)
    mentions.ingest([context])
    [context_id] = mentions.ids_of(account.id, [context.platform_id]).values()
    TriageRepository(store).set_field([context_id], "priority", 2, actor="kari", at=utc_now())

    assert mentions.ingest([dataclasses.replace(context, is_context=False)]) == 1

    assert mentions.page(InboxFilter(), None, 10).ids == [context_id]


def test_a_second_copy_brings_a_newer_edit_and_the_filtered_mark(store: Store) -> None:
    account = AccountRepository(store).add(brand_account())
    mentions = MentionRepository(store)
    first = mention(account.id, 1, "the zip broke", filtered="Filtered by social.example")
    mentions.ingest([first])
    [mention_id] = mentions.page(InboxFilter(), None, 5).ids
    edited = dataclasses.replace(
        first, text="the zip and the hood broke", filtered=None,
        edited_at=BASE_TIME + timedelta(hours=1),
    )  # fmt: skip

    mentions.ingest([edited])

    stored = mentions.get(mention_id)
    assert (stored.text, stored.original_text) == ("the zip and the hood broke", "the zip broke")
    assert stored.filtered is None  # it reached the main list: accepted
    assert mentions.page(InboxFilter(match='"hood"'), None, 5).ids == [mention_id]
    # An older copy (or a thread's copy, context) changes nothing.
    mentions.ingest([dataclasses.replace(edited, text="the zip broke", edited_at=BASE_TIME)])
    mentions.ingest([dataclasses.replace(first, is_context=True, filtered="x")])
    again = mentions.get(mention_id)
    assert (again.text, again.filtered) == ("the zip and the hood broke", None)


def test_the_inbox_is_ordered_and_filtered_by_arrival(store: Store) -> None:
    account = AccountRepository(store).add(brand_account())
    mentions = MentionRepository(store)
    now = utc_now()
    backdated = dataclasses.replace(
        mention(account.id, 1, "from an archive"),
        created_at=now - timedelta(days=1500), arrived_at=now,
    )  # fmt: skip
    yesterday = dataclasses.replace(
        mention(account.id, 2, "yesterday's"), created_at=now - timedelta(days=1),
        arrived_at=now - timedelta(days=1),
    )  # fmt: skip
    future = dataclasses.replace(
        mention(account.id, 3, "a clock ahead"), created_at=now - timedelta(minutes=5),
        arrived_at=now + timedelta(hours=20),
    )  # fmt: skip
    mentions.ingest([backdated, yesterday, future])
    ids = {m.text: m.id for m in mentions.rows(mentions.page(InboxFilter(), None, 9).ids).values()}

    # Never later than Heedful first saw it: the clock ahead does not pin it to the top.
    assert mentions.get(ids["a clock ahead"]).inbox_time <= utc_now()
    order = mentions.page(InboxFilter(), None, 9).ids
    assert order.index(ids["from an archive"]) < order.index(ids["yesterday's"])
    waiting_a_day = inbox_filter(InboxView.ALL, "waiting:12h")
    assert mentions.page(waiting_a_day, None, 9).ids == [ids["yesterday's"]]


def test_every_language_a_post_is_tagged_with_is_found(store: Store) -> None:
    account = AccountRepository(store).add(brand_account())
    mentions = MentionRepository(store)
    both = mention(account.id, 1, "hei and hello", language="en", languages=("en", "nb"))
    mentions.ingest([both, mention(account.id, 2, "just english", language="en")])

    assert [mentions.get(i).text for i in mentions.page(
        inbox_filter(InboxView.ALL, "lang:nb"), None, 9).ids] == ["hei and hello"]  # fmt: skip
    assert len(mentions.page(inbox_filter(InboxView.ALL, "lang:en"), None, 9).ids) == 2
