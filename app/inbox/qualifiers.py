"""The search qualifiers (`tag:billing`, `priority:urgent`, `is:unanswered`…): one entry each.

An entry says what the qualifier is for (the filter bar's menus, the palette, help and error
messages read it), how a typed value is read, and how it narrows the inbox filter. Parsing
(`app.inbox.search.parse_query`) and narrowing (`app.inbox.service.query_filter`) only loop
over `QUALIFIERS`; the filter bar builds its menus from them.

A new filter is one `Qualifier` in `QUALIFIERS` (and a new `is:` flag one `Flag` in
`IS_FLAGS`). Its narrowing either sets a typed `InboxFilter` field or adds one of storage's
named conditions (`storage.mentions.conditions`), so no SQL is written here; a filter on
something storage has no condition for yet adds that one `NamedCondition` there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from storage.mentions import InboxFilter
from storage.mentions.conditions import PRIORITY, NamedCondition
from storage.records import MentionKind, TriageStatus, to_timestamp

from app.inbox.fts import author_phrase
from app.inbox.triage import PRIORITY_LABELS
from app.networks.registry import NETWORKS, find_network


class QualifierValueError(ValueError):
    """A typed value a qualifier cannot use; the message ends the sentence "tag:x …" for a
    person ("is not a date (write it as 2026-11-23)")."""


@dataclass(frozen=True, slots=True)
class Choice:
    value: str  # as typed after the colon: "urgent"
    label: str  # as a menu shows it: "Urgent"


@dataclass(frozen=True, slots=True)
class Menu:
    """The filter bar's menu for a qualifier."""

    any_label: str  # the first item, which removes the qualifier: "Any priority"
    choices: tuple[Choice, ...] = ()  # the fixed ones; the bar adds what the store knows
    dated: Callable[[date], tuple[Choice, ...]] | None = None  # choices relative to today


@dataclass(frozen=True, slots=True)
class Context:
    """What a narrowing may depend on besides the values: the moment and who is asking."""

    now: datetime
    agent_name: str = ""


Narrow = Callable[[InboxFilter, tuple[Any, ...], Context], InboxFilter]


@dataclass(frozen=True, slots=True)
class Qualifier:
    name: str  # as typed before the colon
    summary: str  # what it filters, for help and the palette: "how urgent it is"
    values_help: str  # which values it takes, for "…is not known (use …)"
    example: str  # a whole qualifier as typed: "priority:urgent"
    # A typed value (quotes removed, never empty) → what `narrow` takes; raises
    # QualifierValueError with what is wrong with it.
    parse: Callable[[str], Any]
    narrow: Narrow
    shown: Callable[[Any], str] = str  # a parsed value as it is typed (menus select it)
    menu: Menu | None = None
    last_wins: bool = False  # a later value replaces an earlier one (dates, durations)

    def read(self, typed: str) -> Any:
        """The value, or QualifierValueError with a sentence about `name:typed`."""
        if not typed:
            raise QualifierValueError(f"{self.name}: needs a value, e.g. {self.example}")
        try:
            return self.parse(typed)
        except QualifierValueError as error:
            raise QualifierValueError(f"{self.name}:{typed} {error}") from None

    def narrowed(self, view: InboxFilter, values: tuple[Any, ...], context: Context) -> InboxFilter:
        return self.narrow(view, values[-1:] if self.last_wins else values, context)

    def help_line(self) -> str:
        """One line for help texts and the palette: "priority:urgent  how urgent (none…)"."""
        return f"{self.example:<22}  {self.summary} ({self.values_help})"


# --- narrowing helpers ------------------------------------------------------------------------


def _narrow_set(view: InboxFilter, name: str, wanted: Iterable[Any]) -> InboxFilter:
    """The filter with set field `name` narrowed to `wanted` as well: a mention must be one
    of these and one of what the view (or an earlier qualifier) asked for."""
    wanted = frozenset(wanted)
    current: frozenset[Any] = getattr(view, name)
    if not wanted:
        return view
    changes: dict[str, Any] = {name: current & wanted if current else wanted}
    if current and not current & wanted:
        changes["matches_nothing"] = True
    return replace(view, **changes)


def _one_of(name: str) -> Narrow:
    """Narrowing for a qualifier whose values are "one of these" on a set field."""

    def narrow(view: InboxFilter, values: tuple[Any, ...], _context: Context) -> InboxFilter:
        return _narrow_set(view, name, values)

    return narrow


def _condition(named: NamedCondition) -> Narrow:
    """Narrowing by one of storage's named conditions: "one of the typed values"."""

    def narrow(view: InboxFilter, values: tuple[Any, ...], _context: Context) -> InboxFilter:
        condition = named(*sorted(set(values)))
        return replace(view, conditions=(*view.conditions, condition))

    return narrow


def _choice(values: Mapping[str, Any], values_help: str) -> Callable[[str], Any]:
    """Reading one of a fixed set of words (any case)."""

    def parse(typed: str) -> Any:
        try:
            return values[typed.casefold()]
        except KeyError:
            raise QualifierValueError(f"is not known (use {values_help})") from None

    return parse


def _text(typed: str) -> str:
    return typed


def _day_start(day: date) -> str:
    return to_timestamp(datetime(day.year, day.month, day.day, tzinfo=UTC))


def _earliest(current: str | None, cutoff: str) -> str:
    return cutoff if current is None else min(current, cutoff)


# --- network, account, kind, status, language, tag, assignee, author -----------------------

_NETWORK_NAMES = " or ".join(network.name for network in NETWORKS)


def _network(typed: str) -> Any:
    found = find_network(typed)
    if found is None:
        raise QualifierValueError(f"is not known (use {_NETWORK_NAMES})")
    return found.network


def _account(typed: str) -> str:
    handle = typed.lstrip("@")
    if not handle:
        raise QualifierValueError("needs the account's handle")
    return handle


_KINDS = {
    "mention": MentionKind.MENTION,
    "reply": MentionKind.REPLY,
    "quote": MentionKind.QUOTE,
    "dm": MentionKind.DIRECT,
    "direct": MentionKind.DIRECT,
}
_KIND_CHOICES = (
    Choice("mention", "Mention"),
    Choice("reply", "Reply"),
    Choice("quote", "Quote"),
    Choice("dm", "DM"),
)
_STATUS_CHOICES = tuple(Choice(status.value, status.value.capitalize()) for status in TriageStatus)


def _shown_kind(kind: MentionKind) -> str:
    return "dm" if kind is MentionKind.DIRECT else kind.value


def _author(typed: str) -> str:
    name = typed.lstrip("@")
    if not name:
        raise QualifierValueError("needs a name, e.g. author:kari")
    return name


def _narrow_author(view: InboxFilter, values: tuple[Any, ...], _context: Context) -> InboxFilter:
    # The author's name or handle in the full-text index, as a prefix (search as you type).
    match = " ".join(filter(None, [view.match, *(author_phrase(name) for name in values)]))
    return replace(view, match=match)


def _narrow_tags(view: InboxFilter, values: tuple[Any, ...], _context: Context) -> InboxFilter:
    return replace(view, tags=view.tags | frozenset(values))  # every tag asked for


# --- priority --------------------------------------------------------------------------------

_PRIORITIES = {
    **{label: level for level, label in PRIORITY_LABELS.items()},
    **{str(level): level for level in PRIORITY_LABELS},
}
_PRIORITY_HELP = ", ".join(PRIORITY_LABELS.values()) + f" or 0–{max(PRIORITY_LABELS)}"


def _shown_priority(level: int) -> str:
    return PRIORITY_LABELS[level]


# --- time: after, before, waiting ------------------------------------------------------------

_DURATION = re.compile(r"^(?P<amount>\d+)\s*(?P<unit>m|min|h|d|w|wk)$", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800, "wk": 604800}


def _date(typed: str) -> date:
    try:
        return date.fromisoformat(typed)
    except ValueError:
        raise QualifierValueError("is not a date (write it as 2026-11-23)") from None


def _duration(typed: str) -> timedelta:
    found = _DURATION.match(typed)
    if found is None:
        raise QualifierValueError("is not a duration (write 30m, 4h, 2d or 1w)")
    unit = found.group("unit").lower()
    return timedelta(seconds=int(found.group("amount")) * _UNIT_SECONDS[unit])


def _shown_duration(waiting: timedelta) -> str:
    seconds = int(waiting.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"


def _shown_date(day: date) -> str:
    return day.isoformat()


def _recent_days(today: date) -> tuple[Choice, ...]:
    return tuple(
        Choice((today - timedelta(days=days)).isoformat(), label)
        for label, days in (("Today", 0), ("Last 7 days", 6), ("Last 30 days", 29))
    )


def _narrow_after(view: InboxFilter, values: tuple[Any, ...], _context: Context) -> InboxFilter:
    start = _day_start(values[-1])
    return replace(view, created_after=max(filter(None, [view.created_after, start])))


def _narrow_before(view: InboxFilter, values: tuple[Any, ...], _context: Context) -> InboxFilter:
    end = _day_start(values[-1] + timedelta(days=1))  # "before:" includes the day itself
    return replace(view, created_before=_earliest(view.created_before, end))


def _narrow_waiting(view: InboxFilter, values: tuple[Any, ...], context: Context) -> InboxFilter:
    cutoff = to_timestamp(context.now - values[-1])  # waiting longer than this
    return replace(view, created_before=_earliest(view.created_before, cutoff))


# --- is: flags -------------------------------------------------------------------------------

_NOT_DONE = frozenset({TriageStatus.NEW, TriageStatus.OPEN, TriageStatus.PENDING})


@dataclass(frozen=True, slots=True)
class Flag:
    """One `is:` value: a state a mention is in."""

    name: str
    summary: str
    narrow: Callable[[InboxFilter, Context], InboxFilter]


def _open_work(view: InboxFilter, context: Context) -> InboxFilter:
    """Not done, and not snoozed right now: where the work is."""
    return replace(_narrow_set(view, "statuses", _NOT_DONE), awake_at=to_timestamp(context.now))


def _mine(view: InboxFilter, context: Context) -> InboxFilter:
    if not context.agent_name:  # nobody's name: nothing is "mine"
        return replace(view, matches_nothing=True)
    return _narrow_set(_open_work(view, context), "assignees", {context.agent_name})


def _direct(view: InboxFilter, _context: Context) -> InboxFilter:
    return _narrow_set(view, "kinds", {MentionKind.DIRECT})


def _status_flag(status: TriageStatus) -> Callable[[InboxFilter, Context], InboxFilter]:
    return lambda view, _context: _narrow_set(view, "statuses", {status})


IS_FLAGS: tuple[Flag, ...] = (
    Flag("dm", "direct messages", _direct),
    Flag("open", "not done and not snoozed", _open_work),
    Flag("done", "marked done", _status_flag(TriageStatus.DONE)),
    Flag(
        "snoozed",
        "snoozed until later",
        lambda view, context: replace(view, snoozed_at=to_timestamp(context.now)),
    ),
    Flag(
        "unanswered",
        "open, and the brand has not replied",
        lambda view, context: replace(_open_work(view, context), unanswered=True),
    ),
    Flag("mine", "open and assigned to me", _mine),
    Flag("new", "not triaged yet", _status_flag(TriageStatus.NEW)),
    Flag("pending", "waiting for the customer", _status_flag(TriageStatus.PENDING)),
)
_FLAGS = {flag.name: flag for flag in IS_FLAGS}


def _narrow_flags(view: InboxFilter, values: tuple[Any, ...], context: Context) -> InboxFilter:
    for flag in dict.fromkeys(values):  # each flag once, in the order typed
        view = flag.narrow(view, context)
    return view


def _shown_flag(flag: Flag) -> str:
    return flag.name


# --- the registry ----------------------------------------------------------------------------

QUALIFIERS: tuple[Qualifier, ...] = (
    Qualifier(
        "network",
        "the network it came from",
        _NETWORK_NAMES,
        "network:bluesky",
        _network,
        _one_of("networks"),
        shown=lambda network: network.value,
        menu=Menu(
            "Any network", tuple(Choice(network.name, network.label) for network in NETWORKS)
        ),
    ),
    Qualifier(
        "account",
        "the brand's account it was addressed to",
        "a handle",
        "account:fjellform",
        _account,
        _one_of("account_handles"),
        menu=Menu("Any account"),
    ),
    Qualifier(
        "kind",
        "what sort of post",
        "mention, reply, quote or dm",
        "kind:dm",
        _choice(_KINDS, "mention, reply, quote or dm"),
        _one_of("kinds"),
        shown=_shown_kind,
        menu=Menu("Any kind", _KIND_CHOICES),
    ),
    Qualifier(
        "status",
        "its triage status",
        ", ".join(status.value for status in TriageStatus),
        "status:pending",
        _choice(
            {status.value: status for status in TriageStatus},
            ", ".join(status.value for status in TriageStatus),
        ),
        _one_of("statuses"),
        shown=lambda status: status.value,
        menu=Menu("Any status", _STATUS_CHOICES),
    ),
    Qualifier(
        "priority",
        "how urgent it is",
        _PRIORITY_HELP,
        "priority:urgent",
        _choice(_PRIORITIES, _PRIORITY_HELP),
        _condition(PRIORITY),
        shown=_shown_priority,
        menu=Menu(
            "Any priority",
            tuple(
                Choice(label, label.capitalize())
                for _level, label in sorted(PRIORITY_LABELS.items(), reverse=True)
            ),
        ),
    ),
    Qualifier(
        "lang",
        "the language it is written in",
        "a language code such as en, nb, de",
        "lang:nb",
        str.casefold,
        _one_of("languages"),
        menu=Menu("Any language"),
    ),
    Qualifier(
        "tag",
        "a tag it carries",
        "a tag; with several, every one",
        "tag:billing",
        _text,
        _narrow_tags,
        menu=Menu("Any tag"),
    ),
    Qualifier(
        "assignee",
        "who it is assigned to",
        "a name",
        "assignee:ana",
        _text,
        _one_of("assignees"),
        menu=Menu("Anyone"),
    ),
    Qualifier(
        "author",
        "who wrote it",
        "the start of a name or handle",
        "author:kari",
        _author,
        _narrow_author,
    ),
    Qualifier(
        "after",
        "written on or after a day",
        "a date such as 2026-11-01",
        "after:2026-11-01",
        _date,
        _narrow_after,
        shown=_shown_date,
        menu=Menu("Any time", dated=_recent_days),
        last_wins=True,
    ),
    Qualifier(
        "before",
        "written on or before a day",
        "a date such as 2026-11-30",
        "before:2026-11-30",
        _date,
        _narrow_before,
        shown=_shown_date,
        last_wins=True,
    ),
    Qualifier(
        "waiting",
        "waiting longer than",
        "30m, 4h, 2d or 1w",
        "waiting:4h",
        _duration,
        _narrow_waiting,
        shown=_shown_duration,
        menu=Menu(
            "Waiting: any",
            tuple(
                Choice(value, f"Waiting > {label}")
                for value, label in (
                    ("1h", "1 h"),
                    ("4h", "4 h"),
                    ("1d", "1 d"),
                    ("3d", "3 d"),
                    ("1w", "1 wk"),
                )
            ),
        ),
        last_wins=True,
    ),
    Qualifier(
        "is",
        "a state it is in",
        "one of " + ", ".join(_FLAGS),
        "is:unanswered",
        _choice(_FLAGS, "one of " + ", ".join(_FLAGS)),
        _narrow_flags,
        shown=_shown_flag,
    ),
)

_BY_NAME = {qualifier.name: qualifier for qualifier in QUALIFIERS}
NAMES: tuple[str, ...] = tuple(_BY_NAME)


def find_qualifier(name: str) -> Qualifier | None:
    return _BY_NAME.get(name.casefold())


def help_lines() -> list[str]:
    """Every qualifier with an example and its values, one a line, and each `is:` flag
    (CLI help, palette)."""
    lines = [qualifier.help_line() for qualifier in QUALIFIERS]
    return lines + [f"  is:{flag.name:<17}  {flag.summary}" for flag in IS_FLAGS]
