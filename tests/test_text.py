"""One-line previews of untrusted text, and inbox ages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.text.display import age, one_line, preview


def test_one_line_collapses_whitespace_and_drops_controls() -> None:
    assert one_line("Hello\n\n  there\tfriend\x00\x07") == "Hello there friend"


def test_one_line_drops_bidi_overrides_that_would_reverse_text() -> None:
    assert one_line("invoice\u202egpj.exe") == "invoicegpj.exe"


def test_one_line_cuts_huge_text_quickly() -> None:
    preview = one_line("spam " * 2_000_000, 50)
    assert len(preview) == 50
    assert preview.endswith("…")


NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "shown"),
    [
        (timedelta(seconds=5), "now"),
        (timedelta(minutes=3), "3 min"),
        (timedelta(hours=5), "5 h"),
        (timedelta(days=2), "2 d"),
        (timedelta(days=30), "4 wk"),
        (timedelta(minutes=-5), "now"),  # clocks disagree: never a negative age
    ],
)
def test_age(ago: timedelta, shown: str) -> None:
    assert age(NOW - ago, NOW) == shown


def test_preview_drops_the_leading_mentions_but_keeps_later_ones() -> None:
    assert preview("@fjellform @kari@toot.example Where is @olav's order?") == (
        "Where is @olav's order?"
    )
    assert preview("@fjellform") == "@fjellform"  # nothing else to show
