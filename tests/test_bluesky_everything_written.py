"""What Bluesky sends that the dev-env peer does not show easily: media inside a quote
(`recordWithMedia`), video alt text, self-labels and moderation labels, a `handle.invalid`
author, several languages; and how notifications that land below the last sync's stopping
point are read (pure functions, on notifications written by hand from the lexicons:
app.bsky.notification.listNotifications, app.bsky.embed.*, com.atproto.label.defs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storage.records import MentionKind

from app.networks.bluesky.connector import notification_to_mention, notifications_to_pages

DATA = Path(__file__).parent / "data" / "bluesky"
OWN = "did:plc:brandbrandbrandbrandbran"


def written() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((DATA / "everything_written.json").read_text())
    return loaded


def test_a_quote_with_images_keeps_the_quote_the_alt_text_and_every_language() -> None:
    quote = notification_to_mention(written()[0], account_id=1, own_did=OWN)

    assert quote.kind is MentionKind.QUOTE
    assert quote.text == (
        "This is what your waterproof jacket looks like after one hour of rain in Bergen.\n"
        "[quoting at://did:plc:brandbrandbrandbrandbran/app.bsky.feed.post/3lc1sale]\n"
        "[image: A soaked jacket dripping on a hanger]"
    )
    assert quote.languages == ("en", "nb")
    assert quote.language == "en"


def test_labels_become_a_content_warning() -> None:
    quote = notification_to_mention(written()[0], account_id=1, own_did=OWN)

    # The author's own label, once (it is in the record and in the view), and a
    # moderator's; a negated label and a label on the profile are not about this post.
    assert quote.spoiler_text == "Labelled: graphic media, rude"


def test_a_video_keeps_its_alt_text_and_an_invalid_handle_links_by_did() -> None:
    video = notification_to_mention(written()[1], account_id=1, own_did=OWN)

    assert video.text.endswith("\n[video: The zip splits open as it is pulled up]")
    assert video.author.handle == "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"
    assert video.url == "https://bsky.app/profile/did:plc:bbbbbbbbbbbbbbbbbbbbbbbb/post/3lc3video"
    assert video.spoiler_text == ""


def _mention(rkey: str, indexed: str, created: str | None = None) -> dict[str, Any]:
    return {
        "uri": f"at://did:plc:cccccccccccccccccccccccc/app.bsky.feed.post/{rkey}",
        "cid": "bafyreigggggggggggggggggggggggggggggggggggggggggggggggggggg",
        "author": {"did": "did:plc:cccccccccccccccccccccccc", "handle": "kari.bsky.social"},
        "reason": "mention",
        "record": {
            "$type": "app.bsky.feed.post",
            "text": f"@fjellform.bsky.social post {rkey}",
            "createdAt": created or indexed,
        },
        "indexedAt": indexed,
    }


def serve(
    *pages: list[dict[str, Any]],
) -> Callable[[str | None], tuple[list[dict[str, Any]], str | None]]:
    def fetch(cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        index = int(cursor) if cursor else 0
        return list(pages[index]), str(index + 1) if index + 1 < len(pages) else None

    return fetch


def test_a_backdated_post_below_the_stopping_point_arrives_today() -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    first = list(
        notifications_to_pages(
            serve([_mention("3a", "2026-11-20T11:00:00.000Z")]),
            None, account_id=1, own_did=OWN, clock=lambda: now,
        )
    )  # fmt: skip
    [seen] = first[0].items
    assert seen.arrived_at == datetime(2026, 11, 20, 11, 0, tzinfo=UTC)  # the network's time

    # A post written "in 2021" (an imported archive) is sorted by the AppView under the
    # last sync's newest, where a reader that stops there never looks.
    backdated = _mention("3b", "2021-03-01T08:00:00.000Z")
    later = now + timedelta(minutes=1)
    again = list(
        notifications_to_pages(
            serve([_mention("3a", "2026-11-20T11:00:00.000Z"), backdated]),
            first[-1].cursor, account_id=1, own_did=OWN, clock=lambda: later,
        )
    )  # fmt: skip

    found = {m.platform_id.rsplit("/", 1)[1]: m for page in again for m in page.items}
    assert set(found) == {"3a", "3b"}  # the overlap offers 3a again: the store keeps it once
    assert found["3b"].arrived_at == later  # today's work, not the bottom of the inbox
    assert found["3b"].created_at.year == 2021  # what the post says of itself, kept
