"""Facts kept up to date piece by piece are the facts a rebuild computes from the store: any
sequence of syncs, triage, replies (in Heedful or in the thread) and refreshes, checked against
a rebuild; and the first-response figures never contradict themselves."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from storage.accounts import AccountRepository
from storage.mentions import MentionRepository
from storage.outbox import OutboxRepository
from storage.records import MentionKind, Network, NewAuthor, NewMention, TriageStatus, to_timestamp
from storage.store import open_store
from storage.triage import TriageRepository

from app.reports.periods import since
from app.reports.query import ReportQuery
from app.reports.service import ReportService
from app.reports.sla import policy_from_json

from tests.factories import brand_account
from tests.test_reports import NOW, POLICY, at

KINDS = (MentionKind.MENTION, MentionKind.REPLY, MentionKind.DIRECT)
STATUSES = (TriageStatus.OPEN, TriageStatus.PENDING, TriageStatus.DONE)
ACTIONS = ("arrive", "status", "assign", "tag", "reply", "refresh")

# (what, which mention, a choice among options, minutes later, in Heedful or in the thread)
Step = tuple[str, int, int, int, bool]
steps = st.tuples(
    st.sampled_from(ACTIONS),
    st.integers(0, 40),
    st.integers(0, 2),
    st.integers(1, 6 * 24 * 60),
    st.booleans(),
)


def _after_a_refresh(action: str, choice: int = 0, in_heedful: bool = True) -> list[Step]:
    return [
        ("arrive", 0, 0, 600, True),
        ("refresh", 0, 0, 1, True),
        (action, 0, choice, 30, in_heedful),
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=1, max_size=30))
@example(_after_a_refresh("tag"))
@example(_after_a_refresh("status", 2))
@example(_after_a_refresh("assign"))
@example(_after_a_refresh("reply", in_heedful=True))
@example(_after_a_refresh("reply", in_heedful=False))
def test_refreshing_as_things_happen_gives_what_a_rebuild_gives(operations: list[Step]) -> None:
    with TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "heedful.db")
        try:
            service = ReportService(store, clock=lambda: NOW)
            service.settings.save(policy_from_json(POLICY))
            account = AccountRepository(store).add(brand_account()).id
            mentions, triage = MentionRepository(store), TriageRepository(store)
            outbox = OutboxRepository(store)
            arrivals: list[tuple[int, datetime]] = []
            for serial, (action, which, choice, minutes, in_heedful) in enumerate(operations):
                if action == "arrive":
                    created = at(14, 0) + timedelta(minutes=minutes)
                    mentions.ingest([_mention(account, f"p{serial}", created, KINDS[choice])])
                    arrivals.append((mentions.newest_id(), created))
                    continue
                if action == "refresh":
                    service.refresh()
                    continue
                if not arrivals:
                    continue
                mention_id, created = arrivals[which % len(arrivals)]
                later = min(created + timedelta(minutes=minutes % 900), NOW)
                if action == "status":
                    status = STATUSES[choice].value
                    triage.set_field([mention_id], "status", status, actor="Kari", at=later)
                elif action == "assign":
                    agent = ("Kari", "Ola", "Ana")[choice]
                    triage.set_field([mention_id], "assignee", agent, actor="Ola", at=later)
                elif action == "tag":
                    tag = ("billing", "refund", "app")[choice]
                    triage.add_tag([mention_id], tag, actor="Kari", at=later)
                elif in_heedful:
                    item = outbox.queue(account, mention_id, "reply", "on it", f"k{serial}")
                    outbox.claim(item.id, later)
                    outbox.mark_sent(item.id, f"r{serial}", None)
                    with store.write() as db:
                        db.execute(
                            "UPDATE outbox SET created_at = ?, sent_at = ?, agent = 'Ola'"
                            " WHERE id = ?",
                            [to_timestamp(later), to_timestamp(later), item.id],
                        )
                else:  # the brand's own answer, found in the thread
                    parent = mentions.get(mention_id).platform_id
                    mentions.ingest([_mention(account, f"own{serial}", later, parent=parent)])
            queries = [ReportQuery(since("7d"), by="agent"), ReportQuery(since("7d"), by="tag")]
            kept = [service.report(query) for query in queries]
            service.rebuild()
            rebuilt = [service.report(query, refresh=False) for query in queries]
            for piecewise, whole in zip(kept, rebuilt, strict=True):
                assert piecewise.total == whole.total
                assert piecewise.groups == whole.groups
            figures = kept[0].total.figures
            first = figures.first_response
            assert first.answered == first.in_heedful + first.outside_heedful <= first.received
            level = figures.service_level
            assert (
                level.met
                + level.breached
                + level.waiting
                + level.paused
                + level.closed_without_reply
                == level.with_target
            )
            if first.answered:
                assert first.business.median_seconds is not None
                assert first.calendar.median_seconds is not None
                assert first.business.median_seconds <= first.calendar.median_seconds
        finally:
            store.close()


def _mention(
    account: int,
    platform_id: str,
    created: datetime,
    kind: MentionKind = MentionKind.REPLY,
    *,
    parent: str | None = None,
) -> NewMention:
    own = parent is not None
    return NewMention(
        account_id=account,
        platform_id=platform_id,
        author=NewAuthor(Network.MASTODON, "brand" if own else platform_id, platform_id),
        kind=kind,
        text="fixed" if own else "help",
        created_at=created,
        parent_platform_id=parent,
        is_own=own,
    )
