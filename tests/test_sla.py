"""Service levels: the policy a brand sets, the timers the inbox will show (due, overdue,
paused, time left in business hours), the `sla:` conditions, and facts that follow the store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from storage.accounts import AccountRepository
from storage.mentions import MentionRepository
from storage.migrations import MIGRATIONS
from storage.records import MentionKind, Network, to_timestamp
from storage.reports.facts import FactRepository
from storage.reports.timers import TimeLeftCursor, time_left_page_query
from storage.store import Store, open_store
from storage.triage import TriageRepository

from app.reports.periods import since
from app.reports.query import ReportQuery
from app.reports.service import ReportService
from app.reports.sla import (
    SlaPolicy,
    SlaSettingsError,
    Target,
    policy_from_json,
    policy_json,
)
from app.reports.timers import SlaTimers

from tests.factories import add_account_as_schema_1, brand_account, ingest_as_schema_1, mention
from tests.test_reports import NOW, OSLO, POLICY, at, build_week

HOUR = 3_600


# --- the policy -------------------------------------------------------------------------------


def test_a_policy_reads_back_as_it_was_written() -> None:
    policy = policy_from_json(POLICY)
    assert policy_from_json(policy_json(policy)) == policy
    assert policy.target_for("mastodon", "direct") == HOUR
    assert policy.target_for("bluesky", "quote") == 2 * HOUR
    assert policy.calendar().holidays == frozenset({date(2026, 11, 18)})


def test_the_most_specific_target_applies() -> None:
    policy = SlaPolicy(
        targets=(
            Target("", "", 8 * HOUR),
            Target("", "public", 2 * HOUR),
            Target("", "direct", HOUR),
            Target("bluesky", "public", 3 * HOUR),
            Target("bluesky", "", 4 * HOUR),
        )
    )
    assert policy.target_for("mastodon", "mention") == 2 * HOUR
    assert policy.target_for("bluesky", "reply") == 3 * HOUR  # public on Bluesky
    assert policy.target_for("bluesky", "direct") == HOUR  # the kind counts first
    assert policy.target_for("x", "direct") == HOUR
    assert SlaPolicy().target_for("mastodon", "mention") is None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "Unknown time zone"),
        ({"targets": [{"kind": "dm", "hours": 1}]}, "not a kind"),
        ({"targets": [{"kind": "direct"}]}, "one of seconds, minutes, hours"),
        ({"targets": [{"kind": "direct", "hours": 1}, {"kind": "direct", "minutes": 5}]}, "same"),
        ({"hours": {"funday": "09:00-17:00"}}, "not a weekday"),
        ({"hours": {"monday": "9 to 5"}}, "not a shift"),
        ({"holidays": ["Christmas"]}, "not a date"),
        ({"holidays": ["2026-12-25", "2026-12-25"]}, "twice"),
        ({"pause_while_pending": "yes"}, "true or false"),
        ({"colour": "blue"}, "Unknown settings"),
    ],
)
def test_unusable_settings_say_what_to_change(document: dict[str, object], message: str) -> None:
    with pytest.raises(SlaSettingsError, match=message):
        policy_from_json(document)


def test_an_overnight_shift_and_a_split_day_are_kept_as_written() -> None:
    policy = policy_from_json(
        {"hours": {"friday": ["09:00-12:00", "13:00-16:00"], "saturday": "22:00-02:00"}}
    )
    assert policy_json(policy)["hours"] == {
        "friday": ["09:00-12:00", "13:00-16:00"],
        "saturday": ["22:00-02:00"],
    }


# --- timers on the hand-computed week -------------------------------------------------------------


@pytest.fixture
def week(tmp_path: Path) -> Iterator[tuple[Store, dict[str, int], ReportService]]:
    store = open_store(tmp_path / "week.db")
    ids = build_week(store)
    service = ReportService(store, clock=lambda: NOW)
    service.settings.save(policy_from_json(POLICY))
    service.refresh()
    yield store, ids, service
    store.close()


def test_each_open_mention_has_a_timer_in_business_hours(
    week: tuple[Store, dict[str, int], ReportService],
) -> None:
    store, ids, service = week
    timers = SlaTimers(store, service.settings).timers(list(ids.values()), NOW)
    m6, m7, m8 = timers[ids["M6"]], timers[ids["M7"]], timers[ids["M8"]]
    # M6: due Friday 10:00, six business hours ago.
    assert (m6.state, m6.due_at) == ("overdue", at(20, 10).astimezone(UTC))
    assert m6.business_seconds_left == -6 * HOUR
    # M7: arrived Friday 15:30, two hours' target: due Monday 09:30; an hour of today left.
    assert (m7.state, m7.due_at) == ("waiting", at(23, 9, 30).astimezone(UTC))
    assert m7.business_seconds_left == 1.5 * HOUR
    assert m7.ticking
    # M8: pending since before opening: paused with the whole hour left.
    assert (m8.state, m8.business_seconds_left, m8.due_at) == ("paused", HOUR, None)
    assert not m8.ticking
    assert timers[ids["M2"]].state == "late"
    assert timers[ids["M2"]].due_at == at(17, 9, 30).astimezone(UTC)
    assert timers[ids["M1"]].answered_at == at(16, 10, 30).astimezone(UTC)
    assert {timers[ids[n]].state for n in ("M10", "M11")} == {"closed"}


def test_the_sla_conditions_find_the_right_mentions(
    week: tuple[Store, dict[str, int], ReportService],
) -> None:
    store, ids, service = week
    timers = SlaTimers(store, service.settings)
    names = {mention_id: name for name, mention_id in ids.items()}

    def matching(condition: tuple[str, list[object]]) -> set[str]:
        sql, params = condition
        rows = store.conn.execute(f"SELECT m.id FROM mentions AS m WHERE {sql}", params)
        return {names[row[0]] for row in rows}

    assert matching(timers.overdue(NOW)) == {"M6"}
    assert matching(timers.paused()) == {"M8"}
    assert matching(timers.breached(NOW)) == {"M6", "M2"}
    # Friday 16:00: M7 has 1 h 30 of business time left; due<2h finds it, due<1h does not.
    assert matching(timers.due_within(NOW, 2 * HOUR, [""])) == {"M7"}
    assert matching(timers.due_within(NOW, HOUR, [""])) == set()
    # Monday 09:00 it has 30 minutes left.
    monday = at(23, 9)
    assert matching(timers.due_within(monday, 1_800, [""])) == {"M7"}
    assert matching(timers.overdue(at(23, 9, 30))) == {"M6", "M7"}
    assert timers.count(timers.overdue(NOW)) == 1
    assert timers.next_deadline(NOW) == at(23, 9, 30).astimezone(UTC)


def test_a_view_pages_in_order_of_time_left(
    week: tuple[Store, dict[str, int], ReportService],
) -> None:
    store, ids, service = week
    # Running clocks: M6 (due Friday 10:00, overdue), M7 (Monday 09:30), and a direct
    # message arriving now, due in an hour of business time: Friday 17:00.
    MentionRepository(store).ingest(
        [mention(1, 900, kind=MentionKind.DIRECT, created_at=NOW, platform_id="late-dm")]
    )
    service.refresh()
    dm = MentionRepository(store).newest_id()
    sql, params = time_left_page_query(["m.is_own = 0"], [], None)
    first = store.conn.execute(sql, [*params, 2]).fetchall()
    assert [row[0] for row in first] == [ids["M6"], dm]
    after = TimeLeftCursor(first[-1][1], first[-1][0])
    sql, params = time_left_page_query(["m.is_own = 0"], [], after)
    assert [row[0] for row in store.conn.execute(sql, [*params, 10])] == [ids["M7"]]
    # The view's own conditions apply on the way: only Mastodon direct messages.
    sql, params = time_left_page_query(["m.kind = ?"], ["direct"], None)
    assert [row[0] for row in store.conn.execute(sql, [*params, 10])] == [dm]


# --- facts follow the store ---------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> Iterator[tuple[Store, ReportService]]:
    store = open_store(tmp_path / "small.db")
    service = ReportService(store, clock=lambda: NOW)
    service.settings.save(policy_from_json(POLICY))
    yield store, service
    store.close()


def _dirty(store: Store) -> set[int]:
    return {row[0] for row in store.conn.execute("SELECT mention_id FROM report_dirty")}


def test_every_writer_queues_what_it_changed_for_the_next_refresh(
    small: tuple[Store, ReportService],
) -> None:
    store, service = small
    account = AccountRepository(store).add(brand_account()).id
    mentions = MentionRepository(store)
    mentions.ingest([mention(account, n, created_at=at(20, 9, n)) for n in range(3)])
    assert _dirty(store) == {1, 2, 3}
    service.refresh()
    assert _dirty(store) == set()
    TriageRepository(store).set_field([2], "status", "open", actor="Kari", at=at(20, 9, 30))
    assert _dirty(store) == {2}
    TriageRepository(store).add_tag([3], "billing", actor="Kari", at=at(20, 9, 31))
    assert _dirty(store) == {2, 3}
    service.refresh()
    # The brand's own reply found in the thread queues the post it answers.
    mentions.ingest(
        [
            mention(
                account, 50, created_at=at(20, 9, 40), is_own=True, kind=MentionKind.REPLY,
                parent_platform_id=mentions.get(1).platform_id, platform_id="own-1",
            )
        ]
    )  # fmt: skip
    assert _dirty(store) == {1}
    service.refresh()
    fact = FactRepository(store).fact(1)
    assert fact is not None
    assert (fact["response_via"], fact["response_seconds"]) == ("thread", 40 * 60)


def test_a_deleted_account_takes_its_facts_and_its_packs_with_it(
    small: tuple[Store, ReportService],
) -> None:
    store, service = small
    accounts = AccountRepository(store)
    first = accounts.add(brand_account()).id
    second = accounts.add(brand_account(Network.BLUESKY)).id
    mentions = MentionRepository(store)
    mentions.ingest(
        [mention(first, 1, created_at=at(19, 10)), mention(second, 2, created_at=at(20, 10))]
    )
    assert service.report(ReportQuery(since("7d"))).total.figures.received == 2
    with store.write() as db:
        db.execute("DELETE FROM accounts WHERE id = ?", [second])
    assert service.report(ReportQuery(since("7d"))).total.figures.received == 1
    days = [row[0] for row in store.conn.execute("SELECT day FROM report_days")]
    assert days == ["2026-11-19"]


def test_saving_new_targets_recomputes_every_timer(small: tuple[Store, ReportService]) -> None:
    store, service = small
    account = AccountRepository(store).add(brand_account()).id
    MentionRepository(store).ingest([mention(account, 1, created_at=at(20, 15))])
    assert service.report(ReportQuery(since("today"))).total.figures.service_level.waiting == 1
    stricter = json.loads(json.dumps(POLICY))
    stricter["targets"] = [{"kind": "public", "minutes": 30}]
    service.settings.save(policy_from_json(stricter))
    level = service.report(ReportQuery(since("today"))).total.figures.service_level
    assert (level.waiting, level.overdue) == (0, 1)  # 15:00 + 30 min is past


def test_a_brand_of_its_own_counts_in_its_own_zone_and_hours(
    small: tuple[Store, ReportService],
) -> None:
    """Each brand's mentions follow its own policy (`accounts.brand`, migration 10): here a
    New York brand, open around the clock, 15-minute targets."""
    store, service = small
    accounts = AccountRepository(store)
    oslo = accounts.add(brand_account()).id
    york = accounts.add(brand_account(Network.BLUESKY)).id
    MentionRepository(store).ingest(
        [mention(oslo, 1, created_at=at(20, 15)), mention(york, 2, created_at=at(20, 15))]
    )
    service.refresh()
    with store.write() as db:
        db.execute("UPDATE accounts SET brand = 'Trail' WHERE id = ?", [york])
    service.settings.save(
        policy_from_json(
            {"brand": "Trail", "time_zone": "America/New_York", "targets": [{"minutes": 15}]}
        )
    )
    report = service.report(ReportQuery(since("today"), by="brand"))
    by_brand = {group.label: group.figures for group in report.groups}
    assert by_brand["Trail"].service_level.overdue == 1  # 15 minutes, around the clock
    assert by_brand["(workspace)"].service_level.waiting == 1  # two business hours in Oslo
    trail = FactRepository(store).fact(2)
    assert trail is not None
    assert (trail["brand"], trail["day"], trail["hour_of_week"]) == (
        "Trail",
        "2026-11-20",
        4 * 24 + 9,
    )
    assert dict(report.time_zones) == {"": "Europe/Oslo", "Trail": "America/New_York"}


def test_an_upgraded_store_computes_the_facts_of_the_mentions_it_already_had(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    old = open_store(path, target_version=9)
    # Written as a schema-9 Heedful wrote them (today's repositories write later columns).
    account = add_account_as_schema_1(old, brand_account())
    ingest_as_schema_1(old, [mention(account, n, created_at=at(20, 9, n)) for n in range(4)])
    old.conn.execute("UPDATE mentions SET status = 'done' WHERE id = 1")
    old.conn.execute(
        "INSERT INTO triage_events (mention_id, actor, field, old_value, new_value, at)"
        " VALUES (1, 'Ola', 'status', 'new', 'done', ?)",
        [to_timestamp(at(20, 10))],
    )
    old.conn.commit()
    old.close()
    store = open_store(path)
    assert store.schema_version() == MIGRATIONS[-1].version
    service = ReportService(store, clock=lambda: NOW)
    figures = service.report(ReportQuery(since("today"))).total.figures
    assert figures.received == 4
    assert figures.time_to_done.calendar.count == 1
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_a_day_is_the_brand_s_local_day_around_midnight(small: tuple[Store, ReportService]) -> None:
    store, service = small
    account = AccountRepository(store).add(brand_account()).id
    # 23:30 UTC on the 19th is 00:30 on the 20th in Oslo.
    late = datetime(2026, 11, 19, 23, 30, tzinfo=UTC)
    MentionRepository(store).ingest([mention(account, 1, created_at=late)])
    days = service.report(ReportQuery(since("7d"))).total.figures.days
    assert [(d.day, d.received) for d in days if d.received] == [(date(2026, 11, 20), 1)]
    assert late.astimezone(OSLO).date() == date(2026, 11, 20)
    assert timedelta(0) < NOW - late
