"""What the inbox needs for live service-level timers (phase 2 wires it into the list): each
visible mention's deadline and time left, the `sla:` conditions as SQL, and when to look again.

Time left is counted in the brand's business hours ("due in 30 min" on Friday at 16:50 can mean
Monday 09:20), and the deadline is also given as an instant for "due Mon 09:20". Ask `refresh`
(app.reports.service) after each change set, on a worker, before reading: facts are derived.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from storage.reports.timers import (
    Condition,
    TimerRepository,
    breached_condition,
    due_within_condition,
    overdue_condition,
    paused_condition,
)
from storage.store import Store

from app.reports.business_time import BusinessClock
from app.reports.sla import SlaPolicy, SlaSettings


@dataclass(frozen=True, slots=True)
class SlaTimer:
    """One mention's first-response timer, as of `now`."""

    mention_id: int
    state: str  # waiting, overdue, paused, met, late, closed, none
    target_seconds: int | None
    due_at: datetime | None  # the deadline (waiting, overdue) or when it was due (late)
    business_seconds_left: float | None  # negative: overdue by that much business time
    answered_at: datetime | None

    @property
    def ticking(self) -> bool:
        """Whether the timer changes as time passes (the list redraws these)."""
        return self.state in ("waiting", "overdue")


class SlaTimers:
    def __init__(self, store: Store, settings: SlaSettings) -> None:
        self._repository = TimerRepository(store)
        self._settings = settings
        self._clocks: dict[str, tuple[str, BusinessClock]] = {}

    def _clock(self, brand: str) -> BusinessClock:
        policy: SlaPolicy = self._settings.policy(brand)
        fingerprint = policy.fingerprint()
        kept = self._clocks.get(brand)
        if kept is None or kept[0] != fingerprint:
            kept = (fingerprint, BusinessClock(policy.calendar()))
            self._clocks[brand] = kept
        return kept[1]

    def timers(self, mention_ids: Sequence[int], now: datetime) -> dict[int, SlaTimer]:
        """The timers of a page of mentions (one query; business time from cached clocks)."""
        moment = now.timestamp()
        found = {}
        clocks: dict[str, BusinessClock] = {}  # the settings read once per page
        for mention_id, stored in self._repository.timers(mention_ids).items():
            state, left = stored.sla_state, stored.left_seconds
            if state == "running":
                if stored.brand not in clocks:
                    clocks[stored.brand] = self._clock(stored.brand)
                clock = clocks[stored.brand]
                assert stored.due_at is not None
                left = clock.seconds_between(moment, stored.due_at)
                state = "waiting" if stored.due_at > moment else "overdue"
            elif state == "breached":
                state = "overdue"
            found[mention_id] = SlaTimer(
                mention_id=mention_id,
                state=state,
                target_seconds=stored.target_seconds,
                due_at=_time(stored.due_at),
                business_seconds_left=left,
                answered_at=_time(stored.first_response_at),
            )
        return found

    def overdue(self, now: datetime) -> Condition:
        """`sla:overdue`: not answered, the target passed."""
        return overdue_condition(now.timestamp())

    def breached(self, now: datetime) -> Condition:
        """`sla:breached`: overdue, or answered after the target passed."""
        return breached_condition(now.timestamp())

    def due_within(self, now: datetime, seconds: float, brands: Sequence[str]) -> Condition:
        """`sla:due<30m`: still within the target, with at most `seconds` of business time
        left (in each brand's own hours)."""
        moment = now.timestamp()
        thresholds = {
            brand: self._clock(brand).deadline(moment, seconds) for brand in dict.fromkeys(brands)
        }
        return due_within_condition(moment, thresholds)

    def paused(self) -> Condition:
        """`sla:paused`: within the target, waiting on the customer (Pending)."""
        return paused_condition()

    def next_deadline(self, now: datetime) -> datetime | None:
        """When the next waiting mention becomes overdue (when to look again)."""
        return _time(self._repository.next_deadline(now.timestamp()))

    def count(self, condition: Condition) -> int:
        return self._repository.count(condition)


def _time(moment: float | None) -> datetime | None:
    return None if moment is None else datetime.fromtimestamp(moment, UTC)
