"""Every figure of a report, on a store whose reply times are known, against values worked out
by hand (in the comments beside each mention below).

The brand works Monday to Friday, 09:00–17:00 in Oslo (UTC+1 in November); Wednesday
2026-11-18 is a holiday; targets: direct messages 1 h, anything public 2 h; time in Pending
does not count. "Now" is Friday 2026-11-20 16:00. The week (Saturday 14 to Friday 20):

  M9  Sun 15 20:00 mention  Kari replies Mon 09:20 (Heedful), done Mon 09:30
  M11 Mon 16 09:00 mention  imported as done, no history, never answered
  M1  Mon 16 10:00 mention  #billing; Kari opens 10:05, replies 10:30, done 10:40; the sync
                            later finds that same reply in the thread (counted once)
  M3  Mon 16 11:00 mention  Bluesky; the brand answers in the thread outside Heedful 12:00;
                            Kari marks it done 12:10
  M2  Mon 16 16:30 direct   Ola replies Tue 09:45, Kari Tue 09:55, Ola done Tue 10:00
  M10 Tue 17 10:00 mention  Ola closes it 10:30 without a reply
  M4  Tue 17 15:00 mention  Kari opens 15:10, pending 15:30 … open Thu 10:00, a reply Thu 10:20
                            the outbox does not name (credited to Kari, who acted last), done 10:30
  M5  Wed 18 10:00 mention  #billing (the holiday); Ola done 11:00, reopens Thu 09:30, replies
                            09:50, done 10:00
  M6  Thu 19 16:00 reply    Bluesky; Kari opens 16:05, assigned to Ola; never answered
  M8  Fri 20 08:00 direct   Kari: pending 08:10, assigned to Kari
  M7  Fri 20 15:30 mention  nb; new, nobody has touched it
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from storage.accounts import AccountRepository
from storage.mentions import MentionRepository
from storage.outbox import OutboxRepository
from storage.records import (
    MentionKind,
    Network,
    NewAccount,
    NewAuthor,
    NewMention,
    TriageStatus,
    to_timestamp,
)
from storage.reports.facts import FactRepository
from storage.store import Store, open_store
from storage.triage import TriageRepository

from app.reports.model import Durations, Figures
from app.reports.periods import between, since
from app.reports.query import ReportQuery, ReportQueryError
from app.reports.service import ReportService
from app.reports.sla import policy_from_json

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 11, 20, 16, 0, tzinfo=OSLO)
HOUR = 3_600

POLICY = {
    "time_zone": "Europe/Oslo",
    "pause_while_pending": True,
    "targets": [{"kind": "direct", "hours": 1}, {"kind": "public", "hours": 2}],
    "hours": dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), "09:00-17:00"),
    "holidays": [{"date": "2026-11-18", "name": "Staff day"}],
}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=OSLO)


@dataclass
class Week:
    store: Store
    ids: dict[str, int]
    service: ReportService


class _Builder:
    def __init__(self, store: Store) -> None:
        self.store = store
        accounts = AccountRepository(store)
        self.mastodon = accounts.add(
            NewAccount(Network.MASTODON, "https://social.example", "fjellform")
        ).id
        self.bluesky = accounts.add(
            NewAccount(Network.BLUESKY, "https://bsky.example", "fjellform.bsky.social")
        ).id
        self.mentions = MentionRepository(store)
        self.triage = TriageRepository(store)
        self.outbox = OutboxRepository(store)
        self.ids: dict[str, int] = {}
        self.replies = 0

    def mention(
        self,
        name: str,
        when: datetime,
        kind: MentionKind = MentionKind.MENTION,
        *,
        bluesky: bool = False,
        language: str = "en",
        tags: tuple[str, ...] = (),
        status: TriageStatus = TriageStatus.NEW,
    ) -> None:
        account = self.bluesky if bluesky else self.mastodon
        network = Network.BLUESKY if bluesky else Network.MASTODON
        self.mentions.ingest(
            [
                NewMention(
                    account_id=account,
                    platform_id=f"post-{name}",
                    author=NewAuthor(network, f"customer-{name}", f"{name.lower()}@example"),
                    kind=kind,
                    text=f"{name}: where is my order?",
                    created_at=when,
                    language=language,
                    tags=tags,
                    status=status,
                )
            ]
        )
        self.ids[name] = self.mentions.newest_id()

    def status(self, name: str, status: TriageStatus, actor: str, when: datetime) -> None:
        self.triage.set_field([self.ids[name]], "status", status.value, actor=actor, at=when)

    def assign(self, name: str, agent: str, when: datetime) -> None:
        self.triage.set_field([self.ids[name]], "assignee", agent, actor=agent, at=when)

    def sent(self, name: str, agent: str | None, when: datetime) -> str:
        """A reply through the outbox, sent at `when` (queued a minute before)."""
        self.replies += 1
        mention_id = self.ids[name]
        account = self.mentions.get(mention_id).account_id
        item = self.outbox.queue(
            account, mention_id, "reply", "Sorry! On its way.", f"k{self.replies}"
        )
        platform_id = f"reply-{self.replies}"
        self.outbox.claim(item.id, when)
        self.outbox.mark_sent(item.id, platform_id, None)
        with self.store.write() as db:
            db.execute(
                "UPDATE outbox SET created_at = ?, sent_at = ?, agent = ? WHERE id = ?",
                [to_timestamp(when - timedelta(minutes=1)), to_timestamp(when), agent, item.id],
            )
        return platform_id

    def own_reply(self, name: str, when: datetime, platform_id: str, *, bluesky: bool) -> None:
        """The brand's own post in the thread, as the sync finds it."""
        network = Network.BLUESKY if bluesky else Network.MASTODON
        self.mentions.ingest(
            [
                NewMention(
                    account_id=self.bluesky if bluesky else self.mastodon,
                    platform_id=platform_id,
                    author=NewAuthor(network, "brand", "fjellform"),
                    kind=MentionKind.REPLY,
                    text="Here is the fix.",
                    created_at=when,
                    parent_platform_id=f"post-{name}",
                    is_own=True,
                    status=TriageStatus.DONE,
                )
            ]
        )


def build_week(store: Store) -> dict[str, int]:
    b = _Builder(store)
    open_, pending, done = TriageStatus.OPEN, TriageStatus.PENDING, TriageStatus.DONE
    b.mention("M9", at(15, 20))
    b.sent("M9", "Kari", at(16, 9, 20))
    b.status("M9", done, "Kari", at(16, 9, 30))
    b.mention("M11", at(16, 9), status=done)
    b.mention("M1", at(16, 10), tags=("billing",))
    b.status("M1", open_, "Kari", at(16, 10, 5))
    echo = b.sent("M1", "Kari", at(16, 10, 30))
    b.status("M1", done, "Kari", at(16, 10, 40))
    b.own_reply("M1", at(16, 10, 31), echo, bluesky=False)  # the same reply, found by the sync
    b.mention("M3", at(16, 11), bluesky=True)
    b.own_reply("M3", at(16, 12), "outside-1", bluesky=True)
    b.status("M3", done, "Kari", at(16, 12, 10))
    b.mention("M2", at(16, 16, 30), MentionKind.DIRECT, language="nb")
    b.sent("M2", "Ola", at(17, 9, 45))
    b.sent("M2", "Kari", at(17, 9, 55))
    b.status("M2", done, "Ola", at(17, 10))
    b.mention("M10", at(17, 10), language="fr")
    b.status("M10", done, "Ola", at(17, 10, 30))
    b.mention("M4", at(17, 15), language="de")
    b.status("M4", open_, "Kari", at(17, 15, 10))
    b.status("M4", pending, "Kari", at(17, 15, 30))
    b.status("M4", open_, "Kari", at(19, 10))
    b.sent("M4", None, at(19, 10, 20))
    b.status("M4", done, "Kari", at(19, 10, 30))
    b.mention("M5", at(18, 10), tags=("billing",))
    b.status("M5", done, "Ola", at(18, 11))
    b.status("M5", open_, "Ola", at(19, 9, 30))
    b.sent("M5", "Ola", at(19, 9, 50))
    b.status("M5", done, "Ola", at(19, 10))
    b.mention("M6", at(19, 16), MentionKind.REPLY, bluesky=True)
    b.status("M6", open_, "Kari", at(19, 16, 5))
    b.assign("M6", "Ola", at(19, 16, 6))
    b.mention("M8", at(20, 8), MentionKind.DIRECT)
    b.status("M8", pending, "Kari", at(20, 8, 10))
    b.assign("M8", "Kari", at(20, 8, 11))
    b.mention("M7", at(20, 15, 30), language="nb")
    return b.ids


@pytest.fixture
def week(tmp_path: Path) -> Iterator[Week]:
    store = open_store(tmp_path / "week.db")
    ids = build_week(store)
    service = ReportService(store, clock=lambda: NOW)
    service.settings.save(policy_from_json(POLICY))
    yield Week(store, ids, service)
    store.close()


def durations(count: int, median: int, p90: int, buckets: tuple[int, ...]) -> Durations:
    return Durations(count, median, p90, buckets)


def test_every_figure_of_the_week_matches_the_hand_computed_values(week: Week) -> None:
    report = week.service.report(ReportQuery(since("7d")))
    assert report.period.first == date(2026, 11, 14)
    assert report.period.last == date(2026, 11, 20)
    assert report.period.time_zone == "Europe/Oslo"
    f = report.total.figures

    # First response: M1 M2 M3 M4 M5 M9 answered (M3 outside Heedful; M1's echo not twice).
    assert f.received == 11
    assert (f.first_response.answered, f.first_response.unanswered) == (6, 5)
    assert (f.first_response.in_heedful, f.first_response.outside_heedful) == (5, 1)
    # Calendar: M1 30 min, M3 1 h, M9 13 h 20, M2 17 h 15, M5 23 h 50, M4 43 h 20.
    assert f.first_response.calendar == durations(6, 48_000, 156_000, (1, 1, 0, 3, 1))
    # Business: M5 20 min (the holiday, then done until reopened), M9 20 min, M1 30 min,
    # M4 50 min (30 + 20: the pending day and a half left out), M3 1 h, M2 1 h 15 (30 + 45).
    assert f.first_response.business == durations(6, 1_800, 4_500, (4, 2, 0, 0, 0))

    # SLA: met M1 M3 M4 M5 M9; late M2 (due Tue 09:30); overdue M6 (due Fri 10:00);
    # waiting M7 (due Mon 09:30); paused M8; closed without reply M10, M11.
    sla = f.service_level
    assert (sla.with_target, sla.met, sla.late, sla.overdue) == (11, 5, 1, 1)
    assert (sla.waiting, sla.paused, sla.closed_without_reply) == (1, 1, 2)
    assert sla.breached == 2
    assert sla.met_percent == 71.4

    # Time to done (first done): M10 30 min, M1 40 min, M5 1 h, M3 1 h 10, M9 13 h 30,
    # M2 17 h 30, M4 43 h 30; business: M5 0, M9 30 min, M10 30 min, M1 40 min, M3 1 h 10,
    # M2 1 h 30, M4 3 h 30 (Tue 2 h, Thu 1 h 30). M11 has no dated done.
    assert f.time_to_done.calendar == durations(7, 4_200, 156_600, (2, 2, 0, 2, 1))
    assert f.time_to_done.business == durations(7, 2_400, 12_600, (4, 3, 0, 0, 0))

    assert (f.reopened.mentions, f.reopened.times) == (1, 1)

    # Replies: Kari M9 M1 M2(second) M4; Ola M2 M5; outside Heedful M3.
    assert [(a.agent, a.replies, a.first_responses) for a in f.agents] == [
        ("Kari", 4, 3),
        ("Ola", 2, 2),
        ("(outside Heedful)", 1, 1),
    ]

    # Received by local hour of the week.
    cells = {
        (day, hour) for day, hours in enumerate(f.hour_of_week) for hour, n in enumerate(hours) if n
    }
    assert cells == {(0, 9), (0, 10), (0, 11), (0, 16), (1, 10), (1, 15), (2, 10), (3, 16),
                     (4, 8), (4, 15), (6, 20)}  # fmt: skip
    assert sum(map(sum, f.hour_of_week)) == 11

    # By day: received, first responses, replies, open work and unanswered at each day's end
    # (Friday: now).
    assert [d.row() for d in f.days] == [
        day_row("2026-11-14", 0, 0, 0, 0, 0),
        day_row("2026-11-15", 1, 0, 0, 1, 1),  # M9 waits overnight
        day_row("2026-11-16", 4, 3, 3, 1, 1),  # M2 waits overnight
        day_row("2026-11-17", 2, 1, 2, 1, 1),  # M4 pending, unanswered
        day_row("2026-11-18", 1, 0, 0, 1, 1),  # M4 still; M5 closed on the holiday
        day_row("2026-11-19", 1, 2, 2, 1, 1),  # M6
        day_row("2026-11-20", 2, 0, 0, 3, 3),  # M6 M7 M8
    ]

    # The backlog now: M7 30 min old, M8 8 h, M6 24 h.
    assert (f.backlog.at_end, f.backlog.unanswered_at_end) == (3, 3)
    assert f.backlog.age == durations(3, 28_800, 86_400, (1, 0, 0, 1, 1))
    assert f.backlog.oldest_seconds == 86_400


def day_row(
    day: str, received: int, firsts: int, replies: int, backlog: int, unanswered: int
) -> dict[str, object]:
    return {
        "date": day,
        "received": received,
        "first_responses": firsts,
        "replies": replies,
        "backlog": backlog,
        "unanswered": unanswered,
    }


def test_grouped_by_agent_each_agent_has_their_own_figures(week: Week) -> None:
    report = week.service.report(ReportQuery(since("7d"), by="agent"))
    groups = {group.label: group for group in report.groups}
    # The agent: who answered first, else the assignee, else who closed it.
    assert [(g.label, g.figures.received) for g in report.groups] == [
        ("Kari", 4),  # M1 M4 M8 M9
        ("Ola", 4),  # M2 M5 M6 M10
        ("(no agent)", 2),  # M7 M11
        ("(outside Heedful)", 1),  # M3
    ]
    kari: Figures = groups["Kari"].figures
    assert kari.first_response.calendar == durations(3, 48_000, 156_000, (1, 0, 0, 1, 1))
    # Replies of a group are the agent's own, to any mention (M2's second reply is Kari's).
    assert [(a.agent, a.replies, a.first_responses) for a in kari.agents] == [("Kari", 4, 3)]
    ola = groups["Ola"].figures
    assert ola.first_response.calendar == durations(2, 62_100, 85_800, (0, 0, 0, 2, 0))
    sla = ola.service_level
    assert (sla.met, sla.late, sla.overdue, sla.closed_without_reply) == (1, 1, 1, 1)
    assert sla.met_percent == 33.3
    assert groups["Kari"].key == "Kari"
    assert groups["(no agent)"].key == ""


def test_a_tag_filter_keeps_only_its_mentions(week: Week) -> None:
    report = week.service.report(ReportQuery(since("7d"), filters=(("tag", ("billing",)),)))
    f = report.total.figures
    assert f.received == 2  # M1, M5
    assert f.first_response.calendar == durations(2, 1_800, 85_800, (1, 0, 0, 1, 0))
    assert f.first_response.business == durations(2, 1_200, 1_800, (2, 0, 0, 0, 0))
    assert (f.service_level.met, f.service_level.met_percent) == (2, 100.0)
    assert [(a.agent, a.replies) for a in f.agents] == [("Kari", 1), ("Ola", 1)]
    assert (f.reopened.mentions, f.backlog.at_end) == (1, 0)
    by_tag = week.service.report(ReportQuery(since("7d"), by="tag"))
    assert [(g.label, g.figures.received) for g in by_tag.groups] == [
        ("(no tag)", 9),
        ("billing", 2),
    ]


def test_today_and_a_custom_range(week: Week) -> None:
    today = week.service.report(ReportQuery(since("today"))).total.figures
    assert today.received == 2  # M7, M8
    assert (today.service_level.waiting, today.service_level.paused) == (1, 1)
    assert [d.row() for d in today.days] == [day_row("2026-11-20", 2, 0, 0, 3, 3)]

    monday_tuesday = week.service.report(
        ReportQuery(between(date(2026, 11, 16), date(2026, 11, 17)))
    ).total.figures
    assert monday_tuesday.received == 6  # M11 M1 M3 M2 M10 M4
    # M4 was answered on Thursday: it counts, with its time, among Tuesday's mentions.
    assert monday_tuesday.first_response.calendar == durations(4, 3_600, 156_000, (1, 1, 0, 1, 1))
    assert sum(a.replies for a in monday_tuesday.agents) == 5  # Monday 3, Tuesday 2
    # At the end of Tuesday (Wednesday 00:00) only M4 was open, 9 hours old.
    assert monday_tuesday.backlog.at_end == 1
    assert monday_tuesday.backlog.age == durations(1, 32_400, 32_400, (0, 0, 0, 1, 0))


def test_network_and_kind_and_language_filters(week: Week) -> None:
    bluesky = week.service.report(ReportQuery(since("7d"), filters=(("network", ("bluesky",)),)))
    assert bluesky.total.figures.received == 2  # M3, M6
    direct = week.service.report(ReportQuery(since("7d"), filters=(("kind", ("direct",)),)))
    assert direct.total.figures.received == 2  # M2, M8
    languages = week.service.report(ReportQuery(since("7d"), by="lang"))
    assert [(g.label, g.figures.received) for g in languages.groups] == [
        ("en", 7),
        ("nb", 2),
        ("de", 1),
        ("fr", 1),
    ]
    accounts = week.service.report(ReportQuery(since("7d"), by="account"))
    assert [(g.label, g.figures.received) for g in accounts.groups] == [
        ("fjellform", 9),
        ("fjellform.bsky.social", 2),
    ]


def test_an_unknown_value_or_dimension_says_what_there_is(week: Week) -> None:
    with pytest.raises(ReportQueryError, match="billing"):
        week.service.report(ReportQuery(since("7d"), filters=(("tag", ("biling",)),)))
    with pytest.raises(ReportQueryError, match="network"):
        week.service.report(ReportQuery(since("7d"), by="colour"))
    # A kind no mention has yet is no typo: the report is simply empty.
    quotes = week.service.report(ReportQuery(since("7d"), filters=(("kind", ("quote",)),)))
    assert quotes.total.figures.received == 0
    workspace = week.service.report(
        ReportQuery(since("7d"), filters=(("brand", ("(workspace)",)),))
    )
    assert workspace.total.figures.received == 11


def test_the_figures_follow_the_store_as_it_changes(week: Week) -> None:
    """A reply sent later is picked up by the next report (the triggers queue the mention)."""
    before = week.service.report(ReportQuery(since("7d"))).total.figures
    assert before.service_level.overdue == 1
    builder = _Builder.__new__(_Builder)
    builder.store = week.store
    builder.mentions = MentionRepository(week.store)
    builder.outbox = OutboxRepository(week.store)
    builder.ids = week.ids
    builder.replies = 100
    builder.sent("M6", "Ola", at(20, 15))  # Friday 15:00, after the deadline of 10:00
    after = week.service.report(ReportQuery(since("7d"))).total.figures
    assert after.service_level.overdue == 0
    assert after.service_level.late == 2
    assert after.first_response.answered == 7


def test_a_rebuild_from_the_store_gives_the_same_report(week: Week) -> None:
    first = week.service.report(ReportQuery(since("7d"), by="agent"))
    result = week.service.rebuild()
    assert result.rebuilt
    again = week.service.report(ReportQuery(since("7d"), by="agent"), refresh=False)
    assert again.total == first.total
    assert again.groups == first.groups


def test_a_mention_in_a_time_zone_day_belongs_to_its_local_day(week: Week) -> None:
    # M9 arrived Sunday 20:00 in Oslo (19:00 UTC): Sunday in the report, whatever UTC says.
    week.service.refresh()
    row = FactRepository(week.store).fact(week.ids["M9"])
    assert row is not None
    assert row["day"] == "2026-11-15"
    assert row["hour_of_week"] == 6 * 24 + 20
    assert datetime.fromtimestamp(row["created"], UTC) == at(15, 20).astimezone(UTC)


def test_an_empty_store_reports_nothing_without_failing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "empty.db")
    try:
        service = ReportService(store, clock=lambda: NOW)
        everything = service.report(ReportQuery(since("all"), by="agent"))
        assert everything.period.first is None
        assert everything.total.figures.received == 0
        assert everything.total.figures.first_response.calendar.median_seconds is None
        assert everything.total.figures.service_level.met_percent is None
        assert everything.groups == ()
        week = service.report(ReportQuery(between(date(2026, 11, 16), date(2026, 11, 17))))
        assert week.period.first == date(2026, 11, 16)
        assert [day.received for day in week.total.figures.days] == [0, 0]
    finally:
        store.close()
