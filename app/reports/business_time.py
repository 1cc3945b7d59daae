"""Business time: the seconds of a brand's opening hours between two instants, and when a target
counted in opening hours runs out, across weekends, holidays, DST changes and overnight shifts.

Opening hours are wall-clock times in the brand's IANA time zone, per weekday. A shift may run
past midnight (Friday 22:00–02:00 is open until 02:00 on Saturday). A holiday closes every
moment of its local date, including the early hours of a shift that began the evening before.
No opening hours at all means open around the clock (holidays still close). A wall time a DST
change skips (02:30 on the night clocks go forward) means the moment the clock skips it; a wall
time that happens twice (the night clocks go back) means its first occurrence.

Two ways to ask, with the same answers: `business_seconds` and `deadline` work from the
calendar directly (simple, for one question); a `BusinessClock` answers millions of questions
fast (the report facts, the inbox timers) from intervals computed once and extended as needed.
Instants are aware datetimes in the functions and POSIX seconds (floats) on the clock.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 1_440
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# How far ahead a deadline is looked for before the calendar is called closed for good.
_SEARCH_LIMIT_DAYS = 3_660
_EXTEND_DAYS = 366

_CLOCK_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


class CalendarError(ValueError):
    """Opening hours or a time zone that cannot be used; the message says what to change."""


def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone `name` ("Europe/Oslo"), or CalendarError saying it is unknown."""
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise CalendarError(
            f"Unknown time zone {name!r}: use an IANA name such as Europe/Oslo or UTC."
        ) from error


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    if not name or name != name.strip():
        raise ValueError(name)
    return ZoneInfo(name)


def parse_clock_time(text: str) -> int:
    """ "09:30" → 570 minutes after midnight; "24:00" is allowed (the end of the day)."""
    found = _CLOCK_TIME.match(text.strip())
    if not found:
        raise CalendarError(f"{text!r} is not a time of day: write it as HH:MM, e.g. 09:00.")
    hours, minutes = int(found[1]), int(found[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise CalendarError(f"{text!r} is not a time of day (00:00 to 24:00).")
    return hours * 60 + minutes


def clock_time_text(minutes: int) -> str:
    """570 → "09:30"; 1560 → "02:00" (a shift's end on the next day)."""
    if minutes == MINUTES_PER_DAY:
        return "24:00"
    minutes %= MINUTES_PER_DAY
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True, order=True)
class OpeningHours:
    """One shift: opens on `weekday` (0 Monday … 6 Sunday) at `opens` minutes after local
    midnight and closes `closes` minutes after that same midnight; past 1440 is the next day."""

    weekday: int
    opens: int
    closes: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise CalendarError(f"weekday {self.weekday} is not 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.opens < MINUTES_PER_DAY:
            raise CalendarError("a shift opens between 00:00 and 23:59")
        if not self.opens < self.closes <= self.opens + MINUTES_PER_DAY:
            raise CalendarError("a shift closes after it opens, at most 24 hours later")

    @classmethod
    def parse(cls, weekday: int, text: str) -> OpeningHours:
        """ "09:00-17:00"; "22:00-02:00" closes on the next day; "00:00-24:00" is all day."""
        parts = text.replace("–", "-").split("-")
        if len(parts) != 2:
            raise CalendarError(f"{text!r} is not a shift: write it as 09:00-17:00.")
        opens, closes = parse_clock_time(parts[0]), parse_clock_time(parts[1])
        if opens == MINUTES_PER_DAY:
            raise CalendarError(f"{text!r} opens at 24:00: write 00:00 on the next day.")
        if closes <= opens:
            closes += MINUTES_PER_DAY  # overnight: closes the next day
        return cls(weekday, opens, closes)

    def text(self) -> str:
        return f"{clock_time_text(self.opens)}-{clock_time_text(self.closes)}"


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When a brand counts time: its zone, its weekly shifts and its holidays (local dates)."""

    zone: str = "UTC"
    hours: tuple[OpeningHours, ...] = ()  # empty: open around the clock
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        zone_named(self.zone)  # refuse an unknown zone when the calendar is made

    @property
    def always_open(self) -> bool:
        """Business time is calendar time: no shifts set and no holidays."""
        return not self.hours and not self.holidays

    @property
    def tz(self) -> ZoneInfo:
        return zone_named(self.zone)

    def shifts(self) -> tuple[OpeningHours, ...]:
        """The weekly shifts; around the clock when none are set."""
        if self.hours:
            return self.hours
        return tuple(OpeningHours(day, 0, MINUTES_PER_DAY) for day in range(7))


# --- local wall time → instants ----------------------------------------------------------


def local_instant(zone: ZoneInfo, day: date, minute: int) -> float:
    """POSIX seconds of wall time `minute` minutes after local midnight of `day` (past 1440:
    the next days). A skipped wall time is the moment it is skipped; a repeated one its first."""
    day += timedelta(days=minute // MINUTES_PER_DAY)
    minute %= MINUTES_PER_DAY
    wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
    moment = wall.replace(tzinfo=zone).timestamp()
    if _wall(zone, moment) == wall:
        return moment
    # In a gap: the first wall minute after it that exists is the moment of the jump.
    probe = wall
    for _ in range(MINUTES_PER_DAY):
        probe += timedelta(minutes=1)
        candidate = probe.replace(tzinfo=zone).timestamp()
        if _wall(zone, candidate) == probe:
            return candidate
    raise CalendarError(f"the time zone {zone.key} skips more than a day")  # pragma: no cover


def _wall(zone: ZoneInfo, moment: float) -> datetime:
    return datetime.fromtimestamp(moment, zone).replace(tzinfo=None)


def local_date(zone: ZoneInfo, moment: float) -> date:
    return datetime.fromtimestamp(moment, zone).date()


def local_midnight(zone: ZoneInfo, day: date) -> float:
    return local_instant(zone, day, 0)


def opening_intervals(
    calendar: BusinessCalendar, first: date, last: date
) -> list[tuple[float, float]]:
    """The open intervals, (start, end) in POSIX seconds, of the shifts that begin on the local
    dates `first`..`last` (inclusive), holidays cut out, overlaps merged, in time order."""
    zone = calendar.tz
    by_weekday: dict[int, list[OpeningHours]] = {}
    for shift in calendar.shifts():
        by_weekday.setdefault(shift.weekday, []).append(shift)
    raw: list[tuple[float, float]] = []
    day = first
    while day <= last:
        for shift in by_weekday.get(day.weekday(), ()):
            start = local_instant(zone, day, shift.opens)
            end = local_instant(zone, day, shift.closes)
            if end > start:
                raw.append((start, end))
        day += timedelta(days=1)
    merged = _merge(raw)
    if not calendar.holidays:
        return merged
    closed = _merge(
        (local_midnight(zone, holiday), local_midnight(zone, holiday + timedelta(days=1)))
        for holiday in sorted(calendar.holidays)
        if first - timedelta(days=1) <= holiday <= last + timedelta(days=2)
    )
    return _subtract(merged, closed)


def _merge(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract(
    intervals: Sequence[tuple[float, float]], holes: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """`intervals` less `holes` (both sorted and merged)."""
    kept: list[tuple[float, float]] = []
    index = 0
    for start, end in intervals:
        while index < len(holes) and holes[index][1] <= start:
            index += 1
        cursor = start
        probe = index
        while probe < len(holes) and holes[probe][0] < end:
            hole_start, hole_end = holes[probe]
            if hole_start > cursor:
                kept.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
            probe += 1
        if cursor < end:
            kept.append((cursor, end))
    return kept


# --- one question at a time, from the calendar -------------------------------------------


def _seconds(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
    return moment.timestamp()


def _instant_to_datetime(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def business_seconds(calendar: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Seconds of opening hours in [start, end); negative when `end` comes first."""
    a, b = _seconds(start), _seconds(end)
    if b < a:
        return -business_seconds(calendar, end, start)
    if calendar.always_open:
        return b - a
    zone = calendar.tz
    first = local_date(zone, a) - timedelta(days=1)  # yesterday's overnight shift
    last = local_date(zone, b)
    return sum(
        max(0.0, min(end_, b) - max(start_, a))
        for start_, end_ in opening_intervals(calendar, first, last)
    )


def deadline(calendar: BusinessCalendar, start: datetime, seconds: float) -> datetime:
    """The earliest moment by which `seconds` of opening hours have passed since `start`
    (`start` itself for zero). CalendarError when the calendar never opens again."""
    if seconds < 0:
        raise ValueError("a target is zero or more seconds")
    a = _seconds(start)
    if seconds == 0:
        return start
    if calendar.always_open:
        return _instant_to_datetime(a + seconds)
    zone = calendar.tz
    day = local_date(zone, a) - timedelta(days=1)
    left = float(seconds)
    searched = 0
    while searched < _SEARCH_LIMIT_DAYS:
        chunk_last = day + timedelta(days=30)
        for start_, end_ in opening_intervals(calendar, day, chunk_last):
            # Shifts beginning on the chunk's last day may continue into the next chunk:
            # only take time before the next chunk's first shift could begin.
            lower = max(start_, a)
            upper = min(end_, local_midnight(zone, chunk_last + timedelta(days=1)))
            if upper <= lower:
                continue
            if upper - lower >= left:
                return _instant_to_datetime(lower + left)
            left -= upper - lower
        a = max(a, local_midnight(zone, chunk_last + timedelta(days=1)))
        day = chunk_last
        searched += 31
    raise CalendarError("the opening hours never open again (holidays cover ten years)")


# --- many questions: the clock ---------------------------------------------------------------


class BusinessClock:
    """Business seconds as a clock reading: `reading(t)` grows by one per open second and
    stands still while closed, so the business time between a and b is reading(b) − reading(a),
    and `instant(r)` is the earliest moment the reading reaches r. Its intervals are computed
    once for a span of dates and extended when asked about a moment outside it; readings
    already given stay valid. Not thread-safe: one per thread."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self._zone = calendar.tz
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._readings: list[float] = []  # the reading at each interval's start
        self._reading_ends: list[float] = []
        self._first: date | None = None  # shifts of these local dates are in the lists
        self._last: date | None = None
        self._valid_from = 0.0  # readings are right from here …
        self._valid_to = 0.0  # … to here

    # -- readings --

    def reading(self, moment: float) -> float:
        if self.calendar.always_open:
            return moment
        self._cover(moment)
        index = bisect.bisect_right(self._starts, moment) - 1
        if index < 0:
            return self._readings[0] if self._readings else 0.0
        return self._readings[index] + min(moment, self._ends[index]) - self._starts[index]

    def instant(self, reading: float) -> float:
        """The earliest moment at which the clock shows `reading` (a reading this clock gave,
        plus or minus business seconds)."""
        if self.calendar.always_open:
            return reading
        if self._first is None:
            raise ValueError("read the clock at a moment first: readings have no origin yet")
        for _ in range(_SEARCH_LIMIT_DAYS // _EXTEND_DAYS + 1):
            if reading < self._readings_start():
                self._extend(self._first_date() - timedelta(days=_EXTEND_DAYS), None)
            elif self._reading_ends and reading <= self._reading_ends[-1]:
                index = bisect.bisect_left(self._reading_ends, reading)
                return self._starts[index] + (reading - self._readings[index])
            else:
                self._extend(None, self._last_date() + timedelta(days=_EXTEND_DAYS))
        raise CalendarError("the opening hours never open again (holidays cover ten years)")

    def _readings_start(self) -> float:
        return self._readings[0] if self._readings else 0.0

    def seconds_between(self, start: float, end: float) -> float:
        return self.reading(end) - self.reading(start)

    def deadline(self, start: float, seconds: float) -> float:
        """The earliest moment by which `seconds` of business time have passed since `start`."""
        if seconds <= 0:
            return start
        return max(start, self.instant(self.reading(start) + seconds))

    # -- keeping the intervals --

    def _first_date(self) -> date:
        assert self._first is not None
        return self._first

    def _last_date(self) -> date:
        assert self._last is not None
        return self._last

    def _cover(self, moment: float) -> None:
        if self._first is not None and self._valid_from <= moment < self._valid_to:
            return
        day = local_date(self._zone, moment)
        if self._first is None:
            self._extend(day - timedelta(days=31), day + timedelta(days=_EXTEND_DAYS))
        elif moment < self._valid_from:
            self._extend(min(day, self._first_date()) - timedelta(days=_EXTEND_DAYS), None)
        else:
            self._extend(None, max(day, self._last_date()) + timedelta(days=_EXTEND_DAYS))

    def _extend(self, first: date | None, last: date | None) -> None:
        """Recompute the intervals for a wider span, keeping every reading given so far."""
        old_first, old_last = self._first, self._last
        new_first = min(d for d in (first, old_first) if d is not None)
        new_last = max(d for d in (last, old_last) if d is not None)
        # Readings so far stay what they were: the new readings are shifted to agree at the
        # old span's first midnight.
        anchor = None if old_first is None else local_midnight(self._zone, old_first)
        anchor_reading = 0.0 if anchor is None else self.reading(anchor)
        # Shifts from the day before the span may reach into it: they are included, and
        # readings are trusted from the span's first midnight on.
        intervals = opening_intervals(self.calendar, new_first - timedelta(days=1), new_last)
        self._starts = [start for start, _ in intervals]
        self._ends = [end for _, end in intervals]
        self._readings = []
        self._reading_ends = []
        total = 0.0
        for start, end in intervals:
            self._readings.append(total)
            total += end - start
            self._reading_ends.append(total)
        self._first, self._last = new_first, new_last
        self._valid_from = local_midnight(self._zone, new_first)
        self._valid_to = local_midnight(self._zone, new_last + timedelta(days=1))
        if anchor is not None:
            shift = anchor_reading - self.reading(anchor)
            self._readings = [reading + shift for reading in self._readings]
            self._reading_ends = [reading + shift for reading in self._reading_ends]


def hour_of_week(zone: ZoneInfo, moment: float) -> int:
    """0 (Monday 00:00–00:59 local) to 167 (Sunday 23:00–23:59)."""
    local = datetime.fromtimestamp(moment, zone)
    return local.weekday() * 24 + local.hour
