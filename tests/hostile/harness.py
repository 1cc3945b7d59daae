"""Running one hostile case through the real code paths: the connector's parse function, then
MentionRepository.ingest with the skipped items recorded, exactly as a sync stores a page."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from storage.mentions import MentionRepository
from storage.skipped import SkippedItemRepository
from storage.store import Store

from app.networks.base import FetchedPage
from app.networks.bluesky.connector import notifications_to_pages
from app.networks.mastodon.connector import notifications_to_page

from tests.hostile.corpus import (
    BLUESKY_OWN_DID,
    MASTODON_OWN_ID,
    MASTODON_SERVER,
    HostileCase,
    bluesky_template,
    mastodon_template,
)

# Far above what any case takes; a case that reaches it hangs (a quadratic parser, a
# catastrophic regular expression), which is a failure whatever the machine's speed.
HANG_BOUND_S = 60


@contextlib.contextmanager
def bounded(seconds: int = HANG_BOUND_S) -> Iterator[None]:
    """Fail (TimeoutError) instead of hanging the suite."""

    def give_up(_signum: int, _frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Outcome:
    page: FetchedPage
    neighbour_ids: tuple[str, str]  # the well-formed items around the hostile one
    added: int


def neighbours(case: HostileCase, serial: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two well-formed items for the same page, unique to this case."""
    make = mastodon_template if case.network == "mastodon" else bluesky_template
    before, after = make(50_000 + 2 * serial), make(50_001 + 2 * serial)
    if case.network == "bluesky":
        # Newest first, as listNotifications sends them; the hostile one in the middle.
        before["indexedAt"], after["indexedAt"] = "2026-11-20T10:15:05.000Z", "2026-11-20T10:15:01Z"
    return before, after


def platform_id_of(network: str, payload: dict[str, Any]) -> str:
    return str(payload["status"]["id"]) if network == "mastodon" else str(payload["uri"])


def parse(case: HostileCase, items: list[Any], account_id: int) -> FetchedPage:
    if case.network == "mastodon":
        return notifications_to_page(
            items,
            account_id=account_id,
            own_user_id=MASTODON_OWN_ID,
            server=MASTODON_SERVER,
            cursor=None,
        )
    pages = list(
        notifications_to_pages(
            lambda _cursor: (items, None), None, account_id=account_id, own_did=BLUESKY_OWN_DID
        )
    )
    assert len(pages) == 1
    return pages[0]


def run_case(case: HostileCase, store: Store, account_id: int, serial: int) -> Outcome:
    before, after = neighbours(case, serial)
    with bounded():
        page = parse(case, [before, case.payload, after], account_id)
        mentions = MentionRepository(store)
        with store.write():
            added = mentions.ingest(page.items)
            SkippedItemRepository(store).record(account_id, page.skipped)
    return Outcome(
        page,
        (platform_id_of(case.network, before), platform_id_of(case.network, after)),
        added,
    )
