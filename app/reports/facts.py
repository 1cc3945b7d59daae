"""One mention's report facts, computed from its history: when the brand first answered (in
Heedful or in the thread), how long that took in calendar and business time, whether it was in
time, when it is due, when it was done, how often it was reopened and who handled it.

The rules, in the words reports use:
- The **first response** is the brand's first reply: sent through Heedful's outbox, or the
  brand's own post replying to it found in the thread (an answer sent outside Heedful counts).
- The **SLA clock** runs in the brand's business hours while the mention is New or Open (and
  Pending too, unless "pause while pending" is on), from its arrival to the first response.
  Done stops it. The mention is **met** when the clock had not passed the target when the first
  response came, **late** when it had, **breached** when the target passed unanswered, and
  still breached if it is closed or paused after that. **Running**: no answer yet, the clock
  running, `due_at` the deadline (past the deadline it is breached: the reader compares with
  now). **Paused**: pending, `left_seconds` still to go. **Closed**: done without an answer
  before the deadline (no reply was needed: left out of SLA met %). **None**: no target.
- A status change the history does not date (a mention stored already done, as imported
  history is) is placed at the first response, or at arrival when there is none; it stops
  the clock there but gives no time to done.
- **Time to done** runs from arrival to the first time it was marked done; **reopened** counts
  the times it went from done back to open work.
- The **agent** is who sent the first response; without one, the assignee; without one,
  whoever marked it done. Replies found in the thread are credited to "(outside Heedful)".
"""

from __future__ import annotations

import bisect
from datetime import datetime
from zoneinfo import ZoneInfo

from storage.reports.facts import FactRow, MentionHistory

from app.reports.business_time import BusinessClock
from app.reports.sla import SlaPolicy

OUTSIDE_HEEDFUL = "(outside Heedful)"
UNKNOWN_AGENT = ""

# Bump when the rules above change: every fact is then computed again (app.reports.refresh).
FACTS_VERSION = 1

_DONE = "done"


class FactRules:
    """A brand's policy as the computation uses it, prepared once per refresh."""

    __slots__ = ("_targets", "clock", "policy", "zone")

    def __init__(self, policy: SlaPolicy, clock: BusinessClock | None = None) -> None:
        self.policy = policy
        self.clock = clock or BusinessClock(policy.calendar())
        self.zone = ZoneInfo(policy.time_zone)
        self._targets: dict[tuple[str, str], int | None] = {}

    def target_for(self, network: str, kind: str) -> int | None:
        key = (network, kind)
        if key not in self._targets:
            self._targets[key] = self.policy.target_for(network, kind)
        return self._targets[key]


def compute_facts(history: MentionHistory, rules: FactRules) -> FactRow:
    policy, clock, zone = rules.policy, rules.clock, rules.zone
    created = history.created_at
    local = datetime.fromtimestamp(created, zone)
    replies = _replies(history)
    responded = replies[0][0] if replies else None
    segments, transitions = _segments(history, responded)
    running = {"new", "open"} if policy.pause_while_pending else {"new", "open", "pending"}
    target = rules.target_for(history.network, history.kind)
    sla = _service_level(segments, responded, running, target, clock)

    first_done_at = done_seconds = done_business = None
    for at, old, new, dated in transitions:
        if new == _DONE and old != _DONE:
            if dated:
                first_done_at = at
                done_seconds = at - created
                done_business = clock.seconds_between(created, at)
            break
    reopened = sum(1 for _, old, new, _ in transitions if old == _DONE and new != _DONE)

    if replies:
        agent = replies[0][1]
    elif history.assignee:
        agent = history.assignee
    else:
        closers = [actor for at, old, new, actor in _dated_closes(history)]
        agent = closers[-1] if closers else UNKNOWN_AGENT
    return FactRow(
        mention_id=history.mention_id,
        brand=history.brand,
        day=local.date().isoformat(),
        created=created,
        hour_of_week=local.weekday() * 24 + local.hour,
        target_seconds=target,
        sla_state=sla.state,
        due_at=sla.due_at,
        left_seconds=sla.left,
        first_response_at=responded,
        response_via=replies[0][2] if replies else None,
        responder=replies[0][1] if replies else None,
        response_seconds=None if responded is None else responded - created,
        response_business_seconds=sla.counted if responded is not None else None,
        first_done_at=first_done_at,
        done_seconds=done_seconds,
        done_business_seconds=done_business,
        reopened=reopened,
        agent=agent,
        open_intervals=_open_intervals(segments),
        replies=tuple(replies),
    )


# --- replies --------------------------------------------------------------------------------


def _replies(history: MentionHistory) -> list[tuple[float, str, str]]:
    """(when, agent, via) of every reply, first first. A reply Heedful sent that the sync
    later found in the thread is the same reply: counted once, as Heedful's."""
    created = history.created_at
    sent_ids = {sent.platform_id for sent in history.sent if sent.platform_id}
    replies = [
        (max(sent.sent_at, created), sent.agent or _credited(history, sent.queued_at), "heedful")
        for sent in history.sent
    ]
    replies += [
        (max(reply.created_at, created), OUTSIDE_HEEDFUL, "thread")
        for reply in history.thread_replies
        if reply.platform_id not in sent_ids
    ]
    replies.sort()
    return replies


def _credited(history: MentionHistory, queued_at: float) -> str:
    """Who wrote a reply the outbox does not name: whoever last worked on the mention before
    it was queued, else the first to touch it after, else its assignee."""
    if history.actions:
        times = [at for at, _ in history.actions]
        index = bisect.bisect_right(times, queued_at) - 1
        return history.actions[max(index, 0)][1]
    return history.assignee or UNKNOWN_AGENT


def _dated_closes(history: MentionHistory) -> list[tuple[float, str | None, str | None, str]]:
    return [
        (change.at, change.old, change.new, change.actor)
        for change in history.status_changes
        if change.new == _DONE
    ]


# --- the status timeline --------------------------------------------------------------------

Segment = tuple[float, float | None, str]  # (start, end or None: until now, status)
Transition = tuple[float, str, str, bool]  # (when, old, new, dated)


def _segments(
    history: MentionHistory, responded: float | None
) -> tuple[list[Segment], list[Transition]]:
    created = history.created_at
    changes = history.status_changes
    status = (changes[0].old if changes and changes[0].old else None) or "new"
    moment = created
    segments: list[Segment] = []
    transitions: list[Transition] = []
    for change in changes:
        new = change.new or status
        if new == status:
            continue
        at = max(change.at, moment)
        segments.append((moment, at, status))
        transitions.append((at, status, new, True))
        moment, status = at, new
    if history.status != status:
        # Changed without a dated record (imported history): at the answer, or at once.
        at = max(moment, responded if responded is not None else moment)
        segments.append((moment, at, status))
        transitions.append((at, status, history.status, False))
        moment, status = at, history.status
    segments.append((moment, None, status))
    return segments, transitions


def _open_intervals(segments: list[Segment]) -> tuple[tuple[float, float | None], ...]:
    """When the mention was open work (not done): merged runs of segments."""
    intervals: list[tuple[float, float | None]] = []
    for start, end, status in segments:
        if status == _DONE:
            continue
        if intervals and intervals[-1][1] == start:
            intervals[-1] = (intervals[-1][0], end)
        elif end is None or end > start:
            intervals.append((start, end))
    return tuple(intervals)


# --- the SLA clock ----------------------------------------------------------------------------


class _Level:
    __slots__ = ("counted", "due_at", "left", "state")

    def __init__(self, state: str, counted: float, due_at: float | None, left: float | None):
        self.state = state
        self.counted = counted  # business seconds on the clock at the response (or so far)
        self.due_at = due_at
        self.left = left


def _service_level(
    segments: list[Segment],
    responded: float | None,
    running: set[str],
    target: int | None,
    clock: BusinessClock,
) -> _Level:
    counted = 0.0
    crossed_at: float | None = None
    open_ended_start: float | None = None
    for start, end, status in segments:
        if responded is not None and start >= responded:
            break
        stop = end
        if responded is not None and (stop is None or stop > responded):
            stop = responded
        if status not in running:
            continue
        if stop is None:
            open_ended_start = start
            break
        length = clock.seconds_between(start, stop)
        if target is not None and crossed_at is None and counted + length > target:
            crossed_at = clock.deadline(start, target - counted)
        counted += length
    if target is None:
        return _Level("none", counted, None, None)
    if responded is not None:
        if crossed_at is None:
            return _Level("met", counted, None, None)
        return _Level("late", counted, crossed_at, None)
    if crossed_at is not None:
        return _Level("breached", counted, crossed_at, None)
    if open_ended_start is not None:
        return _Level("running", counted, clock.deadline(open_ended_start, target - counted), None)
    last_status = segments[-1][2]
    if last_status == _DONE:
        return _Level("closed", counted, None, None)
    return _Level("paused", counted, None, target - counted)
