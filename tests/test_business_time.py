"""The business-time calculator: hand-checked cases (weekends, holidays, DST, overnight shifts)
and properties over generated calendars, with a minute-by-minute count as an independent oracle."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.reports.business_time import (
    BusinessCalendar,
    BusinessClock,
    CalendarError,
    OpeningHours,
    business_seconds,
    deadline,
    hour_of_week,
)

OSLO = ZoneInfo("Europe/Oslo")
HOUR = 3_600.0


def oslo(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=OSLO)  # type: ignore[misc]


def office(*holidays: date, zone: str = "Europe/Oslo") -> BusinessCalendar:
    """Monday to Friday, 09:00–17:00."""
    return BusinessCalendar(
        zone, tuple(OpeningHours.parse(day, "09:00-17:00") for day in range(5)), frozenset(holidays)
    )


# --- cases worked out by hand ---------------------------------------------------------------


def test_a_target_running_out_after_friday_closing_is_due_on_monday_morning() -> None:
    friday = oslo(2026, 11, 20, 16, 30)
    assert deadline(office(), friday, 2 * HOUR) == oslo(2026, 11, 23, 10, 30)
    assert business_seconds(office(), friday, oslo(2026, 11, 23, 10, 30)) == 2 * HOUR
    # The weekend itself counts nothing.
    assert business_seconds(office(), oslo(2026, 11, 21, 8), oslo(2026, 11, 23, 9)) == 0


def test_holidays_are_closed_all_day() -> None:
    christmas = office(date(2026, 12, 24), date(2026, 12, 25))  # Thursday and Friday
    wednesday = oslo(2026, 12, 23, 16)
    assert deadline(christmas, wednesday, 2 * HOUR) == oslo(2026, 12, 28, 10)
    assert business_seconds(christmas, wednesday, oslo(2026, 12, 28, 10)) == 2 * HOUR


def test_a_mention_before_opening_starts_counting_at_opening() -> None:
    early = oslo(2026, 11, 18, 6, 15)  # Wednesday
    assert deadline(office(), early, HOUR) == oslo(2026, 11, 18, 10)
    assert business_seconds(office(), early, oslo(2026, 11, 18, 9, 30)) == HOUR / 2


def test_zero_seconds_is_due_at_once_even_when_closed() -> None:
    saturday = oslo(2026, 11, 21, 12)
    assert deadline(office(), saturday, 0) == saturday


def test_an_overnight_shift_counts_until_it_closes_the_next_morning() -> None:
    nights = BusinessCalendar("Europe/Oslo", (OpeningHours.parse(4, "22:00-02:00"),))  # Fridays
    friday_night = oslo(2026, 11, 20, 23)
    assert deadline(nights, friday_night, 2 * HOUR) == oslo(2026, 11, 21, 1)
    # Three hours are left of this shift; the fourth is the next Friday's first.
    assert deadline(nights, friday_night, 4 * HOUR) == oslo(2026, 11, 27, 23)
    assert business_seconds(nights, oslo(2026, 11, 20, 12), oslo(2026, 11, 21, 12)) == 4 * HOUR


def test_a_holiday_closes_the_early_hours_of_the_previous_evenings_shift() -> None:
    # Thursday 22:00–02:00, and Friday 2026-12-25 is a holiday: only Thursday's two hours count.
    nights = BusinessCalendar(
        "Europe/Oslo", (OpeningHours.parse(3, "22:00-02:00"),), frozenset({date(2026, 12, 25)})
    )
    assert business_seconds(nights, oslo(2026, 12, 24, 12), oslo(2026, 12, 25, 12)) == 2 * HOUR


def test_the_night_the_clocks_go_forward_has_an_hour_less() -> None:
    # Europe/Oslo, 2026-03-29: 02:00 becomes 03:00.
    around_the_clock = BusinessCalendar("Europe/Oslo")
    assert (
        business_seconds(around_the_clock, oslo(2026, 3, 29, 0), oslo(2026, 3, 30, 0)) == 23 * HOUR
    )
    nights = BusinessCalendar("Europe/Oslo", (OpeningHours.parse(5, "22:00-06:00"),))  # Saturday
    assert business_seconds(nights, oslo(2026, 3, 28, 12), oslo(2026, 3, 29, 12)) == 7 * HOUR
    # Opening at a time the clocks skip means opening when they skip it (03:00 summer time).
    skipped = BusinessCalendar("Europe/Oslo", (OpeningHours.parse(6, "02:30-04:00"),))
    assert business_seconds(skipped, oslo(2026, 3, 29, 0), oslo(2026, 3, 29, 12)) == HOUR
    assert deadline(skipped, oslo(2026, 3, 29, 0), 60) == oslo(2026, 3, 29, 3, 1)


def test_the_night_the_clocks_go_back_has_an_hour_more() -> None:
    # Europe/Oslo, 2026-10-25: 03:00 summer time becomes 02:00 winter time.
    nights = BusinessCalendar("Europe/Oslo", (OpeningHours.parse(5, "22:00-06:00"),))
    assert business_seconds(nights, oslo(2026, 10, 24, 12), oslo(2026, 10, 25, 12)) == 9 * HOUR
    every_day = BusinessCalendar(
        "Europe/Oslo", tuple(OpeningHours.parse(day, "00:00-24:00") for day in range(7))
    )
    assert business_seconds(every_day, oslo(2026, 10, 25), oslo(2026, 10, 26)) == 25 * HOUR
    # A day shift is the same eight hours on either side of the change.
    assert business_seconds(office(), oslo(2026, 10, 23, 0), oslo(2026, 10, 27, 0)) == 16 * HOUR


def test_around_the_clock_is_calendar_time() -> None:
    always = BusinessCalendar("America/New_York")
    # 2026-03-08, 01:30 in New York: clocks go forward at 02:00, two real hours end at 04:30.
    start = datetime(2026, 3, 8, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    assert deadline(always, start, 2 * HOUR) == datetime(
        2026, 3, 8, 4, 30, tzinfo=ZoneInfo("America/New_York")
    )
    assert business_seconds(always, start, start.astimezone(UTC) + timedelta(days=3)) == 72 * HOUR


def test_a_calendar_that_never_opens_again_says_so() -> None:
    only_one_day = BusinessCalendar(
        "UTC",
        (OpeningHours.parse(0, "09:00-10:00"),),
        frozenset(date(2026, 1, 5) + timedelta(weeks=week) for week in range(600)),
    )
    with pytest.raises(CalendarError, match="never open"):
        deadline(only_one_day, datetime(2026, 1, 1, tzinfo=UTC), 2 * HOUR)


def test_bad_hours_and_zones_are_refused_with_a_reason() -> None:
    with pytest.raises(CalendarError, match="HH:MM"):
        OpeningHours.parse(0, "9-17")
    with pytest.raises(CalendarError, match="time of day"):
        OpeningHours.parse(0, "09:00-25:00")
    with pytest.raises(CalendarError, match="Unknown time zone"):
        BusinessCalendar("Europe/Atlantis")
    assert OpeningHours.parse(4, "22:00-02:00").text() == "22:00-02:00"
    assert OpeningHours.parse(0, "00:00-24:00").text() == "00:00-24:00"


def test_hour_of_week_is_local_monday_first() -> None:
    assert hour_of_week(OSLO, oslo(2026, 11, 23, 0, 30).timestamp()) == 0  # Monday
    assert hour_of_week(OSLO, oslo(2026, 11, 22, 23, 59).timestamp()) == 167  # Sunday


# --- properties -------------------------------------------------------------------------------

ZONES = (
    "UTC",
    "Europe/Oslo",
    "America/New_York",
    "Australia/Lord_Howe",  # DST moves the clock by 30 minutes
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Santiago",  # DST changes at midnight
    "Asia/Kolkata",
    "Asia/Tokyo",
)
FIXED_OFFSET_ZONES = ("UTC", "Asia/Kolkata", "Asia/Tokyo")

shifts = st.builds(
    lambda weekday, opens, length: OpeningHours(weekday, opens, opens + length),
    st.integers(0, 6),
    st.integers(0, 95).map(lambda quarter: quarter * 15),
    st.integers(1, 96).map(lambda quarters: quarters * 15),
)
holidays = st.frozensets(st.dates(date(2025, 12, 1), date(2027, 2, 1)), max_size=12)


@st.composite
def calendars(draw: st.DrawFn, zones: tuple[str, ...] = ZONES) -> BusinessCalendar:
    hours = tuple(draw(st.lists(shifts, max_size=6)))
    return BusinessCalendar(draw(st.sampled_from(zones)), hours, draw(holidays))


instants = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)).map(
    lambda moment: moment.replace(microsecond=0)
)
spans = st.integers(0, 14 * 86_400)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(calendars(), instants, spans, spans)
def test_business_time_is_additive_and_never_more_than_real_time(
    calendar: BusinessCalendar, start: datetime, first: int, second: int
) -> None:
    middle = start + timedelta(seconds=first)
    end = middle + timedelta(seconds=second)
    whole = business_seconds(calendar, start, end)
    assert 0 <= whole <= (end - start).total_seconds()
    parts = business_seconds(calendar, start, middle) + business_seconds(calendar, middle, end)
    assert whole == pytest.approx(parts, abs=1e-6)
    assert business_seconds(calendar, end, start) == -whole


@PROPERTY
@given(calendars(), instants, st.integers(0, 3 * 86_400))
def test_a_deadline_is_the_first_moment_the_target_has_passed(
    calendar: BusinessCalendar, start: datetime, target: int
) -> None:
    try:
        due = deadline(calendar, start, target)
    except CalendarError:
        assume(False)
        raise
    assert due >= start
    assert business_seconds(calendar, start, due) == pytest.approx(target, abs=1e-6)
    if target:
        assert business_seconds(calendar, start, due - timedelta(seconds=0.5)) < target
    later = deadline(calendar, start, target + 60)
    assert later > due


@PROPERTY
@given(calendars(), st.lists(instants, min_size=2, max_size=6), st.integers(0, 3 * 86_400))
def test_the_clock_agrees_with_the_calendar_wherever_it_is_read_first(
    calendar: BusinessCalendar, moments: list[datetime], target: int
) -> None:
    clock = BusinessClock(calendar)
    seconds = [moment.timestamp() for moment in moments]
    readings = [clock.reading(moment) for moment in seconds]  # extends back and forth
    for moment, reading in zip(seconds, readings, strict=True):
        assert clock.reading(moment) == pytest.approx(reading, abs=1e-6)  # readings stay valid
    a, b = sorted(moments[:2])
    assert clock.seconds_between(a.timestamp(), b.timestamp()) == pytest.approx(
        business_seconds(calendar, a, b), abs=1e-6
    )
    try:
        expected = deadline(calendar, a, target)
    except CalendarError:
        return
    assert clock.deadline(a.timestamp(), target) == pytest.approx(expected.timestamp(), abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(calendars(FIXED_OFFSET_ZONES), instants, st.integers(0, 3 * 1_440))
def test_business_minutes_match_a_count_of_every_minute_on_the_wall_clock(
    calendar: BusinessCalendar, start: datetime, minutes: int
) -> None:
    """Independent of the interval arithmetic: each minute is open when the wall clock shows
    a time inside a shift that began that day or (overnight) the day before, on a date that
    is no holiday. (Zones without DST, where every wall time exists exactly once.)"""
    start = start.replace(second=0)
    zone = calendar.tz
    shifts = calendar.shifts()
    open_minutes = 0
    for step in range(minutes):
        local = (start + timedelta(minutes=step)).astimezone(zone)
        if local.date() in calendar.holidays:
            continue
        minute = local.hour * 60 + local.minute
        yesterday = (local.weekday() - 1) % 7
        if any(
            (s.weekday == local.weekday() and s.opens <= minute < s.closes)
            or (s.weekday == yesterday and s.opens <= minute + 1_440 < s.closes)
            for s in shifts
        ):
            open_minutes += 1
    end = start + timedelta(minutes=minutes)
    assert business_seconds(calendar, start, end) == open_minutes * 60
    assert BusinessClock(calendar).seconds_between(start.timestamp(), end.timestamp()) == (
        pytest.approx(open_minutes * 60)
    )


@PROPERTY
@given(st.sampled_from(ZONES), instants, spans)
def test_around_the_clock_counts_every_real_second(zone: str, start: datetime, span: int) -> None:
    calendar = BusinessCalendar(zone)
    end = start + timedelta(seconds=span)
    assert business_seconds(calendar, start, end) == span
    assert deadline(calendar, start, span) == end
    every_day = BusinessCalendar(
        zone, tuple(OpeningHours.parse(day, "00:00-24:00") for day in range(7))
    )
    assert business_seconds(every_day, start, end) == pytest.approx(span)
