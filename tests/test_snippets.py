"""The snippet library: placeholders, variants, counting, packs, the store, finding, suggesting."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from storage.mentions import InboxFilter
from storage.records import MentionKind, Network
from storage.snippets import DuplicateShortcut, NewSnippet, Snippet, SnippetVariant

from app.bootstrap import Workspace
from app.compose.placeholders import first_name, render, unfilled_in
from app.compose.replies import ReplyRefused
from app.compose.snippets import (
    PackError,
    fuzzy_score,
    pack_json,
    parse_csv,
    parse_pack,
    pick_variant,
    search,
    suggest,
)
from app.networks.lengths import grapheme_length, mastodon_length
from app.networks.registry import post_length

from tests.factories import author, brand_account, mention

VALUES = {
    "author.first_name": "Åsa",
    "author.handle": "@asa@fjord.example",
    "agent.name": "Ingrid",
    "brand.name": "Fjellform",
    "mention.link": "https://fjord.example/@asa/1",
}


# --- placeholders -----------------------------------------------------------------------------


def test_placeholders_take_their_values() -> None:
    rendered = render("Hi {author.first_name|there}, – {agent.name} at {brand.name}", VALUES)
    assert rendered.text == "Hi Åsa, – Ingrid at Fjellform"
    assert rendered.unfilled == ()


def test_fallback_when_the_value_is_missing() -> None:
    rendered = render("Hi {author.first_name|there}!", {**VALUES, "author.first_name": ""})
    assert rendered.text == "Hi there!"
    assert rendered.unfilled == ()


def test_a_missing_value_without_fallback_stays_and_is_reported() -> None:
    rendered = render("See {mention.link} and {author.nickname}", {"mention.link": ""})
    assert rendered.text == "See {mention.link} and {author.nickname}"
    assert rendered.unfilled == ("{mention.link}", "{author.nickname}")


def test_fill_in_prompts_are_answered_by_name_in_any_spelling() -> None:
    template = "Order {?order number} arrives {?delivery day|soon}."
    asked = render(template, VALUES)
    assert asked.prompts == ("order number", "delivery day")
    assert asked.unfilled == ("{?order number}",)
    assert asked.text == "Order {?order number} arrives soon."
    answered = render(template, VALUES, {"Order_Number": "FF-123456", "delivery-day": "Friday"})
    assert answered.text == "Order FF-123456 arrives Friday."
    assert answered.unfilled == ()


def test_unfilled_placeholders_are_found_in_typed_text() -> None:
    assert unfilled_in("Hi {author.first_name}, {?order number} — {} {0} :)") == [
        "{author.first_name}",
        "{?order number}",
    ]


@pytest.mark.parametrize(
    ("display_name", "expected"),
    [
        ("Kari Nordmann", "Kari"),
        ("Åsa Øvrebø 🏔️", "Åsa"),
        ("Zoë", "Zoë"),
        ("Jean-Luc Picard", "Jean-Luc"),
        ("Ólafur Arnalds", "Ólafur"),
        ("李 小龍", "李"),
        ("trailrunner_88", ""),
        ("THE BOOT GUY", ""),
        ("🏔️ Fjellgeit", "Fjellgeit"),
        ("dr.hike", ""),
        ("Turglad i Bergen", ""),
        ("Montaña y café ☕", ""),
        ("Ludwig van Beethoven", "Ludwig"),
        ("Jamie Patel (they/them)", "Jamie"),
        ("", ""),
    ],
)
def test_first_names_from_display_names(display_name: str, expected: str) -> None:
    assert first_name(display_name) == expected


# --- variants ---------------------------------------------------------------------------------


def _snippet(*variants: SnippetVariant, body: str = "base") -> Snippet:
    return Snippet(
        id=1, title="t", body=body, shortcut="t", folder="", tags=(), is_shared=False,
        usage_count=0, last_used_at=None, created_at=None, updated_at=None,  # type: ignore[arg-type]
        variants=variants,
    )  # fmt: skip


def test_variant_choice_exact_then_language_then_network_then_base() -> None:
    everything = _snippet(
        SnippetVariant("nb bluesky", "nb", "bluesky"),
        SnippetVariant("nb", "nb", ""),
        SnippetVariant("bluesky", "", "bluesky"),
    )
    assert pick_variant(everything, "nb", Network.BLUESKY).body == "nb bluesky"
    assert pick_variant(everything, "nb", Network.MASTODON).body == "nb"
    assert pick_variant(everything, "no", Network.MASTODON).body == "nb"  # Mastodon's "no"
    assert pick_variant(everything, "de", Network.BLUESKY).body == "bluesky"
    assert pick_variant(everything, "de", Network.MASTODON).body == "base"
    assert pick_variant(everything, None, None).body == "base"
    only_exact = _snippet(SnippetVariant("nb bluesky", "nb", "bluesky"))
    assert pick_variant(only_exact, "nb", Network.MASTODON).body == "base"
    assert pick_variant(only_exact, "en", Network.BLUESKY).body == "base"


# --- counting as the networks count ------------------------------------------------------------


def test_graphemes_as_bluesky_counts_them() -> None:
    assert grapheme_length("👨‍👩‍👧‍👦") == 1  # a family is one
    assert grapheme_length("🇳🇴") == 1  # a flag is one
    assert grapheme_length("👍🏽") == 1  # with skin tone
    assert grapheme_length("e\u0301") == 1  # e + combining acute
    assert grapheme_length("山の天気") == 4  # CJK: one each
    assert grapheme_length("각") == 1
    assert grapheme_length("\u1100\u1161\u11a8") == 1
    assert post_length(Network.BLUESKY, "Hei 👋🏽 Åse!") == 10


def test_characters_as_mastodon_counts_them() -> None:
    long_link = "https://fjellform.example/" + "x" * 200
    assert mastodon_length(f"See {long_link}") == 4 + 23
    assert mastodon_length("@kari@toot.example hi") == len("@kari hi")
    assert mastodon_length("👨‍👩‍👧") == len("👨‍👩‍👧")  # code points, not graphemes


# --- packs --------------------------------------------------------------------------------------


def _new(**changes: object) -> NewSnippet:
    base = NewSnippet(
        title="Order running late",
        body="Hi {author.first_name|there}, sorry! – {agent.name}",
        shortcut="late",
        folder="Orders",
        tags=("delivery", "delay"),
        is_shared=True,
        variants=(
            SnippetVariant("Hei {author.first_name|du}, beklager! – {agent.name}", "nb", ""),
            SnippetVariant("Hi! Sorry 🙏", "en", "bluesky"),
        ),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_json_pack_round_trip(workspace: Workspace) -> None:
    workspace.snippets.import_snippets([_new(), _new(title="Thanks", shortcut="ty", variants=())])
    exported = workspace.snippets.export_text(name="mine")
    assert json.loads(exported)["format"] == "heedful-snippets"
    again = parse_pack(exported)
    assert [s.as_new() for s in workspace.snippets.all()] == list(again)
    assert (
        exported
        == json.dumps(pack_json(workspace.snippets.all(), "mine"), ensure_ascii=False, indent=2)
        + "\n"
    )


def test_importing_never_overwrites_a_taken_shortcut(workspace: Workspace) -> None:
    workspace.snippets.import_snippets([_new()])
    report = workspace.snippets.import_snippets([_new(), _new()])
    assert report.renamed == ["/late → /late-2", "/late → /late-3"]
    assert sorted(s.shortcut or "" for s in workspace.snippets.all()) == [
        "late", "late-2", "late-3"
    ]  # fmt: skip


def test_the_default_pack_is_complete_in_english_and_norwegian(tmp_path: Path) -> None:
    from app.resources import resource_path

    pack = parse_pack(resource_path("snippets", "fjellform.json").read_text(encoding="utf-8"))
    assert len(pack) >= 12
    assert len({s.shortcut for s in pack}) == len(pack)
    for snippet in pack:
        assert any(v.language == "nb" for v in snippet.variants), snippet.title
        for body in [snippet.body, *(v.body for v in snippet.variants)]:
            rendered = render(body, VALUES, dict.fromkeys(render(body, VALUES).prompts, "x"))
            assert rendered.unfilled == (), (snippet.title, body)
            assert "{agent.name}" in body  # signed by a person
            assert post_length(Network.BLUESKY, rendered.text) <= 300, snippet.title


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "not JSON"),
        ('{"format": "other"}', "not a snippet pack"),
        ('{"format": "heedful-snippets", "version": 9, "snippets": []}', "newer"),
        ('{"format": "heedful-snippets", "version": 1, "snippets": [{"body": "x"}]}', "no title"),
        ('{"format": "heedful-snippets", "version": 1, "snippets": [{"title": "x"}]}', "no body"),
        ('{"format": "heedful-snippets", "version": 1, "snippets": [{"title": "x", "body": "y",'
         ' "variants": [{"network": "myspace", "body": "z"}]}]}', "unknown network"),
    ],
)  # fmt: skip
def test_bad_packs_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(PackError, match=problem):
        parse_pack(text)


def test_csv_import_from_a_spreadsheet(workspace: Workspace, tmp_path: Path) -> None:
    sheet = tmp_path / "snippets.csv"
    sheet.write_text(
        "\ufefftitle,shortcut,body,folder,tags,language,network\n"
        "Thanks,ty,Thank you!,Kind words,praise;happy,,\n"
        "Thanks,ty,Tusen takk!,,,nb,\n"
        'Late,late,"Sorry, it\'s late",Orders,delivery,,\n',
        encoding="utf-8",
    )
    report = workspace.snippets.import_file(sheet)
    assert len(report.added) == 2
    thanks = workspace.snippets.by_shortcut("/TY")
    assert thanks is not None
    assert thanks.tags == ("praise", "happy")
    assert thanks.variants == (SnippetVariant("Tusen takk!", "nb", ""),)
    late = workspace.snippets.by_shortcut("late")
    assert late is not None
    assert late.body == "Sorry, it's late"
    with pytest.raises(PackError, match="title and body"):
        parse_csv("name,text\na,b\n")


# --- the store -----------------------------------------------------------------------------------


def test_shortcuts_are_unique_without_case(workspace: Workspace) -> None:
    repository = workspace.snippets.repository
    repository.add(_new())
    with pytest.raises(DuplicateShortcut, match="/LATE is already used"):
        repository.add(_new(shortcut="LATE"))


def test_delete_then_undo_restores_everything(workspace: Workspace) -> None:
    repository = workspace.snippets.repository
    snippet = repository.add(_new())
    repository.record_use(snippet.id, None, snippet.created_at)
    before = repository.get(snippet.id)
    deleted = repository.delete(snippet.id)
    assert repository.by_shortcut("late") is None
    assert repository.restore(deleted) == before


def test_using_a_snippet_counts(workspace: Workspace) -> None:
    snippet = workspace.snippets.repository.add(_new())
    workspace.snippets.record_use(snippet.id, None)
    workspace.snippets.record_use(snippet.id, None)
    used = workspace.snippets.repository.get(snippet.id)
    assert used.usage_count == 2
    assert used.last_used_at is not None


# --- finding and suggesting ----------------------------------------------------------------------


def test_fuzzy_search_over_title_shortcut_body_and_tags(workspace: Workspace) -> None:
    workspace.snippets.import_snippets(
        [
            _new(),
            _new(title="Sizing advice", shortcut="size", tags=("sizing",), variants=(),
                 body="Our boots run small."),
            _new(title="Refund on its way", shortcut="refund", tags=("money",), variants=(),
                 body="The refund is through."),
        ]
    )  # fmt: skip
    titles = lambda query: [s.title for s in search(workspace.snippets.all(), query)]  # noqa: E731
    assert titles("size")[0] == "Sizing advice"
    assert titles("boots") == ["Sizing advice"]  # body
    assert titles("money") == ["Refund on its way"]  # tags
    assert titles("ordr late")[0] == "Order running late"  # letters in order, in the title
    assert titles("beklager") == ["Order running late"]  # a variant's body
    assert titles("zebra") == []
    assert len(titles("")) == 3
    assert fuzzy_score("late", workspace.snippets.by_shortcut("late")) > fuzzy_score(  # type: ignore[arg-type]
        "late",
        workspace.snippets.by_shortcut("size"),  # type: ignore[arg-type]
    )


def test_suggestions_rank_by_similar_past_mentions() -> None:
    late, size = _snippet(body="late"), dataclasses.replace(_snippet(body="size"), id=2)
    uses = [
        (1, "Where is my parcel? Tracking has not moved in nine days"),
        (1, "my parcel is stuck, tracking says in transit"),
        (2, "Do the Stig boots run small? I'm a 42"),
        (2, "Which size should I order in the Tinde jacket?"),
    ]
    ranked = suggest([late, size], uses, "The tracking for my parcel has not changed")
    assert next(s.body for s, _ in ranked) == "late"
    ranked = suggest([late, size], uses, "what size boots for a 43?")
    assert [s.body for s, _ in ranked] == ["size"]
    assert suggest([late, size], [], "anything") == []


def test_without_history_a_snippets_own_words_suggest_it() -> None:
    refund = dataclasses.replace(_snippet(body="Your refund is on its way to your card"), id=1)
    size = dataclasses.replace(_snippet(body="Sizing: go up one size in the boots"), id=2)
    assert [s.id for s, _ in suggest([refund, size], [], "Where is my refund??")] == [1]
    assert suggest([refund, size], [], "I want my money back") == []
    learned = suggest([refund, size], [(1, "I want my money back for the jacket")], "money back?")
    assert [s.id for s, _ in learned] == [1]


# --- composing and queueing --------------------------------------------------------------------


def test_a_reply_built_from_a_snippet_reaches_the_outbox(workspace: Workspace) -> None:
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest(
        [mention(account.id, 1, "Hvor er pakken min?", by=author(name="Åsa Øvrebø"),
                 language="no")]
    )  # fmt: skip
    mention_id = workspace.inbox.list_rows(InboxFilter(), 1)[0].id
    workspace.snippets.import_snippets([_new()])
    snippet = workspace.snippets.by_shortcut("late")
    assert snippet is not None
    subject = workspace.composer.mention(mention_id)
    built = workspace.composer.render_snippet(subject, snippet)
    assert built.variant.language == "nb"
    text = workspace.composer.opening(subject) + built.rendered.text
    assert text == f"@kari@toot.example Hei Åsa, beklager! – {workspace.settings.agent_name}"
    assert [f.kind for f in workspace.composer.findings(mention_id, text)] == []
    item = workspace.replies.queue(mention_id, text).item
    assert workspace.outbox.get(item.id).body == text


def test_personal_data_is_fine_in_a_reply_to_a_direct_message(workspace: Workspace) -> None:
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest(
        [mention(account.id, 1, "My order?", kind=MentionKind.DIRECT, visibility="direct")]
    )
    mention_id = workspace.inbox.list_rows(InboxFilter(), 1)[0].id
    assert workspace.composer.findings(mention_id, "Found FF-482913, ships today!") == []
    public = workspace.composer.context(workspace.composer.mention(mention_id), "x")
    assert public.direct


def test_an_unfilled_placeholder_blocks_queueing(workspace: Workspace) -> None:
    account = workspace.accounts.add(brand_account())
    workspace.mentions.ingest([mention(account.id, 1)])
    mention_id = workspace.inbox.list_rows(InboxFilter(), 1)[0].id
    findings = workspace.composer.findings(mention_id, "Checked {?order number} for you")
    assert [(f.kind, f.blocking) for f in findings] == [("placeholder", True)]
    assert "order number" in findings[0].fix
    with pytest.raises(ReplyRefused):
        workspace.replies.check(mention_id, "")
