"""Never two answers to one customer: a reply takes the mention's claim before it is sent.

The claim is a key in the team's claims bucket, written create-only-if-absent: of two
teammates pressing Send on the same mention, exactly one gets it. The other's reply is held
("Kari replied 14:02"), nothing is posted, and the agent chooses Send anyway, Discard or
Edit. Offline, a reply to a team-shared account waits for the claim, unless the agent
chooses "send without claim" (recorded and logged).

`ReplyGate.check` is what the sender asks before it moves a reply from queued to sending;
it runs on the sender's thread and reaches the server through `claim` (a blocking call into
the team's connection, `app.team.runtime.TeamRuntime.claim`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage.drafts import DraftRepository
from storage.records import OutboxItem, from_timestamp, to_timestamp, utc_now
from storage.store import Store
from storage.team.holds import SEND_ANYWAY, WITHOUT_CLAIM, ReplyHold, ReplyHoldRepository
from storage.team.membership import MembershipRepository

from app.team.journal import TeamJournal
from app.team.wire import MAX_NAME, MalformedEvent, TeamMentionKey

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Claim:
    user: str
    actor: str
    reply_id: str  # the reply's idempotency key: the same reply asking again is granted
    at: str

    def encode(self) -> bytes:
        return json.dumps(
            {"v": 1, "user": self.user, "actor": self.actor, "reply": self.reply_id, "at": self.at},
            ensure_ascii=False,
        ).encode()

    @classmethod
    def decode(cls, data: bytes) -> Claim:
        try:
            document = json.loads(data) if len(data) <= 4096 else None
        except (UnicodeDecodeError, ValueError) as error:
            raise MalformedEvent("a claim that is not JSON") from error
        if not isinstance(document, dict) or document.get("v") != 1:
            raise MalformedEvent("not a claim")
        values = [document.get(name) for name in ("user", "actor", "reply", "at")]
        if not all(isinstance(value, str) and len(value) <= 200 for value in values):
            raise MalformedEvent("a claim with bad fields")
        user, actor, reply, at = (str(value) for value in values)
        try:
            to_timestamp(from_timestamp(at.removesuffix("Z")))
        except ValueError as error:
            raise MalformedEvent("a claim with a bad time") from error
        return cls(user[:MAX_NAME], actor[:MAX_NAME], reply, at)


class ClaimAnswer(StrEnum):
    GRANTED = "granted"
    HELD = "held"  # a teammate's reply has it
    UNREACHABLE = "unreachable"  # no answer from the team's server


@dataclass(frozen=True, slots=True)
class ClaimResult:
    answer: ClaimAnswer
    holder: Claim | None = None


class GateDecision(StrEnum):
    SEND = "send"
    HOLD = "hold"  # a teammate answered: nothing is posted until the agent decides
    WAIT = "wait"  # the claim cannot be taken now: the reply stays queued


@dataclass(frozen=True, slots=True)
class GateAnswer:
    decision: GateDecision
    detail: str = ""  # for the outbox line: "Kari replied 14:02", "Waiting for the claim"


# (mention key, our claim, force) -> the server's answer; force overwrites a teammate's claim.
ClaimCall = Callable[[TeamMentionKey, Claim, bool], ClaimResult]


def held_by_text(hold: ReplyHold) -> str:
    when = "" if hold.claimed_at is None else f" {hold.claimed_at.astimezone():%H:%M}"
    return f"{hold.holder_actor} replied{when}"


class ReplyGate:
    def __init__(
        self,
        store: Store,
        key_of: Callable[[int], TeamMentionKey | None],
        claim: ClaimCall,
        actor: Callable[[], str],
        journal: TeamJournal | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._journal = journal
        self._membership = MembershipRepository(store)
        self._holds = ReplyHoldRepository(store)
        self._key_of = key_of
        self._claim = claim
        self._actor = actor
        self._clock = clock

    def check(self, item: OutboxItem) -> GateAnswer:
        membership = self._membership.get()
        if membership is None or item.mention_id is None:
            return GateAnswer(GateDecision.SEND)  # not in a team: nobody else can answer
        key = self._key_of(item.mention_id)
        if key is None:
            return GateAnswer(GateDecision.SEND)  # not a mention the team can name
        hold = self._holds.get(item.id)
        if hold is not None and hold.decision == WITHOUT_CLAIM:
            log.warning(
                "team: reply %d goes without the mention's claim (the agent chose so)", item.id
            )
            return GateAnswer(GateDecision.SEND)
        if hold is not None and hold.waiting_for_agent:
            return GateAnswer(GateDecision.HOLD, held_by_text(hold))
        force = hold is not None and hold.decision == SEND_ANYWAY
        mine = Claim(
            membership.user, self._actor(), item.idempotency_key, to_timestamp(self._clock())
        )
        result = self._claim(key, mine, force)
        if result.answer is ClaimAnswer.GRANTED:
            if force:
                log.warning("team: reply %d sent anyway over a teammate's claim", item.id)
            return GateAnswer(GateDecision.SEND)
        if result.answer is ClaimAnswer.HELD and result.holder is not None:
            holder = result.holder
            claimed_at = _time_or_none(holder.at)
            self._holds.hold(item.id, holder.actor, holder.user, claimed_at, self._clock())
            hold = self._holds.get(item.id)
            assert hold is not None
            log.info("team: reply %d held: %s", item.id, held_by_text(hold))
            return GateAnswer(GateDecision.HOLD, held_by_text(hold))
        return GateAnswer(
            GateDecision.WAIT,
            "Waiting for the team's claim on this mention (the team's server cannot be "
            "reached); “Send without claim” sends it now.",
        )

    def sent(self, item: OutboxItem, url: str | None, post_id: str) -> None:
        """The reply went out (inside the transaction that records it): the team hears it."""
        if self._journal is None or item.mention_id is None:
            return
        key = self._key_of(item.mention_id)
        if key is not None:
            with self._store.write():
                self._journal.reply_sent(key, self._actor(), url, post_id)

    # --- the agent's choices on a held reply -------------------------------------------------

    def send_anyway(self, outbox_id: int) -> None:
        log.warning("team: the agent chose to send reply %d anyway", outbox_id)
        self._holds.decide(outbox_id, SEND_ANYWAY, self._clock())

    def send_without_claim(self, outbox_id: int) -> None:
        log.warning("team: the agent chose to send reply %d without the claim", outbox_id)
        self._holds.decide(outbox_id, WITHOUT_CLAIM, self._clock())

    def hold_of(self, outbox_id: int) -> ReplyHold | None:
        return self._holds.get(outbox_id)

    def discard(self, outbox_id: int) -> OutboxItem | None:
        """Take a held reply out of the outbox (nothing is posted); None if it is not held
        or queued any more. The text is logged nowhere: it is gone, as asked."""
        with self._store.write():
            item = self._holds.take_out(outbox_id)
        if item is not None:
            log.info("team: held reply %d discarded", outbox_id)
        return item

    def edit(self, outbox_id: int, drafts: DraftRepository) -> int | None:
        """Take a held reply out of the outbox and put its text back as the mention's draft
        (one transaction); returns the mention id."""
        with self._store.write():
            item = self._holds.take_out(outbox_id)
            if item is None or item.mention_id is None:
                return None
            typed = drafts.get(item.mention_id).strip()
            drafts.save(
                item.mention_id,
                f"{typed}\n\n{item.body}" if typed else item.body,
                mode="direct" if item.kind == "direct" else None,
            )
        return item.mention_id


def _time_or_none(text: str) -> datetime | None:
    try:
        return from_timestamp(text.removesuffix("Z"))
    except ValueError:
        return None
