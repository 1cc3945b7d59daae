"""Adding up the packs: every figure of a report, for the whole selection and for each group.

For each brand in the selection the engine reads the packs of the period's days (the mentions
received in it) and of earlier days whose mentions were still open or answered within it (for
the backlog and the replies), as numpy arrays, one per column, and counts with masks. Filters
and groups are masks too, so any dimension filters and groups any figure the same way.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from storage.reports.packs import PackRepository

from app.reports.business_time import local_date, local_midnight, zone_named
from app.reports.dimensions import Dimension
from app.reports.model import (
    BUCKETS,
    AgentReplies,
    Backlog,
    DayFigures,
    Durations,
    Figures,
    FirstResponse,
    Group,
    Reopened,
    Report,
    ResolvedPeriod,
    ServiceLevel,
    TimeToDone,
)
from app.reports.packs import STATE_CODES, VIA_CODES, Array, column_types, read_columns
from app.reports.periods import ALL_TIME
from app.reports.query import ReportQuery, ReportQueryError

NO_VALUE_LABELS = {
    "agent": "(no agent)",
    "tag": "(no tag)",
    "language": "(unknown)",
    "brand": "(workspace)",
}
_BUCKET_EDGES = np.array([edge for _, _, edge in BUCKETS[:-1]], dtype=np.float64)
# What every mention known to the backlog and replies carries (the rest only for the period).
_SCOPE_COLUMNS = ("created", "resp_at")
_OPEN_COLUMNS = ("open_fact", "open_start", "open_end")
_REPLY_COLUMNS = ("reply_fact", "reply_at", "reply_agent", "reply_via", "reply_first")
_PERIOD_COLUMNS = (
    "how", "target", "state", "due", "resp_s", "resp_bs", "via", "done_s", "done_bs", "reopened",
)  # fmt: skip


# --- one brand's mentions, as arrays -----------------------------------------------------------


@dataclass
class _Frame:
    """A brand's mentions for one report. Scope (A) = the period's mentions (P, first n_p)
    followed by earlier ones still open or answered during the period."""

    brand: str
    zone: ZoneInfo
    n_p: int
    period: dict[str, Array]  # P columns
    p_day: Array  # P: the period day (0 …) each arrived on
    scope: dict[str, Array]  # A columns (created, resp_at, dimension values)
    pairs: dict[str, tuple[Array, Array]]  # A: many-valued dimension → (fact, value)
    opens: dict[str, Array]  # open intervals of A, open_fact indexing A
    replies: dict[str, Array]  # replies to A, reply_fact indexing A
    bounds: Array  # the period's local midnights, first day's to the day after the last
    now: float

    @property
    def day_ends(self) -> Array:
        ends: Array = np.minimum(self.bounds[1:], self.now)
        return ends

    @property
    def start(self) -> float:
        return float(self.bounds[0])

    @property
    def end(self) -> float:
        return float(min(self.bounds[-1], self.now))


@dataclass
class _Partial:
    """Additive figures of one group in one brand (merged across brands at the end)."""

    days: int
    received: int = 0
    answered: int = 0
    in_heedful: int = 0
    outside: int = 0
    resp_s: list[Array] = field(default_factory=list)
    resp_bs: list[Array] = field(default_factory=list)
    with_target: int = 0
    met: int = 0
    late: int = 0
    overdue: int = 0
    waiting: int = 0
    paused: int = 0
    closed: int = 0
    done_s: list[Array] = field(default_factory=list)
    done_bs: list[Array] = field(default_factory=list)
    reopened_mentions: int = 0
    reopened_times: int = 0
    agent_replies: Counter[int] = field(default_factory=Counter)
    agent_firsts: Counter[int] = field(default_factory=Counter)
    how: Array = field(default_factory=lambda: np.zeros(168, dtype=np.int64))
    day_received: Array = field(init=False)
    day_firsts: Array = field(init=False)
    day_replies: Array = field(init=False)
    day_backlog: Array = field(init=False)
    day_unanswered: Array = field(init=False)
    backlog_end: int = 0
    unanswered_end: int = 0
    ages: list[Array] = field(default_factory=list)

    def __post_init__(self) -> None:
        zeros = np.zeros(self.days, dtype=np.int64)
        self.day_received, self.day_firsts, self.day_replies = (
            zeros.copy(),
            zeros.copy(),
            zeros.copy(),
        )
        self.day_backlog, self.day_unanswered = zeros.copy(), zeros.copy()


class ReportEngine:
    def __init__(self, packs: PackRepository, dimensions: Sequence[Dimension]) -> None:
        self._packs = packs
        self._dimensions = {d.name: d for d in dimensions}
        self._types = column_types(list(dimensions))

    def dimension(self, name: str) -> Dimension:
        key = name.strip().lower()
        for dimension in self._dimensions.values():
            if key == dimension.name or key in dimension.aliases:
                return dimension
        known = ", ".join(self._dimensions)
        raise ReportQueryError(f"Reports cannot use {name!r}: choose one of {known}.")

    def compute(self, query: ReportQuery, zones: dict[str, str], now: datetime) -> Report:
        """The report `query` asks for, as of `now`; `zones`: each brand's time zone."""
        moment = now.timestamp()
        filters = [(self.dimension(name), values) for name, values in query.filters]
        by = None if query.by is None else self.dimension(query.by)
        with self._packs.snapshot():
            labels = {name: self._labels(d) for name, d in self._dimensions.items()}
            brands = self._brands(zones, filters)
            reference = zone_named(self._reference_zone(brands, zones))
            today = local_date(reference, moment)
            earliest = self._earliest(brands)
            period = query.period or ALL_TIME
            first, last = period.resolve(today, earliest)
            first = min(first or last, last)
            masks = [
                (d, self._codes(d, values, labels[d.name]))
                for d, values in filters
                if d.name != "brand"
            ]
            frames = [
                self._frame(
                    brand, zone_named(zones.get(brand, "UTC")), first, last, moment, masks, by
                )
                for brand in brands
            ]
        agent_labels = labels.get("agent", {})
        selections = [self._select(frame, masks) for frame in frames]
        total = self._figures(selections, None, None, first, last, moment, agent_labels)
        groups: list[Group] = []
        if by is not None:
            for code in self._groups(selections, by):
                figures = self._figures(selections, by, code, first, last, moment, agent_labels)
                groups.append(
                    Group(
                        self._key(code, labels[by.name]),
                        self._label(by, code, labels[by.name]),
                        figures,
                    )
                )
            groups.sort(key=lambda group: (-group.figures.received, group.label.casefold()))
        return Report(
            generated_at=now,
            period=ResolvedPeriod(
                period.label,
                # All time with no mentions at all has no first day; any other period has.
                None
                if earliest is None and period.days is None and period.first is None
                else first,
                last,
                reference.key,
            ),
            filters=tuple((d.name, tuple(values)) for d, values in filters),
            by=None if by is None else by.name,
            time_zones=tuple((brand, zones.get(brand, "UTC")) for brand in brands),
            total=Group(None, "All", total),
            groups=tuple(groups),
        )

    @staticmethod
    def _reference_zone(brands: list[str], zones: dict[str, str]) -> str:
        """The zone "today" is read in: the brand's, or the workspace brand's for several."""
        if len(brands) == 1:
            return zones.get(brands[0], "UTC")
        if "" in zones:
            return zones[""]
        return zones.get(brands[0], "UTC") if brands else "UTC"

    # --- what the selection is --------------------------------------------------------------

    def _labels(self, dimension: Dimension) -> dict[int, str]:
        if dimension.coded:
            return self._packs.code_values(dimension.name)
        assert dimension.labels_sql is not None
        return self._packs.labels(dimension.labels_sql)

    def _brands(
        self, zones: dict[str, str], filters: list[tuple[Dimension, tuple[str, ...]]]
    ) -> list[str]:
        known = sorted(set(zones) | set(self._packs.brands()))
        wanted = [values for d, values in filters if d.name == "brand"]
        if not wanted:
            return known
        chosen = []
        for values in wanted:
            for value in values:
                typed = value.strip().casefold()
                if typed == NO_VALUE_LABELS["brand"]:
                    typed = ""
                match = [b for b in known if b.casefold() == typed]
                if not match:
                    raise ReportQueryError(
                        f"No brand {value!r}: the brands are {', '.join(repr(b) for b in known)}."
                    )
                chosen += match
        return sorted(set(chosen))

    def _earliest(self, brands: list[str]) -> date | None:
        days = [self._packs.days(brand, None, None)[:1] for brand in brands]
        firsts = [date.fromisoformat(found[0].day) for found in days if found]
        return min(firsts) if firsts else None

    def _codes(
        self, dimension: Dimension, values: tuple[str, ...], labels: dict[int, str]
    ) -> Array:
        chosen: set[int] = set()
        by_label: dict[str, list[int]] = {}
        for code, label in labels.items():
            by_label.setdefault(label.casefold(), []).append(code)
        for value in values:
            text = value.strip().casefold()
            if text in by_label:
                chosen.update(by_label[text])
            elif not dimension.coded and text.isdigit() and int(text) in labels:
                chosen.add(int(text))
            elif text in (NO_VALUE_LABELS.get(dimension.name, "").casefold(), "(none)"):
                chosen.update(by_label.get("", [-1]))
            elif text in dimension.vocabulary:
                chosen.add(-2)  # a value no mention has (yet): matches nothing
            else:
                sample = ", ".join(sorted(labels.values())[:12])
                raise ReportQueryError(
                    f"No {dimension.name} {value!r} in the reports"
                    + (f" (there are: {sample})." if sample else ".")
                )
        return np.array(sorted(chosen), dtype=np.int64)

    # --- reading a brand's arrays -------------------------------------------------------------

    def _frame(
        self,
        brand: str,
        zone: ZoneInfo,
        first: date,
        last: date,
        now: float,
        masks: list[tuple[Dimension, Array]],
        by: Dimension | None,
    ) -> _Frame:
        bounds = np.array(
            [
                local_midnight(zone, first + timedelta(days=k))
                for k in range((last - first).days + 2)
            ]
        )
        start = float(bounds[0])
        period_days = self._packs.days(brand, first.isoformat(), last.isoformat())
        earlier = [
            day
            for day in self._packs.days(brand, None, (first - timedelta(days=1)).isoformat())
            if day.open_until is None
            or day.open_until > start
            or (day.replies_until is not None and day.replies_until >= start)
        ]
        packs = period_days + earlier
        names = [p.day for p in packs]
        used = {d.name: d for d, _ in masks}
        if by is not None:
            used[by.name] = by
        singles = [d.column for d in used.values() if not d.multi]
        scope_names = [*_SCOPE_COLUMNS, *singles]
        read = read_columns(
            self._packs, brand, names, [*scope_names, *_OPEN_COLUMNS, *_REPLY_COLUMNS], self._types
        )
        period_names = [p.day for p in period_days]
        period_read = read_columns(
            self._packs, brand, period_names, list(_PERIOD_COLUMNS), self._types
        )
        offsets = np.cumsum([0, *(p.facts for p in packs)])
        scope = {name: _concat(read[name], self._types[name]) for name in scope_names}
        opens = {
            "open_fact": _concat([a + offsets[i] for i, a in enumerate(read["open_fact"])], "<i8"),
            "open_start": _concat(read["open_start"], "<f8"),
            "open_end": _concat(read["open_end"], "<f8"),
        }
        replies = {
            "reply_fact": _concat(
                [a + offsets[i] for i, a in enumerate(read["reply_fact"])], "<i8"
            ),
            "reply_at": _concat(read["reply_at"], "<f8"),
            "reply_agent": _concat(read["reply_agent"], "<i4"),
            "reply_via": _concat(read["reply_via"], "<i1"),
            "reply_first": _concat(read["reply_first"], "<i1"),
        }
        pairs: dict[str, tuple[Array, Array]] = {}
        for dimension in used.values():
            if dimension.multi:
                pair_read = read_columns(
                    self._packs,
                    brand,
                    names,
                    [f"{dimension.name}_fact", dimension.column],
                    self._types,
                )
                pairs[dimension.name] = (
                    _concat(
                        [a + offsets[i] for i, a in enumerate(pair_read[f"{dimension.name}_fact"])],
                        "<i8",
                    ),
                    _concat(pair_read[dimension.column], "<i4"),
                )
        period = {name: _concat(period_read[name], self._types[name]) for name in _PERIOD_COLUMNS}
        n_p = int(offsets[len(period_days)])
        period["resp_at"] = scope["resp_at"][:n_p]
        p_day = _concat(
            [
                np.full(p.facts, (date.fromisoformat(p.day) - first).days, dtype=np.int64)
                for p in period_days
            ],
            "<i8",
        )
        return _Frame(
            brand=brand,
            zone=zone,
            n_p=n_p,
            period=period,
            p_day=p_day,
            scope=scope,
            pairs=pairs,
            opens=opens,
            replies=replies,
            bounds=bounds,
            now=now,
        )

    # --- groups -------------------------------------------------------------------------------

    def _groups(self, selections: list[_Selection], by: Dimension) -> list[int]:
        """The values of `by` among the period's mentions the filters keep (and, for the
        agent, among the period's replies); -1 for mentions with no tag at all."""
        found: set[int] = set()
        for selection in selections:
            frame, keep = selection.frame, selection.keep
            keep_p = keep[: frame.n_p]
            if by.multi:
                facts, values = frame.pairs[by.name]
                chosen = (facts < frame.n_p) & keep[facts]
                found.update(int(v) for v in np.unique(values[chosen]))
                tagged = np.zeros(len(keep), dtype=bool)
                tagged[facts] = True
                if np.any(keep_p & ~tagged[: frame.n_p]):
                    found.add(-1)
            else:
                found.update(int(v) for v in np.unique(frame.scope[by.column][: frame.n_p][keep_p]))
            if by.per_reply:
                found.update(int(v) for v in np.unique(selection.reply_agent))
        return sorted(found)

    def _keep(self, frame: _Frame, masks: list[tuple[Dimension, Array]]) -> Array:
        size = len(frame.scope["created"])
        keep = np.ones(size, dtype=bool)
        for dimension, codes in masks:
            keep &= self._member(frame, dimension, codes, size)
        return keep

    @staticmethod
    def _member(frame: _Frame, dimension: Dimension, codes: Array, size: int) -> Array:
        if not dimension.multi:
            found: Array = np.isin(frame.scope[dimension.column], codes)
            return found
        facts, values = frame.pairs[dimension.name]
        member = np.zeros(size, dtype=bool)
        member[facts[np.isin(values, codes)]] = True
        if -1 in codes:  # "(none)": no value at all
            has_any = np.zeros(size, dtype=bool)
            has_any[facts] = True
            member |= ~has_any
        return member

    @staticmethod
    def _key(code: int, labels: dict[int, str]) -> str:
        if code == -1:
            return ""
        return labels.get(code, str(code))

    def _label(self, dimension: Dimension, code: int, labels: dict[int, str]) -> str:
        value = self._key(code, labels)
        if not value:
            return NO_VALUE_LABELS.get(dimension.name, "(none)")
        return value

    # --- the figures --------------------------------------------------------------------------

    def _figures(
        self,
        selections: list[_Selection],
        by: Dimension | None,
        code: int | None,
        first: date,
        last: date,
        now: float,
        agent_labels: dict[int, str],
    ) -> Figures:
        total = _Partial((last - first).days + 1)
        for selection in selections:
            frame = selection.frame
            group = selection.keep
            replies: Array | slice = slice(None)
            opens: Array | slice = slice(None)
            if by is not None and code is not None:
                group = group & self._member(frame, by, np.array([code]), len(group))
                if by.per_reply:
                    replies = np.flatnonzero(selection.reply_agent == code)
                else:
                    replies = np.flatnonzero(group[selection.reply_owner])
                opens = np.flatnonzero(group[selection.open_owner])
            _add_frame(total, selection, np.flatnonzero(group[: frame.n_p]), replies, opens, now)
        return _figures(total, agent_labels, first)

    def _select(self, frame: _Frame, masks: list[tuple[Dimension, Array]]) -> _Selection:
        """What of a frame the filters keep: the mentions, their replies within the period,
        their open intervals that reach into it, with each one's day worked out once for
        every group."""
        keep = self._keep(frame, masks)
        everything = bool(keep.all())  # no filter: no need to look each mention up
        r = frame.replies
        in_time = (r["reply_at"] >= frame.start) & (r["reply_at"] < frame.end)
        replies = np.flatnonzero(in_time if everything else in_time & keep[r["reply_fact"]])
        o = frame.opens
        reaching = o["open_end"] > frame.start
        opens = np.flatnonzero(reaching if everything else reaching & keep[o["open_fact"]])
        owners = o["open_fact"][opens]
        starts, ends = o["open_start"][opens], o["open_end"][opens]
        answered_at = frame.scope["resp_at"][owners]
        waiting_ends = np.minimum(ends, np.where(np.isnan(answered_at), np.inf, answered_at))
        day_ends = frame.day_ends
        end = float(day_ends[-1])
        return _Selection(
            frame=frame,
            keep=keep,
            reply_owner=r["reply_fact"][replies],
            reply_day=np.searchsorted(frame.bounds, r["reply_at"][replies], side="right") - 1,
            reply_first=r["reply_first"][replies] == 1,
            reply_agent=r["reply_agent"][replies],
            open_owner=owners,
            start_slot=np.searchsorted(day_ends, starts, side="left"),
            end_slot=np.searchsorted(day_ends, ends, side="left"),
            waiting=waiting_ends > starts,
            waiting_slot=np.searchsorted(day_ends, waiting_ends, side="left"),
            open_at_end=(starts <= end) & (ends > end),
            waiting_at_end=(starts <= end) & (waiting_ends > end),
            age_at_end=end - frame.scope["created"][owners],
        )


@dataclass(frozen=True, slots=True)
class _Selection:
    """A frame as the filters leave it, with what every group's figures start from. Arrays
    named reply_* run over the replies sent within the period, open_* and the slots over the
    open intervals that end after it began; a slot is the first period day whose end is at or
    after the moment (the number of days: never)."""

    frame: _Frame
    keep: Array  # scope mentions the filters keep
    reply_owner: Array
    reply_day: Array
    reply_first: Array
    reply_agent: Array
    open_owner: Array
    start_slot: Array
    end_slot: Array
    waiting: Array  # still unanswered for part of the interval
    waiting_slot: Array  # when it stopped waiting: its end, or the first response
    open_at_end: Array
    waiting_at_end: Array
    age_at_end: Array


def _concat(arrays: list[Array], dtype: str) -> Array:
    if not arrays:
        return np.zeros(0, dtype=dtype)
    joined: Array = np.concatenate(arrays)
    return joined


def _add_frame(
    total: _Partial,
    selection: _Selection,
    facts: Array,
    replies: Array | slice,
    opens: Array | slice,
    now: float,
) -> None:
    """Add one brand's share of a group: `facts` index the period's mentions, `replies` and
    `opens` the selection's replies and open intervals that belong to the group."""
    frame = selection.frame
    if len(facts) == frame.n_p:  # all of them: no copies
        p, day_of_fact = frame.period, frame.p_day
    else:
        p = {name: column[facts] for name, column in frame.period.items()}
        day_of_fact = frame.p_day[facts]
    total.received += len(facts)
    answered = ~np.isnan(p["resp_at"])
    total.answered += int(answered.sum())
    total.in_heedful += int((answered & (p["via"] == VIA_CODES["heedful"])).sum())
    total.outside += int((answered & (p["via"] == VIA_CODES["thread"])).sum())
    total.resp_s.append(p["resp_s"][answered])
    total.resp_bs.append(p["resp_bs"][answered])
    targeted = p["target"] >= 0
    state = p["state"]
    running = targeted & (state == STATE_CODES["running"])
    past_due = running & (p["due"] <= now)
    total.with_target += int(targeted.sum())
    total.met += int((targeted & (state == STATE_CODES["met"])).sum())
    total.late += int((targeted & (state == STATE_CODES["late"])).sum())
    total.overdue += int((targeted & (state == STATE_CODES["breached"])).sum() + past_due.sum())
    total.waiting += int((running & ~past_due).sum())
    total.paused += int((targeted & (state == STATE_CODES["paused"])).sum())
    total.closed += int((targeted & (state == STATE_CODES["closed"])).sum())
    done = p["done_s"] >= 0
    total.done_s.append(p["done_s"][done])
    total.done_bs.append(p["done_bs"][done])
    reopened = p["reopened"]
    total.reopened_mentions += int((reopened > 0).sum())
    total.reopened_times += int(reopened.sum())
    total.how += np.bincount(p["how"].astype(np.int64), minlength=168)
    days = total.days
    total.day_received += np.bincount(day_of_fact, minlength=days)[:days]

    # Replies sent in the period (by the group's agent, when grouping by agent).
    day_of = selection.reply_day[replies]
    firsts = selection.reply_first[replies]
    total.day_replies += np.bincount(day_of, minlength=days)[:days]
    total.day_firsts += np.bincount(day_of[firsts], minlength=days)[:days]
    agents = selection.reply_agent[replies]
    for agent, count in zip(*np.unique(agents, return_counts=True), strict=True):
        total.agent_replies[int(agent)] += int(count)
    for agent, count in zip(*np.unique(agents[firsts], return_counts=True), strict=True):
        total.agent_firsts[int(agent)] += int(count)

    # Open work at each day's end: intervals begun by then, less those ended by then.
    waiting = selection.waiting[opens]
    total.day_backlog += _covering(selection.start_slot[opens], selection.end_slot[opens], days)
    total.day_unanswered += _covering(
        selection.start_slot[opens][waiting], selection.waiting_slot[opens][waiting], days
    )
    at_end = selection.open_at_end[opens]
    total.backlog_end += int(at_end.sum())
    total.unanswered_end += int(selection.waiting_at_end[opens].sum())
    total.ages.append(selection.age_at_end[opens][at_end])


def _covering(start_slots: Array, end_slots: Array, days: int) -> Array:
    """How many intervals are open at each day's end, from the first day whose end each
    interval reached by its start and by its end: begun by then less ended by then."""
    begun = np.cumsum(np.bincount(start_slots, minlength=days + 1))
    ended = np.cumsum(np.bincount(end_slots, minlength=days + 1))
    counts: Array = (begun - ended)[:days].astype(np.int64)
    return counts


def _durations(parts: list[Array]) -> Durations:
    values = np.concatenate(parts) if parts else np.zeros(0)
    count = len(values)
    if not count:
        return Durations(0, None, None, tuple(0 for _ in BUCKETS))
    ranks = [math.ceil(0.5 * count) - 1, math.ceil(0.9 * count) - 1]
    ordered = np.partition(values, ranks)
    buckets = np.bincount(
        np.searchsorted(_BUCKET_EDGES, values, side="right"), minlength=len(BUCKETS)
    )
    return Durations(
        count=count,
        median_seconds=round(float(ordered[ranks[0]])),
        p90_seconds=round(float(ordered[ranks[1]])),
        buckets=tuple(int(n) for n in buckets),
    )


def _figures(total: _Partial, agent_labels: dict[int, str], first: date) -> Figures:
    ages = _durations(total.ages)
    oldest = max((float(a.max()) for a in total.ages if len(a)), default=None)
    agents = sorted(
        (
            AgentReplies(
                agent=agent_labels.get(code, "") or NO_VALUE_LABELS["agent"],
                replies=count,
                first_responses=total.agent_firsts.get(code, 0),
            )
            for code, count in total.agent_replies.items()
        ),
        key=lambda row: (-row.replies, row.agent.casefold()),
    )
    return Figures(
        first_response=FirstResponse(
            received=total.received,
            answered=total.answered,
            in_heedful=total.in_heedful,
            outside_heedful=total.outside,
            calendar=_durations(total.resp_s),
            business=_durations(total.resp_bs),
        ),
        service_level=ServiceLevel(
            with_target=total.with_target,
            met=total.met,
            late=total.late,
            overdue=total.overdue,
            waiting=total.waiting,
            paused=total.paused,
            closed_without_reply=total.closed,
        ),
        time_to_done=TimeToDone(_durations(total.done_s), _durations(total.done_bs)),
        reopened=Reopened(total.reopened_mentions, total.reopened_times),
        agents=tuple(agents),
        days=tuple(
            DayFigures(
                day=first + timedelta(days=k),
                received=int(total.day_received[k]),
                first_responses=int(total.day_firsts[k]),
                replies=int(total.day_replies[k]),
                backlog=int(total.day_backlog[k]),
                unanswered=int(total.day_unanswered[k]),
            )
            for k in range(total.days)
        ),
        hour_of_week=tuple(
            tuple(int(n) for n in total.how[day * 24 : day * 24 + 24]) for day in range(7)
        ),
        backlog=Backlog(
            at_end=total.backlog_end,
            unanswered_at_end=total.unanswered_end,
            age=ages,
            oldest_seconds=None if oldest is None else round(oldest),
        ),
    )
