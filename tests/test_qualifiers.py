"""The qualifier registry holds together: every entry's example parses, narrows the filter,
shows in help, and reads back as it was typed (which is how the filter bar's menus follow
the search box)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.mentions import InboxFilter
from storage.mentions.conditions import CONDITIONS

from app.bootstrap import Workspace
from app.inbox.qualifiers import IS_FLAGS, QUALIFIERS, Qualifier, help_lines
from app.inbox.search import parse_query, with_qualifier
from app.inbox.service import query_filter

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


@pytest.mark.parametrize("qualifier", QUALIFIERS, ids=lambda q: q.name)
def test_each_qualifiers_example_parses_and_narrows(
    qualifier: Qualifier, workspace: Workspace
) -> None:
    parsed = parse_query(qualifier.example)
    assert parsed.problems == ()
    assert parsed.words == ""
    (value,) = parsed.values(qualifier.name)
    assert f"{qualifier.name}:{qualifier.shown(value)}" == qualifier.example
    narrowed = query_filter(InboxFilter(), parsed, now=NOW, agent_name="ana")
    assert narrowed != InboxFilter()
    assert workspace.inbox.count(narrowed) == 0  # storage can say it in SQL


@pytest.mark.parametrize("qualifier", [q for q in QUALIFIERS if q.menu], ids=lambda q: q.name)
def test_every_menu_choice_is_a_value_its_qualifier_reads(qualifier: Qualifier) -> None:
    assert qualifier.menu is not None
    dated = qualifier.menu.dated(NOW.date()) if qualifier.menu.dated else ()
    for choice in (*qualifier.menu.choices, *dated):
        parsed = parse_query(with_qualifier("", qualifier.name, choice.value))
        assert parsed.problems == (), choice
        assert [qualifier.shown(v) for v in parsed.values(qualifier.name)] == [choice.value]


def test_help_names_every_qualifier_and_flag() -> None:
    text = "\n".join(help_lines())
    for qualifier in QUALIFIERS:
        assert f"{qualifier.name}:" in text
    for flag in IS_FLAGS:
        assert f"is:{flag.name}" in text


def test_every_named_condition_is_valid_sql_over_mentions(workspace: Workspace) -> None:
    for named in CONDITIONS:
        assert workspace.inbox.count(InboxFilter(conditions=(named(1),))) == 0


def test_a_wrong_value_says_what_was_typed_and_what_would_do() -> None:
    (problem,) = parse_query("waiting:forever").problems
    assert problem == "waiting:forever is not a duration (write 30m, 4h, 2d or 1w)"
    (problem,) = parse_query("tag:").problems
    assert problem == "tag: needs a value, e.g. tag:billing"
    (problem,) = parse_query("network:myspace").problems
    assert problem == "network:myspace is not known (use mastodon or bluesky or x)"


def test_qualifiers_on_the_same_field_must_all_hold() -> None:
    # One qualifier's values are "one of"; two qualifiers must both hold.
    either = query_filter(InboxFilter(), parse_query("kind:reply kind:dm"), now=NOW)
    assert not either.matches_nothing
    both = query_filter(InboxFilter(), parse_query("kind:reply is:dm"), now=NOW)
    assert both.matches_nothing
