"""Service-level policies: a brand's first-response targets, business hours, holidays and time
zone, as typed values; read from and written to the store and to the JSON people edit.

    {"time_zone": "Europe/Oslo", "pause_while_pending": true,
     "targets": [{"kind": "direct", "hours": 1}, {"kind": "public", "hours": 2}],
     "hours": {"monday": "09:00-17:00", "friday": ["09:00-12:00", "13:00-16:00"]},
     "holidays": [{"date": "2026-12-24", "name": "Christmas Eve"}, "2026-12-25"]}

A target names a network ('' or absent: any) and a kind: mention, reply, quote, direct,
`public` (any kind but a direct message) or '' (any). The most specific target that matches a
mention applies: the kind first (exact, then public, then any), then the network.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from storage.records import MentionKind
from storage.reports.policies import SlaPolicyRepository, StoredPolicy

from app.changes import Changes
from app.reports.business_time import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarError,
    OpeningHours,
    zone_named,
)

TARGET_KINDS = ("", "public", *(kind.value for kind in MentionKind))
_UNITS = {"seconds": 1, "minutes": 60, "hours": 3_600, "days": 86_400}
MAX_TARGET_SECONDS = 90 * 86_400


class SlaSettingsError(ValueError):
    """Service-level settings that cannot be used; the message says what to change."""


@dataclass(frozen=True, slots=True, order=True)
class Target:
    """Answer mentions of `kind` on `network` ('' = any) within `seconds` of business time."""

    network: str
    kind: str
    seconds: int

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise SlaSettingsError(
                f"{self.kind!r} is not a kind: use mention, reply, quote, direct, public or ''."
            )
        if not 0 < self.seconds <= MAX_TARGET_SECONDS:
            raise SlaSettingsError("A target is more than zero and at most 90 days.")

    def matches(self, network: str, kind: str) -> bool:
        network_fits = self.network in ("", network)
        kind_fits = self.kind in ("", kind) or (self.kind == "public" and kind != "direct")
        return network_fits and kind_fits

    @property
    def specificity(self) -> tuple[int, int]:
        kind_rank = 0 if self.kind == "" else 1 if self.kind == "public" else 2
        return (kind_rank, int(self.network != ""))


@dataclass(frozen=True, slots=True, order=True)
class Holiday:
    day: date
    name: str = ""


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """One brand's service levels. No targets: nothing is due, reply times are still measured.
    No hours: open around the clock (business time is calendar time, holidays aside)."""

    brand: str = ""
    time_zone: str = "UTC"
    targets: tuple[Target, ...] = ()
    hours: tuple[OpeningHours, ...] = ()
    holidays: tuple[Holiday, ...] = ()
    pause_while_pending: bool = True
    stored: bool = field(default=False, compare=False)  # False: the default, not saved yet

    def __post_init__(self) -> None:
        try:
            zone_named(self.time_zone)
        except CalendarError as error:
            raise SlaSettingsError(str(error)) from error
        keys = [(target.network, target.kind) for target in self.targets]
        if len(keys) != len(set(keys)):
            raise SlaSettingsError("Two targets name the same network and kind: keep one.")

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            self.time_zone, self.hours, frozenset(holiday.day for holiday in self.holidays)
        )

    def target_for(self, network: str, kind: str) -> int | None:
        """Seconds of business time allowed for the first response, or None: no target."""
        fitting = [target for target in self.targets if target.matches(network, kind)]
        if not fitting:
            return None
        return max(fitting, key=lambda target: target.specificity).seconds

    def fingerprint(self) -> str:
        """Everything the per-mention facts depend on: when it changes they are recomputed."""
        return json.dumps(policy_json(self), sort_keys=True)


# --- the store ------------------------------------------------------------------------------


def policy_from_stored(stored: StoredPolicy) -> SlaPolicy:
    return SlaPolicy(
        brand=stored.brand,
        time_zone=stored.time_zone,
        targets=tuple(sorted(Target(*target) for target in stored.targets)),
        hours=tuple(sorted(OpeningHours(*shift) for shift in stored.hours)),
        holidays=tuple(Holiday(date.fromisoformat(day), name) for day, name in stored.holidays),
        pause_while_pending=stored.pause_while_pending,
        stored=True,
    )


def policy_to_stored(policy: SlaPolicy) -> StoredPolicy:
    return StoredPolicy(
        brand=policy.brand,
        time_zone=policy.time_zone,
        pause_while_pending=policy.pause_while_pending,
        targets=tuple((t.network, t.kind, t.seconds) for t in policy.targets),
        hours=tuple((s.weekday, s.opens, s.closes) for s in policy.hours),
        holidays=tuple((h.day.isoformat(), h.name) for h in policy.holidays),
    )


# --- JSON ---------------------------------------------------------------------------------------


def policy_json(policy: SlaPolicy) -> dict[str, Any]:
    """The policy as people read and edit it (`heedful sla show --json`)."""
    hours: dict[str, list[str]] = {}
    for shift in policy.hours:
        hours.setdefault(WEEKDAYS[shift.weekday], []).append(shift.text())
    return {
        "brand": policy.brand,
        "time_zone": policy.time_zone,
        "pause_while_pending": policy.pause_while_pending,
        "targets": [_target_json(target) for target in policy.targets],
        "hours": hours,
        "holidays": [{"date": h.day.isoformat(), "name": h.name} for h in policy.holidays],
    }


def _target_json(target: Target) -> dict[str, Any]:
    amount: dict[str, int] = (
        {"minutes": target.seconds // 60}
        if target.seconds % 60 == 0
        else {"seconds": target.seconds}
    )
    return {"network": target.network, "kind": target.kind, **amount}


def policy_from_json(document: Mapping[str, Any], *, brand: str | None = None) -> SlaPolicy:
    """A policy from its JSON form; SlaSettingsError says what is wrong, in the file's terms."""
    if not isinstance(document, Mapping):
        raise SlaSettingsError("Service levels are a JSON object.")
    known = {"brand", "time_zone", "pause_while_pending", "targets", "hours", "holidays"}
    unknown = sorted(set(document) - known)
    if unknown:
        raise SlaSettingsError(f"Unknown settings: {', '.join(unknown)} (known: {sorted(known)}).")
    name = document.get("brand", "") if brand is None else brand
    if not isinstance(name, str):
        raise SlaSettingsError('"brand" is the brand\'s name (text; "" for the workspace).')
    zone = document.get("time_zone", "UTC")
    if not isinstance(zone, str):
        raise SlaSettingsError('"time_zone" is an IANA name such as "Europe/Oslo".')
    pause = document.get("pause_while_pending", True)
    if not isinstance(pause, bool):
        raise SlaSettingsError('"pause_while_pending" is true or false.')
    try:
        return SlaPolicy(
            brand=name,
            time_zone=zone,
            targets=tuple(sorted(_targets(document.get("targets", [])))),
            hours=tuple(sorted(_hours(document.get("hours", {})))),
            holidays=tuple(sorted(_holidays(document.get("holidays", [])))),
            pause_while_pending=pause,
        )
    except CalendarError as error:
        raise SlaSettingsError(str(error)) from error


def _targets(raw: Any) -> list[Target]:
    if not isinstance(raw, list):
        raise SlaSettingsError('"targets" is a list, e.g. [{"kind": "direct", "hours": 1}].')
    targets = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise SlaSettingsError(f"A target is an object, not {item!r}.")
        units = [unit for unit in _UNITS if unit in item]
        if len(units) != 1:
            raise SlaSettingsError(
                f"Give each target one of {', '.join(_UNITS)} (this one: {dict(item)!r})."
            )
        amount = item[units[0]]
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise SlaSettingsError(f"{units[0]} is a number (this one: {amount!r}).")
        network, kind = item.get("network", ""), item.get("kind", "")
        if not isinstance(network, str) or not isinstance(kind, str):
            raise SlaSettingsError("A target's network and kind are text.")
        unknown = sorted(set(item) - {"network", "kind", *units})
        if unknown:
            raise SlaSettingsError(f"Unknown target settings: {', '.join(unknown)}.")
        targets.append(
            Target(network.strip().lower(), kind.strip().lower(), round(amount * _UNITS[units[0]]))
        )
    return targets


def _hours(raw: Any) -> list[OpeningHours]:
    if not isinstance(raw, Mapping):
        raise SlaSettingsError('"hours" maps weekdays to shifts: {"monday": "09:00-17:00"}.')
    shifts = []
    for day, value in raw.items():
        if str(day).lower() not in WEEKDAYS:
            raise SlaSettingsError(f"{day!r} is not a weekday (monday … sunday).")
        weekday = WEEKDAYS.index(str(day).lower())
        texts = [value] if isinstance(value, str) else value
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
            raise SlaSettingsError(f'{day}\'s hours are "09:00-17:00" or a list of them.')
        shifts += [OpeningHours.parse(weekday, text) for text in texts]
    return shifts


def _holidays(raw: Any) -> list[Holiday]:
    if not isinstance(raw, list):
        raise SlaSettingsError('"holidays" is a list of dates ("2026-12-25").')
    found = []
    for item in raw:
        text, name = (item, "") if isinstance(item, str) else (None, "")
        if isinstance(item, Mapping):
            text, name = item.get("date"), item.get("name", "")
        if not isinstance(text, str) or not isinstance(name, str):
            raise SlaSettingsError(f'A holiday is a date or {{"date", "name"}}, not {item!r}.')
        try:
            found.append(Holiday(date.fromisoformat(text), name))
        except ValueError as error:
            raise SlaSettingsError(f"{text!r} is not a date (YYYY-MM-DD).") from error
    days = [holiday.day for holiday in found]
    if len(days) != len(set(days)):
        raise SlaSettingsError("A holiday is listed twice: keep one.")
    return found


# --- the time zone a new brand starts with ------------------------------------------------------


def system_time_zone() -> str:
    """This computer's IANA time zone when it can be told (TZ, /etc/localtime, /etc/timezone),
    else UTC: a new brand's reports then count days as the person sees them."""
    candidates: list[str] = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for candidate in candidates:
        if candidate:
            with contextlib.suppress(CalendarError):
                zone_named(candidate)
                return candidate
    return "UTC"


# --- the service ----------------------------------------------------------------------------------


class SlaSettings:
    """Reading and saving each brand's policy. A brand without one gets a default (this
    computer's time zone, no targets, around the clock), saved the first time it is needed so
    the days reports count stay put when the laptop travels."""

    def __init__(
        self,
        repository: SlaPolicyRepository,
        default_zone: Callable[[], str] = system_time_zone,
    ) -> None:
        self._repository = repository
        self._default_zone = default_zone

    def policy(self, brand: str = "") -> SlaPolicy:
        stored = self._repository.get(brand)
        if stored is None:
            return SlaPolicy(brand=brand, time_zone=self._default_zone())
        return policy_from_stored(stored)

    def stored_policies(self) -> dict[str, SlaPolicy]:
        return {
            brand: policy_from_stored(stored) for brand, stored in self._repository.all().items()
        }

    def ensure(self, brands: list[str]) -> dict[str, SlaPolicy]:
        """Each brand's policy, saving the default for brands that have none yet."""
        policies = self.stored_policies()
        for brand in brands:
            if brand not in policies:
                default = SlaPolicy(brand=brand, time_zone=self._default_zone())
                self._repository.put(policy_to_stored(default), shared=False)  # not the team's
                policies[brand] = replace(default, stored=True)
        return policies

    def save(self, policy: SlaPolicy) -> Changes:
        self._repository.put(policy_to_stored(policy))
        label = f"brand {policy.brand!r}" if policy.brand else "the workspace"
        return Changes.of(settings=True, description=f"Service levels saved for {label}")

    def load_json(self, text: str, *, brand: str | None = None) -> SlaPolicy:
        try:
            document = json.loads(text)
        except ValueError as error:
            raise SlaSettingsError(f"The file is not JSON ({error}).") from error
        return policy_from_json(document, brand=brand)
