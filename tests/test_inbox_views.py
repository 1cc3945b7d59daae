"""Built-in views, filters, search qualifiers, saved views and row badges, on a small store
whose every mention a test names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from storage.records import (
    MentionKind,
    Network,
    NewAuthor,
    OutboxState,
    TriageStatus,
    to_timestamp,
)
from storage.views import DuplicateViewNameError

from app.bootstrap import Workspace
from app.inbox.search import parse_query, with_qualifier
from app.inbox.service import InboxView, inbox_filter

from tests.factories import BASE_TIME, author, brand_account, mention

NOW = BASE_TIME + timedelta(days=2)


@dataclass
class Named:
    """Mention ids by what the test made them to be."""

    ids: dict[str, int]

    def __getitem__(self, name: str) -> int:
        return self.ids[name]


def _id(workspace: Workspace, platform_id: str) -> int:
    row = workspace.store.conn.execute(
        "SELECT id FROM mentions WHERE platform_id = ?", [platform_id]
    ).fetchone()
    return int(row[0])


@pytest.fixture
def named(workspace: Workspace) -> Named:
    masto = workspace.accounts.add(brand_account(Network.MASTODON)).id
    bsky = workspace.accounts.add(brand_account(Network.BLUESKY)).id
    sky_author = NewAuthor(Network.BLUESKY, "did:plc:ola", "ola.bsky.social", "Ola Normann")
    specs = {
        "new": mention(masto, 1, "Where is my parcel?", minutes=60),
        "open_nb": mention(masto, 2, "Hvor er pakken min?", minutes=120, language="nb",
                           status=TriageStatus.OPEN, tags=("shipping",)),
        "pending": mention(masto, 3, "Refund still missing", minutes=180,
                           status=TriageStatus.PENDING, tags=("billing", "shipping")),
        "done": mention(masto, 4, "Thanks, all good", minutes=240, status=TriageStatus.DONE),
        "dm": mention(masto, 5, "My address is private", minutes=300, kind=MentionKind.DIRECT),
        "bsky": mention(bsky, 6, "Love the new jacket", by=sky_author, minutes=2000,
                        platform_id="at://did:plc:ola/app.bsky.feed.post/6"),
        "snoozed": mention(masto, 7, "Call me next week", minutes=400),
        "woken": mention(masto, 8, "Back from my snooze", minutes=420),
        "answered": mention(masto, 9, "Does it come in blue?", minutes=440),
        "queued": mention(masto, 10, "Size chart please", minutes=460),
        "failed": mention(masto, 11, "Broken zip on my tent", minutes=480),
        "mine": mention(masto, 12, "Assigned to me", minutes=500,
                        by=author("per@x.example", "Per")),
    }  # fmt: skip
    own_reply = mention(
        masto, 13, "@kari yes, in blue too!", minutes=445, is_own=True,
        parent_platform_id=specs["answered"].platform_id,
        by=NewAuthor(Network.MASTODON, "brand", "fjellform", "Fjellform"),
    )  # fmt: skip
    workspace.mentions.ingest([*specs.values(), own_reply])
    ids = Named({name: _id(workspace, item.platform_id) for name, item in specs.items()})
    conn = workspace.store.conn
    with workspace.store.write():
        conn.execute(
            "UPDATE mentions SET snoozed_until = ? WHERE id = ?",
            [to_timestamp(NOW + timedelta(hours=3)), ids["snoozed"]],
        )
        conn.execute(
            "UPDATE mentions SET snoozed_until = ? WHERE id = ?",
            [to_timestamp(NOW - timedelta(hours=1)), ids["woken"]],
        )
        conn.execute("UPDATE mentions SET assignee = 'per' WHERE id = ?", [ids["mine"]])
        conn.execute("UPDATE mentions SET priority = 3 WHERE id = ?", [ids["pending"]])
        conn.execute("UPDATE mentions SET priority = 2 WHERE id = ?", [ids["open_nb"]])
    workspace.outbox.queue(masto, ids["queued"], "reply", "Here it is", "key-queued")
    failed = workspace.outbox.queue(masto, ids["failed"], "reply", "Sorry!", "key-failed")
    workspace.outbox.mark_failed(failed.id, "server said no")
    workspace.replies.drafts.save(ids["new"], "Hi! Could you send")
    return ids


def _shown(workspace: Workspace, view: InboxView, typed: str = "", agent: str = "") -> set[int]:
    found = workspace.inbox.page(inbox_filter(view, typed, now=NOW, agent_name=agent), None, 100)
    return set(found.ids)


def _names(named: Named, ids: set[int]) -> set[str]:
    return {name for name, value in named.ids.items() if value in ids}


def test_built_in_views_hold_what_their_names_promise(workspace: Workspace, named: Named) -> None:
    def names(view: InboxView, agent: str = "") -> set[str]:
        return _names(named, _shown(workspace, view, agent=agent))

    all_open = {"new", "open_nb", "pending", "dm", "bsky", "woken", "answered", "queued",
                "failed", "mine"}  # fmt: skip
    assert names(InboxView.OPEN) == all_open  # the snoozed one is away until later
    # A reply the brand sent or queued counts as an answer; a failed one does not.
    assert names(InboxView.UNANSWERED) == all_open - {"answered", "queued"}
    assert names(InboxView.DONE) == {"done"}
    assert names(InboxView.DMS) == {"dm"}
    assert names(InboxView.MINE, agent="per") == {"mine"}
    assert names(InboxView.MINE, agent="") == set()  # no name set: nothing is "mine"
    assert names(InboxView.ALL) == set(named.ids)  # the brand's own reply is never listed


def test_a_snoozed_mention_comes_back_when_its_time_has_passed(
    workspace: Workspace, named: Named
) -> None:
    later = NOW + timedelta(hours=4)
    view = inbox_filter(InboxView.OPEN, now=later)
    assert named["snoozed"] in workspace.inbox.page(view, None, 100).ids
    assert named["snoozed"] not in _shown(workspace, InboxView.OPEN)
    assert _names(named, _shown(workspace, InboxView.ALL, "is:snoozed")) == {"snoozed"}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("network:bluesky", {"bsky"}),
        ("account:fjellform.bsky.social", {"bsky"}),
        ("kind:dm", {"dm"}),
        ("is:dm", {"dm"}),
        ("status:pending", {"pending"}),
        ("lang:nb", {"open_nb"}),
        ("tag:shipping", {"open_nb", "pending"}),
        ("tag:shipping tag:billing", {"pending"}),
        ("assignee:per", {"mine"}),
        ("author:ola", {"bsky"}),
        ("is:done", {"done"}),
        ("is:unanswered status:new network:bluesky", {"bsky"}),
        ("refund is:open", {"pending"}),
        ("tag:shipping is:done", set()),
        ("waiting:2d", set()),  # the oldest has waited 47 h at NOW
        ("waiting:46h", {"new"}),
        (f"after:{(BASE_TIME + timedelta(days=1)).date().isoformat()}", {"bsky"}),
        # "before:" includes the day itself; only the Bluesky mention came the day after.
        (f"before:{BASE_TIME.date().isoformat()}", "all but bsky"),
    ],
)
def test_qualifiers_narrow_the_list_in_sql(
    workspace: Workspace, named: Named, typed: str, expected: set[str] | str
) -> None:
    shown = _names(named, _shown(workspace, InboxView.ALL, typed, agent="per"))
    if expected == "all but bsky":
        expected = set(named.ids) - {"bsky"}
    assert shown == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("priority:urgent", {"pending"}),
        ("priority:3", {"pending"}),
        ("PRIORITY:Urgent", {"pending"}),
        ("priority:high priority:urgent", {"open_nb", "pending"}),  # one of them
        ("priority:urgent tag:shipping", {"pending"}),
        ("priority:urgent is:done", set()),
        ("priority:low", set()),
        ("priority:none is:dm", {"dm"}),
    ],
)
def test_priority_is_a_qualifier(
    workspace: Workspace, named: Named, typed: str, expected: set[str]
) -> None:
    assert not parse_query(typed).problems
    assert _names(named, _shown(workspace, InboxView.ALL, typed)) == expected


def test_a_priority_that_does_not_exist_is_explained() -> None:
    parsed = parse_query("priority:extreme refund")
    assert parsed.words == "refund"
    assert len(parsed.problems) == 1
    assert "priority:extreme" in parsed.problems[0]
    assert "none, low, high, urgent" in parsed.problems[0]


@pytest.mark.parametrize(
    "typed", ["colour:red refund", "refund Colour:red", 'colour:"dark red" refund']
)
def test_an_unknown_qualifier_is_an_error_never_search_text(typed: str) -> None:
    parsed = parse_query(typed)
    assert parsed.words == "refund"
    assert len(parsed.problems) == 1
    problem = parsed.problems[0]
    assert "colour" in problem.casefold()
    assert "not a filter" in problem
    assert "priority" in problem  # it says which filters there are
    assert "tag" in problem


def test_a_view_with_an_unknown_qualifier_is_not_saved(workspace: Workspace, named: Named) -> None:
    with pytest.raises(ValueError, match="not a filter"):
        workspace.inbox.save_view("Red ones", "colour:red")


def test_quotes_make_a_qualifier_search_words() -> None:
    parsed = parse_query('"colour:red" refund')
    assert not parsed.problems
    assert "colour:red" in parsed.words


def test_a_badly_typed_qualifier_is_explained_and_left_out() -> None:
    parsed = parse_query("is:urgent after:yesterday waiting:soon kind:story refund")
    assert parsed.words == "refund"
    assert len(parsed.problems) == 4
    assert any("is:urgent" in p and "unanswered" in p for p in parsed.problems)
    assert any("after:yesterday" in p and "2026-11-23" in p for p in parsed.problems)


def test_words_that_only_look_like_qualifiers_stay_words() -> None:
    parsed = parse_query('see https://shop.example/a at 10:30 tag:"late delivery" LANG:NB')
    assert parsed.words == "see https://shop.example/a at 10:30"
    assert not parsed.problems
    assert parsed.values("tag") == ("late delivery",)
    assert parsed.values("lang") == ("nb",)
    assert parsed.values("after") == ()
    assert parsed.values("waiting") == ()


@pytest.mark.parametrize(
    "typed",
    [
        "https://shop.example/order?id=1",
        "http://shop.example",
        "at://did:plc:abc/app.bsky.feed.post/1",
        "open 10:30 to 18:00",
        "photo in 16:9 and 4:3",
        "mailto:kari@example.com",
        "Re: my order",
        "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
    ],
)
def test_links_times_and_ratios_are_search_words_not_qualifiers(typed: str) -> None:
    parsed = parse_query(typed)
    assert parsed.problems == ()
    assert parsed.words == typed


def test_choosing_a_filter_rewrites_only_its_own_qualifier() -> None:
    typed = "refund network:mastodon tag:billing"
    assert with_qualifier(typed, "network", "bluesky") == "refund tag:billing network:bluesky"
    assert with_qualifier(typed, "network", "") == "refund tag:billing"
    assert with_qualifier("refund", "tag", "late delivery") == 'refund tag:"late delivery"'
    chosen = parse_query(with_qualifier("", "after", date(2026, 11, 1).isoformat()))
    assert chosen.values("after") == (date(2026, 11, 1),)


def test_rows_carry_their_badges_and_tags(workspace: Workspace, named: Named) -> None:
    rows = workspace.inbox.rows(list(named.ids.values()))
    assert rows[named["new"]].has_draft
    assert rows[named["queued"]].reply_state is OutboxState.QUEUED
    assert rows[named["failed"]].reply_state is OutboxState.FAILED
    assert not rows[named["failed"]].answered
    assert rows[named["answered"]].answered
    assert rows[named["pending"]].tags == ("billing", "shipping")
    plain = rows[named["done"]]
    assert (plain.has_draft, plain.reply_state, plain.answered, plain.tags) == (
        False,
        None,
        False,
        (),
    )


def test_saved_views_keep_their_query_and_notify_flag(workspace: Workspace, named: Named) -> None:
    saved = workspace.inbox.save_view("  Shipping   woes ", "tag:shipping is:open", notify=True)
    assert saved.name == "Shipping woes"
    assert workspace.inbox.saved_views() == [saved]
    with pytest.raises(DuplicateViewNameError, match="exists already"):
        workspace.inbox.save_view("shipping WOES", "lang:nb")
    with pytest.raises(ValueError, match="is:urgent"):
        workspace.inbox.save_view("Urgent", "is:urgent")
    with pytest.raises(ValueError, match="needs a name"):
        workspace.inbox.save_view("   ", "lang:nb")
    found = _shown(workspace, InboxView.ALL, saved.query)
    assert _names(named, found) == {"open_nb", "pending"}
    workspace.inbox.remove_view(saved.id)
    assert workspace.inbox.saved_views() == []
