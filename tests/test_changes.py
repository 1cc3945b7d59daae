"""Change sets: what an operation changed, combined and tested for emptiness."""

from __future__ import annotations

from app.changes import NOTHING, Changes


def test_triage_and_drafts_count_as_changed_rows() -> None:
    changes = Changes.of(triage=[1], drafts=[2], added=[3], description="Marked 1 mention done")
    assert changes.mentions == {1, 2, 3}
    assert changes.list_rows
    assert changes.description == "Marked 1 mention done"


def test_combining_keeps_every_id_and_the_last_description() -> None:
    both = Changes.of(triage=[1], description="a") | Changes.of(outbox=[7], description="b")
    assert both.triage == {1}
    assert both.outbox == {7}
    assert both.mentions == {1}
    assert both.description == "b"
    assert (Changes.of(brand_profile=True) | NOTHING).brand_profile


def test_nothing_is_false_and_a_snippet_edit_does_not_touch_the_list() -> None:
    assert not NOTHING
    snippet = Changes.of(snippets=[4])
    assert snippet
    assert not snippet.list_rows
